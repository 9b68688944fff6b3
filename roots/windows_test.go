//go:build windows

package roots

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/hvport/hvport/errs"
)

// These run only on a Windows runner (doc.go: "Needs Windows CI"); on Linux
// they are compiled (GOOS=windows go test -c) but cannot run.

// Implementation note 1: cross-check our Windows grammar against
// path/filepath as built for Windows.
func TestWindowsCrossCheckFilepath(t *testing.T) {
	for _, row := range checklist {
		accepted := append([]string(nil), row.acceptGiven...)
		for _, in := range row.accept {
			for _, root := range winRoots {
				accepted = append(accepted, root+`\`+in)
			}
		}
		for _, p := range accepted {
			root, rel, err := Check(Windows, winRoots, p)
			if err != nil {
				t.Fatalf("row %s: %q: %v", row.n, p, err)
			}
			if !filepath.IsAbs(p) || len(filepath.VolumeName(p)) != 2 {
				t.Errorf("row %s: filepath says %q is not an absolute drive path", row.n, p)
			}
			if len(rel) > 0 && !filepath.IsLocal(filepath.Join(rel...)) {
				t.Errorf("row %s: filepath says %q below %s is not local", row.n, rel, root)
			}
			if want := filepath.Join(append([]string{root}, rel...)...); !strings.EqualFold(filepath.Clean(p), want) {
				t.Errorf("row %s: Clean(%q) = %q, Check says %q", row.n, p, filepath.Clean(p), want)
			}
		}
		if row.n == "5" || row.n == "6" || row.n == "7" || row.n == "8" {
			for _, p := range row.refuseGiven {
				if filepath.IsAbs(p) && len(filepath.VolumeName(p)) == 2 {
					t.Errorf("row %s: filepath calls %q a drive path; Check refuses it", row.n, p)
				}
			}
		}
	}
}

type winEnv struct {
	root, outside string
	set           *Set
}

func newWinEnv(t *testing.T) *winEnv {
	t.Helper()
	parent, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &winEnv{root: filepath.Join(parent, "root"), outside: filepath.Join(parent, "outside")}
	mkdir(t, e.root)
	writeFile(t, filepath.Join(e.outside, "secret"))
	if e.set, err = New("import", []string{e.root}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Row 17: a junction inside a root is refused, and so is everything below it.
func TestWindowsJunction(t *testing.T) {
	e := newWinEnv(t)
	j := filepath.Join(e.root, "j")
	if out, err := exec.Command("cmd", "/c", "mklink", "/J", j, e.outside).CombinedOutput(); err != nil {
		t.Skipf("row 17: mklink /J failed: %v %s", err, out)
	}
	if fi, err := os.Lstat(j); err == nil {
		t.Logf("junction mode: %v", fi.Mode())
	}
	for _, p := range []string{j, filepath.Join(j, "secret"), filepath.Join(j, "new")} {
		_, err := e.set.Resolve("directory", p)
		wantReason(t, err, errs.PathForbidden, "directory", "junction")
	}
}

// Row 18: a Windows symlink (needs the privilege or developer mode).
func TestWindowsSymlink(t *testing.T) {
	e := newWinEnv(t)
	l := filepath.Join(e.root, "l")
	if err := os.Symlink(e.outside, l); err != nil {
		t.Skipf("row 18: cannot create a symlink: %v", err)
	}
	_, err := e.set.Resolve("directory", filepath.Join(l, "secret"))
	wantReason(t, err, errs.PathForbidden, "directory", "symbolic link")
}

// Row 20: NumberOfLinks from GetFileInformationByHandle.
func TestWindowsHardLink(t *testing.T) {
	e := newWinEnv(t)
	a := filepath.Join(e.root, "a.vhdx")
	writeFile(t, a)
	if _, err := e.set.ResolveFile("source", a); err != nil {
		t.Fatalf("one link: %v", err)
	}
	if err := os.Link(a, filepath.Join(e.root, "b.vhdx")); err != nil {
		t.Skipf("row 20: cannot create a hard link: %v", err)
	}
	_, err := e.set.ResolveFile("source", a)
	wantReason(t, err, errs.PathForbidden, "source", "hard links are not accepted")
}

// Row 14: the real 8.3 alias of an existing long name is refused.
func TestWindowsShortName(t *testing.T) {
	e := newWinEnv(t)
	long := filepath.Join(e.root, "Long Directory Name")
	mkdir(t, long)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	lp, err := windows.UTF16PtrFromString(long)
	if err != nil {
		t.Fatal(err)
	}
	n, err := windows.GetShortPathName(lp, &buf[0], uint32(len(buf)))
	if err != nil || n == 0 {
		t.Skipf("row 14: GetShortPathName: %v", err)
	}
	short := filepath.Base(windows.UTF16ToString(buf[:n]))
	if strings.EqualFold(short, filepath.Base(long)) {
		t.Skip("row 14: 8.3 name generation is off on this volume")
	}
	_, err = e.set.Resolve("directory", filepath.Join(e.root, short, "x"))
	wantReason(t, err, errs.PathForbidden, "directory", "8.3")
}

// Rows 10, 11: device names never reach the file system.
func TestWindowsDeviceNames(t *testing.T) {
	e := newWinEnv(t)
	for _, name := range []string{"NUL", "con.vhdx", "COM1 ", "COM¹"} {
		_, err := e.set.Resolve("directory", filepath.Join(e.root, name))
		wantKind(t, err, errs.PathForbidden, "directory")
	}
}
