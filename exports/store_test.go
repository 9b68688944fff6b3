package exports

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/errs"
)

func TestCheckUnderRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "exports")
	s, err := NewStore(StoreOptions{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	ok := []string{root, filepath.Join(root, "a"), filepath.Join(root, "a", "..", "b"), root + string(filepath.Separator)}
	for _, p := range ok {
		if err := s.CheckUnderRoot("directory", p); err != nil {
			t.Errorf("%s refused: %v", p, err)
		}
	}
	bad := []string{filepath.Dir(root), root + "2", filepath.Join(root, "..", "exports2"), filepath.Join(root, "..", ".."), "relative/dir"}
	for _, p := range bad {
		if err := s.CheckUnderRoot("directory", p); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s accepted (%v)", p, err)
		}
	}
	// A link inside the root that leads out of it.
	out := t.TempDir()
	if err := os.Symlink(out, filepath.Join(root, "link")); err == nil {
		if err := s.CheckUnderRoot("directory", filepath.Join(root, "link", "x")); !errs.Is(err, errs.Invalid) {
			t.Errorf("symlink escape accepted: %v", err)
		}
	}
	if _, err := NewStore(StoreOptions{Roots: []string{"relative"}}); err == nil {
		t.Error("a relative root was accepted")
	}
	if _, err := NewStore(StoreOptions{}); err == nil {
		t.Error("no roots accepted")
	}
}

func TestManifestValidation(t *testing.T) {
	good := Manifest{Format: manifestFormat, ID: "id", VM: VMRef{ID: "vm"},
		Files: []File{{Path: "Virtual Machines/x.vmcx", Size: 1, SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Manifest){
		"format":   func(m *Manifest) { m.Format = 2 },
		"id":       func(m *Manifest) { m.ID = "" },
		"escape":   func(m *Manifest) { m.Files[0].Path = "../x" },
		"absolute": func(m *Manifest) { m.Files[0].Path = "/etc/passwd" },
		"hash":     func(m *Manifest) { m.Files[0].SHA256 = "abc" },
	} {
		m := good
		m.Files = append([]File(nil), good.Files...)
		mutate(&m)
		if err := m.validate(); err == nil {
			t.Errorf("%s: invalid manifest accepted", name)
		}
	}
	dir := t.TempDir()
	if err := writeManifest(dir, &good); err != nil {
		t.Fatal(err)
	}
	back, err := readManifest(dir)
	if err != nil || back.ID != "id" || len(back.Files) != 1 {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Fatalf("temporary file left: %v", left)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 10 << 20: "10.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("%d → %s, want %s", n, got, want)
		}
	}
}
