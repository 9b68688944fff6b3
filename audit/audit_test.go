package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readRecords(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestWriteAppendsOneLinePerRecordOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := Open(path, Options{})
	defer l.Close()
	if err := l.Write(Record{Stage: StageRequest, Method: "POST", Path: "/v1/imports", IdempotencyKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Record{Stage: StageOutcome, Method: "POST", Path: "/v1/imports", Status: 202, Job: "j"}); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, path)
	if len(recs) != 2 || recs[0].Stage != StageRequest || recs[1].Status != 202 || recs[0].Time.IsZero() {
		t.Fatalf("records = %+v", recs)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("audit log mode %v, want owner-only", fi.Mode().Perm())
	}
}

// Fail closed needs a failure to be reported, and a log that becomes
// writable again to be used again.
func TestWriteFailsWhenTheLogCannotBeWrittenAndRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if err := os.Mkdir(path, 0o700); err != nil { // a directory cannot be opened for writing, even by root
		t.Fatal(err)
	}
	l := Open(path, Options{})
	defer l.Close()
	if err := l.Write(Record{Stage: StageRequest}); err == nil {
		t.Fatal("Write succeeded on a directory")
	}
	if l.Check() == nil {
		t.Fatal("Check succeeded on a directory")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Record{Stage: StageRequest, Method: "DELETE"}); err != nil {
		t.Fatalf("Write after repair: %v", err)
	}
	if recs := readRecords(t, path); len(recs) != 1 || recs[0].Method != "DELETE" {
		t.Fatalf("records = %+v", recs)
	}
}

func TestDeniedIsRateLimitedPerSourceAndCountsWhatItDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := Open(path, Options{DeniedBurst: 3, DeniedEvery: time.Second, Now: func() time.Time { return now }})
	defer l.Close()
	written := 0
	for i := 0; i < 10; i++ {
		if l.Denied(Record{Source: "10.0.0.1", Reason: "unknown"}) {
			written++
		}
	}
	if written != 3 {
		t.Fatalf("burst wrote %d records, want 3", written)
	}
	// Another source has its own bucket.
	if !l.Denied(Record{Source: "10.0.0.2"}) {
		t.Fatal("a second source was limited by the first")
	}
	now = now.Add(2 * time.Second) // two more allowed
	if !l.Denied(Record{Source: "10.0.0.1"}) {
		t.Fatal("no record after the bucket refilled")
	}
	recs := readRecords(t, path)
	last := recs[len(recs)-1]
	if last.Suppressed != 7 || last.Stage != StageDenied || last.Decision != "deny" {
		t.Fatalf("last record = %+v, want 7 suppressed", last)
	}
}
