package roots

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/errs"
)

// posixEnv is a real root on disk with neighbours that must stay out of
// reach:
//
//	parent/
//	  root/            the import root
//	  root-evil/x      prefix confusion (row 16)
//	  root2/           prefix confusion (row 16)
//	  ROOT/x           case alias (row 15)
//	  outside/secret   a sentinel a link could reach
type posixEnv struct {
	parent, root, outside string
	set                   *Set
}

func newPosixEnv(t testing.TB) *posixEnv {
	t.Helper()
	parent, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &posixEnv{parent: parent, root: filepath.Join(parent, "root"), outside: filepath.Join(parent, "outside")}
	for _, d := range []string{"root", "root-evil/x", "root2", "ROOT/x", "outside"} {
		mkdir(t, filepath.Join(parent, d))
	}
	writeFile(t, filepath.Join(e.outside, "secret"))
	if e.set, err = New("import", []string{e.root}); err != nil {
		t.Fatal(err)
	}
	return e
}

func mkdir(t testing.TB, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, p string) {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	mkdir(t, filepath.Dir(link))
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// wantKind asserts that err is an *errs.Error of kind k naming field, and
// returns it.
func wantKind(t testing.TB, err error, k errs.Kind, field string) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errs.Error", err, err)
	}
	if errs.KindOf(err) != k {
		t.Fatalf("kind = %v, want %v (%v)", errs.KindOf(err), k, err)
	}
	if len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].Reason == "" {
		t.Fatalf("fields = %+v, want one naming %q with a reason", e.Fields, field)
	}
	if !strings.Contains(e.Msg, field) {
		t.Fatalf("message %q does not name the field %q", e.Msg, field)
	}
	return e
}

// wantReason asserts a refusal whose field reason contains sub.
func wantReason(t testing.TB, err error, k errs.Kind, field, sub string) {
	t.Helper()
	e := wantKind(t, err, k, field)
	if !strings.Contains(e.Fields[0].Reason, sub) {
		t.Fatalf("reason %q does not contain %q", e.Fields[0].Reason, sub)
	}
}

// snapshot lists every entry under dir with its type and size: Resolve
// must leave it unchanged.
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.Mode().String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func nativeSeparator() string { return string(filepath.Separator) }
