//go:build unix

package fcopy

import (
	"os"
	"syscall"
	"testing"
)

// allocated returns the bytes the file occupies on disk.
func allocated(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return -1
}
