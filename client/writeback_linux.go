//go:build linux

package client

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing [off, off+n) of f to
// disk now, without waiting for it (sync_file_range with
// SYNC_FILE_RANGE_WRITE): the data goes to disk while the pull goes on,
// and the checkpoint's fsync finds little left to write instead of
// stalling the pull on everything written since the one before. It
// promises nothing; the fsync does, and reports errors.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
