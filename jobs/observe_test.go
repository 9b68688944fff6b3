package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/logctx"
)

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu        sync.Mutex
	submitted []Kind
	finished  []Snapshot
	bytes     map[string]int64 // phase → bytes
}

func (o *recorder) JobSubmitted(k Kind) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.submitted = append(o.submitted, k)
}

func (o *recorder) JobFinished(s Snapshot) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, s)
}

func (o *recorder) JobBytes(k Kind, phase string, n int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bytes == nil {
		o.bytes = map[string]int64{}
	}
	o.bytes[string(k)+"/"+phase] += n
}

// The observer hears of every submission and every end with its state,
// and of bytes as increments per phase: a phase's cumulative reports
// become deltas, a new phase starts from zero, and a step that starts
// over (done going back) does not count twice.
func TestObserverSeesSubmissionsEndsAndByteIncrements(t *testing.T) {
	obs := &recorder{}
	r := newRegistry(t, Options{Workers: 1, Observer: obs})
	ok, err := r.Submit(Spec{Kind: KindImport}, func(ctx context.Context, rep Reporter) error {
		rep.Phase("copying")
		rep.Bytes(100, 1000)
		rep.Bytes(400, 1000)
		rep.Bytes(300, 1000) // a retried file starts over from 300
		rep.Bytes(1000, 1000)
		rep.Phase("verifying")
		rep.Bytes(50, 60)
		rep.Bytes(60, 60)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, r, ok.ID)
	bad, _ := r.Submit(Spec{Kind: KindVerify}, func(ctx context.Context, rep Reporter) error { return errs.E(errs.HostFailed, "no") })
	wait(t, r, bad.ID)

	obs.mu.Lock()
	defer obs.mu.Unlock()
	if want := map[string]int64{"import/copying": 1100, "import/verifying": 60}; len(obs.bytes) != 2 ||
		obs.bytes["import/copying"] != want["import/copying"] || obs.bytes["import/verifying"] != want["import/verifying"] {
		t.Errorf("bytes = %v, want %v", obs.bytes, want)
	}
	if len(obs.submitted) != 2 || obs.submitted[0] != KindImport || obs.submitted[1] != KindVerify {
		t.Errorf("submitted = %v", obs.submitted)
	}
	if len(obs.finished) != 2 || obs.finished[0].State != Completed || obs.finished[1].State != Failed ||
		obs.finished[0].StartedAt == nil || obs.finished[0].FinishedAt == nil {
		t.Errorf("finished = %+v", obs.finished)
	}
}

// A job cancelled while queued is an end too, one that never ran.
func TestObserverSeesAQueuedCancel(t *testing.T) {
	obs := &recorder{}
	r := newRegistry(t, Options{Workers: 1, Observer: obs})
	release := make(chan struct{})
	first, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { <-release; return nil })
	second, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { return nil })
	if _, err := r.Cancel(second.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	wait(t, r, first.ID)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	var cancelled *Snapshot
	for i := range obs.finished {
		if obs.finished[i].ID == second.ID {
			cancelled = &obs.finished[i]
		}
	}
	if cancelled == nil || cancelled.State != Cancelled || cancelled.StartedAt != nil {
		t.Fatalf("finished = %+v", obs.finished)
	}
}

// Load counts unfinished jobs by kind: queued ones and running ones.
func TestLoadCountsQueuedAndRunning(t *testing.T) {
	r := newRegistry(t, Options{Workers: 1})
	started, release := make(chan struct{}), make(chan struct{})
	a, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { close(started); <-release; return nil })
	<-started
	b, _ := r.Submit(Spec{Kind: KindImport}, func(ctx context.Context, rep Reporter) error { return nil })
	q, run := r.Load()
	if q[KindImport] != 1 || run[KindExport] != 1 || len(q) != 1 || len(run) != 1 {
		t.Fatalf("load = queued %v, running %v", q, run)
	}
	close(release)
	wait(t, r, a.ID)
	wait(t, r, b.ID)
	if q, run := r.Load(); len(q)+len(run) != 0 {
		t.Fatalf("load after the end = queued %v, running %v", q, run)
	}
}

// A job's request id is in its snapshot, survives a restart, and every
// line logged on the job's context — by the registry or by the work —
// names the job and the request.
func TestJobLinesCarryJobAndRequestIDs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	dir := t.TempDir()
	r, err := Open(Options{Logger: zap.New(core)}, dir)
	if err != nil {
		t.Fatal(err)
	}
	work := zap.New(core).Named("work")
	s, err := r.Submit(Spec{Kind: KindExport, RequestID: "req-1"}, func(ctx context.Context, rep Reporter) error {
		logctx.From(ctx, work).Info("working")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.RequestID != "req-1" {
		t.Fatalf("snapshot request id = %q", s.RequestID)
	}
	wait(t, r, s.ID)
	shutdown(t, r)
	n := 0
	for _, e := range logs.All() {
		m := e.ContextMap()
		if m["job_id"] == s.ID {
			n++
			if m["request_id"] != "req-1" {
				t.Errorf("%q (%s) names the job but not its request: %v", e.Message, e.LoggerName, m)
			}
		}
	}
	if n < 3 { // queued, started, the work's own line, completed
		t.Fatalf("only %d lines name the job: %v", n, logs.All())
	}
	found := false
	for _, e := range logs.FilterMessage("working").All() {
		found = e.ContextMap()["job_id"] == s.ID
	}
	if !found {
		t.Fatal("the work's own line does not name the job")
	}
	r2 := openRegistry(t, dir, Options{})
	defer shutdown(t, r2)
	got, err := r2.Get(s.ID)
	if err != nil || got.RequestID != "req-1" {
		t.Fatalf("after a restart: %+v %v", got, err)
	}
}

// Check fails once the registry is shut down (readiness: the job store
// is open).
func TestCheckFailsAfterShutdown(t *testing.T) {
	r, err := Open(Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(); err != nil {
		t.Fatalf("open registry: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(); err == nil {
		t.Fatal("a shut-down registry passes its check")
	}
	// The store alone, closed, fails too.
	st := &store{closed: true, path: "x"}
	if err := st.check(); err == nil {
		t.Fatal("a closed store passes its check")
	}
	st = &store{saveErr: errors.New("disk full")}
	if err := st.check(); err == nil {
		t.Fatal("a store whose last write failed passes its check")
	}
}
