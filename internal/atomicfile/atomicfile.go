// Package atomicfile writes files so that a crash leaves either the old or
// the new content, never a mix: the export manifest, the job store and the
// simulator's host state all go through it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile replaces path with data: a temporary file in the same folder,
// fsync, rename over path, fsync of the folder. On error the temporary file
// is removed and path is untouched.
func WriteFile(path string, data []byte) error { return WriteFileWith(path, data, nil) }

// WriteFileWith is WriteFile with prepare run on the empty temporary file
// before anything is written to it (internal/secfile locks it down there,
// so a secret is never readable by others, not even for a moment).
func WriteFileWith(path string, data []byte, prepare func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if prepare != nil {
		if err = prepare(f); err != nil {
			f.Close()
			return err
		}
	}
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}
