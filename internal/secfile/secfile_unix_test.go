//go:build !windows

package secfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// needPrivateAccess: on unix the owner keeps access to a private file.
func needPrivateAccess(*testing.T) {}

func TestWritePrivateMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens.json")
	for range 2 { // create, then replace
		if err := WritePrivate(p, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
		}
	}
	dir := filepath.Join(t.TempDir(), "d")
	os.Mkdir(dir, 0o755)
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v; want 0700", fi.Mode())
	}
}

func TestCheckPrivateModes(t *testing.T) {
	dir := t.TempDir()
	for mode, want := range map[os.FileMode]string{
		0o600: "", 0o400: "", 0o700: "",
		0o644: "readable by others (mode 0644); chmod 600 it",
		0o640: "readable by others (mode 0640)",
		0o604: "readable by others (mode 0604)",
		0o620: "writable by others (mode 0620)",
		0o602: "writable by others (mode 0602)",
		0o601: "accessible by others (mode 0601)",
	} {
		p := filepath.Join(dir, "tokens.json")
		os.WriteFile(p, []byte("x"), 0o600)
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		err := CheckPrivate(p)
		switch {
		case want == "" && err != nil:
			t.Errorf("%04o refused: %v", mode, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p)):
			t.Errorf("%04o: %v; want an error naming %s and %q", mode, err, p, want)
		}
	}

	// A link is judged by the file it leads to.
	target := filepath.Join(dir, "open")
	os.WriteFile(target, []byte("x"), 0o644)
	os.Chmod(target, 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	if err := CheckPrivate(link); err == nil {
		t.Error("a link to a 0644 file passed")
	}
}

func TestCheckPrivateOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	p := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(p, []byte("x"), 0o600)
	if err := os.Chown(p, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := CheckPrivate(p); err == nil || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Fatalf("a file of another user passed: %v", err)
	}
}
