package roots

import (
	"slices"
	"strings"
	"testing"
)

// Each refusal carries its own reason: the field reason a client reads.
func TestCheckReasons(t *testing.T) {
	w, p := []string{`C:\exports`}, []string{"/srv/exports"}
	for _, c := range []struct {
		f      Flavor
		roots  []string
		in     string
		reason string
	}{
		{Windows, w, ``, "empty"},
		{Windows, w, `exports\x`, "not absolute"},
		{Windows, w, `C:x`, "drive-relative"},
		{Windows, w, `C:`, "drive-relative"},
		{Windows, w, `é:\x`, "not a letter"},
		{Windows, w, `\x`, "no drive letter"},
		{Windows, w, `\\host\share\x`, "UNC"},
		{Windows, w, `//host/share/x`, "UNC"},
		{Windows, w, `\\?\C:\exports\x`, "device namespace"},
		{Windows, w, `\\.\pipe\x`, "device namespace"},
		{Windows, w, `\??\C:\exports\x`, "NT object namespace"},
		{Windows, w, `C:\exports\a\..\b`, "'..'"},
		{Windows, w, `C:\exports\.\b`, "'.'"},
		{Windows, w, `C:\Windows\x`, "outside"},
		{Windows, w, `C:\exports\NUL.txt`, "reserved"},
		{Windows, w, `C:\exports\aux .txt`, "reserved"},
		{Windows, w, `C:\exports\COM²`, "reserved"},
		{Windows, w, `C:\exports\CLOCK$`, "reserved"},
		{Windows, w, `C:\exports\x::$DATA`, "alternate data stream"},
		{Windows, w, `C:\exports\export.`, "ends in a dot or a space"},
		{Windows, w, `C:\exports\export `, "ends in a dot or a space"},
		{Windows, w, `C:\exports\EXPORT~1`, "8.3"},
		{Windows, w, `C:\exports\%2e%2e`, "percent-encoded"},
		{Windows, w, "C:\\exports\\a\x00b", "control character"},
		{Windows, w, `C:\exports\a*b`, `'*'`},
		{Windows, w, "C:\\exports\\a\u202eb", "bidirectional"},
		{Windows, w, `C:\exports\．．`, "fullwidth"},
		{Windows, w, `C:\exports\` + strings.Repeat("x", 256), "longer than 255"},
		{Windows, w, `C:\exports\` + strings.Repeat(`x\`, 16400), "longer than 32767"},
		{Windows, w, "C:\\exports\\\xff", "UTF-8"},
		{POSIX, p, `srv/exports/x`, "not absolute"},
		{POSIX, p, `/srv/exports/a\b`, "backslash"},
		{POSIX, p, `/srv/exports/a:b`, "alternate data stream"},
		{POSIX, p, `/srv/exports/con`, "reserved"},
		{POSIX, p, `/srv/exports/x.`, "ends in a dot"},
		{POSIX, p, `/srv/exports/../x`, "'..'"},
		{POSIX, p, `/srv/x`, "outside"},
	} {
		_, _, err := Check(c.f, c.roots, c.in)
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%v %q: error %v, want one containing %q", c.f, c.in, err, c.reason)
		}
	}
}

// Containment is component-wise, never a string prefix (row 16).
func TestCheckPrefixConfusion(t *testing.T) {
	for _, in := range []string{`D:\exports-evil\x`, `D:\exports2`, `D:\exports2\x`, `D:\export`, `D:\exports.\x`, `D:\exports \x`} {
		if _, _, err := Check(Windows, []string{`D:\exports`}, in); err == nil {
			t.Errorf("%q accepted for root D:\\exports", in)
		}
	}
	for _, in := range []string{"/root2", "/root2/x", "/root-evil/x", "/roo", "/"} {
		if _, _, err := Check(POSIX, []string{"/root"}, in); err == nil {
			t.Errorf("%q accepted for root /root", in)
		}
	}
	// The root given with a trailing separator means the same directory.
	if _, _, err := Check(POSIX, []string{"/root/"}, "/root2/x"); err == nil {
		t.Error("/root2/x accepted for root /root/")
	}
	if _, rel, err := Check(POSIX, []string{"/root/"}, "/root/x"); err != nil || !slices.Equal(rel, []string{"x"}) {
		t.Errorf("/root/x for root /root/: %q %v", rel, err)
	}
}

// Windows compares ASCII case-insensitively, returns the root as given and
// keeps the client's spelling below it; POSIX is case-sensitive (row 15).
func TestCheckCase(t *testing.T) {
	root, rel, err := Check(Windows, []string{`C:\Exports`}, `c:\EXPORTS\Vm 1\disk.VHDX`)
	if err != nil || root != `C:\Exports` || !slices.Equal(rel, []string{"Vm 1", "disk.VHDX"}) {
		t.Errorf("case alias: %q %q %v", root, rel, err)
	}
	for _, in := range []string{"/Root/x", "/ROOT", "/root/../Root/x"} {
		if _, _, err := Check(POSIX, []string{"/root"}, in); err == nil {
			t.Errorf("POSIX %q accepted for root /root", in)
		}
	}
	// Non-ASCII letters must match exactly: NTFS's upcase table is not
	// Unicode folding, so an alias is refused rather than guessed.
	if _, _, err := Check(Windows, []string{`C:\Données`}, `c:\dONNées\x`); err != nil {
		t.Errorf("ASCII letters of a non-ASCII root: %v", err)
	}
	for _, in := range []string{`C:\DONNÉES\x`, "C:\\\u212Avm\\x"} { // É, KELVIN SIGN
		if _, _, err := Check(Windows, []string{`C:\Données`, `C:\kvm`}, in); err == nil {
			t.Errorf("%q accepted as an alias", in)
		}
	}
}

func TestCheckRootItselfAndNesting(t *testing.T) {
	for _, in := range []string{`C:\exports`, `c:\exports\`, `C:/exports//`} {
		root, rel, err := Check(Windows, winRoots, in)
		if err != nil || root != `C:\exports` || len(rel) != 0 {
			t.Errorf("%q: %q %q %v", in, root, rel, err)
		}
	}
	if root, rel, err := Check(Windows, []string{`E:\`}, `e:\x`); err != nil || root != `E:\` || !slices.Equal(rel, []string{"x"}) {
		t.Errorf("drive root: %q %q %v", root, rel, err)
	}
	if root, rel, err := Check(POSIX, []string{"/"}, "//x//y"); err != nil || root != "/" || !slices.Equal(rel, []string{"x", "y"}) {
		t.Errorf("/ root: %q %q %v", root, rel, err)
	}
	// The most specific root wins, whatever the order.
	for _, roots := range [][]string{{"/a", "/a/b"}, {"/a/b", "/a"}} {
		root, rel, err := Check(POSIX, roots, "/a/b/c")
		if err != nil || root != "/a/b" || !slices.Equal(rel, []string{"c"}) {
			t.Errorf("roots %q: %q %q %v", roots, root, rel, err)
		}
	}
}

// A malformed root matches nothing; it never widens what is accepted.
func TestCheckMalformedRoots(t *testing.T) {
	for _, c := range []struct {
		f     Flavor
		roots []string
		in    string
	}{
		{POSIX, []string{"srv"}, "/srv/x"},
		{POSIX, []string{""}, "/x"},
		{POSIX, []string{"/srv/../etc"}, "/etc/x"},
		{Windows, []string{`\\host\share`}, `\\host\share\x`},
		{Windows, []string{`exports`}, `C:\exports\x`},
		{Windows, []string{`C:exports`}, `C:\exports\x`},
		{Windows, nil, `C:\x`},
	} {
		if _, _, err := Check(c.f, c.roots, c.in); err == nil {
			t.Errorf("%v roots %q: %q accepted", c.f, c.roots, c.in)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, f := range []Flavor{POSIX, Windows} {
		for _, name := range []string{`a\b`, `a/b`, `/`, `\`} {
			if err := CheckName(f, name); err == nil {
				t.Errorf("%v: %q accepted", f, name)
			}
		}
	}
	if err := CheckName(Windows, `a\b`); err == nil || !strings.Contains(err.Error(), "separator") {
		t.Errorf("Windows a\\b: %v", err)
	}
	if err := CheckName(POSIX, `a\b`); err == nil || !strings.Contains(err.Error(), "backslash") {
		t.Errorf("POSIX a\\b: %v", err)
	}
}

func TestNative(t *testing.T) {
	if (Native() == Windows) != (strings.Contains(nativeSeparator(), `\`)) {
		t.Errorf("Native() = %v on a system whose separator is %q", Native(), nativeSeparator())
	}
}
