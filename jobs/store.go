package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/atomicfile"
)

// The registry's durable store: one JSON file per job in a directory,
// written atomically (temporary file, fsync, rename) on every state
// change and whenever a job records its Hyper-V job, a warning or its
// result. Progress ticks are not written; a restart shows the last
// recorded phase.
//
// What a restart does with a job that had not finished: it is marked
// failed (kind interrupted) saying in which phase it was interrupted, with the Hyper-V
// job's path; the Hyper-V job itself is not touched and may still run.
// Reattaching to it is the next step (docs/ARCHITECTURE.md).

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
	Rev             uint64          `json:"rev"`
}

type errRecord struct {
	Kind   int               `json:"kind"`
	Msg    string            `json:"msg"`
	Fields []errs.FieldError `json:"fields,omitempty"`
	Extra  map[string]any    `json:"extra,omitempty"`
}

// store writes records; it drops a write older than one already made
// (saves of one job can race between a worker and a cancel).
type store struct {
	dir string
	log *zap.Logger

	mu  sync.Mutex
	rev map[string]uint64 // guarded by mu; newest revision written per job
}

func openStore(dir string, log *zap.Logger) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &store{dir: dir, log: log, rev: map[string]uint64{}}, nil
}

func (s *store) path(id string) string { return filepath.Join(s.dir, id+".json") }

func (s *store) save(rec record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.Rev <= s.rev[rec.ID] && s.rev[rec.ID] != 0 {
		return
	}
	b, err := json.Marshal(rec)
	if err == nil {
		err = atomicfile.WriteFile(s.path(rec.ID), b)
	}
	if err != nil {
		// The job goes on; only its history across a restart is at risk.
		s.log.Error("cannot persist job", zap.String("job_id", rec.ID), zap.Error(err))
		return
	}
	s.rev[rec.ID] = rec.Rev
}

func (s *store) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rev, id)
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("cannot remove a pruned job's record", zap.String("job_id", id), zap.Error(err))
	}
}

// load reads every record, oldest first; unreadable files are skipped
// and logged (a torn write cannot happen: writes are atomic).
func (s *store) load() []record {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		s.log.Error("cannot read the job store", zap.Error(err))
		return nil
	}
	var out []record
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		var rec record
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil || rec.ID == "" {
			s.log.Warn("skipping an unreadable job record", zap.String("file", e.Name()), zap.Error(err))
			continue
		}
		out = append(out, rec)
		s.rev[rec.ID] = rec.Rev
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// toRecord captures a job; call with j.mu held.
func (j *job) recordLocked() record {
	s := j.snap
	rec := record{ID: s.ID, Kind: s.Kind, State: s.State, PercentComplete: s.PercentComplete, Phase: s.Phase,
		VM: s.VM, Submitter: s.Submitter, Directory: s.Directory, WMIJob: s.WMIJob, Warnings: append([]string(nil), s.Warnings...),
		BytesDone: s.BytesDone, BytesTotal: s.BytesTotal, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt,
		FinishedAt: s.FinishedAt, IdempotencyKey: j.key, Fingerprint: j.fingerprint, Rev: j.rev}
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
		BytesTotal: rec.BytesTotal, CreatedAt: rec.CreatedAt, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt}
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
