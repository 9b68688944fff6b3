package roots

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkResolve times confining a client's path (the lexical rules,
// then the walk below the root) — every request that names a path pays it.
func BenchmarkResolve(b *testing.B) {
	root := b.TempDir()
	deep := filepath.Join(root, "exports", "2026", "web-01")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		b.Fatal(err)
	}
	set, err := New("export", []string{root})
	if err != nil {
		b.Fatal(err)
	}
	for name, p := range map[string]string{"existing": deep, "missing": filepath.Join(deep, "new-export")} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := set.Resolve("directory", p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
