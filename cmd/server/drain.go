package main

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/jobs"
)

// drainHook, when not nil, runs in the middle of the drain: once the job
// registry has shut down and before the HTTP server stops listening.
// Tests hold the drain open with it to act while it lasts (an event, not
// a sleep).
var drainHook func()

// drain shuts the server down gracefully, within timeout (the config's
// shutdown-timeout) in all:
//
//  1. start (closing handlers.Deps.Draining): the routes that start a job
//     answer 503 with Retry-After, event streams and long polls end; every
//     other request, reads first of all, is still served and the listener
//     stays open.
//  2. The job registry shuts down, within timeout/2: it refuses
//     submissions too (errs.Unavailable, 503), tells running work to stop
//     watching (cause errs.ErrShutdown: Hyper-V jobs are detached, not
//     cancelled) and waits for its workers, whose last state changes are
//     then written.
//  3. The HTTP server stops listening and waits, until timeout is up, for
//     the requests in flight; then it closes the connections left.
//
// What the caller closes afterwards (the sweep, the WMI connection, the
// audit log, the data directory's lock) is outside timeout; the Windows
// service's stop budget leaves room for it (docs/WINDOWS.md).
func drain(log *zap.Logger, timeout time.Duration, start func(), reg *jobs.Registry, srv *http.Server) {
	begun := time.Now()
	end := begun.Add(timeout)
	// The message is what ci/wine/run-smoke.sh looks for.
	log.Info("shutting down", zap.String("drain", "new jobs are refused (503); reads are served until the HTTP server closes"),
		zap.Duration("shutdown_timeout", timeout))
	start()

	rctx, cancel := context.WithDeadline(context.Background(), begun.Add(timeout/2))
	err := reg.Shutdown(rctx)
	cancel()
	if err != nil {
		log.Warn("the job registry did not stop within its share of the shutdown timeout; a job still stopping may keep its last recorded state",
			zap.Duration("waited", time.Since(begun)), zap.Error(err))
	} else {
		log.Info("job registry stopped; running jobs are detached, not cancelled", zap.Duration("took", time.Since(begun)))
	}
	if drainHook != nil {
		drainHook()
	}

	hctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	if err := srv.Shutdown(hctx); err != nil {
		log.Warn("requests still in flight at the end of the shutdown timeout are cut off", zap.Error(err))
		srv.Close()
	}
	log.Info("HTTP server closed", zap.Duration("drain_took", time.Since(begun)))
}
