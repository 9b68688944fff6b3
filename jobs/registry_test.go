package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/errs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newRegistry(t *testing.T, opts Options) *Registry {
	t.Helper()
	opts.Logger = zaptest.NewLogger(t)
	r := New(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r
}

func wait(t *testing.T, r *Registry, id string) Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := r.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v (state %s)", id, err, s.State)
	}
	return s
}

func TestJobCompletesWithMonotonicProgress(t *testing.T) {
	r := newRegistry(t, Options{})
	seen := make(chan int, 10)
	s, err := r.Submit(Spec{Kind: KindExport, VM: VMRef{ID: "1", Name: "vm"}, Directory: "/x", Settings: map[string]bool{"a": true}},
		func(ctx context.Context, rep Reporter) error {
			rep.Phase("exporting")
			rep.Progress(40)
			rep.Progress(20) // ignored: progress never goes back
			rep.Progress(150)
			rep.WMIJob(`\\H\root:Msvm_ConcreteJob.InstanceID="j"`)
			seen <- 0
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if s.State != Queued || s.PercentComplete != 0 || s.ID == "" {
		t.Fatalf("fresh job = %+v", s)
	}
	<-seen
	f := wait(t, r, s.ID)
	if f.State != Completed || f.PercentComplete != 100 || f.Phase != "completed" || f.Err != nil {
		t.Fatalf("final = %+v", f)
	}
	if f.StartedAt == nil || f.FinishedAt == nil || f.FinishedAt.Before(*f.StartedAt) {
		t.Fatalf("timestamps = %v %v", f.StartedAt, f.FinishedAt)
	}
	if f.WMIJob == "" || f.VM.Name != "vm" || f.Directory != "/x" {
		t.Fatalf("recorded fields lost: %+v", f)
	}
}

func TestRunningProgressCapsAt99(t *testing.T) {
	r := newRegistry(t, Options{})
	release := make(chan struct{})
	s, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error {
		rep.Progress(100)
		<-release
		return nil
	})
	deadline := time.Now().Add(2 * time.Minute) // a hang guard: the job holds at 99 until released
	for {
		g, _ := r.Get(s.ID)
		if g.PercentComplete == 99 && g.State == Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw running at 99: %+v", g)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if f := wait(t, r, s.ID); f.PercentComplete != 100 {
		t.Fatalf("final percent %d", f.PercentComplete)
	}
}

func TestFailedJobKeepsError(t *testing.T) {
	r := newRegistry(t, Options{})
	boom := errs.E(errs.HostFailed, "disk full")
	s, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { return boom })
	f := wait(t, r, s.ID)
	if f.State != Failed || !errors.Is(f.Err, boom) || f.FinishedAt == nil {
		t.Fatalf("final = %+v", f)
	}
}

func TestCancelRunningJob(t *testing.T) {
	r := newRegistry(t, Options{})
	started := make(chan struct{})
	var cause error
	s, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return errs.Wrap(errs.Cancelled, ctx.Err(), "stopped")
	})
	<-started
	c, err := r.Cancel(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != Cancelling && c.State != Cancelled {
		t.Fatalf("after cancel: %s", c.State)
	}
	f := wait(t, r, s.ID)
	if f.State != Cancelled || !errs.Is(f.Err, errs.Cancelled) {
		t.Fatalf("final = %+v", f)
	}
	if !errors.Is(cause, errs.ErrCancelled) {
		t.Fatalf("work saw cause %v, want ErrCancelled", cause)
	}
	if _, err := r.Cancel(s.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("cancel of finished job: %v, want Conflict", err)
	}
}

func TestCancelQueuedJobNeverRuns(t *testing.T) {
	r := newRegistry(t, Options{Workers: 1})
	block := make(chan struct{})
	first, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { <-block; return nil })
	ran := false
	second, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { ran = true; return nil })
	c, err := r.Cancel(second.ID)
	if err != nil || c.State != Cancelled {
		t.Fatalf("cancel queued: %+v %v", c, err)
	}
	close(block)
	wait(t, r, first.ID)
	if ran {
		t.Fatal("a cancelled queued job ran")
	}
	if c.StartedAt != nil {
		t.Fatal("cancelled queued job has a start time")
	}
}

func TestWorkFinishingDuringCancelCompletes(t *testing.T) {
	r := newRegistry(t, Options{})
	started, release := make(chan struct{}), make(chan struct{})
	s, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error {
		close(started)
		<-release
		return nil // finished before it noticed the cancel
	})
	<-started
	if _, err := r.Cancel(s.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	if f := wait(t, r, s.ID); f.State != Completed {
		t.Fatalf("state %s, want completed", f.State)
	}
}

func TestListNewestFirstAndNotFound(t *testing.T) {
	r := newRegistry(t, Options{})
	var ids []string
	for i := 0; i < 3; i++ {
		s, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { return nil })
		ids = append(ids, s.ID)
		time.Sleep(time.Millisecond)
	}
	l := r.List()
	if len(l) != 3 || l[0].ID != ids[2] || l[2].ID != ids[0] {
		t.Fatalf("list order wrong: %v vs %v", l, ids)
	}
	if _, err := r.Get("nope"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	if _, err := r.Cancel("nope"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("cancel unknown: %v", err)
	}
	for _, id := range ids {
		wait(t, r, id)
	}
}

func TestQueueLimit(t *testing.T) {
	r := newRegistry(t, Options{Workers: 1, MaxQueued: 1})
	block := make(chan struct{})
	defer close(block)
	started := make(chan struct{})
	r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { close(started); <-block; return nil })
	<-started
	if _, err := r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { return nil }); !errs.Is(err, errs.TooManyRequests) {
		t.Fatalf("third submit: %v, want TooManyRequests", err)
	}
}

func TestShutdownDetachesRunningWork(t *testing.T) {
	r := New(Options{Logger: zaptest.NewLogger(t)})
	started := make(chan struct{})
	var cause error
	s, _ := r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return ctx.Err()
	})
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(cause, errs.ErrShutdown) {
		t.Fatalf("cause %v, want ErrShutdown", cause)
	}
	if g, _ := r.Get(s.ID); g.State != Running {
		t.Fatalf("state after shutdown %s; a detached job must not be marked cancelled or failed", g.State)
	}
	if _, err := r.Submit(Spec{}, nil); !errs.Is(err, errs.ShuttingDown) {
		t.Fatalf("submit after shutdown: %v", err)
	}
}

func TestRetainDropsOldestFinished(t *testing.T) {
	r := newRegistry(t, Options{Retain: 2})
	var ids []string
	for i := 0; i < 4; i++ {
		s, _ := r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { return nil })
		wait(t, r, s.ID)
		ids = append(ids, s.ID)
	}
	if _, err := r.Get(ids[0]); !errs.Is(err, errs.NotFound) {
		t.Fatal("oldest finished job was kept beyond Retain")
	}
	if _, err := r.Get(ids[3]); err != nil {
		t.Fatal(err)
	}
}

func TestIllegalTransitionsRefused(t *testing.T) {
	for _, c := range []struct {
		from, to State
		ok       bool
	}{
		{Queued, Running, true}, {Queued, Completed, false}, {Completed, Running, false},
		{Cancelled, Running, false}, {Running, Queued, false}, {Cancelling, Cancelled, true},
		{Failed, Cancelled, false},
	} {
		if got := canMove(c.from, c.to); got != c.ok {
			t.Errorf("%s -> %s = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

func TestIdempotencyKeysLiveWithTheirJob(t *testing.T) {
	r := newRegistry(t, Options{Retain: 1})
	a, _ := r.Submit(Spec{IdempotencyKey: "k1", Fingerprint: "f1"}, func(ctx context.Context, rep Reporter) error { return nil })
	wait(t, r, a.ID)
	if s, fp, ok := r.ByKey("k1"); !ok || s.ID != a.ID || fp != "f1" {
		t.Fatalf("ByKey = %+v %q %v", s, fp, ok)
	}
	if _, _, ok := r.ByKey("other"); ok {
		t.Fatal("unknown key found")
	}
	b, _ := r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { return nil })
	wait(t, r, b.ID)
	c, _ := r.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { return nil })
	wait(t, r, c.ID)
	if _, _, ok := r.ByKey("k1"); ok {
		t.Fatal("a key outlived its pruned job")
	}
}
