package vhdx

import (
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestDynamicWriteRead writes patterns across block boundaries, at odd
// offsets and into the short last block, and reads them back before and
// after reopening.
func TestDynamicWriteRead(t *testing.T) {
	for _, c := range []struct {
		name      string
		size      uint64
		blockSize uint32
		sector    uint32
	}{
		{"512 sectors, 1 MiB blocks, short last block", 64*miB + 3*512, miB, 512},
		{"4K sectors, 2 MiB blocks", 40 * miB, 2 * miB, 4096},
		{"default 32 MiB blocks", 129*miB + 3*512, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := join(t.TempDir(), "disk.vhdx")
			d := newDisk(t, path, c.size, Options{BlockSize: c.blockSize, LogicalSectorSize: c.sector})
			m := make(model, c.size)
			bs := int64(d.Info().BlockSize)
			rng := rand.New(rand.NewPCG(7, uint64(bs)))
			size := int64(c.size)
			writes := []struct{ off, n int64 }{
				{0, 1},                          // one byte at the start
				{bs - 100, 200},                 // across the first boundary
				{2*bs - 1, 1},                   // last byte of a block
				{3*bs + 17, bs + 1000},          // spans a whole block and more
				{size - 1, 1},                   // last byte of the disk
				{size - 3*512 - 10, 3*512 + 10}, // into the last (short) block
				{bs/2 + 3, 77},                  // rewrite inside an allocated block
			}
			for _, w := range writes {
				mustWrite(t, d, m, randomBytes(rng, int(w.n)), w.off)
			}
			for range 40 {
				off := rng.Int64N(size)
				n := min(rng.Int64N(min(bs/2, 2*miB))+1, size-off)
				mustWrite(t, d, m, randomBytes(rng, int(n)), off)
			}
			assertContent(t, d, m)
			closeDisk(t, d)
			assertCheck(t, path)

			d = openDisk(t, path)
			defer closeDisk(t, d)
			assertContent(t, d, m)
		})
	}
}

func TestReadAtEdges(t *testing.T) {
	d := newDisk(t, join(t.TempDir(), "disk.vhdx"), 4*miB, Options{BlockSize: miB})
	defer closeDisk(t, d)
	mustWrite(t, d, nil, []byte{1, 2, 3}, 4*miB-3)
	buf := make([]byte, 10)
	n, err := d.ReadAt(buf, 4*miB-3)
	if n != 3 || err != io.EOF || buf[0] != 1 || buf[2] != 3 {
		t.Errorf("ReadAt across the end = %d, %v, %v", n, err, buf[:n])
	}
	if n, err := d.ReadAt(buf, 4*miB); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end = %d, %v", n, err)
	}
	if _, err := d.ReadAt(buf, -1); err == nil {
		t.Error("ReadAt(-1) succeeded")
	}
	if _, err := d.WriteAt(buf, 4*miB-3); err == nil {
		t.Error("WriteAt across the end succeeded")
	}
	if _, err := d.WriteAt(buf, -1); err == nil {
		t.Error("WriteAt(-1) succeeded")
	}
}

func TestUnwrittenReadsZero(t *testing.T) {
	d := newDisk(t, join(t.TempDir(), "disk.vhdx"), 1<<40, Options{})
	defer closeDisk(t, d)
	buf := make([]byte, 3*miB)
	for _, off := range []int64{0, 1<<40 - 3*miB, 123456789} {
		buf[0] = 0xFF
		if _, err := d.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
		if !isZero(buf) {
			t.Fatalf("an empty disk reads non-zero at %d", off)
		}
	}
}

// TestWriteGUIDs follows MS-VHDX 2.2.2.1: opening alone changes nothing,
// the first data write of a session sets a new FileWriteGuid and
// DataWriteGuid, later writes of the session keep them.
func TestWriteGUIDs(t *testing.T) {
	path := join(t.TempDir(), "disk.vhdx")
	d := newDisk(t, path, 8*miB, Options{BlockSize: miB})
	created := d.Info()
	closeDisk(t, d)

	d = openDisk(t, path)
	if got := d.Info(); got.DataWriteGUID != created.DataWriteGUID || got.FileWriteGUID != created.FileWriteGUID {
		t.Errorf("opening changed the write GUIDs")
	}
	mustWrite(t, d, nil, []byte("x"), 0)
	first := d.Info()
	if first.DataWriteGUID == created.DataWriteGUID || first.FileWriteGUID == created.FileWriteGUID {
		t.Errorf("the first write kept a write GUID")
	}
	mustWrite(t, d, nil, []byte("y"), miB)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := d.Info(); got.DataWriteGUID != first.DataWriteGUID || got.FileWriteGUID != first.FileWriteGUID {
		t.Errorf("a second write in the session changed the write GUIDs")
	}
	closeDisk(t, d)
	assertCheck(t, path)

	d = openDisk(t, path)
	defer closeDisk(t, d)
	if got := d.Info(); got.DataWriteGUID != first.DataWriteGUID {
		t.Errorf("DataWriteGuid after reopening = %s, want %s", got.DataWriteGUID, first.DataWriteGUID)
	}
	// Both headers are current after an update (done twice).
	for slot := range 2 {
		h, err := parseHeader(readFileAt(t, path, headerOffsets[slot], headerSize))
		if err != nil || h.DataWrite != first.DataWriteGUID {
			t.Errorf("header %d: %+v, %v", slot+1, h, err)
		}
	}
}

func TestClosedDisk(t *testing.T) {
	d := newDisk(t, join(t.TempDir(), "disk.vhdx"), 8*miB, Options{BlockSize: miB})
	closeDisk(t, d)
	if _, err := d.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadAt after Close: %v", err)
	}
	if _, err := d.WriteAt(make([]byte, 1), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteAt after Close: %v", err)
	}
	if err := d.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// TestConcurrentReadWrite is for the race detector: readers and a writer
// on one disk.
func TestConcurrentReadWrite(t *testing.T) {
	d := newDisk(t, join(t.TempDir(), "disk.vhdx"), 16*miB, Options{BlockSize: miB})
	defer closeDisk(t, d)
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64*kiB)
			for i := range 50 {
				if _, err := d.ReadAt(buf, int64((r*50+i)%250)*64*kiB); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 30 {
		if _, err := d.WriteAt(randomBytes(rng, 100*kiB), int64(i)*500*kiB); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
