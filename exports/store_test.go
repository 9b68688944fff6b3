package exports

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/errs"
)

func TestResolveConfinesToTheExportRoots(t *testing.T) {
	root := filepath.Join(t.TempDir(), "exports")
	s, err := NewStore(StoreOptions{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	ok := []string{root, filepath.Join(root, "a"), filepath.Join(root, "a", "b") + string(filepath.Separator)}
	for _, p := range ok {
		if _, err := s.Resolve("directory", p); err != nil {
			t.Errorf("%s refused: %v", p, err)
		}
	}
	// ".." is refused outright, even when it would stay inside.
	bad := []string{filepath.Dir(root), root + "2", root + "/a/../b", root + "/../exports2", root + "/../..", "relative/dir"}
	for _, p := range bad {
		if _, err := s.Resolve("directory", p); !errs.Is(err, errs.PathForbidden) {
			t.Errorf("%s accepted (%v)", p, err)
		}
	}
	// A link inside the root that leads out of it.
	out := t.TempDir()
	if err := os.Symlink(out, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve("directory", filepath.Join(root, "link", "x")); !errs.Is(err, errs.PathForbidden) {
		t.Errorf("symlink escape accepted: %v", err)
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

func TestSweepRecoversWhatACrashLeftComplete(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(StoreOptions{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	complete := func(dir, id string) {
		os.MkdirAll(filepath.Join(dir, "Virtual Machines"), 0o755)
		os.WriteFile(filepath.Join(dir, "Virtual Machines", "x.vmcx"), []byte("{}"), 0o644)
		if err := writeManifest(dir, &Manifest{Format: manifestFormat, ID: id, VM: VMRef{ID: "vm"}}); err != nil {
			t.Fatal(err)
		}
	}
	// 1. Crash between moving the old export aside and publishing the new
	//    one: the old one goes back.
	complete(filepath.Join(root, hiddenName(retiredPrefix, "11111111-1111-1111-1111-111111111111", "old")), "old-id")
	// 2. Crash after the manifest, before the rename: published.
	complete(filepath.Join(root, hiddenName(stagingPrefix, "22222222-2222-2222-2222-222222222222", "new")), "new-id")
	// 2b. The same in subdirectory mode (layout in staging/<VM name>).
	complete(filepath.Join(root, hiddenName(stagingPrefix, "33333333-3333-3333-3333-333333333333", "vm1"), "vm1"), "sub-id")
	// 3. Crash mid-copy: no manifest, removed.
	os.MkdirAll(filepath.Join(root, hiddenName(stagingPrefix, "44444444-4444-4444-4444-444444444444", "partial"), "Virtual Hard Disks"), 0o755)
	// 4. A complete staging whose destination got taken meanwhile: removed,
	//    the destination untouched.
	os.MkdirAll(filepath.Join(root, "taken"), 0o755)
	os.WriteFile(filepath.Join(root, "taken", "mine.txt"), []byte("x"), 0o644)
	complete(filepath.Join(root, hiddenName(stagingPrefix, "55555555-5555-5555-5555-555555555555", "taken")), "late-id")

	s.SweepStaging()
	ids := map[string]string{}
	for _, e := range s.List() {
		ids[e.Manifest.ID] = filepath.Base(e.Dir)
	}
	if ids["old-id"] != "old" || ids["new-id"] != "new" || ids["sub-id"] != "vm1" || len(ids) != 3 {
		t.Fatalf("after the sweep: %v", ids)
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".hvport-*")); len(left) != 0 {
		t.Fatalf("left: %v", left)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "taken", "mine.txt")); string(b) != "x" {
		t.Fatal("a taken destination was touched")
	}
}
