package roots

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var posixRoots = []string{"/srv/exports", "/data/import"}

// checklistInputs is every input of the checklist table, as given and
// joined to a root: the seed corpus of both fuzz targets.
func checklistInputs() []string {
	var in []string
	for _, row := range checklist {
		for _, list := range [][]string{row.refuse, row.refuseGiven, row.accept, row.acceptGiven, row.refuseNames, row.acceptNames} {
			in = append(in, list...)
		}
	}
	return in
}

// FuzzCheck: Check never panics, and whatever it accepts an independent
// oracle places inside the root it returned (goal P2: 0 inputs accepted
// that resolve outside the roots). Each input is tried as given and
// joined to every root, so accepted paths are common.
func FuzzCheck(f *testing.F) {
	for _, in := range checklistInputs() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range []string{in, winRoots[0] + `\` + in, winRoots[1] + "/" + in} {
			if root, rel, err := Check(Windows, winRoots, p); err == nil {
				windowsOracle(t, p, root, rel)
			}
		}
		for _, p := range []string{in, posixRoots[0] + "/" + in, posixRoots[1] + "//" + in} {
			if root, rel, err := Check(POSIX, posixRoots, p); err == nil {
				posixOracle(t, p, root, rel)
			}
		}
		if CheckName(Windows, in) == nil {
			if _, rel, err := Check(Windows, winRoots, winRoots[0]+`\`+in); err != nil || !slices.Equal(rel, []string{in}) {
				t.Fatalf("name %q accepted by CheckName but not as a component: %v", in, err)
			}
		}
	})
}

// windowsOracle: with '/' read as '\' and runs of '\' collapsed, the
// lower-cased path is the lower-cased root or starts with it plus '\';
// no '..' or '.' component, no ':' after the drive, and nothing Win32
// would alter or refuse in what lies below the root.
func windowsOracle(t *testing.T, p, root string, rel []string) {
	t.Helper()
	if !slices.Contains(winRoots, root) {
		t.Fatalf("%q: root %q is not one of the roots", p, root)
	}
	s := strings.ReplaceAll(p, "/", `\`)
	for strings.Contains(s, `\\`) {
		s = strings.ReplaceAll(s, `\\`, `\`)
	}
	s = strings.TrimSuffix(s, `\`)
	ls, lr := strings.ToLower(s), strings.ToLower(root)
	if ls != lr && !strings.HasPrefix(ls, lr+`\`) {
		t.Fatalf("%q accepted, but it is not inside %q", p, root)
	}
	if len(s) < 3 || s[1] != ':' || s[2] != '\\' || strings.Contains(s[2:], ":") {
		t.Fatalf("%q accepted: not a drive path, or a ':' after the drive", p)
	}
	for _, c := range strings.Split(s, `\`) {
		if c == "." || c == ".." {
			t.Fatalf("%q accepted with a %q component", p, c)
		}
	}
	below := strings.TrimPrefix(s[len(root):], `\`)
	if got := strings.Join(rel, `\`); got != below {
		t.Fatalf("%q: rel %q, want %q", p, got, below)
	}
	belowOK(t, p, rel)
}

// posixOracle: filepath.Clean(p) is the root or has the root plus '/' as a
// prefix, p has no '..' component, and root joined with rel is Clean(p).
func posixOracle(t *testing.T, p, root string, rel []string) {
	t.Helper()
	clean := filepath.Clean(p)
	if clean != root && !strings.HasPrefix(clean, root+"/") {
		t.Fatalf("%q accepted, but it is not inside %q", p, root)
	}
	if slices.Contains(strings.Split(p, "/"), "..") {
		t.Fatalf("%q accepted with a '..' component", p)
	}
	if j := filepath.Join(append([]string{root}, rel...)...); j != clean {
		t.Fatalf("%q: root+rel %q, want %q", p, j, clean)
	}
	belowOK(t, p, rel)
}

// belowOK checks what no component below a root may hold, by other means
// than componentReason.
func belowOK(t *testing.T, p string, rel []string) {
	t.Helper()
	for _, c := range rel {
		if c == "" || len(c) > 255 || !utf8.ValidString(c) || strings.ContainsAny(c, "<>:\"/\\|?*") ||
			strings.HasSuffix(c, ".") || strings.HasSuffix(c, " ") ||
			strings.IndexFunc(c, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Fatalf("%q accepted with component %q", p, c)
		}
		if base, _, _ := strings.Cut(strings.ToLower(c), "."); slices.Contains([]string{"con", "prn", "aux", "nul"}, strings.TrimRight(base, " ")) {
			t.Fatalf("%q accepted with device name %q", p, c)
		}
	}
}

// FuzzResolve: on a real root with sentinels beside it and links planted
// inside it, whatever Resolve accepts is inside the root and reached
// without a link, and Resolve creates, removes or changes nothing (goal P2:
// 0 files created outside the roots; here: nowhere).
func FuzzResolve(f *testing.F) {
	if Native() != POSIX {
		f.Skip("the POSIX tree; Windows needs NTFS fixtures (see doc.go)")
	}
	e := newPosixEnv(f)
	mkdir(f, filepath.Join(e.root, "vm", "Virtual Hard Disks"))
	writeFile(f, filepath.Join(e.root, "vm", "Virtual Hard Disks", "disk.vhdx"))
	symlink(f, e.outside, filepath.Join(e.root, "link"))
	symlink(f, "../../outside", filepath.Join(e.root, "vm", "rel"))
	symlink(f, "vm", filepath.Join(e.root, "inside"))
	symlink(f, "nowhere", filepath.Join(e.root, "dangling"))
	before := snapshot(f, e.parent)

	for _, in := range checklistInputs() {
		f.Add(strings.ReplaceAll(in, `\`, "/"))
	}
	for _, in := range []string{"link", "link/secret", "vm/rel/secret", "inside/x", "dangling", "vm/Virtual Hard Disks/disk.vhdx",
		"../outside/secret", "../root-evil/x", e.outside, e.root + "-evil/x", "vm/new"} {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range []string{in, e.root + "/" + in} {
			got, err := e.set.Resolve("directory", p)
			if err == nil {
				if got.Root != e.root || (got.Abs != e.root && !strings.HasPrefix(got.Abs, e.root+"/")) ||
					got.Abs != filepath.Clean(p) || filepath.Join(e.root, got.Rel) != got.Abs {
					t.Fatalf("%q: accepted as %+v", p, got)
				}
				noLinkBelow(t, e.root, got)
			}
		}
		if after := snapshot(t, e.parent); after != before {
			t.Fatalf("%q: Resolve changed the tree:\n%s\nwant\n%s", in, after, before)
		}
	})
}

// noLinkBelow walks from the root to p.Abs with os.Lstat: no component may
// be a link, and Exists/IsDir must match what is there.
func noLinkBelow(t *testing.T, root string, p Path) {
	t.Helper()
	cur, exists, isDir := root, true, true
	if p.Rel != "" {
		for _, c := range strings.Split(p.Rel, "/") {
			cur = filepath.Join(cur, c)
			fi, err := os.Lstat(cur)
			if err != nil {
				exists, isDir = false, false
				break
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				t.Fatalf("%+v accepted through the link %s", p, cur)
			}
			isDir = fi.IsDir()
		}
	}
	if p.Exists != exists || p.IsDir != isDir {
		t.Fatalf("%+v: on disk exists=%v dir=%v", p, exists, isDir)
	}
}
