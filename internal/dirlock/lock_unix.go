//go:build unix

package dirlock

import (
	"os"
	"syscall"
)

// flock locks belong to the open file description: a second open of the
// file, even in the same process, is refused, and the kernel drops the
// lock when the process ends.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
