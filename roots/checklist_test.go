package roots

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hvport/hvport/errs"
)

// The Windows roots the lexical half of the checklist runs against.
var winRoots = []string{`C:\exports`, `D:\data\import`}

// checklistRow is one row of the 32-row Windows path checklist ("Windows
// path attacks to test", Part 3 of the project's security anchors; see
// docs/SECURITY.md): the table below is that checklist's copy in the
// repository.
type checklistRow struct {
	n, class string

	// Lexical cases. Relative inputs are joined to each root
	// (C:\exports\..\x) and also tried as given; given inputs are used
	// as they are. On POSIX the same inputs, '\' turned into '/', go
	// through Resolve on a real root.
	refuse      []string // relative: refused joined and as given
	refuseGiven []string // used as given: refused
	accept      []string // relative: accepted joined
	acceptGiven []string // Windows absolute inputs accepted as given (Windows Check only)
	// posix adds POSIX inputs that depend on the temp root.
	posix func(e *posixEnv) (refuse, accept []string)
	// fs is a file-system test run on POSIX through Resolve/ResolveFile.
	fs func(t *testing.T, e *posixEnv)
	// names go through CheckName (row 31).
	refuseNames, acceptNames []string

	// windowsCI says what of the row only a Windows runner can decide.
	windowsCI string
	// elsewhere names the package that covers the row; nothing is asserted here.
	elsewhere string
}

var checklist = []checklistRow{
	{n: "1", class: "dot-dot traversal",
		refuse: []string{`..\x`, `a\..\..\x`, `a\b\..\..\..\x`, `..`, `.\..\x`}},
	{n: "2", class: "mixed and duplicated separators",
		refuse: []string{`../x`, `..\/x`, `a//..//..//x`, `a\\\..\\x`},
		accept: []string{`a//b`, `a\\\b`, `a\/b\`}},
	{n: "3", class: "absolute DOS paths",
		refuse:      []string{`C:\Windows\Temp\x`, `c:/x`, `D:\x`},
		refuseGiven: []string{`D:\data`, `D:\data\importx`, `C:\`, `E:\exports\x`},
		acceptGiven: []string{`C:\exports\x`, `c:/exports/x`, `C:\exports`, `D:\data\import\vm\disk.vhdx`},
		posix: func(e *posixEnv) ([]string, []string) {
			return []string{e.outside + "/x", e.outside, e.parent, "/etc"}, []string{e.root + "/x", e.root, e.root + "/"}
		}},
	{n: "4", class: "drive-relative",
		refuse: []string{`C:x`, `C:..\x`, `c:`}},
	{n: "4b", class: "drive names outside A-Z (git CVE-2019-1351)",
		refuse: []string{`é:\x`, `ß:x`, `1:\x`}},
	{n: "5", class: "root-relative",
		refuseGiven: []string{`\x`, `/x`, `\..\x`, `\exports\x`}},
	{n: "6", class: "UNC",
		refuseGiven: []string{`\\host\share\x`, `//host/share/x`, `\\127.0.0.1\c$\x`, `\\localhost\C$\x`,
			`\\host@SSL@443\DavWWWRoot\x`, `\/host\share\x`, `\\host`},
		windowsCI: "0 outbound SMB/WebDAV connections needs a fake SMB listener on a Windows runner (goal P3)"},
	{n: "7", class: "DOS device / Win32 namespace",
		refuseGiven: []string{`\\?\C:\x`, `\\.\C:\x`, `\\?\UNC\host\share\x`, `\\.\UNC\host\share`,
			`\\?\Volume{01234567-89ab-cdef-0123-456789abcdef}\x`, `\\?\GLOBALROOT\Device\HarddiskVolume1\x`,
			`\\.\PhysicalDrive0`, `\\.\pipe\x`, `\\?\C:\exports\x`, `//?/C:/exports/x`, `\\.`}},
	{n: "8", class: "NT object namespace prefix (CVE-2023-45283)",
		refuse:      []string{`a\..\??\C:\x`},
		refuseGiven: []string{`\??\C:\x`, `\??\UNC\host\share`, `/??/C:/exports/x`}},
	{n: "9", class: "clean-to-absolute trick (CVE-2022-41722)",
		refuse: []string{`a/../c:/b`, `a\..\C:\Windows`}},
	{n: "10", class: "reserved device names",
		refuse: []string{`CON`, `nul`, `AUX`, `PRN`, `COM1`, `COM9`, `LPT1`, `LPT9`, `COM0`, `LPT0`,
			`CONIN$`, `CONOUT$`, `CLOCK$`, `vm\con\disk.vhdx`, `Con`}},
	{n: "11", class: "reserved names with suffixes (CVE-2023-45284)",
		refuse:    []string{`NUL.txt`, `con.vhdx`, `COM1 `, `COM1.`, `COM¹`, `LPT²`, `com³.txt`, `nul:`, `aux .txt`, `NUL.tar.gz`},
		accept:    []string{`CONSOLE`, `nullable`, `COM10`, `auxiliary.txt`, `LPT`},
		windowsCI: "which names a given Windows build treats as devices varies (golang/go#67245): check on every build we ship that each refused name is a device there and each accepted one is not"},
	{n: "12", class: "trailing dots and spaces",
		refuse: []string{`export.`, `export `, `export. .`, `dir.\x`, `...`, `vm\disk.vhdx.`}},
	{n: "13", class: "alternate data streams",
		refuse: []string{`x:stream`, `x::$DATA`, `dir::$INDEX_ALLOCATION`, `x:$I30:$INDEX_ALLOCATION`, `vm.vmcx:zone.identifier`}},
	{n: "14", class: "8.3 short names",
		refuse:    []string{`PROGRA~1`, `EXPORT~1`, `.GIT~1`, `vm\VIRTUA~1\x`},
		accept:    []string{`a~b`, `~tmp`, `x~`},
		windowsCI: "a real short name of an existing long name (8.3 generation on) and the canonical long path from the handle need NTFS"},
	{n: "15", class: "case aliases",
		refuseGiven: []string{`C:\EXPORTS\..`, `C:\EXPORTS\..\x`},
		acceptGiven: []string{`c:\EXPORTS\x`, `C:\Exports\x`, `c:\exports\X`, `d:\DATA\Import\vm`},
		posix: func(e *posixEnv) ([]string, []string) {
			return []string{e.parent + "/ROOT/x", e.parent + "/Root"}, []string{e.root + "/X"}
		},
		windowsCI: "NTFS compares through its upcase table; Check folds ASCII letters only and refuses non-ASCII aliases of a root"},
	{n: "16", class: "prefix confusion",
		refuseGiven: []string{`C:\exports-evil\x`, `C:\exports2`, `C:\exports2\x`, `D:\data\import-evil\x`, `D:\data\importx`, `C:\export`},
		posix: func(e *posixEnv) ([]string, []string) {
			return []string{e.parent + "/root-evil/x", e.parent + "/root-evil", e.parent + "/root2", e.parent + "/roo"}, nil
		}},
	{n: "17", class: "junction inside root",
		fs: func(t *testing.T, e *posixEnv) {
			// A pre-planted link to a directory outside: neither the link
			// nor anything below it, existing or to be created, is accepted.
			symlink(t, e.outside, filepath.Join(e.root, "j"))
			for _, p := range []string{"j", "j/secret", "j/new/dir"} {
				_, err := e.set.Resolve("directory", filepath.Join(e.root, p))
				wantReason(t, err, errs.PathForbidden, "directory", "symbolic link")
			}
		},
		windowsCI: "junctions and volume mount points (IO_REPARSE_TAG_MOUNT_POINT), including ones to \\\\host\\share, exist only on NTFS"},
	{n: "18", class: "symlink inside root",
		fs: func(t *testing.T, e *posixEnv) {
			mkdir(t, filepath.Join(e.root, "sub"))
			writeFile(t, filepath.Join(e.root, "sub", "disk.vhdx"))
			symlink(t, filepath.Join(e.outside, "secret"), filepath.Join(e.root, "abs-file"))
			symlink(t, e.outside, filepath.Join(e.root, "abs-dir"))
			symlink(t, "../../outside", filepath.Join(e.root, "sub", "rel"))
			symlink(t, "/nonexistent/target", filepath.Join(e.root, "dangling"))
			symlink(t, "missing-in-root", filepath.Join(e.root, "dangling-rel"))
			symlink(t, "sub", filepath.Join(e.root, "inside"))
			symlink(t, "disk.vhdx", filepath.Join(e.root, "sub", "alias.vhdx"))
			for _, p := range []string{"abs-file", "abs-dir", "abs-dir/secret", "sub/rel", "sub/rel/secret",
				"dangling", "dangling/x", "dangling-rel", "inside", "inside/disk.vhdx", "sub/alias.vhdx"} {
				_, err := e.set.Resolve("directory", filepath.Join(e.root, p))
				wantReason(t, err, errs.PathForbidden, "directory", "symbolic link")
				_, err = e.set.ResolveFile("source", filepath.Join(e.root, p))
				wantReason(t, err, errs.PathForbidden, "source", "symbolic link")
			}
			// The link's target itself is fine.
			if _, err := e.set.ResolveFile("source", filepath.Join(e.root, "sub", "disk.vhdx")); err != nil {
				t.Fatal(err)
			}
		},
		windowsCI: "Windows symlinks (file and directory kinds) need SeCreateSymbolicLinkPrivilege or developer mode"},
	{n: "19", class: "link swap race (TOCTOU)",
		windowsCI: "a swap after Resolve returns is outside what a check can decide: exports/imports create through os.Root, Hyper-V writes into a directory hvport created, and root ACLs deny non-admin writes (implementation notes 3-5); the race test needs NTFS junctions"},
	{n: "20", class: "hard links",
		fs: func(t *testing.T, e *posixEnv) {
			writeFile(t, filepath.Join(e.root, "own.vhdx"))
			if _, err := e.set.ResolveFile("source", filepath.Join(e.root, "own.vhdx")); err != nil {
				t.Fatalf("link count 1: %v", err)
			}
			if err := os.Link(filepath.Join(e.outside, "secret"), filepath.Join(e.root, "hard.vhdx")); err != nil {
				t.Skipf("row 20: cannot create a hard link here: %v", err)
			}
			_, err := e.set.ResolveFile("source", filepath.Join(e.root, "hard.vhdx"))
			wantReason(t, err, errs.PathForbidden, "source", "hard links are not accepted")
			// Two names inside the root are as bad: either may be the host's.
			if err := os.Link(filepath.Join(e.root, "own.vhdx"), filepath.Join(e.root, "twin.vhdx")); err != nil {
				t.Fatal(err)
			}
			_, err = e.set.ResolveFile("source", filepath.Join(e.root, "own.vhdx"))
			wantReason(t, err, errs.PathForbidden, "source", "hard links are not accepted")
		},
		windowsCI: "NumberOfLinks comes from GetFileInformationByHandle on Windows"},
	{n: "21", class: "mount points",
		fs: func(t *testing.T, e *posixEnv) {
			// Creating a mount needs privileges; simulate one by making the
			// set see "mnt" on another device. TestResolveRealMountPoint
			// uses a real one (/proc) when the machine has it.
			mkdir(t, filepath.Join(e.root, "mnt", "x"))
			writeFile(t, filepath.Join(e.root, "bound.vhdx"))
			real := e.set.device
			e.set.device = func(fi os.FileInfo) (uint64, bool) {
				d, ok := real(fi)
				if fi.Name() == "mnt" || fi.Name() == "bound.vhdx" {
					d++
				}
				return d, ok
			}
			defer func() { e.set.device = real }()
			for _, p := range []string{"mnt", "mnt/x", "mnt/new", "bound.vhdx"} {
				_, err := e.set.Resolve("directory", filepath.Join(e.root, p))
				wantReason(t, err, errs.PathForbidden, "directory", "mount point")
			}
			if _, err := e.set.Resolve("directory", filepath.Join(e.root, "other")); err != nil {
				t.Fatal(err)
			}
		},
		windowsCI: "volume mount points are reparse points on NTFS; that they are refused (and that ResolveFile's volume serial check fires) needs a second volume"},
	{n: "22", class: "mapped drives / SUBST / DFS",
		refuseGiven: []string{`Z:\x`, `\\corp\dfs\exports\x`},
		windowsCI:   "drive type of a mapped, SUBST or DFS drive comes from the volume; a root configured on one must be refused by New"},
	{n: "23", class: "encodings",
		refuse: []string{`%2e%2e%5c`, `%252e%252e%255c`, `..%c0%af`, `%2E%2E%2Fx`, `x%2F`, `%5c`, `a%00`,
			jsonOnce(`"\u002e\u002e\u005cx"`)},
		accept: []string{`100% done`, `a%zz`}},
	{n: "24", class: "Unicode look-alikes and bidi controls",
		refuse: []string{"．．＼x", "vm＂x", "disk\u202Exdhv.exe", "a\u200Eb", "a\u2066b", "ｘ"},
		accept: []string{"Cafe\u0301", "Café"}},
	{n: "25", class: "control characters",
		refuse: []string{"a\x00b", "a\rb", "a\nb", "a\tb", "a\x7fb", "\x1b[31m"}},
	{n: "26", class: "illegal characters",
		refuse: []string{`a<b`, `a>b`, `a"b`, `a|b`, `a?b`, `a*b`, `*`, `?`}},
	{n: "27", class: "length extremes",
		refuse:      []string{strings.Repeat("a", 256), longPath(130, 255), `.`},
		refuseGiven: []string{``},
		accept:      []string{strings.Repeat("a", 255), longPath(12, 40), longPath(2, 255)}},
	{n: "28", class: "extension tricks",
		refuse: []string{`vm.vmcx.`, `disk.vhdx::$DATA`, `disk.vhdx `},
		accept: []string{`disk.VHDX`, `vm.vmcx`}},
	{n: "29", class: "package-internal references (import)",
		elsewhere: "covered by imports: references are resolved with Resolve/ResolveFile there (goal P5)"},
	{n: "30", class: "name collisions",
		elsewhere: "covered by imports/exports: 409 and create-exclusive are decided where the directory is created"},
	{n: "31", class: "VM names as input (goal P6)",
		refuseNames: []string{`..`, `.`, `CON`, `a:b`, `x.`, `x `, strings.Repeat("v", 300), `a/b`, `nul.vm`, ``},
		acceptNames: []string{`web-01`, `Café`, `日本語の仮想マシン`, `Straße`, `web 01`, strings.Repeat("v", 255)}},
	{n: "32", class: "positive controls",
		accept: []string{`My Exports\vm 1`, `données\日本\ß`, `a\b\c\d\e\f\g`, longPath(12, 40), `vm.v2`},
		fs: func(t *testing.T, e *posixEnv) {
			for _, p := range []string{"My Exports/vm 1", "données/日本/ß", longPath(12, 40)} {
				p = strings.ReplaceAll(p, `\`, "/")
				mkdir(t, filepath.Join(e.root, p))
				got, err := e.set.Resolve("directory", filepath.Join(e.root, p))
				if err != nil {
					t.Fatalf("%q: %v", p, err)
				}
				if !got.Exists || !got.IsDir || got.Abs != filepath.Join(e.root, p) || got.Rel != p {
					t.Fatalf("%q: %+v", p, got)
				}
				got, err = e.set.Resolve("directory", filepath.Join(e.root, p, "new vm"))
				if err != nil || got.Exists {
					t.Fatalf("%q/new vm: %+v %v", p, got, err)
				}
			}
		}},
}

// jsonOnce decodes a JSON string literal once, as the HTTP layer does: what
// reaches Check is the decoded text (row 23).
func jsonOnce(lit string) string {
	var s string
	if err := json.Unmarshal([]byte(lit), &s); err != nil {
		panic(err)
	}
	return s
}

// longPath is n components of width bytes each, joined by '\'.
func longPath(n, width int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Repeat(string(rune('a'+i%26)), width)
	}
	return strings.Join(parts, `\`)
}

func winSplit(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '\\' || r == '/' })
}

func TestChecklistWindowsCheck(t *testing.T) {
	for _, row := range checklist {
		t.Run("row"+row.n, func(t *testing.T) {
			for _, root := range winRoots {
				for _, in := range row.refuse {
					if _, _, err := Check(Windows, winRoots, root+`\`+in); err == nil {
						t.Errorf("%q joined to %s: accepted", in, root)
					}
				}
				for _, in := range row.accept {
					got, rel, err := Check(Windows, winRoots, root+`\`+in)
					if err != nil || got != root || !slices.Equal(rel, winSplit(in)) {
						t.Errorf("%q joined to %s: root %q rel %q err %v, want accepted", in, root, got, rel, err)
					}
				}
			}
			for _, in := range append(slices.Clone(row.refuse), row.refuseGiven...) {
				if _, _, err := Check(Windows, winRoots, in); err == nil {
					t.Errorf("%q as given: accepted", in)
				}
			}
			for _, in := range row.acceptGiven {
				if _, _, err := Check(Windows, winRoots, in); err != nil {
					t.Errorf("%q as given: %v, want accepted", in, err)
				}
			}
		})
	}
}

func TestChecklistPOSIXResolve(t *testing.T) {
	if Native() != POSIX {
		t.Skip("POSIX file system rows; the Windows runner uses windows_test.go")
	}
	for _, row := range checklist {
		if row.elsewhere != "" || row.refuse == nil && row.refuseGiven == nil && row.accept == nil && row.posix == nil && row.fs == nil {
			continue
		}
		t.Run("row"+row.n, func(t *testing.T) {
			e := newPosixEnv(t)
			before := snapshot(t, e.parent)
			posix := func(s string) string { return strings.ReplaceAll(s, `\`, "/") }
			var refuse, accept []string
			for _, in := range row.refuse {
				refuse = append(refuse, e.root+"/"+posix(in), posix(in))
			}
			for _, in := range row.refuseGiven {
				refuse = append(refuse, posix(in))
			}
			for _, in := range row.accept {
				accept = append(accept, e.root+"/"+posix(in))
			}
			if row.posix != nil {
				r, a := row.posix(e)
				refuse, accept = append(refuse, r...), append(accept, a...)
			}
			for _, in := range refuse {
				_, err := e.set.Resolve("directory", in)
				if err == nil {
					t.Errorf("%q: accepted", in)
					continue
				}
				want := errs.PathForbidden
				if row.n == "27" && strings.Contains(err.Error(), "longer than") {
					want = errs.Invalid // a length limit is bad input (422), whatever the path names
				}
				wantKind(t, err, want, "directory")
			}
			for _, in := range accept {
				got, err := e.set.Resolve("directory", in)
				if err != nil {
					t.Errorf("%q: %v, want accepted", in, err)
					continue
				}
				if got.Root != e.root || got.Abs != filepath.Clean(in) || filepath.Join(got.Root, got.Rel) != got.Abs {
					t.Errorf("%q: %+v", in, got)
				}
			}
			if after := snapshot(t, e.parent); after != before {
				t.Errorf("Resolve changed the tree:\n%s\nwant\n%s", after, before)
			}
			if row.fs != nil {
				row.fs(t, e)
			}
		})
	}
}

func TestChecklistCheckName(t *testing.T) {
	for _, row := range checklist {
		for _, f := range []Flavor{Windows, POSIX} {
			for _, name := range row.refuseNames {
				if err := CheckName(f, name); err == nil {
					t.Errorf("row %s, %v: name %q accepted", row.n, f, name)
				}
			}
			for _, name := range row.acceptNames {
				if err := CheckName(f, name); err != nil {
					t.Errorf("row %s, %v: name %q: %v", row.n, f, name, err)
				}
			}
		}
	}
}

// TestChecklistComplete keeps the table whole: every row of Part 3 is here
// once and either asserts something or says who covers it, and doc.go
// lists exactly the rows that need a Windows runner.
func TestChecklistComplete(t *testing.T) {
	var want []string
	for i := 1; i <= 32; i++ {
		want = append(want, strconv.Itoa(i))
		if i == 4 {
			want = append(want, "4b")
		}
	}
	var got, ci []string
	for _, row := range checklist {
		got = append(got, row.n)
		asserts := row.refuse != nil || row.refuseGiven != nil || row.accept != nil || row.acceptGiven != nil ||
			row.fs != nil || row.refuseNames != nil
		switch {
		case asserts && row.elsewhere != "":
			t.Errorf("row %s: asserts here and is said to be covered elsewhere", row.n)
		case !asserts && row.elsewhere == "" && row.windowsCI == "":
			t.Errorf("row %s: asserts nothing and names no one who does", row.n)
		}
		if row.windowsCI != "" {
			ci = append(ci, row.n)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile(`(?m)^//   - row (\w+):`).FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	if !slices.Equal(documented, ci) {
		t.Errorf("doc.go lists rows %v as needing Windows CI, the table %v", documented, ci)
	}
}
