package vhdx

import (
	"bytes"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
)

// Mutated files must make Open and Check fail with an error, never
// panic or hang; a file Open accepts must read, write and read back what
// was written. FuzzOpenCheck is the fuzz target (go test -fuzz
// FuzzOpenCheck ./vhdx/); TestMutationsNeverPanic runs a fixed set of
// random mutations in every go test.

// fuzzTemplates are small valid files, built once per process: a
// dynamic disk and a differencing child of it with partially present
// blocks.
var fuzzTemplates = sync.OnceValues(func() ([2][]byte, error) {
	var out [2][]byte
	dir, err := os.MkdirTemp("", "vhdx-fuzz-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	base, child := join(dir, "base.vhdx"), join(dir, "child.avhdx")
	if err := Create(base, 6*miB, Options{BlockSize: miB}); err != nil {
		return out, err
	}
	if err := writeSome(base, nil, 0, 2*miB+100, 4*miB); err != nil {
		return out, err
	}
	if err := CreateDifferencing(child, base, Options{}); err != nil {
		return out, err
	}
	if err := writeSome(child, nil, 512, miB, 5*miB-512); err != nil {
		return out, err
	}
	for i, p := range []string{base, child} {
		if out[i], err = os.ReadFile(p); err != nil {
			return out, err
		}
	}
	return out, nil
})

func writeSome(path string, resolve func(ParentLocator) (string, error), offs ...int64) error {
	d, err := Open(path, resolve)
	if err != nil {
		return err
	}
	for i, off := range offs {
		if _, err := d.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, 700), off); err != nil {
			return err
		}
	}
	return d.Close()
}

// Interesting places in the templates, for seeds and biased mutations.
var fuzzSpots = []int64{
	0, header1Offset, header1Offset + 8, header1Offset + 64, header1Offset + 72,
	header2Offset + 8, regionTable1Offset + 8, regionTable1Offset + 16, regionTable1Offset + 40,
	regionTable2Offset + 48, metadataOffset + 10, metadataOffset + 32, metadataOffset + 48,
	metadataOffset + 56, metadataOffset + 32*5 + 16, metadataOffset + 64*kiB, metadataOffset + 64*kiB + 4,
	metadataOffset + 64*kiB + 8, metadataOffset + 64*kiB + 40, metadataOffset + 64*kiB + 44,
	metadataOffset + 64*kiB + 58, metadataOffset + 64*kiB + 72, batOffset, batOffset + 3,
	batOffset + 8, batOffset + 16, batOffset + 8*4096, batOffset + 8*4096 + 3, 4 * miB, 5*miB + 7,
}

// mutate returns a copy of tpl with patch at pos, header and region
// table checksums recomputed when fix, cut to cut bytes when cut > 0.
func mutate(tpl []byte, pos int64, patch []byte, fix bool, cut int64) []byte {
	b := append([]byte(nil), tpl...)
	if n := int64(len(b)); n > 0 {
		pos %= n
		if pos < 0 {
			pos += n
		}
		copy(b[pos:], patch)
	}
	if fix && len(b) >= regionTable2Offset+regionTableSize {
		for _, off := range headerOffsets {
			le.PutUint32(b[off+4:], checksum(b[off:off+headerSize]))
		}
		for _, off := range []int{regionTable1Offset, regionTable2Offset} {
			le.PutUint32(b[off+4:], checksum(b[off:off+regionTableSize]))
		}
	}
	if cut > 0 && cut < int64(len(b)) {
		b = b[:cut]
	}
	return b
}

// writeSparse writes b to path leaving zero pages as holes, which keeps
// a fuzz iteration cheap.
func writeSparse(t testing.TB, path string, b []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for off := 0; off < len(b); off += 4 * kiB {
		page := b[off:min(off+4*kiB, len(b))]
		if !isZero(page) {
			if _, err := f.WriteAt(page, int64(off)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Truncate(int64(len(b))); err != nil {
		t.Fatal(err)
	}
}

// exerciseMutation writes the mutated file (target 0: the dynamic disk;
// 1: the child, with a sound parent; 2: a sound child of a mutated
// parent) and uses it every way the package offers.
func exerciseMutation(t *testing.T, target uint8, pos int64, patch []byte, fix bool, cut int64) {
	tpl, err := fuzzTemplates()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base, child := join(dir, "base.vhdx"), join(dir, "child.avhdx")
	path := base
	switch target % 3 {
	case 0:
		writeSparse(t, base, mutate(tpl[0], pos, patch, fix, cut))
	case 1:
		writeSparse(t, base, tpl[0])
		writeSparse(t, child, mutate(tpl[1], pos, patch, fix, cut))
		path = child
	case 2:
		writeSparse(t, base, mutate(tpl[0], pos, patch, fix, cut))
		writeSparse(t, child, tpl[1])
		path = child
	}
	resolve := func(ParentLocator) (string, error) { return base, nil }

	_ = Check(path)
	d, err := Open(path, resolve)
	if err != nil {
		return
	}
	_ = d.Info()
	size := d.Size()
	buf := make([]byte, 3*miB)
	for _, off := range []int64{0, size / 2, size - 100, size - 1} {
		if off >= 0 {
			_, _ = d.ReadAt(buf, off)
		}
	}
	if size > 64*miB {
		d.Close()
		return
	}
	_, _ = ContentHash(d)
	// What Open accepted must take writes and read them back.
	want := bytes.Repeat([]byte{0xA5}, 1500)
	for _, off := range []int64{300, size/2 - 700, size - int64(len(want))} {
		if off < 0 {
			continue
		}
		if _, err := d.WriteAt(want, off); err != nil {
			continue // e.g. ENOSPC is fine; a wrong read-back is not
		}
		got := make([]byte, len(want))
		if _, err := d.ReadAt(got, off); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("read back at %d after a write: %v (pos %d, patch %x, fix %t, cut %d, target %d)", off, err, pos, patch, fix, cut, target)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_ = Check(path)
	_ = Merge(path, join(dir, "merged.vhdx"), resolve)
	if target%3 == 1 {
		_ = SetParentPaths(path, `.\base.vhdx`, "")
		_ = Check(path)
	}
}

func FuzzOpenCheck(f *testing.F) {
	for i, spot := range fuzzSpots {
		f.Add(uint8(i%3), spot, []byte{0xFF}, i%2 == 0, int64(0))
		f.Add(uint8((i+1)%3), spot, []byte{7, 0, 0x50, 0, 0, 0, 0, 0}, true, int64(0))
	}
	f.Add(uint8(0), int64(0), []byte{}, false, int64(3*miB+5))
	f.Add(uint8(1), int64(0), []byte{}, false, int64(5*miB))
	f.Fuzz(func(t *testing.T, target uint8, pos int64, patch []byte, fix bool, cut int64) {
		if len(patch) > 64*kiB {
			patch = patch[:64*kiB]
		}
		exerciseMutation(t, target, pos, patch, fix, cut)
	})
}

func TestMutationsNeverPanic(t *testing.T) {
	// Each case creates, syncs and merges files: about 30 ms, ten times
	// that under the race detector.
	n := 150
	if testing.Short() || raceEnabled {
		n = 30
	}
	rng := rand.New(rand.NewPCG(2024, 7))
	for i := range n {
		pos := fuzzSpots[rng.IntN(len(fuzzSpots))] + rng.Int64N(16)
		if rng.IntN(4) == 0 {
			pos = rng.Int64N(7 * miB)
		}
		patch := make([]byte, 1+rng.IntN(8))
		for j := range patch {
			switch rng.IntN(4) {
			case 0:
				patch[j] = 0
			case 1:
				patch[j] = 0xFF
			default:
				patch[j] = byte(rng.Uint32())
			}
		}
		var cut int64
		if rng.IntN(20) == 0 {
			cut = rng.Int64N(7 * miB)
		}
		exerciseMutation(t, uint8(i%3), pos, patch, rng.IntN(3) != 0, cut)
	}
}
