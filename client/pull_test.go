package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hvport/hvport/client"
)

// fakeRemote serves files from memory, with faults: drop the connection
// after dropAfter bytes of an attempt (once per file), flip one byte of
// a file on its first flips attempts, or cancel a context after stopAfter
// bytes in all (a kill).
type fakeRemote struct {
	files map[string][]byte
	list  []client.PullFile
	total int64

	mu        sync.Mutex
	dropAfter int64
	dropped   map[string]bool
	flips     map[string]int
	opens     []int64 // offsets asked for
	stopAfter int64
	stop      context.CancelFunc
	sent      int64
}

func newFakeRemote(t *testing.T, files map[string][]byte) *fakeRemote {
	r := &fakeRemote{files: files, dropped: map[string]bool{}, flips: map[string]int{}}
	for p, b := range files {
		sum := sha256.Sum256(b)
		r.list = append(r.list, client.PullFile{Path: p, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
		r.total += int64(len(b))
	}
	return r
}

func (r *fakeRemote) Open(ctx context.Context, path string, offset int64, etag string) (io.ReadCloser, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opens = append(r.opens, offset)
	b := append([]byte(nil), r.files[path][offset:]...)
	if r.flips[path] > 0 && len(b) > 0 {
		r.flips[path]--
		b[len(b)/2] ^= 0x40
	}
	limit := int64(len(b))
	if r.dropAfter > 0 && !r.dropped[path] && int64(len(b)) > r.dropAfter {
		r.dropped[path] = true
		limit = r.dropAfter
	}
	return &counted{r: r, b: b[:limit]}, offset, nil
}

type counted struct {
	r *fakeRemote
	b []byte
}

func (c *counted) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.ErrUnexpectedEOF // a dropped connection, or the end
	}
	n := copy(p, c.b)
	c.b = c.b[n:]
	c.r.mu.Lock()
	c.r.sent += int64(n)
	if c.r.stopAfter > 0 && c.r.sent >= c.r.stopAfter && c.r.stop != nil {
		c.r.stop()
	}
	c.r.mu.Unlock()
	return n, nil
}

func (c *counted) Close() error { return nil }

type prog struct {
	mu       sync.Mutex
	warnings []string
	done     int64
}

func (p *prog) Bytes(done, total int64) { p.mu.Lock(); p.done = done; p.mu.Unlock() }
func (p *prog) Progress(int)            {}
func (p *prog) Warn(msg string)         { p.mu.Lock(); p.warnings = append(p.warnings, msg); p.mu.Unlock() }

// someFiles are an export's worth: a "disk" with zero runs, a config,
// a nested file.
func someFiles() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	disk := make([]byte, 3<<20)
	for i := 0; i < len(disk); i += 1 << 20 {
		for j := i; j < i+(256<<10); j++ {
			disk[j] = byte(rng.Uint32())
		}
	}
	return map[string][]byte{
		"Virtual Hard Disks/web.vhdx": disk,
		"Virtual Machines/vm.vmcx":    []byte(strings.Repeat("config ", 1000)),
		"Snapshots/a/b.vmcx":          []byte("snap"),
	}
}

func checkFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v, %d bytes, equal %v", p, err, len(got), bytes.Equal(got, want))
		}
	}
}

func TestPullFetchesAndChecksEveryFile(t *testing.T) {
	files := someFiles()
	r := newFakeRemote(t, files)
	dir := t.TempDir()
	var saves atomic.Int64
	pr := &prog{}
	p := client.NewPuller(client.PullOptions{Parallel: 2, CheckpointEvery: 512 << 10})
	if err := p.Pull(context.Background(), r, r.list, dir, nil, func(client.PullCheckpoint) { saves.Add(1) }, pr); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	if pr.done != r.total || saves.Load() < 6 {
		t.Fatalf("bytes reported %d of %d, %d checkpoints", pr.done, r.total, saves.Load())
	}
}

// A dropped connection resumes with a Range from where it stopped.
func TestPullResumesADroppedConnection(t *testing.T) {
	files := someFiles()
	r := newFakeRemote(t, files)
	r.dropAfter = 1 << 20
	dir := t.TempDir()
	p := client.NewPuller(client.PullOptions{Parallel: 1, CheckpointEvery: 256 << 10})
	if err := p.Pull(context.Background(), r, r.list, dir, nil, nil, &prog{}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	resumed := false
	for _, off := range r.opens {
		resumed = resumed || off == 1<<20
	}
	if !resumed || r.sent > r.total*12/10 {
		t.Fatalf("opens at %v, %d bytes sent for %d: want a resume at 1 MiB", r.opens, r.sent, r.total)
	}
}

// A byte flipped on the way is caught by the hash and the file fetched
// again; a file that never matches fails the pull naming it.
func TestPullRefetchesAFileWithTheWrongHash(t *testing.T) {
	files := someFiles()
	r := newFakeRemote(t, files)
	r.flips["Virtual Machines/vm.vmcx"] = 1
	pr := &prog{}
	dir := t.TempDir()
	p := client.NewPuller(client.PullOptions{})
	if err := p.Pull(context.Background(), r, r.list, dir, nil, nil, pr); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	if len(pr.warnings) != 1 || !strings.Contains(pr.warnings[0], "vm.vmcx") {
		t.Fatalf("warnings %v", pr.warnings)
	}

	r = newFakeRemote(t, files)
	r.flips["Snapshots/a/b.vmcx"] = 100
	err := client.NewPuller(client.PullOptions{Retries: 2}).Pull(context.Background(), r, r.list, t.TempDir(), nil, nil, &prog{})
	var e *client.PullError
	if !errors.As(err, &e) || e.Path != "Snapshots/a/b.vmcx" || !errors.Is(err, client.ErrHashMismatch) ||
		!strings.Contains(err.Error(), "3 times") {
		t.Fatalf("err = %v", err)
	}
}

// A pull stopped (the server killed) goes on from its last checkpoint:
// the bytes before it are not fetched again.
func TestPullGoesOnFromItsCheckpoint(t *testing.T) {
	files := someFiles()
	r := newFakeRemote(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	r.stopAfter, r.stop = 2<<20, cancel
	dir := t.TempDir()
	var last client.PullCheckpoint
	p := client.NewPuller(client.PullOptions{Parallel: 1, CheckpointEvery: 256 << 10})
	err := p.Pull(ctx, r, r.list, dir, nil, func(c client.PullCheckpoint) { last = c }, &prog{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped pull: %v", err)
	}
	if last.Files["Virtual Hard Disks/web.vhdx"].Offset < 1<<20 {
		t.Fatalf("checkpoint %+v", last)
	}
	r.stopAfter = 0
	if err := p.Pull(context.Background(), r, r.list, dir, &last, nil, &prog{}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	if r.sent > r.total*12/10 {
		t.Fatalf("%d bytes sent for %d: the restart fetched again what it had", r.sent, r.total)
	}
}

// Zero blocks are left as holes: a sparse disk stays sparse.
func TestPullKeepsZeroRunsSparse(t *testing.T) {
	files := someFiles()
	r := newFakeRemote(t, files)
	dir := t.TempDir()
	if err := client.NewPuller(client.PullOptions{}).Pull(context.Background(), r, r.list, dir, nil, nil, &prog{}); err != nil {
		t.Fatal(err)
	}
	used, ok := allocated(filepath.Join(dir, "Virtual Hard Disks", "web.vhdx"))
	if !ok {
		t.Skip("the file system does not report allocation")
	}
	if size := int64(len(files["Virtual Hard Disks/web.vhdx"])); used >= size*3/4 {
		t.Fatalf("%d bytes allocated for a %d-byte file that is three-quarters zeros", used, size)
	}
}
