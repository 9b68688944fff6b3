package roots

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// errOutside is Check's error for a well-formed path below no root. Resolve
// replaces its message with one naming the set; the reason never depends on
// the file system, so it cannot tell a client whether the path exists.
var errOutside = errors.New("path is outside the roots")

// Check is the pure lexical part (no file system access, testable on any OS
// for both flavors): p must be absolute in flavor f, every component must
// pass the component rules, and p must be inside one of rootDirs compared
// component-wise (case-insensitively for Windows; never a string prefix:
// root D:\exports does not contain D:\exports-evil, checklist row 16). It
// returns the matching root (as given) and the components of p below it
// (empty when p is the root itself). When roots nest, the longest match
// wins. A root that is not itself an absolute path of f matches nothing.
//
// Repeated separators collapse (a//b is a/b, checklist row 2: normalise,
// then check), but '.' and '..' are refused anywhere in p rather than
// cleaned away: Clean-then-Join is not a sandbox (CVE-2022-41722).
//
// Errors are plain errors whose message is a short human reason.
func Check(f Flavor, rootDirs []string, p string) (root string, rel []string, err error) {
	i, rel, err := check(f, rootDirs, p)
	if err != nil {
		return "", nil, err
	}
	return rootDirs[i], rel, nil
}

// check is Check returning the index of the matching root.
func check(f Flavor, rootDirs []string, p string) (int, []string, error) {
	if len(p) > maxPath {
		return -1, nil, tooLong(fmt.Sprintf("path is longer than %d bytes", maxPath)) // row 27
	}
	comps, reason := parse(f, p)
	if reason != "" {
		return -1, nil, errors.New(reason)
	}
	if hasDots(comps) {
		return -1, nil, errors.New("'.' and '..' components are not allowed")
	}
	best, bestLen := -1, 0
	for i, r := range rootDirs {
		rc, reason := parse(f, r)
		if reason != "" || !hasPrefix(f, comps, rc) {
			continue
		}
		if best < 0 || len(rc) > bestLen {
			best, bestLen = i, len(rc)
		}
	}
	if best < 0 {
		return -1, nil, errOutside
	}
	rel := comps[bestLen:]
	for _, c := range rel {
		if len(c) > maxComponent {
			return -1, nil, tooLong(fmt.Sprintf("component longer than %d bytes", maxComponent)) // row 27
		}
		if r := componentReason(c); r != "" {
			return -1, nil, errors.New(r)
		}
	}
	return best, append([]string{}, rel...), nil
}

// parse splits an absolute path of flavor f into its volume (comps[0]: ""
// for POSIX, the drive letter and colon for Windows) and its non-empty
// components. It refuses with a reason what is not an absolute local path;
// it does not apply the component rules.
func parse(f Flavor, p string) (comps []string, reason string) {
	switch {
	case p == "":
		return nil, "path is empty" // row 27
	case len(p) > maxPath:
		return nil, fmt.Sprintf("path is longer than %d bytes", maxPath) // row 27
	case !utf8.ValidString(p):
		return nil, "path is not valid UTF-8"
	}
	var rest string
	if f == Windows {
		vol, r, reason := windowsVolume(p)
		if reason != "" {
			return nil, reason
		}
		comps, rest = []string{vol}, r
	} else {
		if p[0] != '/' {
			return nil, "path is not absolute"
		}
		comps, rest = []string{""}, p
	}
	start := 0
	for i := 0; i <= len(rest); i++ {
		if i == len(rest) || f.isSep(rest[i]) {
			if i > start {
				comps = append(comps, rest[start:i])
			}
			start = i + 1
		}
	}
	return comps, ""
}

// windowsVolume accepts only a DOS drive path, X:\ or X:/, and returns the
// drive ("X:") and the rest after it. Every other Win32 form is refused by
// name: they reach devices, other hosts or the NT object namespace, or
// depend on per-process state.
func windowsVolume(p string) (vol, rest, reason string) {
	sep := func(i int) bool { return i < len(p) && (p[i] == '\\' || p[i] == '/') }
	if sep(0) {
		switch {
		case sep(1) && len(p) > 2 && (p[2] == '?' || p[2] == '.') && (len(p) == 3 || sep(3)):
			// \\?\C:\x, \\.\C:\x, \\?\UNC\..., \\?\Volume{...}, \\?\GLOBALROOT, \\.\pipe (row 7).
			return "", "", "device namespace paths (\\\\?\\, \\\\.\\) are not accepted"
		case sep(1):
			// \\host\share, //host/share, \\host@SSL@443\DavWWWRoot: no outbound SMB or WebDAV (row 6, goal P3).
			return "", "", "UNC paths are not accepted"
		case len(p) > 3 && p[1] == '?' && p[2] == '?' && sep(3):
			// \??\C:\x is the NT object namespace (row 8, CVE-2023-45283).
			return "", "", "NT object namespace paths (\\??\\) are not accepted"
		}
		// \x is relative to the current drive (row 5).
		return "", "", "path has no drive letter"
	}
	r, n := utf8.DecodeRuneInString(p)
	if n >= len(p) || p[n] != ':' {
		return "", "", "path is not absolute"
	}
	// Any single character followed by ':' is a volume, never part of a
	// relative name: é:\x is a drive for SUBST (row 4b, git CVE-2019-1351).
	if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
		return "", "", fmt.Sprintf("drive %q is not a letter A-Z", p[:n+1])
	}
	if !sep(n + 1) {
		// C:x and C:..\x depend on the drive's current directory (row 4).
		return "", "", "drive-relative paths (C:x) are not accepted"
	}
	return p[:n+1], p[n+2:], ""
}

// hasPrefix reports whether the components root lead the components p, as
// whole components: case-insensitively (ASCII) for Windows, exactly for
// POSIX.
func hasPrefix(f Flavor, p, root []string) bool {
	if len(root) > len(p) {
		return false
	}
	for i := range root {
		if f == Windows && !foldEqual(p[i], root[i]) || f == POSIX && p[i] != root[i] {
			return false
		}
	}
	return true
}

// foldEqual compares ASCII letters case-insensitively and every other
// rune exactly. NTFS compares through the volume's upcase table, which
// Unicode case folding only approximates (U+212A KELVIN SIGN folds to 'k'
// in Unicode, not in NTFS): a non-ASCII alias of a root is refused rather
// than guessed (row 15). Resolve rebuilds every path from the root, so an
// accepted alias never reaches the file system in the client's spelling.
func foldEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// tooLong is a length limit the path exceeds: the request is invalid (the
// same whatever the path names), not forbidden.
type tooLong string

func (t tooLong) Error() string { return string(t) }
