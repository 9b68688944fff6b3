// Package readiness runs readiness checks: named functions that each say
// whether one thing the server needs works now (the WMI backend answers,
// the data directory and the audit log can be written, the job store is
// open). handlers serves their result at GET /readyz; cmd/server watches
// it and reports a long failure (the Windows event log). It imports
// nothing of ours.
package readiness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Check is one readiness check. Run must return once ctx is done.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Result is one check's outcome; Err is for the server's log, never for
// a client (it may name paths).
type Result struct {
	Name string
	Err  error
}

// Report is the outcome of every check, in the checks' order.
type Report []Result

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r {
		if c.Err != nil {
			return false
		}
	}
	return true
}

// Failed names the checks that failed.
func (r Report) Failed() []string {
	var out []string
	for _, c := range r {
		if c.Err != nil {
			out = append(out, c.Name)
		}
	}
	return out
}

// DefaultTimeout bounds each check of Run.
const DefaultTimeout = 5 * time.Second

// Run runs the checks at once, each bounded by timeout (DefaultTimeout
// when <= 0): a check that has not answered by then fails, and Run does
// not wait for it.
func Run(ctx context.Context, checks []Check, timeout time.Duration) Report {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := make(Report, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		out[i].Name = c.Name
		done := make(chan error, 1)
		go func() {
			defer func() {
				if v := recover(); v != nil {
					done <- fmt.Errorf("check %s panicked: %v", c.Name, v)
				}
			}()
			done <- c.Run(ctx)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case err := <-done:
				out[i].Err = err
			case <-ctx.Done():
				select {
				case err := <-done: // answered as time ran out
					out[i].Err = err
				default:
					out[i].Err = fmt.Errorf("check %s did not answer within %s", c.Name, timeout)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// Writable is a check that dir exists and a file can be created in it,
// written, flushed and removed.
func Writable(dir string) func(context.Context) error {
	return func(context.Context) error {
		f, err := os.CreateTemp(dir, ".hvport-ready-*")
		if err != nil {
			return err
		}
		_, err = f.Write([]byte("ready\n"))
		if err == nil {
			err = f.Sync()
		}
		err = errors.Join(err, f.Close(), os.Remove(f.Name()))
		return err
	}
}

// The checks' names, as /readyz?verbose lists them.
const (
	CheckWMI      = "wmi"
	CheckDataDir  = "data-dir"
	CheckAuditLog = "audit-log"
	CheckJobStore = "job-store"
)

// Standard returns hvport's readiness checks in their order: the WMI
// backend answers a cheap query (ping), the data directory can be
// written, the audit log can be written (auditLog), the job store is
// open (jobStore).
func Standard(ping func(context.Context) error, dataDir string, auditLog, jobStore func() error) []Check {
	return []Check{
		{Name: CheckWMI, Run: ping},
		{Name: CheckDataDir, Run: Writable(dataDir)},
		{Name: CheckAuditLog, Run: func(context.Context) error { return auditLog() }},
		{Name: CheckJobStore, Run: func(context.Context) error { return jobStore() }},
	}
}
