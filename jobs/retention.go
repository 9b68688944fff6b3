package jobs

import "time"

// Retention: finished jobs are dropped by age (Options.MaxAge) and count
// (Options.Retain) in pruneLocked — at Open, on each Submit and on each
// tick of the pruner — and expired idempotency keys on each tick
// (keys.go). The registry drops them from memory under its lock; the
// pruner goroutine removes them from the store afterwards, in one
// transaction, so a Submit never waits for a deletion's fsync. A crash
// before that leaves the records on disk, and the next Open prunes them
// again.

// DefaultMaxAge is how long a finished job is kept by default: 30 days,
// so that the last run of a monthly export is still there when the next
// one starts; busy hosts reach Retain (1000) first.
const DefaultMaxAge = 30 * 24 * time.Hour

// PruneEvery is how often the registry prunes by itself (Options.PruneTick):
// often enough that a job or key outlives its time by minutes, not hours;
// a pass with nothing to drop looks at a few jobs and the key map.
const PruneEvery = 10 * time.Minute

// pruned is what the store still has to delete.
type pruned struct {
	jobs []string            // records
	keep map[string]keyEntry // keys that outlive their job
	drop []string            // expired keys
}

func (p pruned) empty() bool { return len(p.jobs) == 0 && len(p.keep) == 0 && len(p.drop) == 0 }

func (r *Registry) signalPruner() {
	select {
	case r.prunes <- struct{}{}:
	default:
	}
}

// pruner prunes on each tick and writes what pruning dropped to the
// store; at Shutdown it writes the rest and returns.
func (r *Registry) pruner(tick <-chan time.Time) {
	defer r.workerWG.Done()
	if tick == nil {
		t := time.NewTicker(PruneEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			r.mu.Lock()
			r.pruneLocked()
			r.expireKeysLocked(r.opts.Now())
			r.mu.Unlock()
			r.flushPruned()
		case <-r.prunes:
			r.flushPruned()
		case <-r.quit:
			r.flushPruned()
			return
		}
	}
}

// flushPruned removes from the store what pruning dropped. Only the
// pruner calls it, so deletions reach the store in the order they were
// decided.
func (r *Registry) flushPruned() {
	r.mu.Lock()
	p, st := r.pruned, r.store
	r.pruned = pruned{}
	r.mu.Unlock()
	if st != nil && !p.empty() {
		st.prune(p.jobs, p.keep, p.drop)
	}
}
