//go:build unix

package roots

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/hvport/hvport/errs"
)

// A path outside the roots gets byte-for-byte the same error whether it
// exists or not, and the error does not repeat it: no existence oracle.
func TestResolveOutsideIsNoOracle(t *testing.T) {
	e := newPosixEnv(t)
	other, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mkdir(t, filepath.Join(other, "etc"))
	writeFile(t, filepath.Join(other, "etc", "passwd"))

	var first *errs.Error
	for _, p := range []string{
		filepath.Join(other, "etc"), filepath.Join(other, "missing"),
		filepath.Join(other, "etc", "passwd"), filepath.Join(other, "etc", "passwd", "x"),
		filepath.Join(other, "CON"), // component rules are for paths below a root
		e.outside, e.outside + "/secret",
	} {
		_, err := e.set.Resolve("directory", p)
		got := wantKind(t, err, errs.PathForbidden, "directory")
		if got.Msg != `field "directory": path is outside the import roots` {
			t.Errorf("%s: message %q", p, got.Msg)
		}
		if strings.Contains(err.Error(), other) || strings.Contains(err.Error(), e.outside) {
			t.Errorf("%s: error repeats the path: %v", p, err)
		}
		if !reflect.DeepEqual(got.Extra, map[string]any{"roots": []string{e.root}}) {
			t.Errorf("%s: Extra %v", p, got.Extra)
		}
		if first == nil {
			first = got
		} else if err.Error() != first.Error() || !reflect.DeepEqual(got, first) {
			t.Errorf("%s: error %#v differs from %#v", p, got, first)
		}
	}
}

func TestResolveStates(t *testing.T) {
	e := newPosixEnv(t)
	mkdir(t, filepath.Join(e.root, "vm", "Virtual Hard Disks"))
	writeFile(t, filepath.Join(e.root, "vm", "Virtual Hard Disks", "disk.vhdx"))
	for _, c := range []struct {
		in            string
		rel           string
		exists, isDir bool
	}{
		{e.root, "", true, true},
		{e.root + "/", "", true, true},
		{e.root + "/vm", "vm", true, true},
		{e.root + "//vm/Virtual Hard Disks/", "vm/Virtual Hard Disks", true, true},
		{e.root + "/vm/Virtual Hard Disks/disk.vhdx", "vm/Virtual Hard Disks/disk.vhdx", true, false},
		{e.root + "/vm/new", "vm/new", false, false},
		{e.root + "/new/deeper/still", "new/deeper/still", false, false},
	} {
		p, err := e.set.Resolve("directory", c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		want := Path{Root: e.root, Rel: c.rel, Abs: filepath.Join(e.root, c.rel), Exists: c.exists, IsDir: c.isDir}
		if p != want {
			t.Errorf("%s: %+v, want %+v", c.in, p, want)
		}
	}
	_, err := e.set.Resolve("directory", e.root+"/vm/Virtual Hard Disks/disk.vhdx/x")
	wantReason(t, err, errs.Invalid, "directory", "a component is a file")
}

// Links are refused outright, dangling or pointing inside the same root
// (row 18, the kubectl cp lesson).
func TestResolveRefusesLinksEvenInside(t *testing.T) {
	e := newPosixEnv(t)
	mkdir(t, filepath.Join(e.root, "sub"))
	symlink(t, "sub", filepath.Join(e.root, "to-sub"))
	symlink(t, filepath.Join(e.root, "sub"), filepath.Join(e.root, "abs-to-sub"))
	symlink(t, "nowhere", filepath.Join(e.root, "dangling"))
	symlink(t, "to-sub", filepath.Join(e.root, "chain"))
	for _, p := range []string{"to-sub", "to-sub/x", "abs-to-sub", "dangling", "dangling/new", "chain/x"} {
		_, err := e.set.Resolve("settings.targetResourcePaths[0]", filepath.Join(e.root, p))
		wantReason(t, err, errs.PathForbidden, "settings.targetResourcePaths[0]", "symbolic link")
	}
}

func TestResolveRefusesSpecialFiles(t *testing.T) {
	e := newPosixEnv(t)
	if err := syscall.Mkfifo(filepath.Join(e.root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(e.root, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, p := range []string{"fifo", "fifo/x", "sock"} {
		_, err := e.set.Resolve("directory", filepath.Join(e.root, p))
		wantReason(t, err, errs.PathForbidden, "directory", "device, pipe or socket")
	}
	_, err = e.set.ResolveFile("source", filepath.Join(e.root, "fifo"))
	wantReason(t, err, errs.PathForbidden, "source", "device, pipe or socket")

	if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no /dev/null character device")
	}
	dev, err := New("dev", []string{"/dev"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dev.Resolve("directory", "/dev/null")
	wantReason(t, err, errs.PathForbidden, "directory", "device, pipe or socket")
}

// Row 21 with a real mount point: /proc under a root of "/".
func TestResolveRealMountPoint(t *testing.T) {
	var root, proc syscall.Stat_t
	if syscall.Stat("/", &root) != nil || syscall.Stat("/proc/self", &proc) != nil || root.Dev == proc.Dev {
		t.Skip("row 21: /proc is not a separate file system here; the injected-device test in the checklist covers the check")
	}
	s, err := New("all", []string{"/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/proc", "/proc/1", "/proc/new"} {
		_, err := s.Resolve("directory", p)
		wantReason(t, err, errs.PathForbidden, "directory", "mount point")
	}
}

func TestResolveFile(t *testing.T) {
	e := newPosixEnv(t)
	writeFile(t, filepath.Join(e.root, "vm", "disk.vhdx"))
	p, err := e.set.ResolveFile("source", e.root+"/vm/disk.vhdx")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Path{Root: e.root, Rel: "vm/disk.vhdx", Abs: e.root + "/vm/disk.vhdx", Exists: true}); p != want {
		t.Fatalf("%+v, want %+v", p, want)
	}
	_, err = e.set.ResolveFile("source", e.root+"/vm/missing.vhdx")
	wantReason(t, err, errs.NotFound, "source", "no such file")
	_, err = e.set.ResolveFile("source", e.root+"/vm")
	wantReason(t, err, errs.Invalid, "source", "directory")
	_, err = e.set.ResolveFile("source", e.root)
	wantReason(t, err, errs.Invalid, "source", "directory")
	// Outside and lexical refusals come first, as in Resolve.
	_, err = e.set.ResolveFile("source", e.outside+"/secret")
	wantReason(t, err, errs.PathForbidden, "source", "outside the import roots")
	_, err = e.set.ResolveFile("source", e.root+"/vm/disk.vhdx:stream")
	wantReason(t, err, errs.PathForbidden, "source", "alternate data stream")
}

// A root replaced after New, by a link or by another directory, is not
// worked in.
func TestResolveRootReplaced(t *testing.T) {
	for name, replace := range map[string]func(e *posixEnv){
		"link":      func(e *posixEnv) { symlink(t, e.outside, e.root) },
		"directory": func(e *posixEnv) { writeFile(t, e.root+"/secret") },
	} {
		e := newPosixEnv(t)
		if err := os.Rename(e.root, e.root+".old"); err != nil {
			t.Fatal(err)
		}
		replace(e)
		for _, resolve := range []func(string, string) (Path, error){e.set.Resolve, e.set.ResolveFile} {
			_, err := resolve("directory", e.root+"/secret")
			if err == nil || errs.KindOf(err) != errs.Internal || !strings.Contains(err.Error(), "root cannot be used") {
				t.Errorf("%s: error %v, want an internal error about the root", name, err)
			}
		}
	}
}

func TestResolveUnreadableComponent(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	e := newPosixEnv(t)
	mkdir(t, filepath.Join(e.root, "locked", "x"))
	if err := os.Chmod(filepath.Join(e.root, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(e.root, "locked"), 0o755)
	_, err := e.set.Resolve("directory", e.root+"/locked/x")
	wantReason(t, err, errs.PathForbidden, "directory", "cannot be read")
}
