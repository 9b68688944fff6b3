//go:build unix

package client_test

import "syscall"

// allocated is the disk space a file uses.
func allocated(path string) (int64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, false
	}
	return st.Blocks * 512, true
}
