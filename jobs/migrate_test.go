package jobs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
)

// writeLegacy writes a record as the one-file-per-job store did:
// <dir>/<id>.json.
func writeLegacy(t *testing.T, dir string, rec record) {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rec.ID+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A data directory of the one-file-per-job store is moved into the
// database at the first Open: every job (and key) is back, the files are
// gone, and later Opens read the database only.
func TestOpenMigratesOneFilePerJob(t *testing.T) {
	dir := t.TempDir()
	created := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	fin := created.Add(time.Minute)
	done := record{ID: "0b7d3c1e-done", Kind: KindExport, State: Completed, PercentComplete: 100, Phase: "completed",
		VM: VMRef{ID: "1", Name: "web"}, Directory: "/x", Settings: json.RawMessage(`{"copyVmStorage":true}`),
		Result: json.RawMessage(`{"exportId":"e1"}`), CreatedAt: created, FinishedAt: &fin,
		IdempotencyKey: "token:a k1", Fingerprint: "f1", Rev: 4}
	failed := record{ID: "0b7d3c1e-failed", Kind: KindImport, State: Failed, Phase: "failed", CreatedAt: created.Add(time.Second),
		FinishedAt: &fin, Err: &errRecord{Kind: 12, Msg: "disk full"}, Rev: 3}
	writeLegacy(t, dir, done)
	writeLegacy(t, dir, failed)
	os.WriteFile(filepath.Join(dir, "garbage.json"), []byte("{not json"), 0o600)

	r := openRegistry(t, dir, Options{})
	l := r.List()
	if len(l) != 2 || l[0].ID != failed.ID || l[1].ID != done.ID || l[1].Result == nil || l[0].Err == nil {
		t.Fatalf("migrated jobs = %+v", l)
	}
	if s, fp, ok := r.ByKey("token:a k1"); !ok || s.ID != done.ID || fp != "f1" {
		t.Fatal("the migrated job's idempotency key is lost")
	}
	shutdown(t, r)
	for _, rec := range []record{done, failed} {
		if _, err := os.Stat(filepath.Join(dir, rec.ID+".json")); !os.IsNotExist(err) {
			t.Fatalf("%s.json is still there after the migration: %v", rec.ID, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "garbage.json")); err != nil {
		t.Fatalf("an unreadable file was not left for a person to look at: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, storeFile)); err != nil {
		t.Fatal(err)
	}
	r2 := openRegistry(t, dir, Options{})
	defer shutdown(t, r2)
	if l := r2.List(); len(l) != 2 {
		t.Fatalf("after a second Open: %+v", l)
	}
}

// A crash between the migration's commit and the files' removal leaves
// both: the newer revision wins, so an old file never undoes a later
// change made in the database.
func TestMigrationKeepsTheNewerRevision(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rec := record{ID: "j1", Kind: KindExport, State: Completed, Phase: "completed", CreatedAt: now, FinishedAt: &now, Rev: 5}
	st.save(rec)
	st.close()
	old := rec
	old.State, old.Phase, old.FinishedAt, old.Rev = Running, "exporting", nil, 2
	writeLegacy(t, dir, old)
	newer := record{ID: "j2", Kind: KindExport, State: Completed, Phase: "completed", CreatedAt: now, FinishedAt: &now, Rev: 7}
	writeLegacy(t, dir, newer)

	st, err = openStore(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	got := map[string]record{}
	for _, r := range st.load() {
		got[r.ID] = r
	}
	if got["j1"].State != Completed || got["j1"].Rev != 5 || got["j2"].Rev != 7 {
		t.Fatalf("after the migration: %+v", got)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{storeFile}) {
		t.Fatalf("left in the folder: %v", names)
	}
}

// Every save is committed with fsync before it returns (a submission is
// durable before its 202): the database is not opened with NoSync.
func TestStoreSyncsEveryWrite(t *testing.T) {
	st, err := openStore(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if st.db.NoSync {
		t.Fatal("the job database does not sync its commits")
	}
}
