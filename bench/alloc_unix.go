//go:build unix

package main

import "syscall"

// allocated is the disk space a file uses.
func allocated(path string) int64 {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return 0
	}
	return st.Blocks * 512
}
