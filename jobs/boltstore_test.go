package jobs

import (
	"testing"
	"time"

	"go.uber.org/zap"
)

// Stores of one directory in one process share the database (bbolt's file
// lock would make the second wait), and a save after close (a cancel
// during the drain, after the registry's Shutdown) is still written.
func TestStoresShareTheDatabaseAndWriteAfterClose(t *testing.T) {
	dir := t.TempDir()
	a, err := openStore(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	b, err := openStore(dir, zap.NewNop())
	if err != nil {
		t.Fatalf("a second store on the directory: %v", err)
	}
	now := time.Now().UTC()
	a.save(record{ID: "a", CreatedAt: now, Rev: 1})
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	a.save(record{ID: "late", CreatedAt: now.Add(time.Second), Rev: 1})
	b.save(record{ID: "b", CreatedAt: now.Add(2 * time.Second), Rev: 1})
	b.close()
	c, err := openStore(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	var ids []string
	for _, r := range c.load() {
		ids = append(ids, r.ID)
	}
	if len(ids) != 3 || ids[0] != "a" || ids[1] != "late" || ids[2] != "b" {
		t.Fatalf("stored %v", ids)
	}
}
