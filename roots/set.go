package roots

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Set is a named group of configured roots ("export", "import"). Build it
// with New; it does not change afterwards and is safe for concurrent use.
type Set struct {
	name string
	dirs []string // canonical: cleaned, symlinks resolved
	// spellings are what Check compares against: every canonical root and,
	// when it differs, its configured spelling (/tmp/x when /tmp is a
	// symlink). owner[i] is the index in dirs that spellings[i] stands for.
	spellings []string
	owner     []int
	// info is what each root was when New ran: Resolve refuses to work in
	// a root that is no longer that directory (replaced by a link, say).
	info []fs.FileInfo
	// device reports the file system a FileInfo lives on; a test replaces
	// it to simulate a mount point (checklist row 21).
	device func(fs.FileInfo) (uint64, bool)
}

// New builds a set. dirs must be absolute (native flavor) and exist as
// directories; each is cleaned and its symlinks resolved
// (filepath.EvalSymlinks) so the canonical form is what is compared and
// what every Path is built from. A directory listed twice is kept once.
// The canonical form must be a plain local path of the native flavor (on
// Windows X:\... on a fixed disk: a root that resolves to a UNC or device
// path, or lies on a network, removable or RAM drive, is refused), so no
// client path can reach another host through a root (goal P3, checklist
// row 22). A root may itself be a mount point (a cluster shared volume,
// say): the walk starts below it.
func New(name string, dirs []string) (*Set, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s roots: none configured", name)
	}
	s := &Set{name: name, device: fileDevice}
	for _, d := range dirs {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("%s root %q: not an absolute path", name, d)
		}
		clean := filepath.Clean(d)
		canon, err := filepath.EvalSymlinks(clean)
		if err != nil {
			return nil, fmt.Errorf("%s root %q: %w", name, d, err)
		}
		fi, err := os.Stat(canon)
		if err != nil {
			return nil, fmt.Errorf("%s root %q: %w", name, d, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s root %q: not a directory", name, d)
		}
		if comps, reason := parse(Native(), canon); reason != "" || hasDots(comps) {
			return nil, fmt.Errorf("%s root %q resolves to %q, which is not a local absolute path", name, d, canon)
		}
		if err := checkVolume(canon); err != nil {
			return nil, fmt.Errorf("%s root %q: %w", name, d, err)
		}
		if s.hasDir(canon) {
			continue
		}
		s.dirs = append(s.dirs, canon)
		s.info = append(s.info, fi)
		s.spellings = append(s.spellings, canon)
		s.owner = append(s.owner, len(s.dirs)-1)
		if !sameComps(Native(), clean, canon) {
			s.spellings = append(s.spellings, clean)
			s.owner = append(s.owner, len(s.dirs)-1)
		}
	}
	return s, nil
}

// Name is the set's name, as used in error messages ("the import roots").
func (s *Set) Name() string { return s.name }

// Dirs returns the canonical root directories, in configured order.
func (s *Set) Dirs() []string { return append([]string(nil), s.dirs...) }

// IsRoot reports whether s has a root equal to dir, in its canonical or its
// configured spelling, compared component-wise by the native flavor's
// rules. It is lexical: it does not touch the file system.
func (s *Set) IsRoot(dir string) bool {
	for _, sp := range s.spellings {
		if sameComps(Native(), dir, sp) {
			return true
		}
	}
	return false
}

func (s *Set) hasDir(dir string) bool {
	for _, d := range s.dirs {
		if sameComps(Native(), dir, d) {
			return true
		}
	}
	return false
}

// sameComps reports whether a and b are the same absolute path of flavor f,
// component by component.
func sameComps(f Flavor, a, b string) bool {
	ac, ra := parse(f, a)
	bc, rb := parse(f, b)
	return ra == "" && rb == "" && len(ac) == len(bc) && hasPrefix(f, ac, bc) && !hasDots(ac)
}

func hasDots(comps []string) bool {
	for _, c := range comps[1:] {
		if c == "." || c == ".." {
			return true
		}
	}
	return false
}
