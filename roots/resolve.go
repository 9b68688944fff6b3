package roots

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hvport/hvport/errs"
)

// Path is a client path confined to a root.
type Path struct {
	Root   string // canonical root directory
	Rel    string // below Root, native separators; "" for the root itself
	Abs    string // filepath.Join(Root, Rel): what hvport and Hyper-V use from now on
	Exists bool   // the full path exists (as a directory or regular file)
	IsDir  bool
}

// Resolve confines a client path. field is the request's JSON field name
// (e.g. "directory", "settings.targetResourcePaths[0]") and is named in the
// error.
//
//  1. Check (lexical + containment) against the set's roots, in their
//     canonical and their configured spelling, before any file system call:
//     a path outside every root gets the same error whether or not it
//     exists (no existence oracle), and the error does not repeat the path.
//  2. Walk the existing components from the root through os.OpenRoot and
//     Root.Lstat, one prefix at a time. A symbolic link (dangling or not,
//     inside the root or not), a junction or other reparse point, a device,
//     pipe or socket, or an entry on another file system than the root (a
//     mount point) is refused; a regular file in the middle of the path is
//     invalid. The first missing component ends the walk: the rest is to be
//     created, by the caller, through os.Root.
//
// The Path is rebuilt from the canonical root and the checked components,
// never from the client's spelling. Resolve creates nothing. It cannot stop
// a link from being planted after it returns (checklist row 19): callers
// create and open through os.Root, and roots must not be writable by
// non-administrators (checklist implementation note 4).
func (s *Set) Resolve(field, p string) (Path, error) {
	path, _, r, err := s.resolve(field, p)
	if err != nil {
		return Path{}, err
	}
	r.Close()
	return path, nil
}

// ResolveFile is Resolve for an existing regular file that will be read (an
// import source disk, goal P5). It must exist (errs.NotFound otherwise: the
// path is inside a root, so saying so is no oracle), be a regular file
// reached without links, and have a link count of 1: a hard link inside a
// root can name any file of the volume (checklist row 20). The file is
// opened through os.Root and its handle checked, so a swap after the walk
// is noticed too.
func (s *Set) ResolveFile(field, p string) (Path, error) {
	path, lfi, r, err := s.resolve(field, p)
	if err != nil {
		return Path{}, err
	}
	defer r.Close()
	if !path.Exists {
		return Path{}, fieldError(errs.NotFound, field, "no such file")
	}
	if path.IsDir {
		return Path{}, fieldError(errs.Invalid, field, "path is a directory, not a file")
	}
	f, err := r.OpenFile(path.Rel, openReadFlags, 0)
	if err != nil {
		return Path{}, s.inspectFailed(field, err)
	}
	defer f.Close()
	ffi, err := f.Stat()
	if err != nil {
		return Path{}, s.inspectFailed(field, err)
	}
	if !ffi.Mode().IsRegular() || !os.SameFile(lfi, ffi) {
		return Path{}, fieldError(errs.PathForbidden, field, "the file changed while it was being checked")
	}
	links, vol, err := handleInfo(f)
	if err != nil {
		return Path{}, s.inspectFailed(field, err)
	}
	if links != 1 {
		return Path{}, fieldError(errs.PathForbidden, field, "hard links are not accepted")
	}
	// On Windows the walk sees mount points only as reparse points; the
	// handle's volume serial number is the second, independent check.
	dot, err := r.Open(".")
	if err != nil {
		return Path{}, s.rootFailed(field, err)
	}
	defer dot.Close()
	_, rootVol, err := handleInfo(dot)
	if err != nil {
		return Path{}, s.rootFailed(field, err)
	}
	if vol != rootVol {
		return Path{}, fieldError(errs.PathForbidden, field, "the file is on another volume than its root")
	}
	return path, nil
}

// resolve is Resolve also returning the Lstat result of the last existing
// component (nil when the walk ended at a missing one, or at the root) and,
// unless it fails, the open, checked root, which the caller closes.
func (s *Set) resolve(field, p string) (_ Path, _ fs.FileInfo, _ *os.Root, err error) {
	i, rel, err := check(Native(), s.spellings, p)
	if errors.Is(err, errOutside) {
		e := fieldError(errs.PathForbidden, field, "path is outside the "+s.name+" roots")
		e.Extra = map[string]any{"roots": s.Dirs()}
		return Path{}, nil, nil, e
	}
	var long tooLong
	if errors.As(err, &long) {
		return Path{}, nil, nil, fieldError(errs.Invalid, field, err.Error())
	}
	if err != nil {
		return Path{}, nil, nil, fieldError(errs.PathForbidden, field, err.Error())
	}
	root := s.dirs[s.owner[i]]
	path := Path{Root: root, Rel: filepath.Join(rel...), Abs: filepath.Join(append([]string{root}, rel...)...)}

	r, err := os.OpenRoot(root)
	if err != nil {
		return Path{}, nil, nil, s.rootFailed(field, err)
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	// The handle must be the directory New saw: a root replaced since
	// (by a link to elsewhere, say) is not worked in.
	rfi, err := r.Stat(".")
	if err != nil {
		return Path{}, nil, nil, s.rootFailed(field, err)
	}
	if !os.SameFile(rfi, s.info[s.owner[i]]) {
		return Path{}, nil, nil, s.rootFailed(field, fmt.Errorf("root %s is no longer the directory it was at start-up", root))
	}
	rootDev, haveDev := s.device(rfi)
	if len(rel) == 0 {
		path.Exists, path.IsDir = true, true
		return path, nil, r, nil
	}

	var fi fs.FileInfo
	for n := range rel {
		fi, err = r.Lstat(filepath.Join(rel[:n+1]...))
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil, r, nil // the rest is to be created
		}
		if err != nil {
			return Path{}, nil, nil, s.inspectFailed(field, err)
		}
		mode := fi.Mode()
		switch {
		case mode&(fs.ModeSymlink|fs.ModeIrregular) != 0 || isReparseDir(fi):
			// Links are refused outright, even ones that stay inside the
			// root: kubectl cp went through four CVEs (CVE-2019-1002101,
			// -11246, -11249, -11251) before it stopped following links at
			// all. Go reports a junction as ModeIrregular (or as ModeSymlink
			// with GODEBUG winsymlink=0), rows 17, 18.
			return Path{}, nil, nil, fieldError(errs.PathForbidden, field, "a component is a symbolic link, junction or reparse point")
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
			return Path{}, nil, nil, fieldError(errs.PathForbidden, field, "a component is a device, pipe or socket")
		case !mode.IsDir() && !mode.IsRegular():
			return Path{}, nil, nil, fieldError(errs.PathForbidden, field, "a component is not a directory or a regular file")
		}
		// os.Root does not stop at file system boundaries: a mount point
		// (or a bind-mounted file) inside a root reaches another disk (row 21).
		if dev, ok := s.device(fi); ok && haveDev && dev != rootDev {
			return Path{}, nil, nil, fieldError(errs.PathForbidden, field, "a component is a mount point of another file system")
		}
		if mode.IsRegular() && n < len(rel)-1 {
			return Path{}, nil, nil, fieldError(errs.Invalid, field, "a component is a file")
		}
	}
	path.Exists, path.IsDir = true, fi.IsDir()
	return path, fi, r, nil
}

// fieldError is an error of kind k naming field, with reason as both the
// field's reason and the message.
func fieldError(k errs.Kind, field, reason string) *errs.Error {
	return &errs.Error{Kind: k, Msg: fmt.Sprintf("field %q: %s", field, reason),
		Fields: []errs.FieldError{{Field: field, Reason: reason}}}
}

// rootFailed is the error for a root that cannot be opened or is no longer
// a plain directory: the server's configuration, not the client's input.
func (s *Set) rootFailed(field string, cause error) *errs.Error {
	return errs.Wrap(errs.Internal, cause, "field %q: the %s root cannot be used", field, s.name)
}

// inspectFailed is the error for a component inside a root that cannot be
// examined (for example permission denied).
func (s *Set) inspectFailed(field string, cause error) *errs.Error {
	if errors.Is(cause, fs.ErrPermission) {
		e := fieldError(errs.PathForbidden, field, "a component cannot be read")
		e.Err = cause
		return e
	}
	if errors.Is(cause, syscall.ENAMETOOLONG) {
		e := fieldError(errs.Invalid, field, "the path is too long for the host's file system")
		e.Err = cause
		return e
	}
	return errs.Wrap(errs.Internal, cause, "field %q: the path cannot be inspected", field)
}
