//go:build windows

package exports

// syncDir is a no-op on Windows: NTFS metadata (renames) is journaled and
// directories cannot be opened for FlushFileBuffers without backup rights.
func syncDir(dir string) error { return nil }
