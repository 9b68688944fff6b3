package vhdx

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSetParentPaths moves a chain as an import does and re-points the
// children.
func TestSetParentPaths(t *testing.T) {
	src := t.TempDir()
	paths, m := buildChain(t, src, 24*miB)
	dst := t.TempDir()
	if err := os.MkdirAll(join(dst, "Virtual Hard Disks"), 0o755); err != nil {
		t.Fatal(err)
	}
	moved := make([]string, len(paths))
	for i, p := range paths {
		// The base goes to another folder than the differencing disks.
		name := filepath.Base(p)
		if i == 0 {
			moved[i] = join(dst, name)
		} else {
			moved[i] = join(dst, "Virtual Hard Disks", name)
		}
		if err := os.Rename(p, moved[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(moved[3], nil); err == nil {
		t.Fatal("the moved chain opened before re-pointing")
	}

	var linkages, dataGUIDs []string
	for i := 1; i < len(moved); i++ {
		d, err := openLayer(moved[i], true)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := d.l.locator.Get(KeyParentLinkage)
		linkages = append(linkages, v)
		dataGUIDs = append(dataGUIDs, d.l.hdr.DataWrite.String())
		d.Close()

		rel, _ := relativeWindowsPath(moved[i], moved[i-1])
		abs, _ := filepath.Abs(moved[i-1])
		if err := SetParentPaths(moved[i], rel, WindowsPath(abs)); err != nil {
			t.Fatal(err)
		}
		assertCheck(t, moved[i])
	}
	top := openDisk(t, moved[3])
	defer closeDisk(t, top)
	assertContent(t, top, m)
	d := top
	for i := 3; i > 0; i-- {
		info := d.Info()
		if v, _ := info.Parent.Get(KeyParentLinkage); v != linkages[i-1] {
			t.Errorf("layer %d: parent_linkage %s, was %s", i, v, linkages[i-1])
		}
		if info.DataWriteGUID.String() != dataGUIDs[i-1] {
			t.Errorf("layer %d: SetParentPaths changed the DataWriteGuid", i)
		}
		if info.ParentPath != moved[i-1] {
			t.Errorf("layer %d: parent opened from %s, want %s", i, info.ParentPath, moved[i-1])
		}
		d = d.Parent()
	}
	if v, _ := top.Info().Parent.Get(KeyRelativePath); v != `.\base_2.avhdx` {
		t.Errorf("top relative_path %q", v)
	}
	base1 := top.Parent().Parent()
	if v, _ := base1.Info().Parent.Get(KeyRelativePath); v != `..\base.vhdx` {
		t.Errorf("first child relative_path %q", v)
	}
}

func TestSetParentPathsKeepsOtherEntries(t *testing.T) {
	dir := t.TempDir()
	basePath, childPath := join(dir, "base.vhdx"), join(dir, "c.avhdx")
	closeDisk(t, newDisk(t, basePath, 8*miB, Options{BlockSize: miB}))
	closeDisk(t, newChild(t, childPath, basePath, Options{}))

	// Only a relative path: the stale absolute path goes.
	if err := SetParentPaths(childPath, `.\base.vhdx`, ""); err != nil {
		t.Fatal(err)
	}
	d := openDisk(t, childPath)
	loc := d.Info().Parent
	closeDisk(t, d)
	if _, ok := loc.Get(KeyAbsoluteWin32Path); ok || len(loc.Entries) != 2 {
		t.Errorf("entries %+v", loc.Entries)
	}
	if err := SetParentPaths(childPath, "", ""); err == nil {
		t.Error("SetParentPaths without paths succeeded")
	}
	if err := SetParentPaths(basePath, `.\x.vhdx`, ""); err == nil {
		t.Error("SetParentPaths on a dynamic disk succeeded")
	}
}

// TestSetParentPathsFillsRegion rewrites long locators until the
// metadata region's free tail is used up, so the gaps left by old
// locators are reused.
func TestSetParentPathsFillsRegion(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Linux paths")
	}
	dir := t.TempDir()
	basePath, childPath := join(dir, "base.vhdx"), join(dir, "c.avhdx")
	closeDisk(t, newDisk(t, basePath, 8*miB, Options{BlockSize: miB}))
	closeDisk(t, newChild(t, childPath, basePath, Options{}))
	for i := range 40 {
		// About 60 KB of UTF-16 per locator; 40 of them exceed the region.
		long := `.\` + strings.Repeat(`.\`, 14000+i) + `base.vhdx`
		if err := SetParentPaths(childPath, long, ""); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		assertCheck(t, childPath)
	}
	d := openDisk(t, childPath)
	closeDisk(t, d)
}
