package client

// Pulling an export: every file of its manifest fetched into a
// directory, several at once, each hashed while it is written and
// compared with the manifest, resumed with Range after a dropped
// connection and — from a checkpoint the caller stores — after a restart.
// The hvport command's "exports download" and the server's pulls from
// another agent (transfers/) both run it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// PullSource is where a pull reads files.
type PullSource interface {
	// Open reads the file at path from offset (a Range request, with
	// If-Range etag so that a file that changed is sent whole). start is
	// where the body begins: offset, or 0 when the source sent it whole.
	Open(ctx context.Context, path string, offset int64, etag string) (body io.ReadCloser, start int64, err error)
}

// PullFile is one file to pull: a manifest entry.
type PullFile struct {
	Path   string // relative, forward slashes
	Size   int64
	SHA256 string // hex
}

// PullOptions tune pulls.
type PullOptions struct {
	// Parallel is how many files of one pull are fetched at once; default 2.
	Parallel int
	// BytesPerSecond bounds what all pulls of this Puller receive
	// together; 0 = unlimited.
	BytesPerSecond int64
	// MaxConcurrent bounds the pulls running at once; default 2.
	MaxConcurrent int
	// Retries is how often one file is fetched again — after a dropped
	// connection (from where it stopped) or a hash that differs from the
	// manifest (from the start) — before the pull fails; default 3.
	Retries int
	// CheckpointEvery is how many bytes of a file are received between
	// two checkpoints (data flushed, hash state saved); default 64 MiB.
	CheckpointEvery int64
}

// Puller runs pulls under shared limits.
type Puller struct {
	opts    PullOptions
	limiter *rate.Limiter // nil: unlimited
	slots   chan struct{}
}

// NewPuller applies the defaults.
func NewPuller(o PullOptions) *Puller {
	if o.Parallel <= 0 {
		o.Parallel = 2
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 2
	}
	if o.Retries <= 0 {
		o.Retries = 3
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 64 << 20
	}
	p := &Puller{opts: o, slots: make(chan struct{}, o.MaxConcurrent)}
	if o.BytesPerSecond > 0 {
		// A burst of a quarter second, at least one read buffer.
		p.limiter = rate.NewLimiter(rate.Limit(o.BytesPerSecond), max(int(o.BytesPerSecond/4), readBuffer))
	}
	return p
}

// readBuffer is the size of one read from the connection.
const readBuffer = 256 << 10

// writebackChunk is how much is written before the kernel is asked to
// start writing it to disk (startWriteback). Without it the dirty pages
// wait in memory until the checkpoint's fsync, which then stalls the
// file's transfer for the time the disk takes to write CheckpointEvery
// bytes (docs/BENCHMARKS.md, "Transfers").
const writebackChunk = 1 << 20

// Checkpoint is a pull's durable state: how far each file got, with the
// SHA-256 state of what was written, so a restarted server goes on from
// there instead of starting over.
type PullCheckpoint struct {
	Files map[string]PullFileState `json:"files"`
	// Received counts the bytes received from the source over every
	// attempt and restart (what a resumed pull saved shows against it).
	Received int64 `json:"received"`
}

// PullFileState is one file's progress: Offset bytes are on disk, flushed,
// and HashState is the SHA-256 state after them (crypto/sha256's
// encoding.BinaryMarshaler form).
type PullFileState struct {
	Offset    int64  `json:"offset"`
	HashState []byte `json:"hashState,omitempty"`
	Done      bool   `json:"done,omitempty"`
}

// PullProgress is what a pull reports.
type PullProgress interface {
	Bytes(done, total int64)
	Progress(percent int)
	Warn(msg string)
}

// Pull fetches files into dir, going on from cp (nil: from the start).
// save is called with a copy of the checkpoint whenever a file has moved
// CheckpointEvery bytes or ended; it must store it durably. On success
// every file is in dir with its size and SHA-256. A file that fails
// every attempt ends the pull with a *PullError naming it.
func (p *Puller) Pull(ctx context.Context, r PullSource, files []PullFile, dir string, cp *PullCheckpoint, save func(PullCheckpoint), prog PullProgress) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-p.slots }()
	if cp == nil {
		cp = &PullCheckpoint{}
	}
	if cp.Files == nil {
		cp.Files = map[string]PullFileState{}
	}
	run := &pull{p: p, r: r, dir: dir, cp: cp, save: save, prog: prog}
	for _, f := range files {
		run.total += f.Size
		run.done += min(cp.Files[f.Path].Offset, f.Size)
	}
	prog.Bytes(run.done, run.total)
	files = append([]PullFile(nil), files...)
	// The largest first: they decide when the pull ends.
	sort.SliceStable(files, func(i, j int) bool { return files[i].Size > files[j].Size })
	work := make(chan PullFile)
	errc := make(chan error, len(files))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range p.opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := run.file(ctx, f); err != nil {
					errc <- err
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// pull is one Pull's shared state.
type pull struct {
	p    *Puller
	r    PullSource
	dir  string
	save func(PullCheckpoint)
	prog PullProgress

	saveMu      sync.Mutex // orders saves (record)
	mu          sync.Mutex
	cp          *PullCheckpoint // guarded by mu
	done, total int64           // guarded by mu
}

func (run *pull) state(path string) PullFileState {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.cp.Files[path]
}

// record stores a file's new state and, when asked, saves the checkpoint.
// Saves happen one at a time, in the order of their snapshots: a newer
// checkpoint is never overwritten by an older one.
func (run *pull) record(path string, st PullFileState, received, moved int64, persist bool) {
	if persist {
		run.saveMu.Lock()
		defer run.saveMu.Unlock()
	}
	run.mu.Lock()
	run.cp.Files[path] = st
	run.cp.Received += received
	run.done += moved
	done, total := run.done, run.total
	var cp PullCheckpoint
	if persist {
		cp = PullCheckpoint{Files: make(map[string]PullFileState, len(run.cp.Files)), Received: run.cp.Received}
		for k, v := range run.cp.Files {
			cp.Files[k] = v
		}
	}
	run.mu.Unlock()
	run.prog.Bytes(done, total)
	if total > 0 {
		run.prog.Progress(int(done * 100 / total))
	}
	if persist && run.save != nil {
		run.save(cp)
	}
}

// ErrHashMismatch marks a file whose bytes differ from the manifest.
var ErrHashMismatch = errors.New("SHA-256 differs from the manifest")

// file fetches one file, resuming where its state says, fetching again
// after a dropped connection or a wrong hash, up to Retries times.
func (run *pull) file(ctx context.Context, f PullFile) error {
	dst := filepath.Join(run.dir, filepath.FromSlash(f.Path))
	if !filepath.IsLocal(filepath.FromSlash(f.Path)) || strings.Contains(f.Path, "\\") {
		return &PullError{Path: f.Path, Err: errors.New("not a relative path inside the export"), permanent: true}
	}
	if st := run.state(f.Path); st.Done {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return &PullError{Path: f.Path, Err: err, Local: true}
	}
	var last error
	for attempt := 0; attempt <= run.p.opts.Retries; attempt++ {
		err := run.fetch(ctx, f, dst)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		last = err
		if errors.Is(err, ErrHashMismatch) {
			// Start this file over: what was written is not the file.
			run.record(f.Path, PullFileState{}, 0, -f.Size, true)
			run.prog.Warn(fmt.Sprintf("%s arrived with a SHA-256 that differs from the manifest; fetching it again", f.Path))
		}
		if Permanent(err) {
			break
		}
		var pe *PullError
		if errors.As(err, &pe) && pe.Local {
			break // this side's disk: asking the source again cannot help
		}
	}
	var pe *PullError
	if errors.As(last, &pe) {
		return last
	}
	return &PullError{Path: f.Path, Attempts: run.p.opts.Retries + 1, Err: last}
}

// PullError is a file a pull could not fetch.
type PullError struct {
	Path     string
	Attempts int   // how often it was fetched
	Local    bool  // writing it here failed (Err says why: a full disk…)
	Err      error // the last attempt's error; ErrHashMismatch when the bytes never matched
	// permanent: the path itself is refused
	permanent bool
}

func (e *PullError) Error() string {
	switch {
	case e.Local:
		return "writing " + e.Path + ": " + e.Err.Error()
	case errors.Is(e.Err, ErrHashMismatch):
		return fmt.Sprintf("%s arrived with a SHA-256 that differs from the manifest %d times; the source's copy may be damaged (verify the export there)", e.Path, e.Attempts)
	case e.Attempts > 0:
		return fmt.Sprintf("could not fetch %s after %d attempts: %v", e.Path, e.Attempts, e.Err)
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *PullError) Unwrap() error { return e.Err }

// fetch is one attempt: open the file at its state's offset, append what
// arrives (zero blocks as holes), hash it, checkpoint on the way.
func (run *pull) fetch(ctx context.Context, f PullFile, dst string) (err error) {
	st := run.state(f.Path)
	h := sha256.New()
	if st.Offset > 0 {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(st.HashState); err != nil {
			st = PullFileState{} // a state this build cannot read: start over
			h = sha256.New()
		}
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return &PullError{Path: f.Path, Err: err, Local: true}
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	// What is past the recorded offset was not flushed or not hashed:
	// it is written again.
	if err := out.Truncate(st.Offset); err != nil {
		return &PullError{Path: f.Path, Err: err, Local: true}
	}
	if st.Offset >= f.Size {
		// Every byte is here (the stop came before the check): check.
		return run.finish(out, f, h, dst)
	}
	body, start, err := run.r.Open(ctx, f.Path, st.Offset, `"`+f.SHA256+`"`)
	if err != nil {
		return err
	}
	defer body.Close()
	if start != st.Offset {
		// The source sent the whole file: start over.
		run.record(f.Path, PullFileState{}, 0, -st.Offset, false)
		st, h = PullFileState{}, sha256.New()
		if err := out.Truncate(0); err != nil {
			return &PullError{Path: f.Path, Err: err, Local: true}
		}
	}
	off := st.Offset
	kicked := off // where the writeback asked of the kernel ends
	saved := st   // the state last stored for this file
	sinceCheckpoint := int64(0)
	buf := make([]byte, readBuffer)
	for off < f.Size {
		if ctx.Err() != nil {
			if err := out.Sync(); err == nil {
				run.record(f.Path, PullFileState{Offset: off, HashState: marshal(h)}, 0, 0, true)
			}
			return context.Cause(ctx)
		}
		n, rerr := io.ReadFull(body, buf[:min(int64(len(buf)), f.Size-off)])
		if n > 0 {
			if run.p.limiter != nil {
				if err := run.p.limiter.WaitN(ctx, n); err != nil {
					return err
				}
			}
			if err := writeSparse(out, buf[:n], off); err != nil {
				return &PullError{Path: f.Path, Err: err, Local: true}
			}
			h.Write(buf[:n])
			off += int64(n)
			if off-kicked >= writebackChunk {
				startWriteback(out, kicked, off-kicked)
				kicked = off
			}
			sinceCheckpoint += int64(n)
			persist := sinceCheckpoint >= run.p.opts.CheckpointEvery
			if persist {
				if err := out.Sync(); err != nil {
					return &PullError{Path: f.Path, Err: err, Local: true}
				}
				saved, sinceCheckpoint = PullFileState{Offset: off, HashState: marshal(h)}, 0
			}
			run.record(f.Path, saved, int64(n), int64(n), persist)
		}
		if rerr != nil {
			if off < f.Size {
				// Keep what arrived: flushed, it is the next attempt's
				// (or a restart's) starting point.
				if err := out.Sync(); err == nil {
					run.record(f.Path, PullFileState{Offset: off, HashState: marshal(h)}, 0, 0, true)
				}
				return fmt.Errorf("the connection ended at byte %d of %d: %w", off, f.Size, rerr)
			}
			break
		}
	}
	return run.finish(out, f, h, dst)
}

// finish sizes, flushes and checks a file whose bytes all arrived.
func (run *pull) finish(out *os.File, f PullFile, h hash.Hash, dst string) error {
	if err := out.Truncate(f.Size); err != nil { // trailing holes
		return &PullError{Path: f.Path, Err: err, Local: true}
	}
	if err := out.Sync(); err != nil {
		return &PullError{Path: f.Path, Err: err, Local: true}
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, f.SHA256) {
		return fmt.Errorf("%s: %w (got %s, want %s)", f.Path, ErrHashMismatch, got, f.SHA256)
	}
	run.record(f.Path, PullFileState{Offset: f.Size, Done: true}, 0, 0, true)
	return nil
}

// Permanent reports whether err says that asking again cannot help (a
// refused grant, a file the source no longer has): such an error ends a
// file's attempts at once.
func Permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

func marshal(h hash.Hash) []byte {
	b, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
	return b
}

// holeBlock is the unit checked for zeros: an all-zero block is skipped
// (left a hole) instead of written, so a sparse disk stays sparse.
const holeBlock = 64 << 10

var zeros = make([]byte, holeBlock)

// writeSparse writes b at off, leaving aligned all-zero blocks as holes.
func writeSparse(f *os.File, b []byte, off int64) error {
	for len(b) > 0 {
		n := len(b)
		if r := int(off % holeBlock); r != 0 || n > holeBlock {
			n = min(n, holeBlock-r)
		}
		chunk := b[:n]
		if !(n == holeBlock && bytes.Equal(chunk, zeros)) {
			if _, err := f.WriteAt(chunk, off); err != nil {
				return err
			}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}
