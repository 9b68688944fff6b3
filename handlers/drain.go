package handlers

import (
	"net/http"

	"github.com/hvport/hvport/errs"
)

// drain is closed when the server starts to shut down (Deps.Draining); a
// nil drain never closes. While draining, the routes that start a job
// answer 503 with Retry-After (respond.go) and event streams and long
// polls end, so that none of them holds the shutdown up; every other
// route, reads first of all, is served as usual until the HTTP server
// stops listening. Running jobs are the registry's business: its Shutdown
// detaches them (errs.ErrShutdown), it does not cancel them.
type drain <-chan struct{}

// draining reports whether the server is shutting down.
func (d drain) draining() bool {
	select {
	case <-d:
		return true
	default:
		return false
	}
}

// refuse wraps a handler that starts a job: while the server drains it
// answers 503 instead, before the request is planned (nothing is
// validated against Hyper-V or claimed for a job that would not run).
func (d drain) refuse(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		if d.draining() {
			return nil, errs.E(errs.ShuttingDown, "the server is shutting down and starts no new jobs; submit again after it restarts")
		}
		return h(w, r)
	}
}

// sseRetryMillis is the reconnection delay an event stream ended by the
// drain suggests (the SSE "retry" field): the Retry-After of a 503.
const sseRetryMillis = 5000
