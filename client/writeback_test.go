package client

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// startWriteback is a hint: it never changes what the file holds, for a
// range inside the file, past its end, or on a file that is closed.
func TestStartWritebackLeavesTheFileAsItIs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("hvport "), 3<<20/7)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(want); err != nil {
		t.Fatal(err)
	}
	startWriteback(f, 0, writebackChunk)
	startWriteback(f, writebackChunk, int64(len(want)))
	startWriteback(f, int64(len(want))+writebackChunk, writebackChunk)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	startWriteback(f, 0, writebackChunk)
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after startWriteback: %d bytes (want %d), %v", len(got), len(want), err)
	}
}
