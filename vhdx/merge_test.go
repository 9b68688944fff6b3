package vhdx

import (
	"errors"
	"os"
	"testing"
)

func TestMergeFlattensChain(t *testing.T) {
	dir := t.TempDir()
	paths, m := buildChain(t, dir, 40*miB+512)
	out := join(dir, "export", "merged.vhdx")
	if err := os.MkdirAll(join(dir, "export"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Merge(paths[3], out, nil); err != nil {
		t.Fatal(err)
	}
	assertCheck(t, out)
	merged := openDisk(t, out)
	defer closeDisk(t, merged)
	top := openDisk(t, paths[3])
	defer closeDisk(t, top)

	info, topInfo := merged.Info(), top.Info()
	if info.IsDifferencing || info.Parent != nil {
		t.Errorf("merged disk is differencing: %+v", info)
	}
	if info.VirtualSize != topInfo.VirtualSize || info.VirtualDiskID != topInfo.VirtualDiskID ||
		info.LogicalSectorSize != topInfo.LogicalSectorSize || info.BlockSize != 4*miB {
		t.Errorf("merged Info() = %+v, chain top %+v", info, topInfo)
	}
	if info.DataWriteGUID == topInfo.DataWriteGUID {
		t.Error("the merged disk reuses the child's DataWriteGuid")
	}
	// Byte for byte what the chain reads.
	assertContent(t, merged, m)
	h1, err := ContentHash(merged)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := ContentHash(top)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 {
		t.Error("ContentHash of the merged disk differs from the chain's")
	}
	// Sparse: exactly the blocks holding non-zero data are allocated.
	bs := int64(info.BlockSize)
	want := 0
	for off := int64(0); off < int64(len(m)); off += bs {
		if !isZero(m[off:min(off+bs, int64(len(m)))]) {
			want++
		}
	}
	if info.AllocatedBlocks != want {
		t.Errorf("%d blocks allocated, %d hold data", info.AllocatedBlocks, want)
	}
	if info.FileSize != 4*miB+int64(want)*bs {
		t.Errorf("merged file is %d bytes, want %d", info.FileSize, 4*miB+int64(want)*bs)
	}
}

func TestMergeSparseWhereChainIsEmpty(t *testing.T) {
	dir := t.TempDir()
	basePath, childPath, out := join(dir, "base.vhdx"), join(dir, "c.avhdx"), join(dir, "m.vhdx")
	base := newDisk(t, basePath, 10<<30, Options{})
	m := map[int64][]byte{3 << 30: []byte("base data")}
	mustWrite(t, base, nil, m[3<<30], 3<<30)
	mustWrite(t, base, nil, []byte("overwritten with zeros"), 5<<30)
	closeDisk(t, base)
	child := newChild(t, childPath, basePath, Options{BlockSize: miB})
	mustWrite(t, child, nil, []byte("child data"), 7<<30+100)
	m[7<<30+100] = []byte("child data")
	mustWrite(t, child, nil, make([]byte, 30), 5<<30)
	closeDisk(t, child)

	if err := Merge(childPath, out, nil); err != nil {
		t.Fatal(err)
	}
	d := openDisk(t, out)
	defer closeDisk(t, d)
	if n := d.Info().AllocatedBlocks; n != 2 {
		t.Errorf("%d blocks allocated, want 2 (the zeroed block is not)", n)
	}
	for off, want := range m {
		got := make([]byte, len(want))
		if _, err := d.ReadAt(got, off); err != nil || string(got) != string(want) {
			t.Errorf("at %d read %q, %v; want %q", off, got, err, want)
		}
	}
}

func TestMergeRefusesExistingOutput(t *testing.T) {
	dir := t.TempDir()
	paths, _ := buildChain(t, dir, 24*miB)
	if err := os.WriteFile(join(dir, "out.vhdx"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Merge(paths[3], join(dir, "out.vhdx"), nil); err == nil {
		t.Fatal("Merge over an existing file succeeded")
	}
	if string(fileBytes(t, join(dir, "out.vhdx"))) != "keep" {
		t.Fatal("Merge changed an existing file")
	}
	os.Remove(paths[1])
	if err := Merge(paths[3], join(dir, "out2.vhdx"), nil); err == nil {
		t.Fatal("Merge of a broken chain succeeded")
	}
	if _, err := os.Stat(join(dir, "out2.vhdx")); !os.IsNotExist(err) {
		t.Fatal("a failed Merge left its output")
	}
}

// TestMergeOfDynamicDisk: merging a disk without parents copies it.
func TestMergeOfDynamicDisk(t *testing.T) {
	dir := t.TempDir()
	src := newDisk(t, join(dir, "a.vhdx"), 64*miB, Options{BlockSize: miB})
	if err := FillDeterministic(src, 3, 5*miB); err != nil {
		t.Fatal(err)
	}
	closeDisk(t, src)
	if err := Merge(join(dir, "a.vhdx"), join(dir, "b.vhdx"), nil); err != nil {
		t.Fatal(err)
	}
	a, b := openDisk(t, join(dir, "a.vhdx")), openDisk(t, join(dir, "b.vhdx"))
	defer closeDisk(t, a)
	defer closeDisk(t, b)
	ha, _ := ContentHash(a)
	hb, _ := ContentHash(b)
	if ha != hb || a.Info().AllocatedBlocks != b.Info().AllocatedBlocks {
		t.Errorf("copy differs: %d vs %d blocks", a.Info().AllocatedBlocks, b.Info().AllocatedBlocks)
	}
}

// TestMergeWithHooks: Progress adds up to MergeLength, BeforeWrite sees
// every data write before it happens, and a hook's error stops the merge,
// is returned as it is and leaves no output.
func TestMergeWithHooks(t *testing.T) {
	dir := t.TempDir()
	paths, m := buildChain(t, dir, 24*miB)
	total, err := MergeLength(paths[3], nil)
	if err != nil {
		t.Fatal(err)
	}
	if total <= 0 || total > int64(len(m)) || total%miB != 0 {
		t.Fatalf("MergeLength = %d for a %d-byte disk", total, len(m))
	}
	var read, written int64
	out := join(dir, "merged.vhdx")
	err = MergeWith(paths[3], out, MergeOptions{
		BeforeWrite: func(n int64) error {
			if n <= 0 || n > miB {
				t.Errorf("BeforeWrite(%d)", n)
			}
			written += n
			return nil
		},
		Progress: func(n int64) error { read += n; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if read != total {
		t.Errorf("Progress reported %d bytes, MergeLength %d", read, total)
	}
	if written == 0 || written > read {
		t.Errorf("BeforeWrite reported %d bytes of %d read", written, read)
	}
	assertCheck(t, out)
	d := openDisk(t, out)
	assertContent(t, d, m)
	closeDisk(t, d)

	stop := errors.New("stop")
	for name, opts := range map[string]MergeOptions{
		"BeforeWrite": {BeforeWrite: func(int64) error { return stop }},
		"Progress":    {Progress: func(int64) error { return stop }},
	} {
		out := join(dir, name+".vhdx")
		if err := MergeWith(paths[3], out, opts); err != stop {
			t.Errorf("%s: MergeWith returned %v, want the hook's error", name, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the stopped merge left %s", name, out)
		}
	}
	os.Remove(paths[1])
	if _, err := MergeLength(paths[3], nil); !errors.Is(err, ErrParent) {
		t.Errorf("MergeLength of a broken chain: %v", err)
	}
}
