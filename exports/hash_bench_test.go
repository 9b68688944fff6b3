package exports

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/internal/progress"
)

// BenchmarkHashTree times hashing an export's files (SHA-256, the
// manifest's), 64 MiB in four files: MB/s is the hashing rate from the
// page cache.
func BenchmarkHashTree(b *testing.B) {
	dir := b.TempDir()
	data := bytes.Repeat([]byte("hvport-bench-"), (16<<20)/13)
	for _, name := range []string{"a.vhdx", "b.vhdx", "c/d.avhdx", "c/e.vmcx"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(4 * int64(len(data)))
	for b.Loop() {
		if _, _, err := hashTree(context.Background(), dir, progress.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
