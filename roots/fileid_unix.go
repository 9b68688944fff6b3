//go:build unix

package roots

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openReadFlags opens a file for reading without blocking: had a FIFO been
// swapped in since the walk, opening it must not hang the request (the
// identity check after the open then refuses it).
const openReadFlags = os.O_RDONLY | syscall.O_NONBLOCK

// fileDevice is the device a file lives on: a directory whose device
// differs from its root's is a mount point.
func fileDevice(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true // Dev is int32 on darwin
}

// handleInfo returns an open file's link count and the device it lives on.
func handleInfo(f *os.File) (links, volume uint64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, errors.New("no stat data")
	}
	return uint64(st.Nlink), uint64(st.Dev), nil // narrower types on some systems
}

// isReparseDir is a Windows notion; on Unix Lstat's mode says everything.
func isReparseDir(fs.FileInfo) bool { return false }
