package fcopy

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

func sparseFile(t *testing.T, path string, size int64, data map[int64][]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for off, b := range data {
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func TestCopyKeepsContentAndHoles(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.vhdx"), filepath.Join(dir, "sub", "dst.vhdx")
	r := rand.New(rand.NewSource(1))
	blob := func(n int) []byte { b := make([]byte, n); r.Read(b); return b }
	size := int64(64 << 20)
	sparseFile(t, src, size, map[int64][]byte{0: blob(3000), 10 << 20: blob(chunk + 17), size - 5: blob(5)})
	var last int64
	if err := Copy(context.Background(), src, dst, func(d int64) {
		if d < last {
			t.Errorf("progress went back: %d < %d", d, last)
		}
		last = d
	}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(dst)
	if !bytes.Equal(a, b) {
		t.Fatal("copy differs from source")
	}
	if last != size {
		t.Fatalf("progress ended at %d, want %d", last, size)
	}
	if al := allocated(t, dst); al >= 0 && al > 8<<20 {
		t.Errorf("copy of a sparse 64 MiB file allocates %d bytes; holes were filled", al)
	}
	// Never more room than the source: zero pages inside a chunk that
	// holds data stay holes too.
	if al, src := allocated(t, dst), allocated(t, src); al > src {
		t.Errorf("the copy allocates %d bytes, the source %d", al, src)
	}
}

func TestCopyNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(src, []byte("new"), 0o644)
	os.WriteFile(dst, []byte("keep"), 0o644)
	if err := Copy(context.Background(), src, dst, nil); !errors.Is(err, os.ErrExist) {
		t.Fatalf("err = %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep" {
		t.Fatal("existing file overwritten")
	}
}

func TestCancelledCopyLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	b := make([]byte, 8*chunk)
	rand.New(rand.NewSource(2)).Read(b)
	os.WriteFile(src, b, 0o644)
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	err := Copy(ctx, src, dst, func(d int64) {
		if d >= 2*chunk {
			cancel(stop)
		}
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the cancel cause", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatal("partial copy left behind")
	}
}
