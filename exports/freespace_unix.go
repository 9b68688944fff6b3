//go:build unix

package exports

import "golang.org/x/sys/unix"

// FreeSpace returns the bytes available to the service on path's volume.
func FreeSpace(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
