package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/metrics"
)

// The readiness watcher runs the readiness checks of GET /readyz every
// readinessEvery, keeps the hvport_readiness_check_ok gauges, logs each
// check's change (logger "readiness.checks", informational), and reports
// a failure that lasts longer than notReadyAfter once, as a warning of
// the logger "readiness" — which the Windows service's event core writes
// to the event log as event notReadyEventID — and its end as an
// informational line of the same logger (event readyAgainEventID).
const (
	readinessEvery = 15 * time.Second
	notReadyAfter  = time.Minute
	// readinessLogger names the watcher's episode lines (eventlog.go).
	readinessLogger = "readiness"
)

// readinessEvent is what the watcher reports: the server has not been
// ready since since (notReady, with the checks failing), or is ready again
// after lasted.
type readinessEvent struct {
	notReady bool
	checks   []string
	since    time.Time
	lasted   time.Duration
}

// readinessWatch is the watcher's decision, apart from clocks and checks
// (tested with an injected clock): what one more result means.
type readinessWatch struct {
	after        time.Duration
	failingSince time.Time // zero while ready
	reported     []string  // the failing checks last reported; nil when not reported
}

// observe takes the checks failing at now (none: ready) and returns the
// event to report, if any: the first time a failure has lasted after, again
// when the failing checks change while it lasts, and its end once
// reported.
func (w *readinessWatch) observe(now time.Time, failed []string) *readinessEvent {
	if len(failed) == 0 {
		var ev *readinessEvent
		if w.reported != nil {
			ev = &readinessEvent{since: w.failingSince, lasted: now.Sub(w.failingSince)}
		}
		w.failingSince, w.reported = time.Time{}, nil
		return ev
	}
	if w.failingSince.IsZero() {
		w.failingSince = now
	}
	if now.Sub(w.failingSince) < w.after || slices.Equal(w.reported, failed) {
		return nil
	}
	w.reported = slices.Clone(failed)
	return &readinessEvent{notReady: true, checks: w.reported, since: w.failingSince, lasted: now.Sub(w.failingSince)}
}

// watchReadiness runs checks at each tick until ctx is done.
func watchReadiness(ctx context.Context, tick <-chan time.Time, now func() time.Time, checks []readiness.Check, m *metrics.Metrics, log *zap.Logger) {
	w := &readinessWatch{after: notReadyAfter}
	episodes, changes := log.Named(readinessLogger), log.Named(readinessLogger).Named("checks")
	last := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		rep := readiness.Run(ctx, checks, 0)
		if ctx.Err() != nil {
			return // the server is stopping: its checks fail for that
		}
		for _, c := range rep {
			ok := c.Err == nil
			m.SetReady(c.Name, ok)
			if was, seen := last[c.Name]; !seen || was != ok {
				if ok && seen {
					changes.Info("readiness check passes again", zap.String("check", c.Name))
				} else if !ok {
					changes.Info("readiness check fails", zap.String("check", c.Name), zap.Error(c.Err))
				}
			}
			last[c.Name] = ok
		}
		ev := w.observe(now(), rep.Failed())
		switch {
		case ev == nil:
		case ev.notReady:
			var why []zap.Field
			for _, c := range rep {
				if c.Err != nil {
					why = append(why, zap.NamedError(strings.ReplaceAll(c.Name, "-", "_"), c.Err))
				}
			}
			episodes.Warn("hvport is not ready: readiness checks have failed for more than "+notReadyAfter.String()+
				" (GET /readyz answers 503)", append([]zap.Field{zap.Strings("failing", ev.checks), zap.Time("since", ev.since)}, why...)...)
		default:
			episodes.Info("hvport is ready again", zap.Duration("not_ready_for", ev.lasted.Round(time.Second)))
		}
	}
}
