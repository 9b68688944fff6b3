//go:build windows

package sim

// syncDir is a no-op on Windows: a folder cannot be opened for fsync there,
// and NTFS journals the metadata of a rename itself.
func syncDir(string) error { return nil }
