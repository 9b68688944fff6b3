// Package jobs is the job registry: long-running work (exports, imports)
// runs here as objects with an explicit state machine, on their own
// context — never a request's — with monotonic progress.
//
// The registry is generic: it does not know what the work does. The
// application rooms (exports, imports) plan the Work; handlers submit it
// and read snapshots. It imports nothing of ours but errs and the
// internal leaves docs/ARCHITECTURE.md lists (archtest). Jobs
// are served from memory and stored durably (bbolt, boltstore.go);
// after a restart unfinished ones are reattached through Options.Resume
// (docs/ARCHITECTURE.md, "Reattach after a restart").
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/failpoint"
	"github.com/hvport/hvport/internal/logctx"
)

// Options configure a Registry.
type Options struct {
	Workers   int // jobs running at once; default 2
	MaxQueued int // queued jobs accepted before Submit refuses; default 100
	Retain    int // finished jobs kept; default 1000 (oldest dropped)
	// MaxAge drops a finished job this long after it finished; default
	// DefaultMaxAge. Jobs are pruned (by age and by Retain) at Open, on
	// each Submit and on each PruneTick.
	MaxAge time.Duration
	// PruneTick drives pruning while nothing is submitted (jobs past
	// MaxAge, idempotency keys past KeyRetention); default a ticker every
	// PruneEvery. Tests send on it.
	PruneTick <-chan time.Time
	Logger    *zap.Logger      // default nop
	Now       func() time.Time // default time.Now
	// Resume rebuilds, per kind, the work of a job a restart found
	// unfinished (Open): from the job as recorded and its last checkpoint.
	// A kind without a function, or one that returns an error, fails the
	// job as interrupted.
	Resume map[Kind]Resume
	// Observer, when not nil, is told of submissions, ends and bytes
	// moved (metrics); nil observes nothing.
	Observer Observer
}

// Observer is told what jobs do, for metrics (cmd/server hands the
// registry the metrics room's). Its methods run on the registry's
// goroutines, some under a job's lock: they must be quick, must not keep
// what they are given, and must not call the registry.
type Observer interface {
	// JobSubmitted: a job of this kind was queued.
	JobSubmitted(kind Kind)
	// JobFinished: a job reached a terminal state (s.State); s.StartedAt
	// is nil for one that never ran.
	JobFinished(s Snapshot)
	// JobBytes: a job moved n more bytes in phase (what its work reports
	// through Reporter.Bytes, as increments).
	JobBytes(kind Kind, phase string, n int64)
}

// Resume turns a job a restart interrupted back into Work. It runs in
// Open, before any new job can start: it must claim what the job owns
// (destination, staging directory) at once; the slow part belongs in the
// Work it returns. s.State is Queued, Running or Cancelling (the Work's
// context is then already cancelled with errs.ErrCancelled).
type Resume func(s Snapshot, checkpoint json.RawMessage) (Work, error)

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
	keys     map[string]keyed // guarded by mu; idempotency key → job (keys.go)
	pruned   pruned           // guarded by mu; the store's share of pruning, for the pruner
	prunes   chan struct{}    // signals the pruner that pruned has work
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
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	r := &Registry{opts: opts, log: opts.Logger, jobs: map[string]*job{}, keys: map[string]keyed{}, held: map[string]bool{}, wake: make(chan struct{}, 1), quit: make(chan struct{}),
		prunes: make(chan struct{}, 1)}
	r.base, r.stopBase = context.WithCancelCause(context.Background())
	for i := 0; i < opts.Workers; i++ {
		r.workerWG.Add(1)
		go r.worker()
	}
	r.workerWG.Add(1)
	go r.pruner(opts.PruneTick)
	return r
}

// Open is New with a durable store in dir: finished jobs (and their
// idempotency keys) survive a restart, and every job that had not
// finished is reattached: Options.Resume of its kind turns it back into
// work, which runs before any job submitted after the restart (a running
// job goes on as running, a queued one keeps its place). A job that
// cannot be resumed fails as interrupted, naming the phase it was in.
func Open(opts Options, dir string) (*Registry, error) {
	r := New(opts)
	st, err := openStore(dir, r.log)
	if err != nil {
		r.Shutdown(context.Background())
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.store = st
	var resumed, queued []*job
	for _, rec := range st.load() {
		j := &job{snap: snapshotFrom(rec), done: make(chan struct{}), now: r.opts.Now,
			key: rec.IdempotencyKey, fingerprint: rec.Fingerprint, rev: rec.Rev, persist: st.save, savedState: rec.State,
			exclusive: rec.Exclusive, checkpoint: rec.Checkpoint, obs: r.opts.Observer, counted: rec.BytesDone}
		if rec.State.Terminal() {
			close(j.done)
		} else if r.reattachLocked(j) {
			if j.snap.State == Queued {
				queued = append(queued, j)
			} else {
				resumed = append(resumed, j)
			}
		}
		r.jobs[j.snap.ID] = j
		r.order = append(r.order, j)
		if rec.IdempotencyKey != "" {
			r.keys[rec.IdempotencyKey] = keyed{id: rec.ID, fingerprint: rec.Fingerprint}
		}
	}
	// Jobs that were running go first, then the queue in its old order.
	r.queue = append(append(r.queue, resumed...), queued...)
	if len(r.queue) > 0 {
		r.signal()
	}
	r.loadKeysLocked()
	r.pruneLocked()
	return r, nil
}

// reattachLocked gives an unfinished job loaded from the store its work
// back (Options.Resume), or fails it as interrupted. It reports whether
// the job is to be run.
func (r *Registry) reattachLocked(j *job) bool {
	s := j.snap
	log := r.log.With(zap.String("job_id", s.ID), zap.String("state", string(s.State)), zap.String("phase", s.Phase))
	var err error
	if resume := r.opts.Resume[s.Kind]; resume != nil {
		var work Work
		if work, err = resume(s, j.checkpoint); err == nil {
			j.work, j.resumed = work, s.State != Queued
			j.ctx, j.cancel = context.WithCancelCause(r.jobContext(s.ID, s.RequestID))
			if s.State == Cancelling {
				j.cancel(errs.ErrCancelled) // the cancel was asked for before the restart
			}
			log.Info("job reattached after a restart")
			return true
		}
	} else {
		err = errs.E(errs.Interrupted, "this server cannot resume %s jobs", s.Kind)
	}
	now := r.opts.Now()
	msg := fmt.Sprintf("the server stopped while this job was %s (phase %s) and it could not be resumed: %s", s.State, s.Phase, errs.Message(err))
	extra := map[string]any{"phase": s.Phase}
	if s.WMIJob != "" {
		msg += "; its Hyper-V job may still be running: " + s.WMIJob
		extra["wmiJob"] = s.WMIJob
	}
	j.snap.State, j.snap.Phase, j.snap.FinishedAt = Failed, "interrupted", &now
	// Its own kind: the host did nothing wrong, the server stopped.
	j.snap.Err = &errs.Error{Kind: errs.Interrupted, Msg: msg, Extra: extra, Err: err}
	j.ver++
	if j.obs != nil {
		j.obs.JobFinished(j.snap)
	}
	j.rev++
	r.store.save(j.recordLocked())
	j.savedState = j.snap.State
	close(j.done) // once stored (no one waits yet: the registry is opening)
	log.Warn("job interrupted by a restart", zap.Error(err))
	return false
}

// Submit queues work and returns the new job's snapshot.
func (r *Registry) Submit(spec Spec, work Work) (Snapshot, error) {
	j := &job{work: work, done: make(chan struct{}), now: r.opts.Now, key: spec.IdempotencyKey, fingerprint: spec.Fingerprint,
		exclusive: spec.Exclusive, obs: r.opts.Observer}
	if spec.Checkpoint != nil {
		b, err := json.Marshal(spec.Checkpoint)
		if err != nil {
			return Snapshot{}, errs.Wrap(errs.Internal, err, "record the job's resume state")
		}
		j.checkpoint = b
	}
	if r.store != nil {
		j.persist = r.store.save
	}
	id := uuid.NewString()
	j.ctx, j.cancel = context.WithCancelCause(r.jobContext(id, spec.RequestID))
	j.snap = Snapshot{
		ID: id, Kind: spec.Kind, State: Queued, Phase: "queued",
		VM: spec.VM, Submitter: spec.Submitter, Directory: spec.Directory, Settings: spec.Settings, CreatedAt: r.opts.Now(),
		RequestID: spec.RequestID,
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Snapshot{}, errs.E(errs.ShuttingDown, "the server is shutting down and starts no new jobs; submit again after it restarts")
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
	if j.obs != nil {
		j.obs.JobSubmitted(spec.Kind)
	}
	r.log.Info("job queued", zap.String("job_id", queued.ID), zap.String("request_id", spec.RequestID), zap.String("kind", string(spec.Kind)), zap.String("vm", spec.VM.Name))
	return queued, nil
}

// jobContext is the parent of a job's context: the registry's, carrying
// the job's id and the request that created it for every line logged on
// the job's behalf (internal/logctx), whichever room logs it.
func (r *Registry) jobContext(id, requestID string) context.Context {
	f := []zap.Field{zap.String("job_id", id)}
	if requestID != "" {
		f = append(f, zap.String("request_id", requestID))
	}
	return logctx.With(r.base, f...)
}

// Load counts the jobs that have not finished, by kind: queued (waiting
// for a worker or for their VM) and running (running or cancelling).
func (r *Registry) Load() (queued, running map[Kind]int) {
	queued, running = map[Kind]int{}, map[Kind]int{}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.order {
		j.mu.Lock()
		switch j.snap.State {
		case Queued:
			queued[j.snap.Kind]++
		case Running, Cancelling:
			running[j.snap.Kind]++
		}
		j.mu.Unlock()
	}
	return queued, running
}

// Check reports why the registry cannot take jobs now: it was shut
// down, or its store is closed, does not answer a read, or failed its
// last write (readiness).
func (r *Registry) Check() error {
	r.mu.Lock()
	closed, st := r.closed, r.store
	r.mu.Unlock()
	if closed {
		return errors.New("the job registry is shut down")
	}
	if st == nil {
		return nil
	}
	return st.check()
}

// ByKey finds the job a request with this idempotency key started, and the
// fingerprint of that request, while the registry holds the job; Key also
// answers for a key that outlives its job (KeyRetention).
func (r *Registry) ByKey(key string) (Snapshot, string, bool) {
	u, ok := r.Key(key)
	if !ok || u.Job == nil {
		return Snapshot{}, "", false
	}
	return *u.Job, u.Fingerprint, true
}

// Get returns one job.
func (r *Registry) Get(id string) (Snapshot, error) {
	j, err := r.find(id)
	if err != nil {
		return Snapshot{}, err
	}
	return j.snapshot(), nil
}

// find returns the job id names, or NotFound.
func (r *Registry) find(id string) (*job, error) {
	r.mu.Lock()
	j := r.jobs[id]
	r.mu.Unlock()
	if j == nil {
		return nil, errs.E(errs.NotFound, "no job with id %q", id)
	}
	return j, nil
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
	logctx.From(j.ctx, r.log).Info("job cancel requested")
	return j.snapshot(), nil
}

// Next returns a job's snapshot and a channel closed at its next change
// (its next Version): how a long poll waits without polling.
func (r *Registry) Next(id string) (Snapshot, <-chan struct{}, error) {
	j, err := r.find(id)
	if err != nil {
		return Snapshot{}, nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.changed == nil {
		j.changed = make(chan struct{})
	}
	return j.snapshotLocked(), j.changed, nil
}

// Wait blocks until the job is finished or ctx is done, and returns its
// final snapshot.
func (r *Registry) Wait(ctx context.Context, id string) (Snapshot, error) {
	j, err := r.find(id)
	if err != nil {
		return Snapshot{}, err
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
		// The pruner has written its last deletions: the store can go.
		r.mu.Lock()
		st := r.store
		r.mu.Unlock()
		if st != nil {
			if err := st.close(); err != nil {
				r.log.Warn("cannot close the job store", zap.Error(err))
			}
		}
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
				if j.snap.State == Queued && j.snap.Phase != WaitingPhase {
					j.snap.Phase = WaitingPhase
					j.bumpLocked()
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
	log := logctx.From(j.ctx, r.log)
	if j.resumed {
		// Reattached after a restart: running (or cancelling) already,
		// in the phase it had reached.
		j.mu.Unlock()
		log.Info("job resumed")
	} else {
		if !j.moveLocked(Running) { // cancelled while queued
			j.mu.Unlock()
			return
		}
		j.snap.Phase = "starting"
		j.unlockAndSave()
		log.Info("job started")
	}

	err := j.work(j.ctx, reporter{j})

	if errors.Is(context.Cause(j.ctx), errs.ErrShutdown) && err != nil {
		// The server is going away; the job is left as it is (running)
		// for a durable registry to reattach to.
		log.Info("job detached at shutdown", zap.Error(err))
		return
	}
	defer failpoint.Hit(failpoint.RecordUpdated)
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

// pruneLocked drops finished jobs that finished more than MaxAge ago and
// the oldest finished ones beyond Retain, with their idempotency keys
// (but for a key younger than KeyRetention, which outlives its job). It
// stops at the first job it keeps that was created after the age cutoff
// (jobs are in creation order, and none finishes before it was created),
// so a Submit with nothing to prune costs little. The store's deletions
// are left to the pruner, outside the registry's lock.
func (r *Registry) pruneLocked() {
	now := r.opts.Now()
	cutoff := now.Add(-r.opts.MaxAge)
	excess := len(r.order) - r.opts.Retain
	kept, i := 0, 0
	for ; i < len(r.order); i++ {
		j := r.order[i]
		j.mu.Lock()
		s, key := j.snap, j.key
		j.mu.Unlock()
		if excess <= 0 && !s.CreatedAt.Before(cutoff) {
			break
		}
		old := s.FinishedAt != nil && s.FinishedAt.Before(cutoff)
		if !s.State.Terminal() || (excess <= 0 && !old) {
			r.order[kept] = j
			kept++
			continue
		}
		delete(r.jobs, s.ID)
		r.forgetKeyLocked(key, s.ID, s.CreatedAt, now)
		if r.store != nil {
			r.pruned.jobs = append(r.pruned.jobs, s.ID)
		}
		excess--
	}
	if dropped := i - kept; dropped > 0 {
		// The kept ones close up to the unscanned rest, which stays put.
		copy(r.order[dropped:i], r.order[:kept])
		clear(r.order[:dropped])
		r.order = r.order[dropped:]
		r.signalPruner()
	}
}
