//go:build windows

package dirlock

import (
	"os"

	"golang.org/x/sys/windows"
)

// LockFileEx with LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY: a
// second handle is refused, and Windows releases the lock when the
// handle's process ends (LockFileEx documentation). The locked byte lies
// far beyond the end of the file (locking past EOF is allowed), so the
// holder's line stays readable for the refused server's message.
func lockFile(f *os.File) error {
	ol := lockRegion()
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
}

func unlockFile(f *os.File) error {
	ol := lockRegion()
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}

func lockRegion() windows.Overlapped { return windows.Overlapped{OffsetHigh: 0x7FFFFFFF} }
