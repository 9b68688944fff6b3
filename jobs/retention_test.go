package jobs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
)

// pruneClock is the registry's injected clock; tests move it by hand.
type pruneClock struct {
	mu sync.Mutex
	t  time.Time
}

func newPruneClock() *pruneClock {
	return &pruneClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
}

func (c *pruneClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *pruneClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// tick makes the registry prune as its ticker would, and returns once that
// prune (and the store's deletions) are done: the pruner takes a second
// tick only after it finished the first.
func tick(tc chan time.Time) {
	tc <- time.Time{}
	tc <- time.Time{}
}

func finished(t *testing.T, r *Registry, spec Spec) Snapshot {
	t.Helper()
	s, err := r.Submit(spec, func(ctx context.Context, rep Reporter) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return wait(t, r, s.ID)
}

// storedIDs reads what a closed registry left in its store.
func storedIDs(t *testing.T, dir string) ([]string, map[string]keyEntry) {
	t.Helper()
	st, err := openStore(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	var ids []string
	for _, rec := range st.load() {
		ids = append(ids, rec.ID)
	}
	return ids, st.loadKeys()
}

func TestMaxAgeDefaultsTo30Days(t *testing.T) {
	r := newRegistry(t, Options{})
	if r.opts.MaxAge != 30*24*time.Hour || DefaultMaxAge != 30*24*time.Hour {
		t.Fatalf("MaxAge = %s", r.opts.MaxAge)
	}
}

// Finished jobs older than MaxAge go while nothing is submitted: the
// ticker drives pruning. Age counts from when a job finished, and a job
// still running is never pruned.
func TestMaxAgePrunesOnTheTickerWithoutSubmissions(t *testing.T) {
	dir, clk, tc := t.TempDir(), newPruneClock(), make(chan time.Time)
	r := openRegistry(t, dir, Options{MaxAge: 48 * time.Hour, Now: clk.now, PruneTick: tc})
	old := finished(t, r, Spec{Kind: KindExport, IdempotencyKey: "old", Fingerprint: "f1"})
	release := make(chan struct{})
	long, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { <-release; return nil })
	clk.add(47 * time.Hour)
	young := finished(t, r, Spec{Kind: KindExport})
	tick(tc)
	if _, err := r.Get(old.ID); err != nil {
		t.Fatalf("a job 47 h old was pruned with MaxAge 48 h: %v", err)
	}
	clk.add(2 * time.Hour) // old finished 49 h ago, young 2 h ago
	tick(tc)
	if _, err := r.Get(old.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a job finished 49 h ago is still there with MaxAge 48 h: %v", err)
	}
	if _, ok := r.Key("old"); ok {
		t.Fatal("the key of a job pruned 49 h after it was used is still there")
	}
	for _, id := range []string{young.ID, long.ID} {
		if _, err := r.Get(id); err != nil {
			t.Fatalf("job %s: %v", id, err)
		}
	}
	// The long job was created 49 h ago; it is measured from when it
	// finishes.
	close(release)
	wait(t, r, long.ID)
	clk.add(47 * time.Hour)
	tick(tc)
	if _, err := r.Get(long.ID); err != nil {
		t.Fatalf("a job that finished 47 h ago was pruned: %v", err)
	}
	shutdown(t, r)
	ids, keys := storedIDs(t, dir)
	if slices.Contains(ids, old.ID) || !slices.Contains(ids, long.ID) || len(keys) != 0 {
		t.Fatalf("store holds %v, keys %v", ids, keys)
	}
}

// Open prunes by age: a registry that was stopped for longer than MaxAge
// does not bring its old jobs back, in memory or on disk.
func TestMaxAgePrunesAtOpen(t *testing.T) {
	dir, clk := t.TempDir(), newPruneClock()
	r := openRegistry(t, dir, Options{MaxAge: 24 * time.Hour, Now: clk.now})
	a := finished(t, r, Spec{Kind: KindExport})
	clk.add(20 * time.Hour)
	b := finished(t, r, Spec{Kind: KindExport})
	shutdown(t, r)

	clk.add(10 * time.Hour) // a is 30 h old, b 10 h
	r2 := openRegistry(t, dir, Options{MaxAge: 24 * time.Hour, Now: clk.now})
	if l := r2.List(); len(l) != 1 || l[0].ID != b.ID {
		t.Fatalf("after Open: %+v", l)
	}
	shutdown(t, r2)
	if ids, _ := storedIDs(t, dir); !slices.Equal(ids, []string{b.ID}) {
		t.Fatalf("store holds %v, want only %s (not %s)", ids, b.ID, a.ID)
	}
}

// A key outlives its job when the job is pruned within KeyRetention: it
// still names the job (which is gone), across a restart, until it is
// KeyRetention old; then the ticker drops it, from memory and disk.
func TestKeysOutliveTheirPrunedJobForKeyRetention(t *testing.T) {
	dir, clk, tc := t.TempDir(), newPruneClock(), make(chan time.Time)
	opts := Options{Retain: 1, Now: clk.now, PruneTick: tc}
	r := openRegistry(t, dir, opts)
	a := finished(t, r, Spec{Kind: KindExport, IdempotencyKey: "token:a k1", Fingerprint: "f1"})
	clk.add(time.Hour)
	b := finished(t, r, Spec{Kind: KindExport})
	finished(t, r, Spec{Kind: KindExport}) // a is pruned by count
	if _, err := r.Get(a.ID); !errs.Is(err, errs.NotFound) {
		t.Fatal("Retain 1 kept the oldest job")
	}
	if _, err := r.Get(b.ID); !errs.Is(err, errs.NotFound) {
		t.Fatal("Retain 1 kept the second job")
	}
	check := func(r *Registry, when string) {
		t.Helper()
		u, ok := r.Key("token:a k1")
		if !ok || u.JobID != a.ID || u.Fingerprint != "f1" || u.Job != nil || !u.Expires.Equal(a.CreatedAt.Add(KeyRetention)) {
			t.Fatalf("%s: Key = %+v %v", when, u, ok)
		}
		if _, _, ok := r.ByKey("token:a k1"); ok {
			t.Fatalf("%s: ByKey found a pruned job", when)
		}
	}
	check(r, "after the prune")
	shutdown(t, r)
	if _, keys := storedIDs(t, dir); keys["token:a k1"].Job != a.ID {
		t.Fatalf("the key index on disk: %+v", keys)
	}

	r2 := openRegistry(t, dir, opts)
	check(r2, "after a restart")
	clk.add(KeyRetention - time.Hour - time.Second)
	tick(tc)
	check(r2, "1 s before the key expires")
	clk.add(time.Second)
	if _, ok := r2.Key("token:a k1"); ok {
		t.Fatal("an expired key still answers (before the ticker dropped it)")
	}
	tick(tc)
	shutdown(t, r2)
	if _, keys := storedIDs(t, dir); len(keys) != 0 {
		t.Fatalf("expired keys left on disk: %+v", keys)
	}
}

// A key whose job is retained lives as long as its job, however old.
func TestKeysOfRetainedJobsDoNotExpire(t *testing.T) {
	clk, tc := newPruneClock(), make(chan time.Time)
	r := newRegistry(t, Options{Now: clk.now, PruneTick: tc})
	a := finished(t, r, Spec{Kind: KindExport, IdempotencyKey: "k", Fingerprint: "f"})
	clk.add(10 * 24 * time.Hour)
	tick(tc)
	if u, ok := r.Key("k"); !ok || u.Job == nil || u.Job.ID != a.ID {
		t.Fatalf("Key = %+v %v", u, ok)
	}
	if s, fp, ok := r.ByKey("k"); !ok || s.ID != a.ID || fp != "f" {
		t.Fatalf("ByKey = %+v %q %v", s, fp, ok)
	}
}

// A key older than KeyRetention when its job is pruned goes with the job.
func TestOldKeysGoWithTheirJob(t *testing.T) {
	dir, clk := t.TempDir(), newPruneClock()
	r := openRegistry(t, dir, Options{Retain: 1, Now: clk.now})
	a := finished(t, r, Spec{Kind: KindExport, IdempotencyKey: "k", Fingerprint: "f"})
	clk.add(KeyRetention)
	finished(t, r, Spec{Kind: KindExport})
	if _, err := r.Get(a.ID); !errs.Is(err, errs.NotFound) {
		t.Fatal("not pruned")
	}
	if u, ok := r.Key("k"); ok {
		t.Fatalf("a key %s old outlived its job: %+v", KeyRetention, u)
	}
	shutdown(t, r)
	if _, keys := storedIDs(t, dir); len(keys) != 0 {
		t.Fatalf("keys on disk: %+v", keys)
	}
}

// Pruning by count keeps unfinished jobs and drops the oldest finished
// ones, in memory and on disk, on Submit.
func TestRetainPrunesTheStoreToo(t *testing.T) {
	dir := t.TempDir()
	r := openRegistry(t, dir, Options{Retain: 2})
	release := make(chan struct{})
	running, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { <-release; return nil })
	var done []string
	for i := 0; i < 3; i++ {
		done = append(done, finished(t, r, Spec{Kind: KindExport}).ID)
	}
	if l := r.List(); len(l) != 2 || l[0].ID != done[2] || l[1].ID != running.ID {
		t.Fatalf("list = %+v", l)
	}
	close(release)
	wait(t, r, running.ID)
	shutdown(t, r)
	ids, _ := storedIDs(t, dir)
	slices.Sort(ids)
	want := []string{running.ID, done[2]}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("store holds %v, want %v", ids, want)
	}
}
