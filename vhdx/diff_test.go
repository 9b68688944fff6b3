package vhdx

// Differencing disks are verified with this package's reader only: qemu
// has no differencing VHDX support, so there is no second implementation
// to compare with. The model (an in-memory image) is the reference.

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// fillRandom writes random data over the whole disk, in 1 MiB writes.
func fillRandom(t testing.TB, d *Disk, m model, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	for off := int64(0); off < d.Size(); off += miB {
		mustWrite(t, d, m, randomBytes(rng, int(min(miB, d.Size()-off))), off)
	}
}

func blockState(d *Disk, block uint64) uint8 {
	return batState(d.l.bat[d.l.geo.payloadIndex(block)])
}

// TestDifferencingSectorBitmap writes into a child at the edges of
// sectors, blocks and the sector bitmap, and checks both the content
// and the block states that result (MS-VHDX 2.5.1.1).
func TestDifferencingSectorBitmap(t *testing.T) {
	for _, sector := range []uint32{512, 4096} {
		t.Run(map[uint32]string{512: "512", 4096: "4K"}[sector], func(t *testing.T) {
			dir := t.TempDir()
			basePath, childPath := join(dir, "base.vhdx"), join(dir, "child.avhdx")
			base := newDisk(t, basePath, 16*miB, Options{BlockSize: miB, LogicalSectorSize: sector})
			m := make(model, 16*miB)
			fillRandom(t, base, m, 1)
			closeDisk(t, base)

			child := newChild(t, childPath, basePath, Options{})
			if !child.Info().IsDifferencing || child.Info().BlockSize != miB {
				t.Fatalf("child Info() = %+v", child.Info())
			}
			assertContent(t, child, m) // an empty child reads its parent
			rng := rand.New(rand.NewPCG(2, 2))
			s := int64(sector)
			w := func(off, n int64) { mustWrite(t, child, m, randomBytes(rng, int(n)), off) }

			w(0, s)               // block 0: first sector only
			w(miB-s, s)           // block 0: last sector
			w(miB+s+100, 10)      // block 1: bytes inside one sector (read-modify-write)
			w(2*miB-7, 14)        // blocks 1 and 2: across the boundary, unaligned
			w(3*miB, miB)         // block 3: the whole block at once
			w(4*miB+s/2, 3*s)     // block 4: unaligned, partial sectors at both ends
			w(5*miB, miB/2)       // block 5: first half ...
			w(5*miB+miB/2, miB/2) // ... then second half
			w(6*miB+s, miB-2*s)   // block 6: all but the first and last sector ...
			w(6*miB, s)           // ... then the first ...
			w(7*miB-s+1, s-1)     // ... then most of the last (completed from the parent)
			assertContent(t, child, m)

			want := map[uint64]uint8{
				0: payloadPartiallyPresent, 1: payloadPartiallyPresent, 2: payloadPartiallyPresent,
				3: payloadFullyPresent, 4: payloadPartiallyPresent, 5: payloadFullyPresent,
				6: payloadFullyPresent, 7: payloadNotPresent,
			}
			for b, st := range want {
				if got := blockState(child, b); got != st {
					t.Errorf("block %d is %s, want %s", b, payloadStateName(got), payloadStateName(st))
				}
			}
			closeDisk(t, child)
			assertCheck(t, childPath)

			child = openDisk(t, childPath)
			defer closeDisk(t, child)
			assertContent(t, child, m)
		})
	}
}

// TestDifferencingChunkBoundary writes across the boundary of two
// chunks, so two sector bitmap blocks are in use (2^23 sectors each,
// 4 GiB with 512-byte sectors). The files stay small: the base is empty
// except near the boundary.
func TestDifferencingChunkBoundary(t *testing.T) {
	dir := t.TempDir()
	basePath, childPath := join(dir, "base.vhdx"), join(dir, "child.avhdx")
	const chunk = 4 << 30
	base := newDisk(t, basePath, chunk+8*miB, Options{BlockSize: miB})
	rng := rand.New(rand.NewPCG(5, 5))
	baseData := randomBytes(rng, 4*miB)
	mustWrite(t, base, nil, baseData, chunk-2*miB)
	closeDisk(t, base)

	child := newChild(t, childPath, basePath, Options{})
	childData := randomBytes(rng, 2*512)
	mustWrite(t, child, nil, childData, chunk-512)
	g := child.l.geo
	for c := uint64(0); c < 2; c++ {
		if st := batState(child.l.bat[g.bitmapIndex(c)]); st != sbPresent {
			t.Errorf("sector bitmap block %d is %d, want SB_BLOCK_PRESENT", c, st)
		}
	}
	closeDisk(t, child)
	assertCheck(t, childPath)

	child = openDisk(t, childPath)
	defer closeDisk(t, child)
	want := append([]byte(nil), baseData...)
	copy(want[2*miB-512:], childData)
	got := make([]byte, 4*miB)
	if _, err := child.ReadAt(got, chunk-2*miB); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("content near the chunk boundary differs at %d", firstDiff(got, want))
	}
}

// buildChain makes base → c1 → c2 → c3 (depth 3), each layer writing
// overlapping runs with its own block size, and returns the paths and
// what the top reads.
func buildChain(t testing.TB, dir string, size int64) ([]string, model) {
	t.Helper()
	paths := []string{join(dir, "base.vhdx"), join(dir, "base_1.avhdx"), join(dir, "base_2.avhdx"), join(dir, "base_3.avhdx")}
	m := make(model, size)
	base := newDisk(t, paths[0], uint64(size), Options{BlockSize: 4 * miB})
	if err := FillDeterministic(base, 10, 6*miB); err != nil {
		t.Fatal(err)
	}
	if _, err := base.ReadAt(m, 0); err != nil {
		t.Fatal(err)
	}
	closeDisk(t, base)
	rng := rand.New(rand.NewPCG(11, 11))
	for i, bs := range []uint32{miB, 2 * miB, miB} {
		d := newChild(t, paths[i+1], paths[i], Options{BlockSize: bs})
		for range 12 {
			off := rng.Int64N(size - 3*miB)
			mustWrite(t, d, m, randomBytes(rng, int(rng.Int64N(3*miB)+1)), off)
		}
		// Zeros over parent data must read as zeros, not as the parent.
		mustWrite(t, d, m, make([]byte, 300*kiB), int64(i)*miB+12345)
		closeDisk(t, d)
	}
	return paths, m
}

func TestChainDepth3(t *testing.T) {
	dir := t.TempDir()
	paths, m := buildChain(t, dir, 24*miB)
	for _, p := range paths {
		assertCheck(t, p)
	}
	top := openDisk(t, paths[3])
	defer closeDisk(t, top)
	assertContent(t, top, m)

	// The chain as opened: each layer's parent, linked by DataWriteGuid.
	d := top
	for i := 3; i > 0; i-- {
		info := d.Info()
		if !info.IsDifferencing || info.ParentPath != paths[i-1] {
			t.Fatalf("layer %d: Info() = %+v", i, info)
		}
		parent := d.Parent().Info()
		if v, _ := info.Parent.Get(KeyParentLinkage); v != bracedGUID(parent.DataWriteGUID) {
			t.Errorf("layer %d: parent_linkage %s, parent's DataWriteGuid %s", i, v, parent.DataWriteGUID)
		}
		if v, _ := info.Parent.Get(KeyRelativePath); v != `.\`+filepath.Base(paths[i-1]) {
			t.Errorf("layer %d: relative_path %q", i, v)
		}
		abs, _ := filepath.Abs(paths[i-1])
		if v, _ := info.Parent.Get(KeyAbsoluteWin32Path); v != WindowsPath(abs) {
			t.Errorf("layer %d: absolute_win32_path %q, want %q", i, v, WindowsPath(abs))
		}
		if info.VirtualDiskID != parent.VirtualDiskID || info.VirtualSize != parent.VirtualSize {
			t.Errorf("layer %d does not carry its parent's virtual disk items", i)
		}
		d = d.Parent()
	}
	if d.Info().IsDifferencing || d.Parent() != nil {
		t.Errorf("the base is differencing")
	}
	// Parents are opened read-only: writing one would break the chain.
	if _, err := top.Parent().WriteAt([]byte("x"), 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("writing a parent: %v", err)
	}
}

// TestWritingTopLeavesParents checks that writes go to the top file only.
func TestWritingTopLeavesParents(t *testing.T) {
	dir := t.TempDir()
	paths, m := buildChain(t, dir, 24*miB)
	before := map[string][]byte{}
	for _, p := range paths[:3] {
		before[p] = fileBytes(t, p)
	}
	top := openDisk(t, paths[3])
	rng := rand.New(rand.NewPCG(9, 9))
	for range 10 {
		off := rng.Int64N(23 * miB)
		mustWrite(t, top, m, randomBytes(rng, int(rng.Int64N(miB)+1)), off)
	}
	assertContent(t, top, m)
	closeDisk(t, top)
	for p, b := range before {
		if !bytes.Equal(fileBytes(t, p), b) {
			t.Errorf("writing the top changed %s", p)
		}
	}
	top = openDisk(t, paths[3])
	defer closeDisk(t, top)
	assertContent(t, top, m)
}

// TestParentLinkage: a parent written after its child was made no longer
// matches the child's parent_linkage (MS-VHDX 2.6.2.6.3).
func TestParentLinkage(t *testing.T) {
	dir := t.TempDir()
	basePath, childPath := join(dir, "base.vhdx"), join(dir, "child.avhdx")
	closeDisk(t, newDisk(t, basePath, 8*miB, Options{BlockSize: miB}))
	closeDisk(t, newChild(t, childPath, basePath, Options{}))
	// Opening the parent without writing keeps the link.
	closeDisk(t, openDisk(t, basePath))
	closeDisk(t, openDisk(t, childPath))

	base := openDisk(t, basePath)
	mustWrite(t, base, nil, []byte("changed"), 0)
	closeDisk(t, base)
	_, err := Open(childPath, nil)
	wantErr(t, err, ErrParent, "parent_linkage", "DataWriteGuid")
}

func TestParentNotFound(t *testing.T) {
	dir := t.TempDir()
	basePath, childPath := join(dir, "base.vhdx"), join(dir, "child.avhdx")
	closeDisk(t, newDisk(t, basePath, 8*miB, Options{BlockSize: miB}))
	closeDisk(t, newChild(t, childPath, basePath, Options{}))
	if err := os.Rename(basePath, join(dir, "elsewhere.vhdx")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(childPath, nil)
	wantErr(t, err, ErrParent, "base.vhdx")

	// A resolver can find it anyway.
	d, err := Open(childPath, func(l ParentLocator) (string, error) {
		if l.ChildPath != childPath {
			t.Errorf("locator ChildPath %q", l.ChildPath)
		}
		return join(dir, "elsewhere.vhdx"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	closeDisk(t, d)
	_, err = Open(childPath, func(ParentLocator) (string, error) { return "", errors.New("no idea") })
	wantErr(t, err, ErrParent, "no idea")
}

// TestResolverOrder: relative_path wins and moves with the folder; the
// absolute path is the fallback when only the child moved.
func TestResolverOrder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses Linux absolute paths")
	}
	root := t.TempDir()
	dir := join(root, "vm")
	if err := os.MkdirAll(join(dir, "disks"), 0o755); err != nil {
		t.Fatal(err)
	}
	basePath, childPath := join(dir, "base.vhdx"), join(dir, "disks", "child.avhdx")
	closeDisk(t, newDisk(t, basePath, 8*miB, Options{BlockSize: miB}))
	child := newChild(t, childPath, basePath, Options{})
	if v, _ := child.Info().Parent.Get(KeyRelativePath); v != `..\base.vhdx` {
		t.Errorf("relative_path %q", v)
	}
	closeDisk(t, child)

	// Move the whole folder: the relative path still works.
	moved := join(root, "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	d := openDisk(t, join(moved, "disks", "child.avhdx"))
	if d.Info().ParentPath != join(moved, "base.vhdx") {
		t.Errorf("parent opened from %s", d.Info().ParentPath)
	}
	closeDisk(t, d)

	// Move the folder back and the child alone away: the absolute path works.
	if err := os.Rename(moved, dir); err != nil {
		t.Fatal(err)
	}
	lone := join(root, "child.avhdx")
	if err := os.Rename(childPath, lone); err != nil {
		t.Fatal(err)
	}
	d = openDisk(t, lone)
	if d.Info().ParentPath != basePath {
		t.Errorf("parent opened from %s", d.Info().ParentPath)
	}
	closeDisk(t, d)
}

func TestCreateDifferencingOptions(t *testing.T) {
	dir := t.TempDir()
	basePath := join(dir, "base.vhdx")
	closeDisk(t, newDisk(t, basePath, 8*miB, Options{BlockSize: 2 * miB, LogicalSectorSize: 4096, PhysicalSectorSize: 512}))
	if err := CreateDifferencing(join(dir, "bad.avhdx"), basePath, Options{LogicalSectorSize: 512}); err == nil {
		t.Error("a child with other sector sizes than its parent was created")
	}
	if err := CreateDifferencing(join(dir, "x.avhdx"), join(dir, "missing.vhdx"), Options{}); err == nil {
		t.Error("a child of a missing parent was created")
	}
	c := newChild(t, join(dir, "c.avhdx"), basePath, Options{ParentRelativePath: `.\base.vhdx`, ParentAbsoluteWin32Path: `C:\VMs\base.vhdx`})
	defer closeDisk(t, c)
	info := c.Info()
	if info.BlockSize != 2*miB || info.LogicalSectorSize != 4096 || info.PhysicalSectorSize != 512 {
		t.Errorf("child Info() = %+v", info)
	}
	if v, _ := info.Parent.Get(KeyAbsoluteWin32Path); v != `C:\VMs\base.vhdx` {
		t.Errorf("absolute_win32_path %q", v)
	}
}

func TestPaths(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Linux path forms")
	}
	for in, want := range map[string]string{
		`\srv\vms\base.vhdx`:     "/srv/vms/base.vhdx",
		`\\?\\srv\vms\base.vhdx`: "/srv/vms/base.vhdx",
		`\srv\vms\..\base.vhdx`:  "/srv/base.vhdx",
		`C:\VMs\base.vhdx`:       "",
		`\\?\C:\VMs\base.vhdx`:   "",
		`\\server\share\b.vhdx`:  "",
		`\\?\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\b.vhdx`: "",
		`base.vhdx`: "",
		``:          "",
	} {
		got, ok := NativePath(in)
		if got != want || ok != (want != "") {
			t.Errorf("NativePath(%q) = %q, %t; want %q", in, got, ok, want)
		}
	}
	if got := WindowsPath("/srv/vms/base.vhdx"); got != `\srv\vms\base.vhdx` {
		t.Errorf("WindowsPath = %q", got)
	}
	for rel, want := range map[string]string{
		`.\parent.vhdx`:     "/a/b/parent.vhdx",
		`..\x\parent.vhdx`:  "/a/x/parent.vhdx",
		`..\..\parent.vhdx`: "/parent.vhdx",
		`sub\parent.vhdx`:   "/a/b/sub/parent.vhdx",
		`.\sub/parent.vhdx`: "/a/b/sub/parent.vhdx",
	} {
		if got := resolveRelative("/a/b/child.avhdx", rel); got != want {
			t.Errorf("resolveRelative(%q) = %q, want %q", rel, got, want)
		}
	}
	for _, c := range []struct{ child, parent, want string }{
		{"/a/b/c.avhdx", "/a/b/p.vhdx", `.\p.vhdx`},
		{"/a/b/c.avhdx", "/a/p.vhdx", `..\p.vhdx`},
		{"/a/b/c.avhdx", "/a/x/y/p.vhdx", `..\x\y\p.vhdx`},
		{"/a/c.avhdx", "/a/b/p.vhdx", `.\b\p.vhdx`},
	} {
		if got, _ := relativeWindowsPath(c.child, c.parent); got != c.want {
			t.Errorf("relativeWindowsPath(%s, %s) = %q, want %q", c.child, c.parent, got, c.want)
		}
	}
}

func TestLocatorRoundTrip(t *testing.T) {
	l := ParentLocator{Type: LocatorTypeVHDX, Entries: []KeyValue{
		{KeyParentLinkage, "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}"},
		{KeyRelativePath, `..\..\path2\sub3\parent.vhdx`},
		{KeyVolumePath, `\\?\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\path2\sub3\parent.vhdx`},
		{KeyAbsoluteWin32Path, `\\?\d:\path2\sub3\parent.vhdx`},
		{"x_ünïcode", "välue"},
	}}
	b, err := l.marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseLocator(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != l.Type || len(got.Entries) != len(l.Entries) {
		t.Fatalf("parseLocator = %+v", got)
	}
	for i := range l.Entries {
		if got.Entries[i] != l.Entries[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got.Entries[i], l.Entries[i])
		}
	}
	if err := got.validate(); err != nil {
		t.Error(err)
	}
	if g, err := got.ParentLinkage(); err != nil || g.String() != "83ed0ec3-24c8-49a6-a959-5e4bf1288bfb" {
		t.Errorf("ParentLinkage = %s, %v", g, err)
	}
	// Upper-case linkage, as some writers produce, is accepted.
	if _, err := parseBracedGUID("{83ED0EC3-24C8-49A6-A959-5E4BF1288BFB}"); err != nil {
		t.Error(err)
	}
	for _, bad := range []ParentLocator{
		{Type: LocatorTypeVHDX, Entries: []KeyValue{{KeyRelativePath, `.\p.vhdx`}}},
		{Type: LocatorTypeVHDX, Entries: []KeyValue{{KeyParentLinkage, "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}"}}},
		{Type: guidBATRegion, Entries: l.Entries},
	} {
		if bad.validate() == nil {
			t.Errorf("validate accepted %+v", bad)
		}
	}
}
