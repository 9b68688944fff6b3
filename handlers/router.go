// Package handlers is the HTTP edge: the route table, one file per
// resource, and one adapter (respond.go) that writes JSON and RFC 9457
// problems. Handlers validate input, read through the driver and submit
// long-running work to the job registry; they never run a job's work on a
// request's context. The Hyper-V calls a request may make are listed in
// docs/ARCHITECTURE.md ("Which Hyper-V calls a handler may make on the
// request's context"): reads, the import preview's throw-away planned VM,
// and DELETE /v1/planned-vms.
package handlers

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.uber.org/zap"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/metrics"
)

// Deps are what the handlers need.
type Deps struct {
	Driver  *hyperv.Driver
	Exports *exports.Service
	Imports *imports.Service
	Jobs    *jobs.Registry
	Logger  *zap.Logger
	// Backend names the transport ("sim" or "hyperv").
	Backend string
	// Security authenticates, authorizes and audits; its zero value
	// denies everything but GET /v1/health.
	Security Security
	// Draining is closed when the server starts to shut down: from then
	// on the routes that start a job answer 503 with Retry-After, and
	// event streams and long polls end; the rest is served as before.
	// nil never drains.
	Draining <-chan struct{}
	// ServeFault is a test hook, nil in production (cmd/server never sets
	// it): asked once per file answer of GET /v1/exports/{id}/files/{path}
	// with the export's id and the file's manifest path, it may name an
	// offset of the file whose byte is then sent inverted (when the answer
	// covers it), so that a destination's test sees a corrupt transfer.
	ServeFault func(exportID, path string) (offset int64, ok bool)
	// Metrics, when not nil, counts every request (by route pattern) and
	// every authentication failure, and is served at GET /metrics; nil
	// measures nothing and GET /metrics answers 404.
	Metrics *metrics.Metrics
	// Readiness are the checks GET /readyz runs (health.go); none means
	// ready. ReadinessMaxAge reuses a result younger than it (cmd/server:
	// 1 s), so that a flood of public probes does not run them each time;
	// 0 runs them for every probe.
	Readiness       []readiness.Check
	ReadinessMaxAge time.Duration
}

// NewRouter returns the service's HTTP handler: every route in one table,
// each with the role it needs (docs/SECURITY.md has the matrix).
func NewRouter(d Deps) http.Handler {
	r, _ := newRouter(d)
	return r
}

// RoutePermissions returns the table's rules: "METHOD /pattern" → the role
// it needs, "" for the public route. Tests walk the router against it.
func RoutePermissions() map[string]string {
	_, g := newRouter(Deps{})
	out := make(map[string]string, len(g.rules))
	for k, v := range g.rules {
		out[k] = string(v)
	}
	return out
}

func newRouter(d Deps) (*chi.Mux, *guard) {
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	a := adapter{log: d.Logger.Named("http")}
	g := &guard{sec: d.Security, a: a, log: d.Logger.Named("security"), rules: map[string]auth.Role{}, metrics: d.Metrics}
	vms := vmsResource{d: d.Driver}
	exports := exportsResource{d: d.Driver, svc: d.Exports, jobs: d.Jobs, tokens: d.Security.Tokens, log: d.Logger.Named("exports")}
	files := exportFilesResource{exports: exports, fault: d.ServeFault, log: d.Logger.Named("export-files")}
	grants := grantsResource{exports: exports, store: d.Security.Tokens, jobs: d.Jobs}
	imps := importsResource{svc: d.Imports, jobs: d.Jobs, log: d.Logger.Named("imports")}
	planned := plannedVMsResource{d: d.Driver, imports: d.Imports, log: d.Logger.Named("planned-vms")}
	dr := drain(d.Draining)
	js := jobsResource{jobs: d.Jobs, drain: dr, bodies: &jobBodies{}}
	idem := &idempotency{jobs: d.Jobs}
	// submit wraps a route that starts a job: a retry with a known
	// Idempotency-Key still finds its job, a new submission is refused
	// while the server drains.
	submit := func(h handlerFunc) handlerFunc { return idem.wrap(dr.refuse(h)) }
	meta := metaResource{d: d.Driver, backend: d.Backend}
	toks := tokensResource{store: d.Security.Tokens}
	probes := probesResource{checks: d.Readiness, log: d.Logger.Named("readiness"), cache: &readyCache{maxAge: d.ReadinessMaxAge}}

	r := chi.NewRouter()
	r.Use(requestIDs, requestLog(d.Logger.Named("http"), d.Metrics, r), recoverer(a), g.authenticate)
	r.NotFound(a.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, errs.E(errs.NotFound, "no route for %s %s", r.Method, r.URL.Path)
	}))
	r.MethodNotAllowed(a.wrap(func(w http.ResponseWriter, req *http.Request) (any, error) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return nil, &errs.Error{Kind: errs.MethodNotAllowed, Msg: "method " + req.Method + " is not allowed on " + req.URL.Path + "; allowed: " + strings.Join(allowed, ", "),
			Extra: map[string]any{"allowed": allowed}}
	}))

	const get, head, post, del = http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete
	grant, reader, operator, admin := auth.Grant, auth.Reader, auth.Operator, auth.Admin
	on := g.on(r)
	on(get, "/v1/health", public, meta.health)
	on(get, "/v1/openapi.yaml", reader, meta.openapi)
	// Operations (health.go, docs.go): probes and the reference page are
	// public and say nothing about the host; the page shows the spec only
	// to a caller who can read it.
	on(get, "/healthz", public, probes.live)
	on(get, "/readyz", public, probes.ready)
	on(get, "/metrics", reader, serveMetrics(d.Metrics))
	on(get, "/docs", public, docsPage)
	on(get, "/docs/{asset}", public, docsAsset)

	on(get, "/v1/vms", reader, vms.list)
	on(get, "/v1/vms/{vm}", reader, vms.get)
	on(get, "/v1/vms/{vm}/export-settings", reader, exports.defaults)
	on(post, "/v1/vms/{vm}/exports", operator, submit(exports.start)) // "overwrite": true needs admin

	on(get, "/v1/exports", reader, exports.list)
	// grant: reader and above, or an export grant for this {id} (grants.go)
	on(get, "/v1/exports/{id}", grant, exports.get)
	on(del, "/v1/exports/{id}", admin, exports.delete) // or its grant, made with deleteExportWhenDone
	on(post, "/v1/exports/{id}/verify", operator, submit(exports.verify))
	on(get, "/v1/exports/{id}/manifest", grant, files.manifest)
	on(head, "/v1/exports/{id}/manifest", grant, files.manifest)
	on(get, "/v1/exports/{id}/files/*", grant, files.file)
	on(head, "/v1/exports/{id}/files/*", grant, files.file)
	on(get, "/v1/exports/{id}/grants", operator, grants.list)
	on(post, "/v1/exports/{id}/grants", operator, grants.create) // deleteExportWhenDone: admin, or the export's maker
	on(del, "/v1/exports/{id}/grants/{grant}", operator, grants.revoke)

	// Reading import settings plans a throw-away VM in Hyper-V: operator.
	on(get, "/v1/import-settings", operator, imps.settings)
	on(post, "/v1/import-settings", operator, imps.settings)
	on(post, "/v1/imports", operator, submit(imps.start)) // register in place needs admin
	on(get, "/v1/planned-vms", reader, planned.list)
	on(del, "/v1/planned-vms/{id}", admin, planned.delete)

	on(get, "/v1/jobs", reader, js.list)
	on(get, "/v1/jobs/{id}", reader, js.get)
	on(post, "/v1/jobs/{id}/cancel", operator, js.cancel) // another identity's job needs admin
	on(get, "/v1/jobs/{id}/events", reader, js.events)

	on(get, "/v1/tokens", admin, toks.list)
	on(post, "/v1/tokens", admin, toks.create)
	on(del, "/v1/tokens/{name}", admin, toks.revoke)
	return r, g
}

// requestLog logs one line per request with its id, status and duration
// (probes and scrapes at debug: they come every few seconds), and counts
// it in m by its route pattern — the table's, found again in mux for a
// request refused before routing (401) — never by its path.
func requestLog(log *zap.Logger, m *metrics.Metrics, mux *chi.Mux) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			start := time.Now()
			m.InFlight(1)
			defer m.InFlight(-1) // an aborted handler (http.ErrAbortHandler) too
			next.ServeHTTP(ww, r)
			took := time.Since(start)
			route := routePattern(r, mux)
			m.ObserveRequest(route, r.Method, ww.Status(), took)
			level := zap.InfoLevel
			if quietRoutes[route] {
				level = zap.DebugLevel
			}
			// Fields are built only for a line that is written: polls are
			// most requests, and a server at warn writes none of them.
			if ce := log.Check(level, "request"); ce != nil {
				ce.Write(slices.Concat(logctx.Fields(r.Context()), []zap.Field{
					zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("route", route),
					zap.Int("status", ww.Status()), zap.Int("bytes", ww.BytesWritten()),
					zap.Duration("duration", took)})...)
			}
		})
	}
}

// quietRoutes are logged at debug: monitoring asks for them every few
// seconds.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// routePattern is the route table's pattern r matched, "unmatched" for
// none: a bounded label for metrics, and the route in the request's log
// line.
func routePattern(r *http.Request, mux *chi.Mux) string {
	if p := chi.RouteContext(r.Context()).RoutePattern(); p != "" && p != "/*" {
		return p
	}
	if p := mux.Find(chi.NewRouteContext(), r.Method, r.URL.Path); p != "" {
		return p
	}
	return "unmatched"
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
