//go:build windows

package atomicfile

// SyncDir is a no-op on Windows: a folder cannot be opened for fsync there
// without backup rights, and NTFS journals the metadata of a rename itself.
func SyncDir(string) error { return nil }
