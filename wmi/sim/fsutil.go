package sim

import (
	"os"

	"github.com/hvport/hvport/internal/atomicfile"
)

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content.
func writeFileAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// syncDir fsyncs a folder so that a rename or a new file in it is durable.
func syncDir(dir string) error { return atomicfile.SyncDir(dir) }

// exists reports whether path names an existing file or folder.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
