package audit

import (
	"os"
	"path/filepath"
	"testing"
)

// Ready fails when the log cannot be opened, and when the open file was
// removed from under it; the next record reopens it and Ready passes
// again. Every failed write is reported with its stage.
func TestReadyAndWriteFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	var failed []string
	l := Open(path, Options{WriteFailed: func(stage string) { failed = append(failed, stage) }})
	defer l.Close()
	if err := l.Ready(); err != nil {
		t.Fatalf("fresh log: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(); err == nil {
		t.Fatal("a removed audit log is ready")
	}
	if err := l.Ready(); err != nil { // reopened at the path
		t.Fatalf("after reopening: %v", err)
	}
	if err := l.Write(Record{Stage: StageRequest, Method: "POST", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if len(failed) != 0 {
		t.Fatalf("failures reported for good writes: %v", failed)
	}

	blocked := filepath.Join(dir, "blocked")
	if err := os.Mkdir(blocked, 0o700); err != nil { // unwritable as a file, even for root
		t.Fatal(err)
	}
	b := Open(blocked, Options{WriteFailed: func(stage string) { failed = append(failed, stage) }})
	if err := b.Ready(); err == nil {
		t.Fatal("an audit log that cannot be opened is ready")
	}
	if err := b.Write(Record{Stage: StageEffect}); err == nil {
		t.Fatal("write succeeded")
	}
	b.Denied(Record{Source: "1.2.3.4"})
	if len(failed) != 2 || failed[0] != StageEffect || failed[1] != StageDenied {
		t.Fatalf("reported failures = %v", failed)
	}
}
