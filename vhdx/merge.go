package vhdx

import (
	"bytes"
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
func Merge(childPath, outPath string, resolve func(locator ParentLocator) (string, error)) (err error) {
	src, err := openChain(childPath, resolve, true, 0)
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
	if err := copyAllocated(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("vhdx: merging %s into %s: %w", childPath, outPath, err)
	}
	return dst.Close()
}

// copyAllocated copies what src may hold into dst in 1 MiB pieces,
// skipping pieces no layer stores and pieces that read as zeros: a
// freshly allocated block is zeros already, so the skipped pieces also
// stay holes in the file where the file system is sparse.
func copyAllocated(dst, src *Disk) error {
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
		if isZero(buf[:n]) {
			continue
		}
		if _, err := dst.WriteAt(buf[:n], off); err != nil {
			return err
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
