package vhdx

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every *FormatError: the file breaks a rule
	// of MS-VHDX.
	ErrCorrupt = errors.New("vhdx: corrupt file")
	// ErrUnsupported is wrapped by a *FormatError for a valid file this
	// package does not handle (a log to replay, an unknown required
	// region or metadata item, a foreign parent locator type).
	ErrUnsupported = errors.New("vhdx: unsupported file")
	// ErrParent reports a differencing disk whose parent cannot be found
	// or is not the parent it was created from.
	ErrParent = errors.New("vhdx: parent disk")
	// ErrReadOnly is returned by writes to a disk opened read-only.
	ErrReadOnly = errors.New("vhdx: disk is read-only")
	// ErrClosed is returned by calls on a closed disk.
	ErrClosed = errors.New("vhdx: disk is closed")
)

// FormatError reports what is wrong in a file and where.
type FormatError struct {
	Path    string // the file
	Where   string // the structure, e.g. "header 2", "BAT entry 12 (payload block 12)"
	Offset  int64  // file offset of the structure, or -1
	Problem string
	Err     error // ErrCorrupt or ErrUnsupported
}

func (e *FormatError) Error() string {
	at := ""
	if e.Offset >= 0 {
		at = fmt.Sprintf(" at offset 0x%x", e.Offset)
	}
	kind := "corrupt"
	if e.Err == ErrUnsupported {
		kind = "unsupported"
	}
	return fmt.Sprintf("vhdx: %s: %s: %s%s: %s", e.Path, kind, e.Where, at, e.Problem)
}

func (e *FormatError) Unwrap() error { return e.Err }

// problems collects FormatErrors for one file; Check reports all of them,
// Open only the fatal ones.
type problems struct {
	path    string
	all     []error
	fatal   []error
	dropped int
}

// maxProblems bounds what one file reports, so a garbage BAT does not
// produce millions of lines.
const maxProblems = 50

func (p *problems) add(fatal bool, kind error, where string, off int64, format string, args ...any) {
	e := &FormatError{Path: p.path, Where: where, Offset: off,
		Problem: fmt.Sprintf(format, args...), Err: kind}
	if fatal && len(p.fatal) < maxProblems {
		p.fatal = append(p.fatal, e)
	}
	if len(p.all) < maxProblems {
		p.all = append(p.all, e)
	} else {
		p.dropped++
	}
}

// corrupt records a problem that makes the file unusable.
func (p *problems) corrupt(where string, off int64, format string, args ...any) {
	p.add(true, ErrCorrupt, where, off, format, args...)
}

// unsupported records a valid feature this package cannot handle.
func (p *problems) unsupported(where string, off int64, format string, args ...any) {
	p.add(true, ErrUnsupported, where, off, format, args...)
}

// warn records a deviation the file survives (a damaged backup copy, a
// reserved field set): Check reports it, Open does not.
func (p *problems) warn(where string, off int64, format string, args ...any) {
	p.add(false, ErrCorrupt, where, off, format, args...)
}

func (p *problems) failed() bool { return len(p.fatal) > 0 }

// openErr is what Open reports: the fatal problems.
func (p *problems) openErr() error { return errors.Join(p.fatal...) }

// checkErr is what Check reports: every problem.
func (p *problems) checkErr() error {
	errs := p.all
	if p.dropped > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("vhdx: %s: %d further problems not listed", p.path, p.dropped))
	}
	return errors.Join(errs...)
}
