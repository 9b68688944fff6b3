//go:build linux

package fcopy

import (
	"os"

	"golang.org/x/sys/unix"
)

// NextData returns the offset of the next data at or after off (SEEK_DATA),
// so a copy can jump over holes without reading them.
// ok is false when the file system cannot tell; a hole that runs to the end
// of the file returns its size.
func NextData(f *os.File, off int64) (int64, bool) {
	n, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
	if err == unix.ENXIO {
		fi, serr := f.Stat()
		if serr != nil {
			return 0, false
		}
		return fi.Size(), true
	}
	if err != nil {
		return 0, false
	}
	return n, true
}

// NextHole returns the offset of the hole at or after off (SEEK_HOLE; the
// end of the file counts as one). ok is false when the file system cannot
// tell.
func NextHole(f *os.File, off int64) (int64, bool) {
	n, err := unix.Seek(int(f.Fd()), off, unix.SEEK_HOLE)
	if err != nil {
		return 0, false
	}
	return n, true
}
