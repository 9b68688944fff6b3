// Package jobs is the job registry: long-running work (exports, imports)
// runs here as objects with an explicit state machine, on their own
// context — never a request's — with monotonic progress.
//
// The registry is generic: it does not know what the work does. The
// driver supplies the Work; handlers submit it and read snapshots.
// It is in memory for now; durability is a later step (see
// docs/ARCHITECTURE.md).
package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
)

// Options configure a Registry.
type Options struct {
	Workers   int              // jobs running at once; default 2
	MaxQueued int              // queued jobs accepted before Submit refuses; default 100
	Retain    int              // finished jobs kept; default 1000 (oldest dropped)
	Logger    *zap.Logger      // default nop
	Now       func() time.Time // default time.Now
}

// Registry holds jobs and runs them on a worker pool.
type Registry struct {
	opts Options
	log  *zap.Logger

	base     context.Context // parent of every job's context; cancelled on Shutdown
	stopBase context.CancelCauseFunc

	mu       sync.Mutex
	jobs     map[string]*job  // guarded by mu
	order    []*job           // guarded by mu; oldest first
	queue    []*job           // guarded by mu; FIFO of queued jobs
	closed   bool             // guarded by mu
	keys     map[string]keyed // guarded by mu; idempotency key → job
	held     map[string]bool  // guarded by mu; Exclusive resources of running jobs
	store    *store           // nil: in memory only
	wake     chan struct{}    // signals workers that the queue changed
	quit     chan struct{}    // closed by Shutdown
	workerWG sync.WaitGroup
}

// New starts a registry and its workers.
func New(opts Options) *Registry {
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = 100
	}
	if opts.Retain <= 0 {
		opts.Retain = 1000
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Registry{opts: opts, log: opts.Logger, jobs: map[string]*job{}, keys: map[string]keyed{}, held: map[string]bool{}, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	r.base, r.stopBase = context.WithCancelCause(context.Background())
	for i := 0; i < opts.Workers; i++ {
		r.workerWG.Add(1)
		go r.worker()
	}
	return r
}

// Open is New with a durable store in dir: finished jobs (and their
// idempotency keys) survive a restart, and a job that had not finished is
// recorded as failed — interrupted — with the path of its Hyper-V job,
// which may still be running (reattaching is not done yet).
func Open(opts Options, dir string) (*Registry, error) {
	r := New(opts)
	st, err := openStore(dir, r.log)
	if err != nil {
		r.Shutdown(context.Background())
		return nil, err
	}
	now := r.opts.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.store = st
	for _, rec := range st.load() {
		j := &job{snap: snapshotFrom(rec), done: make(chan struct{}), now: r.opts.Now,
			key: rec.IdempotencyKey, fingerprint: rec.Fingerprint, rev: rec.Rev, persist: st.save}
		close(j.done)
		if !rec.State.Terminal() {
			j.snap.State, j.snap.Phase, j.snap.FinishedAt = Failed, "interrupted", &now
			msg := fmt.Sprintf("the server stopped while this job was %s (phase %s); it was not resumed", rec.State, rec.Phase)
			extra := map[string]any{}
			if rec.WMIJob != "" {
				msg += "; its Hyper-V job may still be running: " + rec.WMIJob
				extra["wmiJob"] = rec.WMIJob
			}
			// Its own kind: the host did nothing wrong, the server stopped.
			extra["phase"] = rec.Phase
			j.snap.Err = &errs.Error{Kind: errs.Interrupted, Msg: msg, Extra: extra}
			j.rev++
			st.save(j.recordLocked())
			r.log.Warn("job interrupted by a restart", zap.String("job_id", rec.ID), zap.String("state", string(rec.State)))
		}
		r.jobs[j.snap.ID] = j
		r.order = append(r.order, j)
		if rec.IdempotencyKey != "" {
			r.keys[rec.IdempotencyKey] = keyed{id: rec.ID, fingerprint: rec.Fingerprint}
		}
	}
	r.pruneLocked()
	return r, nil
}

// Submit queues work and returns the new job's snapshot.
func (r *Registry) Submit(spec Spec, work Work) (Snapshot, error) {
	j := &job{work: work, done: make(chan struct{}), now: r.opts.Now, key: spec.IdempotencyKey, fingerprint: spec.Fingerprint,
		exclusive: spec.Exclusive}
	if r.store != nil {
		j.persist = r.store.save
	}
	j.ctx, j.cancel = context.WithCancelCause(r.base)
	j.snap = Snapshot{
		ID: uuid.NewString(), Kind: spec.Kind, State: Queued, Phase: "queued",
		VM: spec.VM, Submitter: spec.Submitter, Directory: spec.Directory, Settings: spec.Settings, CreatedAt: r.opts.Now(),
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Snapshot{}, errs.E(errs.Unavailable, "the server is shutting down")
	}
	if len(r.queue) >= r.opts.MaxQueued {
		r.mu.Unlock()
		return Snapshot{}, errs.E(errs.TooManyRequests, "%d jobs are already queued; try again later", len(r.queue))
	}
	// The snapshot is taken (and stored) before a worker can see the job,
	// so the caller always gets it as queued.
	queued := j.snapshot()
	j.mu.Lock()
	j.unlockAndSave()
	r.jobs[j.snap.ID] = j
	if spec.IdempotencyKey != "" {
		r.keys[spec.IdempotencyKey] = keyed{id: j.snap.ID, fingerprint: spec.Fingerprint}
	}
	r.order = append(r.order, j)
	r.queue = append(r.queue, j)
	r.pruneLocked()
	r.mu.Unlock()
	r.signal()
	r.log.Info("job queued", zap.String("job_id", queued.ID), zap.String("kind", string(spec.Kind)), zap.String("vm", spec.VM.Name))
	return queued, nil
}

// keyed is what an idempotency key refers to.
type keyed struct{ id, fingerprint string }

// ByKey finds the job a request with this idempotency key started, and the
// fingerprint of that request. Keys live as long as their job is retained.
func (r *Registry) ByKey(key string) (Snapshot, string, bool) {
	r.mu.Lock()
	k, ok := r.keys[key]
	j := r.jobs[k.id]
	r.mu.Unlock()
	if !ok || j == nil {
		return Snapshot{}, "", false
	}
	return j.snapshot(), k.fingerprint, true
}

// Get returns one job.
func (r *Registry) Get(id string) (Snapshot, error) {
	r.mu.Lock()
	j := r.jobs[id]
	r.mu.Unlock()
	if j == nil {
		return Snapshot{}, errs.E(errs.NotFound, "no job with id %q", id)
	}
	return j.snapshot(), nil
}

// List returns all jobs, newest first.
func (r *Registry) List() []Snapshot {
	r.mu.Lock()
	js := slices.Clone(r.order)
	r.mu.Unlock()
	out := make([]Snapshot, 0, len(js))
	for i := len(js) - 1; i >= 0; i-- {
		out = append(out, js[i].snapshot())
	}
	return out
}

// Cancel asks a job to stop. A queued job is cancelled at once; a running
// one moves to cancelling and its work is told through its context.
// Cancelling a finished job is a Conflict.
func (r *Registry) Cancel(id string) (Snapshot, error) {
	r.mu.Lock()
	j := r.jobs[id]
	if j != nil {
		j.mu.Lock()
		if j.snap.State == Queued {
			r.queue = slices.DeleteFunc(r.queue, func(q *job) bool { return q == j })
		}
		j.mu.Unlock()
	}
	r.mu.Unlock()
	if j == nil {
		return Snapshot{}, errs.E(errs.NotFound, "no job with id %q", id)
	}
	j.mu.Lock()
	switch j.snap.State {
	case Queued:
		j.moveLocked(Cancelled)
		j.snap.Phase = "cancelled"
		j.snap.Err = cancelledError()
	case Running:
		j.moveLocked(Cancelling)
		j.snap.Phase = "cancelling"
	case Cancelling:
		// Already on its way; cancelling twice is not an error.
	default:
		st := j.snap.State
		j.mu.Unlock()
		return Snapshot{}, &errs.Error{Kind: errs.Conflict, Msg: "job " + id + " already finished (" + string(st) + "); only queued or running jobs can be cancelled",
			Extra: map[string]any{"state": string(st)}}
	}
	j.unlockAndSave()
	j.cancel(errs.ErrCancelled)
	r.log.Info("job cancel requested", zap.String("job_id", id))
	return j.snapshot(), nil
}

// Wait blocks until the job is finished or ctx is done, and returns its
// final snapshot.
func (r *Registry) Wait(ctx context.Context, id string) (Snapshot, error) {
	r.mu.Lock()
	j := r.jobs[id]
	r.mu.Unlock()
	if j == nil {
		return Snapshot{}, errs.E(errs.NotFound, "no job with id %q", id)
	}
	select {
	case <-j.done:
		return j.snapshot(), nil
	case <-ctx.Done():
		return j.snapshot(), ctx.Err()
	}
}

// Shutdown stops accepting jobs, tells running work to stop watching
// (cause errs.ErrShutdown: Hyper-V jobs are not cancelled) and waits for
// the workers until ctx is done.
func (r *Registry) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.quit)
	}
	r.mu.Unlock()
	r.stopBase(errs.ErrShutdown)
	done := make(chan struct{})
	go func() { r.workerWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Registry) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Registry) worker() {
	defer r.workerWG.Done()
	for {
		j := r.next()
		if j == nil {
			return
		}
		r.run(j)
		if j.exclusive != "" {
			r.mu.Lock()
			delete(r.held, j.exclusive)
			r.mu.Unlock()
		}
		r.signal() // let another idle worker look at the queue
	}
}

// next pops the oldest queued job whose Exclusive resource is free,
// waiting for one; nil once shut down. Jobs passed over say why.
func (r *Registry) next() *job {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil
		}
		for i, j := range r.queue {
			if j.exclusive != "" && r.held[j.exclusive] {
				j.mu.Lock()
				if j.snap.State == Queued {
					j.snap.Phase = WaitingPhase
				}
				j.mu.Unlock()
				continue
			}
			if j.exclusive != "" {
				r.held[j.exclusive] = true
			}
			r.queue = append(r.queue[:i:i], r.queue[i+1:]...)
			more := len(r.queue) > 0
			r.mu.Unlock()
			if more {
				r.signal() // another idle worker can take the next one
			}
			return j
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-r.quit:
		}
	}
}

func (r *Registry) run(j *job) {
	j.mu.Lock()
	if !j.moveLocked(Running) { // cancelled while queued
		j.mu.Unlock()
		return
	}
	j.snap.Phase = "starting"
	id := j.snap.ID
	j.unlockAndSave()
	log := r.log.With(zap.String("job_id", id))
	log.Info("job started")

	err := j.work(j.ctx, reporter{j})

	if errors.Is(context.Cause(j.ctx), errs.ErrShutdown) && err != nil {
		// The server is going away; the job is left as it is (running)
		// for a durable registry to reattach to.
		log.Info("job detached at shutdown", zap.Error(err))
		return
	}
	j.mu.Lock()
	defer j.unlockAndSave()
	switch {
	case err == nil:
		j.moveLocked(Completed)
		j.snap.Phase = "completed"
		log.Info("job completed")
	case j.snap.State == Cancelling && (errs.Is(err, errs.Cancelled) || errors.Is(err, context.Canceled)):
		j.moveLocked(Cancelled)
		j.snap.Phase = "cancelled"
		j.snap.Err = cancelledError()
		log.Info("job cancelled")
	default:
		j.moveLocked(Failed)
		j.snap.Phase = "failed"
		j.snap.Err = err
		log.Warn("job failed", zap.Error(err))
	}
}

// pruneLocked drops the oldest finished jobs beyond Retain.
func (r *Registry) pruneLocked() {
	excess := len(r.order) - r.opts.Retain
	if excess <= 0 {
		return
	}
	kept := r.order[:0]
	for _, j := range r.order {
		j.mu.Lock()
		terminal := j.snap.State.Terminal()
		id := j.snap.ID
		j.mu.Unlock()
		if excess > 0 && terminal {
			delete(r.jobs, id)
			if r.store != nil {
				r.store.remove(id)
			}
			for k, v := range r.keys {
				if v.id == id {
					delete(r.keys, k)
				}
			}
			excess--
			continue
		}
		kept = append(kept, j)
	}
	r.order = kept
}
