package vhdx

import (
	"bytes"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// model is an in-memory copy of what a disk should read.
type model []byte

func (m model) write(p []byte, off int64) { copy(m[off:], p) }

func (m model) clone() model { return append(model(nil), m...) }

func newDisk(t testing.TB, path string, size uint64, opts Options) *Disk {
	t.Helper()
	if err := Create(path, size, opts); err != nil {
		t.Fatalf("Create(%s): %v", path, err)
	}
	return openDisk(t, path)
}

func newChild(t testing.TB, path, parent string, opts Options) *Disk {
	t.Helper()
	if err := CreateDifferencing(path, parent, opts); err != nil {
		t.Fatalf("CreateDifferencing(%s): %v", path, err)
	}
	return openDisk(t, path)
}

func openDisk(t testing.TB, path string) *Disk {
	t.Helper()
	d, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return d
}

func closeDisk(t testing.TB, d *Disk) {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, (n+7)/8*8)
	for i := 0; i < len(b); i += 8 {
		le.PutUint64(b[i:], rng.Uint64())
	}
	return b[:n]
}

func mustWrite(t testing.TB, d *Disk, m model, p []byte, off int64) {
	t.Helper()
	n, err := d.WriteAt(p, off)
	if err != nil || n != len(p) {
		t.Fatalf("WriteAt(%d bytes at %d) = %d, %v", len(p), off, n, err)
	}
	if m != nil {
		m.write(p, off)
	}
}

// assertContent compares the whole disk with m, in 1 MiB reads and in
// reads of odd sizes at odd offsets.
func assertContent(t testing.TB, d *Disk, m model) {
	t.Helper()
	if d.Size() != int64(len(m)) {
		t.Fatalf("size %d, want %d", d.Size(), len(m))
	}
	buf := make([]byte, miB)
	for off := int64(0); off < int64(len(m)); off += miB {
		n := min(miB, int64(len(m))-off)
		if _, err := d.ReadAt(buf[:n], off); err != nil {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
		if !bytes.Equal(buf[:n], m[off:off+n]) {
			t.Fatalf("content differs in the 1 MiB at %d (first difference at %d)", off, off+firstDiff(buf[:n], m[off:off+n]))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		off := rng.Int64N(int64(len(m)))
		n := min(rng.Int64N(3*miB)+1, int64(len(m))-off)
		b := make([]byte, n)
		if _, err := d.ReadAt(b, off); err != nil {
			t.Fatalf("ReadAt(%d, %d): %v", off, n, err)
		}
		if !bytes.Equal(b, m[off:off+n]) {
			t.Fatalf("ReadAt(%d, %d) differs at %d", off, n, off+firstDiff(b, m[off:off+n]))
		}
	}
}

func firstDiff(a, b []byte) int64 {
	for i := range a {
		if a[i] != b[i] {
			return int64(i)
		}
	}
	return -1
}

func assertCheck(t testing.TB, path string) {
	t.Helper()
	if err := Check(path); err != nil {
		t.Fatalf("Check(%s): %v", path, err)
	}
}

// wantErr asserts err is target and mentions every fragment.
func wantErr(t testing.TB, err, target error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v mentioning %q", target, fragments)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("error %v is not %v", err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not mention %q", err, f)
		}
	}
}

// patchFile overwrites bytes of a file.
func patchFile(t testing.TB, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func readFileAt(t testing.TB, path string, off int64, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// rewriteHeader changes the header in slot (0 or 1) and fixes its CRC.
func rewriteHeader(t testing.TB, path string, slot int, change func(*header)) {
	t.Helper()
	h, err := parseHeader(readFileAt(t, path, headerOffsets[slot], headerSize))
	if err != nil {
		t.Fatal(err)
	}
	change(&h)
	patchFile(t, path, headerOffsets[slot], h.marshal())
}

func fileBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func join(elem ...string) string { return filepath.Join(elem...) }

func crc32cOf(b []byte) uint32 { return crc32.Checksum(b, crc32cTable) }
