package jobs

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/progress"
)

// State is a job's place in its state machine:
//
//	queued ──► running ──► completed
//	  │           │ └────► failed
//	  │           ▼
//	  │       cancelling ──► cancelled (or completed/failed if the work
//	  │                                  finished before it could stop)
//	  └────────────────────► cancelled
type State string

const (
	Queued     State = "queued"
	Running    State = "running"
	Cancelling State = "cancelling"
	Completed  State = "completed"
	Failed     State = "failed"
	Cancelled  State = "cancelled"
)

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool { return s == Completed || s == Failed || s == Cancelled }

// transitions lists every legal move; transition refuses the rest.
var transitions = map[State][]State{
	Queued:     {Running, Cancelled},
	Running:    {Cancelling, Completed, Failed},
	Cancelling: {Cancelled, Completed, Failed},
}

func canMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Kind says what a job does.
type Kind string

const (
	KindExport Kind = "export"
	KindImport Kind = "import"
	KindVerify Kind = "verify"
)

// VMRef names the VM a job works on.
type VMRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Submitter names who started a job: an identity's kind, stable id
// (token id or certificate subject) and name; never a secret.
type Submitter struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Spec describes a job to submit.
type Spec struct {
	Kind      Kind
	VM        VMRef
	Submitter *Submitter
	Directory string
	Settings  any // the effective settings, recorded as the job's "settings"
	// IdempotencyKey, when set, makes a retry of the same request find this
	// job (ByKey) instead of starting another; Fingerprint identifies the
	// request the key was first used with.
	IdempotencyKey string
	Fingerprint    string
	// Exclusive names a resource the job needs alone (e.g. "vm:<GUID>"):
	// jobs with the same Exclusive run one after the other, in the order
	// they were queued; the later ones wait in phase WaitingPhase while
	// other jobs run. Hyper-V refuses a second export of a VM that is
	// exporting (32774 "System is in use"), so handlers serialise by VM
	// here instead of colliding there.
	Exclusive string
	// Checkpoint is the work's first resume state (see Reporter.Checkpoint):
	// stored with the job before Submit returns, so a job acknowledged to
	// a client can be finished by a restarted server (Options.Resume).
	Checkpoint any
	// RequestID is the id of the request that created the job (its
	// X-Request-Id): the job shows it, and its log lines carry it.
	RequestID string
}

// WaitingPhase is the phase of a queued job whose Exclusive resource is
// held by a running job.
const WaitingPhase = "waiting for VM"

// Work is what a job runs. It returns nil on success. It must watch ctx:
// when ctx is cancelled with cause errs.ErrCancelled it stops the
// operation, cleans up and returns; with cause errs.ErrShutdown it stops
// watching and returns without cancelling the Hyper-V side.
type Work func(ctx context.Context, r Reporter) error

// Reporter is how Work reports progress: the one interface of
// internal/progress, which the application rooms hand to their steps.
// The registry's implementation keeps progress monotonic (values below the
// current one are ignored) and is goroutine-safe.
type Reporter = progress.Reporter

// Snapshot is a copy of a job's state at one moment.
type Snapshot struct {
	ID              string
	Kind            Kind
	State           State
	PercentComplete int
	Phase           string
	VM              VMRef
	Submitter       *Submitter
	Directory       string
	Settings        any
	WMIJob          string
	Warnings        []string
	Result          any
	BytesDone       int64
	BytesTotal      int64
	CreatedAt       time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
	Err             error // set when State is Failed (or Cancelled: errs.Cancelled)
	// RequestID is Spec.RequestID; "" for jobs recorded before requests
	// had ids.
	RequestID string

	// BytesPerSecond and ETASeconds are the current phase's moving average
	// byte rate and the seconds left at it (rate.go); nil when unknown, in
	// a phase that moves no bytes and unless the job is running.
	BytesPerSecond *int64
	ETASeconds     *int64

	// Version changes whenever anything above does, but for the rate
	// estimate (BytesPerSecond, ETASeconds), which moves with the clock:
	// a snapshot with the Version and estimate of an earlier one holds
	// the same values (handlers cache a job's JSON by it). It counts from
	// the registry's start, not across restarts.
	Version uint64
}

// job is the registry's record. All fields are guarded by mu.
type job struct {
	mu     sync.Mutex
	snap   Snapshot
	work   Work
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{} // closed on reaching a terminal state
	now    func() time.Time

	exclusive   string        // Spec.Exclusive
	key         string        // idempotency key, and the request's fingerprint
	fingerprint string        //
	rev         uint64        // bumped on every stored change
	ver         uint64        // bumped on every change of snap: Snapshot.Version
	changed     chan struct{} // closed at the next bump; nil while no one waits (Registry.Next)
	savedState  State         // the state as unlockAndSave last stored it
	persist     func(record)  // the registry's store, or nil
	rate        rate          // the current phase's byte rate
	checkpoint  []byte        // the work's resume state, JSON (Reporter.Checkpoint)
	resumed     bool          // reattached after a restart: already running
	obs         Observer      // Options.Observer, or nil
	counted     int64         // the current phase's bytes already told to obs
}

// moveLocked applies a transition; illegal moves are refused (and are bugs).
func (j *job) moveLocked(to State) bool {
	if !canMove(j.snap.State, to) {
		return false
	}
	j.snap.State = to
	j.ver++ // waiters hear of it once it is stored: every move ends in unlockAndSave
	t := j.now()
	switch {
	case to == Running:
		j.snap.StartedAt = &t
	case to.Terminal():
		j.snap.FinishedAt = &t
		if to == Completed {
			j.snap.PercentComplete = 100
		}
		if j.obs != nil {
			j.obs.JobFinished(j.snap)
		}
	}
	return true
}

// bumpLocked records a change of snap that is not stored (progress,
// bytes, waiting): a new Version, and a word to those waiting for it.
func (j *job) bumpLocked() {
	j.ver++
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

func (j *job) snapshot() Snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.snapshotLocked()
}

func (j *job) snapshotLocked() Snapshot {
	s := j.snap
	s.Version = j.ver
	s.Warnings = append([]string(nil), j.snap.Warnings...)
	if s.State == Running && j.rate.seen {
		s.BytesPerSecond, s.ETASeconds = j.rate.estimate(j.now())
	}
	return s
}

// reporter implements Reporter for one job.
type reporter struct{ j *job }

// Phase records a new phase, and stores it: a restart shows (and an
// interrupted job names) the step it was in. Phases change a few times a
// job, so the write costs nothing that matters.
func (r reporter) Phase(name string) {
	r.j.mu.Lock()
	if r.j.snap.State.Terminal() || name == r.j.snap.Phase {
		r.j.mu.Unlock()
		return
	}
	r.j.rate.reset()
	r.j.counted = 0
	r.j.snap.Phase = name
	r.j.unlockAndSave()
}

func (r reporter) Progress(p int) {
	if p > 100 {
		p = 100
	}
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	// Completion sets 100; a running job stays at 99 at most so that a
	// client seeing 100 can rely on the job having finished.
	if p > 99 && !r.j.snap.State.Terminal() {
		p = 99
	}
	if p > r.j.snap.PercentComplete && !r.j.snap.State.Terminal() {
		r.j.snap.PercentComplete = p
		r.j.bumpLocked()
	}
}

func (r reporter) WMIJob(path string) {
	r.j.mu.Lock()
	r.j.snap.WMIJob = path
	r.j.unlockAndSave()
}

func (r reporter) Warn(msg string) {
	r.j.mu.Lock()
	r.j.snap.Warnings = append(r.j.snap.Warnings, msg)
	r.j.unlockAndSave()
}

func (r reporter) Bytes(done, total int64) {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	if !r.j.snap.State.Terminal() {
		if done != r.j.snap.BytesDone || total != r.j.snap.BytesTotal {
			r.j.bumpLocked()
		}
		r.j.snap.BytesDone, r.j.snap.BytesTotal = done, total
		r.j.rate.observe(r.j.now(), done, total)
		if r.j.obs != nil && done > r.j.counted {
			r.j.obs.JobBytes(r.j.snap.Kind, r.j.snap.Phase, done-r.j.counted)
		}
		r.j.counted = done // a step that starts over (a retried file) counts again from there
	}
}

func (r reporter) Result(v any) {
	r.j.mu.Lock()
	r.j.snap.Result = v
	r.j.unlockAndSave()
}

func (r reporter) Checkpoint(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// A bug in the work's state type; the job goes on, and a restart
		// would resume from the previous checkpoint.
		return
	}
	r.j.mu.Lock()
	r.j.checkpoint = b
	r.j.unlockAndSave()
}

// unlockAndSave records the change made under j.mu in the store (outside
// the lock: the write does I/O) and unlocks.
func (j *job) unlockAndSave() {
	// Every caller changed snap (or its checkpoint: a harmless bump).
	// Those waiting for the change (Registry.Next, Wait) hear of it once
	// it is stored: a client that saw a job complete finds it completed
	// after a crash too.
	j.ver++
	changed := j.changed
	j.changed = nil
	moved := j.snap.State != j.savedState
	ended := moved && j.snap.State.Terminal() // done closes once this is stored
	j.savedState = j.snap.State
	switch {
	case j.persist == nil:
		j.mu.Unlock()
	case moved:
		// A new state is stored before anyone can read it: a client that
		// saw a job running or ended finds it so after a crash. States
		// change a few times a job; readers wait one write.
		j.rev++
		j.persist(j.recordLocked())
		j.mu.Unlock()
	default:
		// Phases, Hyper-V job paths, checkpoints, results: stored outside
		// the lock, so that a poll does not wait on the disk.
		j.rev++
		rec := j.recordLocked()
		j.mu.Unlock()
		j.persist(rec)
	}
	if changed != nil {
		close(changed)
	}
	if ended {
		close(j.done)
	}
}

// cancelledError is the error recorded on a cancelled job.
func cancelledError() error {
	return errs.E(errs.Cancelled, "the job was cancelled by request")
}
