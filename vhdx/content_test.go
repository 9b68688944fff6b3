package vhdx

import (
	"bytes"
	"io"
	"testing"
	"time"
)

func TestFillDeterministic(t *testing.T) {
	dir := t.TempDir()
	hash := func(name string, size uint64, opts Options, seed, n int64) ([32]byte, Info) {
		d := newDisk(t, join(dir, name), size, opts)
		defer closeDisk(t, d)
		if err := FillDeterministic(d, seed, n); err != nil {
			t.Fatal(err)
		}
		h, err := ContentHash(d)
		if err != nil {
			t.Fatal(err)
		}
		return h, d.Info()
	}
	a, infoA := hash("a.vhdx", 20<<30, Options{}, 42, 8*miB+123)
	b, _ := hash("b.vhdx", 20<<30, Options{BlockSize: miB, LogicalSectorSize: 4096}, 42, 8*miB+123)
	c, _ := hash("c.vhdx", 20<<30, Options{}, 43, 8*miB+123)
	if a != b {
		t.Error("the same seed gave different content with another block size")
	}
	if a == c {
		t.Error("two seeds gave the same content")
	}
	// 8 MiB of data over 24 MiB of the disk: one 32 MiB block.
	if infoA.AllocatedBlocks != 1 || infoA.FileSize != 4*miB+32*miB {
		t.Errorf("a filled 20 GiB disk: %d blocks, %d bytes", infoA.AllocatedBlocks, infoA.FileSize)
	}

	d := newDisk(t, join(dir, "small.vhdx"), 4*miB, Options{BlockSize: miB})
	defer closeDisk(t, d)
	if err := FillDeterministic(d, 0, 3*miB); err == nil {
		t.Error("FillDeterministic past the end of the disk succeeded")
	}
	if err := FillDeterministic(d, 0, 0); err != nil {
		t.Error(err)
	}
}

// TestFillDeterministicContent pins the layout: runs every 3 MiB from a
// seed-dependent start, nothing elsewhere.
func TestFillDeterministicContent(t *testing.T) {
	d := newDisk(t, join(t.TempDir(), "d.vhdx"), 16*miB, Options{BlockSize: miB})
	defer closeDisk(t, d)
	if err := FillDeterministic(d, 6, 2*miB+10); err != nil { // 6 mod 4 = 2: start at 512 KiB
		t.Fatal(err)
	}
	content := make([]byte, 16*miB)
	if _, err := d.ReadAt(content, 0); err != nil {
		t.Fatal(err)
	}
	runs := [][2]int64{{512 * kiB, miB}, {512*kiB + 3*miB, miB}, {512*kiB + 6*miB, 10}}
	pos := int64(0)
	for _, r := range runs {
		if !isZero(content[pos:r[0]]) {
			t.Errorf("data between %d and %d", pos, r[0])
		}
		if isZero(content[r[0] : r[0]+r[1]]) {
			t.Errorf("no data in the run at %d", r[0])
		}
		pos = r[0] + r[1]
	}
	if !isZero(content[pos:]) {
		t.Errorf("data after the last run")
	}
}

func TestContentHashMatchesRaw(t *testing.T) {
	for _, size := range []int64{16 * miB, 5*miB + 1024} {
		d := newDisk(t, join(t.TempDir(), "d.vhdx"), uint64(size), Options{BlockSize: miB})
		mustWrite(t, d, nil, bytes.Repeat([]byte{7}, 1000), 2*miB+5)
		mustWrite(t, d, nil, []byte{9}, size-1)
		h, err := ContentHash(d)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ContentHashOf(io.NewSectionReader(d, 0, size), size)
		if err != nil {
			t.Fatal(err)
		}
		if h != raw {
			t.Errorf("size %d: ContentHash differs from ContentHashOf the raw content", size)
		}
		empty, _ := ContentHashOf(bytes.NewReader(make([]byte, size)), size)
		if h == empty {
			t.Error("a written disk hashes like an empty one")
		}
		closeDisk(t, d)
	}
	if _, err := ContentHashOf(bytes.NewReader(make([]byte, 10)), 20); err == nil {
		t.Error("ContentHashOf of a short reader succeeded")
	}
}

// TestContentHashSparseIsFast: an empty 2 TiB disk hashes without
// reading 2 TiB of zeros.
func TestContentHashSparseIsFast(t *testing.T) {
	d := newDisk(t, join(t.TempDir(), "d.vhdx"), 2<<40, Options{BlockSize: 256 * miB})
	defer closeDisk(t, d)
	start := time.Now()
	if _, err := ContentHash(d); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("ContentHash of an empty 2 TiB disk took %v", el)
	}
}
