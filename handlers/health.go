package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/metrics"
)

// probesResource serves the liveness and readiness probes (kubelet's
// /livez and /readyz, etcd's /health): public, and without host
// details. GET /v1/health is unchanged beside them.
type probesResource struct {
	checks []readiness.Check
	log    *zap.Logger
	cache  *readyCache
}

// readyCache keeps the last readiness report for maxAge and lets one run
// of the checks at a time: /readyz is public, and each run queries WMI and
// writes a file, so a flood of anonymous probes costs one run per maxAge.
// A caller with reader credentials always gets a fresh run.
type readyCache struct {
	maxAge time.Duration
	mu     sync.Mutex // held during a run: concurrent probes share it
	at     time.Time
	last   readiness.Report
}

func (c *readyCache) run(ctx context.Context, checks []readiness.Check, fresh bool) readiness.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !fresh && c.last != nil && c.maxAge > 0 && time.Since(c.at) < c.maxAge {
		return c.last
	}
	c.last, c.at = readiness.Run(ctx, checks, 0), time.Now()
	return c.last
}

// probeAnswer is a probe's body: "ok" or "unavailable", and with
// ?verbose, for a caller with reader credentials, each check's name and
// "ok" or "failed" — never why (the server log says why).
type probeAnswer struct {
	Status string       `json:"status"`
	Checks []probeCheck `json:"checks,omitempty"`
}

type probeCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// live answers while the process serves HTTP.
func (p probesResource) live(w http.ResponseWriter, r *http.Request) (any, error) {
	w.Header().Set("Cache-Control", "no-store")
	return probeAnswer{Status: "ok"}, nil
}

// ready runs the readiness checks: 200 when all pass, 503 otherwise.
func (p probesResource) ready(w http.ResponseWriter, r *http.Request) (any, error) {
	reader := identityOf(r).Can(auth.Reader)
	rep := p.cache.run(r.Context(), p.checks, reader)
	ans, code := probeAnswer{Status: "ok"}, http.StatusOK
	if !rep.OK() {
		ans.Status, code = "unavailable", http.StatusServiceUnavailable
		for _, c := range rep {
			if c.Err != nil {
				logctx.From(r.Context(), p.log).Debug("readiness check failed", zap.String("check", c.Name), zap.Error(c.Err))
			}
		}
	}
	if _, verbose := r.URL.Query()["verbose"]; verbose && reader {
		ans.Checks = make([]probeCheck, 0, len(rep))
		for _, c := range rep {
			st := "ok"
			if c.Err != nil {
				st = "failed"
			}
			ans.Checks = append(ans.Checks, probeCheck{Name: c.Name, Status: st})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, ans)
	return streamed{}, nil
}

// serveMetrics serves m in the Prometheus exposition format.
func serveMetrics(m *metrics.Metrics) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		if m == nil {
			return nil, errs.E(errs.NotFound, "this server keeps no metrics")
		}
		m.Handler().ServeHTTP(w, r)
		return streamed{}, nil
	}
}
