package readiness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRunReportsEachCheck(t *testing.T) {
	checks := []Check{
		{"good", func(context.Context) error { return nil }},
		{"bad", func(context.Context) error { return errors.New("broken") }},
		{"panics", func(context.Context) error { panic("boom") }},
	}
	r := Run(context.Background(), checks, time.Hour)
	if r.OK() || len(r) != 3 || r[0].Name != "good" || r[0].Err != nil || r[1].Err == nil || r[2].Err == nil {
		t.Fatalf("report = %+v", r)
	}
	if f := r.Failed(); len(f) != 2 || f[0] != "bad" || f[1] != "panics" {
		t.Fatalf("failed = %v", f)
	}
	if !Run(context.Background(), checks[:1], 0).OK() {
		t.Fatal("one good check is not OK")
	}
}

// A check that does not answer before the deadline fails, and Run does
// not wait for it.
func TestRunDoesNotWaitForAStuckCheck(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline is already past: no real time is waited for
	r := Run(ctx, []Check{{"stuck", func(context.Context) error { <-stuck; return nil }}}, time.Hour)
	if r.OK() || r[0].Err == nil {
		t.Fatalf("report = %+v", r)
	}
}

func TestWritable(t *testing.T) {
	dir := t.TempDir()
	if err := Writable(dir)(context.Background()); err != nil {
		t.Fatalf("a writable directory: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the check left %v", left)
	}
	// A directory that is gone, or a file in its place, fails (as root too).
	if err := Writable(filepath.Join(dir, "gone"))(context.Background()); err == nil {
		t.Fatal("a missing directory is writable")
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if err := Writable(file)(context.Background()); err == nil {
		t.Fatal("a file is a writable directory")
	}
}
