// Package handlers is the HTTP edge: the route table, one file per
// resource, and one adapter (respond.go) that writes JSON and RFC 9457
// problems. Handlers validate input, read through the driver and submit
// long-running work to the job registry; they never run work on a
// request's context.
package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
)

// Deps are what the handlers need.
type Deps struct {
	Driver  *hyperv.Driver
	Exports *exports.Service
	Imports *imports.Service
	Jobs    *jobs.Registry
	Logger  *zap.Logger
	// Backend names the transport ("sim" or "hyperv") for /v1/health.
	Backend string
}

// NewRouter returns the service's HTTP handler: every route in one table.
func NewRouter(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	a := adapter{log: d.Logger.Named("http")}
	vms := vmsResource{d: d.Driver}
	exports := exportsResource{d: d.Driver, svc: d.Exports, jobs: d.Jobs, log: d.Logger.Named("exports")}
	imps := importsResource{svc: d.Imports, jobs: d.Jobs, log: d.Logger.Named("imports")}
	planned := plannedVMsResource{d: d.Driver, imports: d.Imports, log: d.Logger.Named("planned-vms")}
	js := jobsResource{jobs: d.Jobs}
	idem := &idempotency{jobs: d.Jobs}
	meta := metaResource{d: d.Driver, backend: d.Backend}

	r := chi.NewRouter()
	r.Use(middleware.RequestID, requestLog(d.Logger.Named("http")), recoverer(a))
	r.NotFound(a.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, errs.E(errs.NotFound, "no route for %s %s", r.Method, r.URL.Path)
	}))
	r.MethodNotAllowed(a.wrap(func(w http.ResponseWriter, req *http.Request) (any, error) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return nil, &errs.Error{Kind: errs.MethodNotAllowed, Msg: "method " + req.Method + " is not allowed on " + req.URL.Path + "; allowed: " + strings.Join(allowed, ", "),
			Extra: map[string]any{"allowed": allowed}}
	}))

	r.Route("/v1", func(r chi.Router) {
		r.Get("/health", a.wrap(meta.health))
		r.Get("/openapi.yaml", a.wrap(meta.openapi))

		r.Get("/vms", a.wrap(vms.list))
		r.Get("/vms/{vm}", a.wrap(vms.get))
		r.Get("/vms/{vm}/export-settings", a.wrap(exports.defaults))
		r.Post("/vms/{vm}/exports", a.wrap(idem.wrap(exports.start)))

		r.Get("/exports", a.wrap(exports.list))
		r.Get("/exports/{id}", a.wrap(exports.get))
		r.Delete("/exports/{id}", a.wrap(exports.delete))
		r.Post("/exports/{id}/verify", a.wrap(idem.wrap(exports.verify)))

		r.Get("/import-settings", a.wrap(imps.settings))
		r.Post("/import-settings", a.wrap(imps.settings))
		r.Post("/imports", a.wrap(idem.wrap(imps.start)))
		r.Get("/planned-vms", a.wrap(planned.list))
		r.Delete("/planned-vms/{id}", a.wrap(planned.delete))

		r.Get("/jobs", a.wrap(js.list))
		r.Get("/jobs/{id}", a.wrap(js.get))
		r.Post("/jobs/{id}/cancel", a.wrap(js.cancel))
		r.Get("/jobs/{id}/events", a.wrap(js.events))
	})
	return r
}

// requestLog logs one line per request with its id, status and duration.
func requestLog(log *zap.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			start := time.Now()
			next.ServeHTTP(ww, r)
			log.Info("request", zap.String("request_id", middleware.GetReqID(r.Context())),
				zap.String("method", r.Method), zap.String("path", r.URL.Path),
				zap.Int("status", ww.Status()), zap.Int("bytes", ww.BytesWritten()),
				zap.Duration("duration", time.Since(start)))
		})
	}
}

// recoverer turns a panic into a logged 500 problem instead of a dropped
// connection.
func recoverer(a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					a.log.Error("panic in handler", zap.Any("panic", v), zap.Stack("stack"))
					a.problem(w, r, errs.E(errs.Internal, "panic: %v", v))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
