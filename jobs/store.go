package jobs

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/hvport/hvport/errs"
)

// The registry's durable store (boltstore.go): each job is a JSON record
// in a database, committed with fsync on every state change and whenever
// a job records a phase, its Hyper-V job, a warning, a checkpoint or its
// result. Progress ticks are not written.
//
// What a restart does with a job that had not finished: Open hands its
// record (and the work's checkpoint) to the Resume function of its kind,
// which reattaches to the Hyper-V job or decides from what is on disk; a
// kind without one fails as interrupted, naming the phase it was in.

// record is a job as stored.
type record struct {
	ID              string          `json:"id"`
	Kind            Kind            `json:"kind"`
	State           State           `json:"state"`
	PercentComplete int             `json:"percentComplete"`
	Phase           string          `json:"phase"`
	VM              VMRef           `json:"vm"`
	Submitter       *Submitter      `json:"submitter,omitempty"`
	Directory       string          `json:"directory"`
	Settings        json.RawMessage `json:"settings,omitempty"`
	WMIJob          string          `json:"wmiJob,omitempty"`
	Warnings        []string        `json:"warnings,omitempty"`
	Result          json.RawMessage `json:"result,omitempty"`
	BytesDone       int64           `json:"bytesDone,omitempty"`
	BytesTotal      int64           `json:"bytesTotal,omitempty"`
	CreatedAt       time.Time       `json:"createdAt"`
	StartedAt       *time.Time      `json:"startedAt,omitempty"`
	FinishedAt      *time.Time      `json:"finishedAt,omitempty"`
	Err             *errRecord      `json:"error,omitempty"`
	IdempotencyKey  string          `json:"idempotencyKey,omitempty"`
	Fingerprint     string          `json:"fingerprint,omitempty"`
	RequestID       string          `json:"requestId,omitempty"`
	// Exclusive is Spec.Exclusive: a reattached job holds it again.
	Exclusive string `json:"exclusive,omitempty"`
	// Checkpoint is the work's resume state (Reporter.Checkpoint).
	Checkpoint json.RawMessage `json:"checkpoint,omitempty"`
	Rev        uint64          `json:"rev"`
}

type errRecord struct {
	Kind   int               `json:"kind"`
	Msg    string            `json:"msg"`
	Fields []errs.FieldError `json:"fields,omitempty"`
	Extra  map[string]any    `json:"extra,omitempty"`
}

// toRecord captures a job; call with j.mu held.
func (j *job) recordLocked() record {
	s := j.snap
	rec := record{ID: s.ID, Kind: s.Kind, State: s.State, PercentComplete: s.PercentComplete, Phase: s.Phase,
		VM: s.VM, Submitter: s.Submitter, Directory: s.Directory, WMIJob: s.WMIJob, Warnings: append([]string(nil), s.Warnings...),
		BytesDone: s.BytesDone, BytesTotal: s.BytesTotal, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt,
		FinishedAt: s.FinishedAt, IdempotencyKey: j.key, Fingerprint: j.fingerprint, Rev: j.rev,
		Exclusive: j.exclusive, RequestID: s.RequestID}
	if !s.State.Terminal() {
		rec.Checkpoint = j.checkpoint // a finished job needs no resume state
	}
	if s.Settings != nil {
		rec.Settings, _ = json.Marshal(s.Settings)
	}
	if s.Result != nil {
		rec.Result, _ = json.Marshal(s.Result)
	}
	if s.Err != nil {
		var e *errs.Error
		if !errors.As(s.Err, &e) {
			e = &errs.Error{Kind: errs.Internal, Msg: "an internal error occurred"}
		}
		rec.Err = &errRecord{Kind: int(e.Kind), Msg: e.Msg, Fields: e.Fields, Extra: e.Extra}
	}
	return rec
}

// snapshotFrom rebuilds a job's snapshot from its record.
func snapshotFrom(rec record) Snapshot {
	s := Snapshot{ID: rec.ID, Kind: rec.Kind, State: rec.State, PercentComplete: rec.PercentComplete, Phase: rec.Phase,
		VM: rec.VM, Submitter: rec.Submitter, Directory: rec.Directory, WMIJob: rec.WMIJob, Warnings: rec.Warnings, BytesDone: rec.BytesDone,
		BytesTotal: rec.BytesTotal, CreatedAt: rec.CreatedAt, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt,
		RequestID: rec.RequestID}
	if len(rec.Settings) > 0 {
		s.Settings = rec.Settings
	}
	if len(rec.Result) > 0 {
		s.Result = rec.Result
	}
	if rec.Err != nil {
		s.Err = &errs.Error{Kind: errs.Kind(rec.Err.Kind), Msg: rec.Err.Msg, Fields: rec.Err.Fields, Extra: rec.Err.Extra}
	}
	return s
}
