package secfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWritePrivateReplacesAtomically(t *testing.T) {
	needPrivateAccess(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "key.pem")
	// An old, world-readable file: the new content must not inherit its mode.
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePrivate(p, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "secret" {
		t.Fatalf("content %q", b)
	}
	if err := CheckPrivate(p); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left in the folder: %v", entries)
	}

	// A failed replace (a directory is in the way) leaves what was there
	// and no temporary file.
	blocked := filepath.Join(dir, "blocked")
	os.MkdirAll(filepath.Join(blocked, "x"), 0o700)
	if err := WritePrivate(blocked, []byte("x")); err == nil {
		t.Fatal("replaced a non-empty directory")
	}
	if fi, err := os.Stat(filepath.Join(blocked, "x")); err != nil || !fi.IsDir() {
		t.Fatal("the directory in the way was touched")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("left in the folder: %v", entries)
	}
	if err := WritePrivate(filepath.Join(dir, "missing", "x"), []byte("x")); err == nil {
		t.Fatal("wrote into a missing folder")
	}
}

func TestMkdirPrivate(t *testing.T) {
	needPrivateAccess(t)
	dir := filepath.Join(t.TempDir(), "a", "tls")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	if err := MkdirPrivate(dir); err != nil { // exists: fine
		t.Fatal(err)
	}
	if err := WritePrivate(filepath.Join(dir, "k"), []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := CheckPrivate(dir); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPrivateMissingFile(t *testing.T) {
	if err := CheckPrivate(filepath.Join(t.TempDir(), "none")); err != nil {
		t.Fatalf("missing file: %v", err)
	}
}
