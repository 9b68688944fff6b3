//go:build !windows

package secfile

import (
	"fmt"
	"os"
	"syscall"
)

// protectFile sets 0600 explicitly: os.CreateTemp does so today, but a
// secret's permissions should not rest on another package's detail.
func protectFile(f *os.File) error { return f.Chmod(0o600) }

func protectDir(dir string) error { return os.Chmod(dir, 0o700) }

func checkPrivate(path string, fi os.FileInfo) error {
	mode := fi.Mode().Perm()
	switch {
	case mode&0o044 != 0:
		return fmt.Errorf("%s is readable by others (mode %04o); chmod 600 it", path, mode)
	case mode&0o022 != 0:
		return fmt.Errorf("%s is writable by others (mode %04o); chmod 600 it", path, mode)
	case mode&0o011 != 0:
		return fmt.Errorf("%s is accessible by others (mode %04o); chmod 600 it", path, mode)
	}
	// Whoever owns the file can chmod it at will (OpenSSH's StrictModes
	// refuses such files too): it must be ours or root's.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not by this process (uid %d) or root; chown it", path, st.Uid, os.Geteuid())
	}
	return nil
}
