// Package audit writes the audit log: one JSON object per line in
// <data-dir>/audit.log, flushed to disk before the request it records
// takes effect. Mutating requests fail closed: when the record cannot be
// written the request is refused (503) and nothing happens (Vault's audit
// devices; security-anchors A1–A4). Denied and unauthenticated attempts
// are recorded too, rate-limited per source so a flood cannot fill the
// disk. Records never hold secrets: identities appear as token ids and
// names, request bodies are not recorded, paths only after validation.
package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Stages of a record.
const (
	StageRequest = "request" // a mutating request was received, authenticated and authorized
	StageEffect  = "effect"  // it was validated and is about to take effect (paths are normalised)
	StageOutcome = "outcome" // what it answered
	StageDenied  = "denied"  // unauthenticated (401) or forbidden (403)
)

// Who is the identity in a record.
type Who struct {
	Kind    string `json:"kind"`
	TokenID string `json:"tokenId,omitempty"`
	Name    string `json:"name,omitempty"`
	Role    string `json:"role,omitempty"`
}

// Record is one audit line.
type Record struct {
	Time           time.Time         `json:"time"`
	Stage          string            `json:"stage"`
	RequestID      string            `json:"requestId,omitempty"`
	Source         string            `json:"source,omitempty"` // the client's IP address
	Identity       *Who              `json:"identity,omitempty"`
	Method         string            `json:"method"`
	Route          string            `json:"route,omitempty"` // the route pattern, e.g. /v1/vms/{vm}/exports
	Path           string            `json:"path"`
	VM             string            `json:"vm,omitempty"`
	Paths          map[string]string `json:"paths,omitempty"` // request field → normalised path
	IdempotencyKey string            `json:"idempotencyKey,omitempty"`
	Decision       string            `json:"decision,omitempty"` // allow | deny
	Reason         string            `json:"reason,omitempty"`
	Status         int               `json:"status,omitempty"`
	Job            string            `json:"job,omitempty"`
	Target         string            `json:"target,omitempty"` // what the request acted on: export id, token name, planned VM id
	// Suppressed counts the denied records of this source dropped by the
	// rate limit since its previous record.
	Suppressed int `json:"suppressed,omitempty"`
}

// Options tune a Log.
type Options struct {
	// DeniedBurst and DeniedEvery rate-limit denied records per source:
	// a burst of DeniedBurst, then one per DeniedEvery. Defaults 20 and 1s.
	DeniedBurst int
	DeniedEvery time.Duration
	Now         func() time.Time
	// WriteFailed, when not nil, is called with a record's stage each
	// time the record could not be written (metrics); it must be quick.
	WriteFailed func(stage string)
}

// Log is the audit log. It is safe for concurrent use.
type Log struct {
	path string
	o    Options

	mu     sync.Mutex
	f      *os.File            // guarded by mu; nil until opened, or after a failure
	denied map[string]*limiter // guarded by mu; per source
}

// Open returns the audit log at path. The file is opened lazily and again
// after a failure, so an audit log that becomes writable again is used
// again without a restart; Check reports whether it can be written now.
func Open(path string, o Options) *Log {
	if o.DeniedBurst <= 0 {
		o.DeniedBurst = 20
	}
	if o.DeniedEvery <= 0 {
		o.DeniedEvery = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Log{path: path, o: o, denied: map[string]*limiter{}}
}

// Path is the log's file.
func (l *Log) Path() string { return l.path }

// Check opens the file if needed and reports an error if it cannot be
// written.
func (l *Log) Check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.fileLocked()
	return err
}

// Ready reports why records could not be written now, without writing
// one (readiness): the file cannot be opened, or the open file is no
// longer the one at the log's path (removed or replaced: records would
// go to a file nobody reads), or it cannot be flushed.
func (l *Log) Ready() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := l.fileLocked()
	if err != nil {
		return err
	}
	open, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if named, err := os.Stat(l.path); err != nil || !os.SameFile(open, named) {
		// Opened again at the next record (or the next check).
		f.Close()
		l.f = nil
		return fmt.Errorf("audit log: %s was removed or replaced while open", l.path)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

func (l *Log) fileLocked() (*os.File, error) {
	if l.f != nil {
		return l.f, nil
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	l.f = f
	return f, nil
}

// Write appends rec and flushes it to disk. An error means the record is
// not on disk: a mutating request must then not take effect.
func (l *Log) Write(rec Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked(rec)
}

func (l *Log) writeLocked(rec Record) (err error) {
	if l.o.WriteFailed != nil {
		defer func() {
			if err != nil {
				l.o.WriteFailed(rec.Stage)
			}
		}()
	}
	if rec.Time.IsZero() {
		rec.Time = l.o.Now().UTC()
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	f, err := l.fileLocked()
	if err != nil {
		return err
	}
	if _, err = f.Write(append(line, '\n')); err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		l.f = nil // reopen next time
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Denied records a denied attempt unless its source is over the rate
// limit; it reports whether the record was written. Errors are not
// returned: the request is refused anyway.
func (l *Log) Denied(rec Record) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.o.Now()
	lim := l.denied[rec.Source]
	if lim == nil {
		if len(l.denied) > 10000 { // bound memory under a spray of sources
			for k, v := range l.denied {
				if v.full(now, l.o) {
					delete(l.denied, k)
				}
			}
		}
		lim = &limiter{tokens: float64(l.o.DeniedBurst), last: now}
		l.denied[rec.Source] = lim
	}
	if !lim.take(now, l.o) {
		lim.dropped++
		return false
	}
	rec.Stage, rec.Decision = StageDenied, "deny"
	rec.Suppressed, lim.dropped = lim.dropped, 0
	return l.writeLocked(rec) == nil
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// limiter is a token bucket.
type limiter struct {
	tokens  float64
	last    time.Time
	dropped int
}

func (b *limiter) refill(now time.Time, o Options) {
	b.tokens += float64(now.Sub(b.last)) / float64(o.DeniedEvery)
	if max := float64(o.DeniedBurst); b.tokens > max {
		b.tokens = max
	}
	b.last = now
}

func (b *limiter) take(now time.Time, o Options) bool {
	b.refill(now, o)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket has refilled (it can be forgotten).
func (b *limiter) full(now time.Time, o Options) bool {
	b.refill(now, o)
	return b.tokens >= float64(o.DeniedBurst) && b.dropped == 0
}
