package vhdx

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStatReadsOneLayer(t *testing.T) {
	dir := t.TempDir()
	base, child := filepath.Join(dir, "base.vhdx"), filepath.Join(dir, "child.avhdx")
	if err := Create(base, 3<<30, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := CreateDifferencing(child, base, Options{}); err != nil {
		t.Fatal(err)
	}
	// The parent may be gone: Stat still answers for the child itself.
	if err := removeFile(base); err != nil {
		t.Fatal(err)
	}
	info, err := Stat(child)
	if err != nil {
		t.Fatal(err)
	}
	if info.VirtualSize != 3<<30 || !info.IsDifferencing || info.Parent == nil {
		t.Fatalf("info = %+v", info)
	}
	if _, err := Stat(filepath.Join(dir, "missing.vhdx")); err == nil {
		t.Fatal("Stat of a missing file succeeded")
	}
}

func removeFile(p string) error { return os.Remove(p) }
