package main

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
)

// sweepInterval is how often the staging sweep retries while Hyper-V
// export jobs are running.
const sweepInterval = time.Minute

// sweepWhenIdle removes staging directories left by a crash or a restart —
// but only once no Hyper-V export job is running: a restart detaches
// running exports (it never cancels them), and their staging directories
// are still being written. Until then it retries every sweepInterval.
// The returned channel closes when it is done or ctx ends.
func sweepWhenIdle(ctx context.Context, drv *hyperv.Driver, store *exports.Store, log *zap.Logger) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := drv.RunningJobs(ctx)
			if err == nil && n == 0 {
				store.SweepStaging()
				return
			}
			if err != nil {
				log.Warn("cannot tell whether Hyper-V exports are running; staging sweep postponed", zap.Error(err))
			} else {
				log.Info("Hyper-V export jobs are running; staging sweep postponed", zap.Int("running", n))
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(sweepInterval):
			}
		}
	}()
	return done
}
