package vhdx

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// Merge writes a new dynamic VHDX at outPath (which must not exist) whose
// virtual content is what childPath reads through its whole chain: the
// flattened disk Hyper-V's ExportOneSnapshot writes. It is sparse: a
// block is allocated only when some layer holds data for it and that
// data is not all zeros. The new disk keeps the chain's virtual size,
// sector sizes and disk ID, the base disk's block size, and gets new
// write GUIDs. The chain is only read. On failure outPath is removed.
func Merge(childPath, outPath string, resolve func(locator ParentLocator) (string, error)) error {
	return MergeWith(childPath, outPath, MergeOptions{Resolve: resolve})
}

// MergeOptions are MergeWith's parent resolver and hooks, for a caller
// that reports progress on, throttles, accounts for or stops a long
// merge. A hook's error stops the merge, which removes outPath and
// returns that error as it is.
type MergeOptions struct {
	// Resolve maps a parent locator to a file; nil means DefaultResolver.
	Resolve func(locator ParentLocator) (string, error)
	// BeforeWrite is called before each piece of virtual disk data is
	// written to the new file, with its length (at most 1 MiB). The new
	// file's own structures (headers, region tables, metadata, BAT) are
	// not reported: they are written when the file is created, a few KiB
	// of data in a file of at least 4 MiB, the rest sparse.
	BeforeWrite func(n int64) error
	// Progress is called after each piece of the chain that some layer
	// stores has been read (and written, unless it read as zeros), with
	// its length. Over a whole merge the lengths add up to MergeLength.
	Progress func(n int64) error
}

// MergeWith is Merge with the options' resolver and hooks.
func MergeWith(childPath, outPath string, opts MergeOptions) (err error) {
	src, err := openChain(childPath, opts.Resolve, true, 0)
	if err != nil {
		return err
	}
	defer src.Close()
	base := src
	for base.parent != nil {
		base = base.parent
	}
	spec := fileSpec{
		virtualSize:    src.l.virtualSize,
		blockSize:      base.l.blockSize,
		logicalSector:  src.l.logicalSector,
		physicalSector: src.l.physicalSector,
		diskID:         src.l.diskID,
	}
	if err := writeNewFile(outPath, spec); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(outPath)
		}
	}()
	dst, err := openLayer(outPath, false)
	if err != nil {
		return err
	}
	if err := copyAllocated(dst, src, opts); err != nil {
		dst.Close()
		var h hookError
		if errors.As(err, &h) {
			return h.err
		}
		return fmt.Errorf("vhdx: merging %s into %s: %w", childPath, outPath, err)
	}
	return dst.Close()
}

// MergeLength is how many virtual bytes Merge reads from childPath's
// chain: the 1 MiB pieces of the disk that some layer stores, read from
// the BATs alone. It is the total of MergeOptions.Progress.
func MergeLength(childPath string, resolve func(locator ParentLocator) (string, error)) (int64, error) {
	src, err := openChain(childPath, resolve, true, 0)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	var total int64
	size := src.Size()
	for off := int64(0); off < size; off += copyPiece {
		n := min(copyPiece, size-off)
		if !src.knownZero(off, n) {
			total += n
		}
	}
	return total, nil
}

// hookError carries a MergeOptions hook's error out of copyAllocated
// unchanged.
type hookError struct{ err error }

func (h hookError) Error() string { return h.err.Error() }

// copyAllocated copies what src may hold into dst in 1 MiB pieces,
// skipping pieces no layer stores and pieces that read as zeros: a
// freshly allocated block is zeros already, so the skipped pieces also
// stay holes in the file where the file system is sparse. It calls the
// hooks of opts around each piece (MergeOptions).
func copyAllocated(dst, src *Disk, opts MergeOptions) error {
	size := src.Size()
	buf := make([]byte, copyPiece)
	for off := int64(0); off < size; off += copyPiece {
		n := min(copyPiece, size-off)
		if src.knownZero(off, n) {
			continue
		}
		if err := src.read(buf[:n], off); err != nil {
			return err
		}
		if !isZero(buf[:n]) {
			if opts.BeforeWrite != nil {
				if err := opts.BeforeWrite(n); err != nil {
					return hookError{err}
				}
			}
			if _, err := dst.WriteAt(buf[:n], off); err != nil {
				return err
			}
		}
		if opts.Progress != nil {
			if err := opts.Progress(n); err != nil {
				return hookError{err}
			}
		}
	}
	return nil
}

// copyPiece divides every block size (1 MiB to 256 MiB).
const copyPiece = 1 * miB

// knownZero reports, from the BATs alone, that the virtual range
// [off, off+n) reads as zeros: no layer of the chain stores data there.
func (d *Disk) knownZero(off, n int64) bool {
	bs := int64(d.l.blockSize)
	for n > 0 {
		block := uint64(off / bs)
		m := min(n, bs-off%bs)
		switch batState(d.l.bat[d.l.geo.payloadIndex(block)]) {
		case payloadFullyPresent, payloadPartiallyPresent:
			return false
		case payloadNotPresent:
			if d.parent != nil && !d.parent.knownZero(off, m) {
				return false
			}
		}
		off, n = off+m, n-m
	}
	return true
}

// isZero reports whether b is all zeros, comparing against a zero page
// with bytes.Equal (assembly) rather than byte by byte.
func isZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroPage))
		if !bytes.Equal(b[:n], zeroPage[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

var zeroPage = make([]byte, 64*kiB)
