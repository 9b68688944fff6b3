package vhdx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Parent locators hold Windows paths with "\" separators, as Hyper-V
// writes them (MS-VHDX 2.6.2.6.3). On Windows they are used as they are.
// Elsewhere (the simulator on Linux):
//
//   - relative_path (".\parent.vhdx", "..\disks\base.vhdx"): "\" and "/"
//     both separate, "." and ".." keep their meaning, and the result is
//     joined to the directory of the child file. This is the path that
//     moves with a folder, so it is tried first.
//   - absolute_win32_path: a "\\?\" prefix is dropped; a path rooted
//     without a drive ("\srv\vms\base.vhdx") is the Linux path with "/"
//     separators ("/srv/vms/base.vhdx"), which is how WindowsPath writes
//     a Linux path. Paths with a drive letter, UNC paths and volume_path
//     ("\\?\Volume{…}\…") name nothing on Linux and are skipped.

// WindowsPath returns p in the form a parent locator stores: unchanged on
// Windows, "/" replaced by "\" elsewhere.
func WindowsPath(p string) string {
	if runtime.GOOS == "windows" {
		return p
	}
	return strings.ReplaceAll(p, "/", `\`)
}

// NativePath turns a locator's absolute path into a path of this system;
// ok is false for a path that cannot name a file here.
func NativePath(win string) (p string, ok bool) {
	if runtime.GOOS == "windows" {
		return win, win != ""
	}
	s := strings.TrimPrefix(win, `\\?\`)
	switch {
	case s == "",
		len(s) >= 2 && s[1] == ':', // drive letter
		strings.HasPrefix(s, `\\`), // UNC
		strings.HasPrefix(strings.ToLower(s), `volume{`):
		return "", false
	case s[0] != '\\' && s[0] != '/':
		return "", false // not absolute
	}
	return filepath.Clean(strings.ReplaceAll(s, `\`, "/")), true
}

// resolveRelative joins a locator's relative_path to the child's folder.
func resolveRelative(childPath, rel string) string {
	rel = strings.ReplaceAll(rel, `\`, "/")
	return filepath.Join(filepath.Dir(childPath), filepath.FromSlash(rel))
}

// relativeWindowsPath is the relative_path from child to parent, ".\x"
// for a parent in the same folder; ok is false when there is none (two
// Windows drives).
func relativeWindowsPath(childPath, parentPath string) (string, bool) {
	c, err1 := filepath.Abs(childPath)
	p, err2 := filepath.Abs(parentPath)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(filepath.Dir(c), p)
	if err != nil {
		return "", false
	}
	rel = strings.ReplaceAll(filepath.ToSlash(rel), "/", `\`)
	if rel != ".." && !strings.HasPrefix(rel, `..\`) {
		rel = `.\` + rel
	}
	return rel, true
}

// DefaultResolver finds a parent the way the spec orders it
// (MS-VHDX 2.6.2.6.3): relative_path, then volume_path (Windows only),
// then absolute_win32_path; the first candidate that is an existing file
// wins. Open then checks the parent's DataWriteGuid against
// parent_linkage.
func DefaultResolver(l ParentLocator) (string, error) {
	var tried []string
	try := func(p string) bool {
		tried = append(tried, p)
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	}
	if rel, ok := l.Get(KeyRelativePath); ok && l.ChildPath != "" {
		if p := resolveRelative(l.ChildPath, rel); try(p) {
			return p, nil
		}
	}
	if vol, ok := l.Get(KeyVolumePath); ok && runtime.GOOS == "windows" {
		if try(vol) {
			return vol, nil
		}
	}
	if abs, ok := l.Get(KeyAbsoluteWin32Path); ok {
		if p, ok := NativePath(abs); ok && try(p) {
			return p, nil
		}
	}
	if len(tried) == 0 {
		return "", fmt.Errorf("%w: no usable path in the parent locator of %s", ErrParent, l.ChildPath)
	}
	return "", fmt.Errorf("%w: %s: parent not found at %s", ErrParent, l.ChildPath, strings.Join(tried, ", "))
}

// errNoParent is returned when a resolver gives an empty path.
var errNoParent = errors.New("resolver returned no path")
