package vhdx

// Interoperability with qemu-img, an independent VHDX implementation.
// qemu reads dynamic and fixed VHDX only: it has no differencing VHDX
// support, so differencing disks (and chains) are verified with this
// package's reader alone (diff_test.go); their merged output, a dynamic
// disk, is checked by qemu here.
//
// qemu before 8.x opens only 512-byte logical sectors and refuses 4K
// disks with "Operation not supported"; those subtests then skip.
//
// Without qemu-img on PATH these tests skip, unless HVPORT_REQUIRE_QEMU=1
// (CI installs qemu-utils), when they fail.

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/hvport/hvport/internal/qemutest"
)

func requireTool(t *testing.T, name string) string {
	t.Helper()
	p := qemutest.Find(t, name)
	if p == "" {
		t.Skipf("%s is not on PATH", name)
	}
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	qemutest.Report("vhdx")
	os.Exit(code)
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

// qemuInfoCheck asserts that qemu-img sees a VHDX of size bytes and
// finds no error in it.
func qemuInfoCheck(t *testing.T, qemu, path string, size uint64) {
	t.Helper()
	var info struct {
		Format      string `json:"format"`
		VirtualSize uint64 `json:"virtual-size"`
	}
	out, err := exec.Command(qemu, "info", "--output=json", "-f", "vhdx", path).CombinedOutput()
	if err != nil && bytes.Contains(out, []byte("Operation not supported")) {
		if d, derr := Open(path, nil); derr == nil {
			sector := d.Info().LogicalSectorSize
			d.Close()
			if sector == 4096 {
				t.Skipf("this qemu-img does not support 4K logical sectors: %s", out)
			}
		}
	}
	if err != nil {
		t.Fatalf("qemu-img info %s: %v\n%s", path, err, out)
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("qemu-img info: %v\n%s", err, out)
	}
	if info.Format != "vhdx" || info.VirtualSize != size {
		t.Errorf("qemu-img info: format %q, virtual-size %d; want vhdx, %d", info.Format, info.VirtualSize, size)
	}
	run(t, qemu, "check", "-f", "vhdx", path)
}

// qemuRawEquals converts path to raw with qemu-img and compares it with
// what d reads.
func qemuRawEquals(t *testing.T, qemu, path string, d *Disk) {
	t.Helper()
	raw := path + ".raw"
	run(t, qemu, "convert", "-f", "vhdx", "-O", "raw", path, raw)
	defer os.Remove(raw)
	f, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Size() != d.Size() {
		t.Fatalf("qemu's raw image is %d bytes, the disk %d", fi.Size(), d.Size())
	}
	a, b := make([]byte, miB), make([]byte, miB)
	for off := int64(0); off < d.Size(); off += miB {
		n := min(miB, d.Size()-off)
		if _, err := io.ReadFull(f, a[:n]); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ReadAt(b[:n], off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a[:n], b[:n]) {
			t.Fatalf("qemu reads other bytes at %d", off+firstDiff(a[:n], b[:n]))
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	hq, err := ContentHashOf(f, d.Size())
	if err != nil {
		t.Fatal(err)
	}
	if hd, _ := ContentHash(d); hq != hd {
		t.Error("ContentHashOf qemu's raw image differs from ContentHash")
	}
}

func TestQemuInfoAndCheck(t *testing.T) {
	qemu := requireTool(t, "qemu-img")
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		size uint64
		opts Options
		fill int64
	}{
		{"20 GiB default", 20 << 30, Options{}, 8 * miB},
		{"empty 64 TiB", 64 << 40, Options{BlockSize: 256 * miB}, 0},
		{"4K sectors 1 MiB blocks", 3 << 30, Options{BlockSize: miB, LogicalSectorSize: 4096, PhysicalSectorSize: 512}, 5 * miB},
		{"odd size", 100*miB + 3*512, Options{BlockSize: 8 * miB}, 20 * miB},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := join(dir, c.name+".vhdx")
			d := newDisk(t, path, c.size, c.opts)
			if err := FillDeterministic(d, 1, c.fill); err != nil {
				t.Fatal(err)
			}
			closeDisk(t, d)
			qemuInfoCheck(t, qemu, path, c.size)
		})
	}
}

func TestQemuConvertEqualsReadAt(t *testing.T) {
	qemu := requireTool(t, "qemu-img")
	for name, opts := range map[string]Options{
		"512":         {BlockSize: 2 * miB},
		"4K physical": {BlockSize: 32 * miB, PhysicalSectorSize: 512},
		"4K logical":  {BlockSize: miB, LogicalSectorSize: 4096},
	} {
		t.Run(name, func(t *testing.T) { qemuConvertCase(t, qemu, opts) })
	}
}

// qemuConvertCase writes random runs into a new disk and has qemu-img
// check it and convert it to raw.
func qemuConvertCase(t *testing.T, qemu string, opts Options) {
	path := join(t.TempDir(), "disk.vhdx")
	size := uint64(96*miB + 5*4096)
	d := newDisk(t, path, size, opts)
	rng := rand.New(rand.NewPCG(8, 8))
	for range 30 {
		off := rng.Int64N(int64(size) - 3*miB)
		mustWrite(t, d, nil, randomBytes(rng, int(rng.Int64N(3*miB)+1)), off)
	}
	mustWrite(t, d, nil, []byte("the end"), int64(size)-7)
	closeDisk(t, d)
	qemuInfoCheck(t, qemu, path, size)
	d = openDisk(t, path)
	defer closeDisk(t, d)
	qemuRawEquals(t, qemu, path, d)
}

// TestQemuMergedChain: the flattened chain is a dynamic disk qemu reads
// as the chain's content.
func TestQemuMergedChain(t *testing.T) {
	qemu := requireTool(t, "qemu-img")
	dir := t.TempDir()
	paths, m := buildChain(t, dir, 40*miB)
	out := join(dir, "merged.vhdx")
	if err := Merge(paths[3], out, nil); err != nil {
		t.Fatal(err)
	}
	qemuInfoCheck(t, qemu, out, 40*miB)
	d := openDisk(t, out)
	defer closeDisk(t, d)
	assertContent(t, d, m)
	qemuRawEquals(t, qemu, out, d)
}

// TestReadQemuWrittenVHDX reads files qemu wrote: a converted raw image
// and one of our files after qemu-io wrote into it.
func TestReadQemuWrittenVHDX(t *testing.T) {
	qemu := requireTool(t, "qemu-img")
	dir := t.TempDir()
	rawPath := join(dir, "src.raw")
	rng := rand.New(rand.NewPCG(4, 4))
	raw := make([]byte, 48*miB)
	for _, off := range []int{0, 5*miB + 3, 17 * miB, 48*miB - 2*miB} {
		copy(raw[off:], randomBytes(rng, 2*miB))
	}
	if err := os.WriteFile(rawPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, blockSize := range []string{"1M", "8M"} {
		path := join(dir, "qemu-"+blockSize+".vhdx")
		run(t, qemu, "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic,block_size="+blockSize, rawPath, path)
		assertCheck(t, path)
		d := openDisk(t, path)
		assertContent(t, d, raw)
		closeDisk(t, d)
	}

	qemuIO := requireTool(t, "qemu-io") // also in qemu-utils
	ours := join(dir, "ours.vhdx")
	d := newDisk(t, ours, 16*miB, Options{BlockSize: miB})
	mustWrite(t, d, nil, bytes.Repeat([]byte{1}, 3*miB), 0)
	closeDisk(t, d)
	run(t, qemuIO, "-f", "vhdx", "-c", "write -P 0xab 2M 3M", ours)
	assertCheck(t, ours)
	d = openDisk(t, ours)
	defer closeDisk(t, d)
	want := make(model, 16*miB)
	copy(want, bytes.Repeat([]byte{1}, 3*miB))
	copy(want[2*miB:], bytes.Repeat([]byte{0xab}, 3*miB))
	assertContent(t, d, want)
}
