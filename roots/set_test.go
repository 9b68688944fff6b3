package roots

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	writeFile(t, file)
	for name, dirs := range map[string][]string{
		"none":     nil,
		"relative": {"exports"},
		"missing":  {filepath.Join(dir, "missing")},
		"file":     {file},
		"one bad":  {dir, "relative"},
	} {
		if s, err := New("export", dirs); err == nil {
			t.Errorf("%s: New(%q) = %v, want an error", name, dirs, s.Dirs())
		}
	}
}

// The canonical form is compared and used; the configured spelling of a
// root reached through a symlink (/tmp → /private/tmp) is accepted as input
// and mapped onto it.
func TestNewCanonicalAndConfiguredSpelling(t *testing.T) {
	if Native() != POSIX {
		t.Skip("uses a directory symlink; windows_test.go covers Windows")
	}
	parent, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(parent, "real")
	mkdir(t, real)
	link := filepath.Join(parent, "link")
	symlink(t, "real", link)

	s, err := New("export", []string{link + "/", real})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "export" || !slices.Equal(s.Dirs(), []string{real}) {
		t.Fatalf("Name %q Dirs %q, want export and [%s] (the duplicate dropped)", s.Name(), s.Dirs(), real)
	}
	s.Dirs()[0] = "changed"
	if s.Dirs()[0] != real {
		t.Fatal("Dirs shares its slice")
	}
	for _, in := range []string{link + "/vm", real + "/vm"} {
		p, err := s.Resolve("directory", in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if p.Root != real || p.Rel != "vm" || p.Abs != real+"/vm" || p.Exists {
			t.Fatalf("%s: %+v", in, p)
		}
	}
	for dir, want := range map[string]bool{real: true, real + "/": true, link: true, real + "/vm": false, parent: false, real + "/..": false} {
		if s.IsRoot(dir) != want {
			t.Errorf("IsRoot(%q) = %v, want %v", dir, !want, want)
		}
	}
}

func TestNewSeveralRootsInOrder(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s, err := New("import", []string{b, a})
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := filepath.EvalSymlinks(a)
	cb, _ := filepath.EvalSymlinks(b)
	if !slices.Equal(s.Dirs(), []string{cb, ca}) {
		t.Fatalf("Dirs %q, want %q", s.Dirs(), []string{cb, ca})
	}
	for _, root := range []string{ca, cb} {
		p, err := s.Resolve("directory", filepath.Join(root, "x"))
		if err != nil || p.Root != root {
			t.Errorf("%s: %+v %v", root, p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(ca, "x")); !os.IsNotExist(err) {
		t.Errorf("Resolve created something: %v", err)
	}
}
