//go:build !windows

package atomicfile

import "os"

// SyncDir fsyncs a folder so that a rename or a new file in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
