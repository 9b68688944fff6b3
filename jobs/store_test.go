package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/errs"
)

func openRegistry(t *testing.T, dir string, opts Options) *Registry {
	t.Helper()
	opts.Logger = zaptest.NewLogger(t)
	r, err := Open(opts, dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func shutdown(t *testing.T, r *Registry) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestJobsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	r := openRegistry(t, dir, Options{})
	done, _ := r.Submit(Spec{Kind: KindExport, VM: VMRef{ID: "1", Name: "vm"}, Directory: "/x",
		Settings: map[string]any{"copyVmStorage": true}, IdempotencyKey: "k", Fingerprint: "f"},
		func(ctx context.Context, rep Reporter) error {
			rep.WMIJob(`\\H\root:Msvm_ConcreteJob.InstanceID="a"`)
			rep.Result(map[string]string{"exportId": "e1"})
			return nil
		})
	wait(t, r, done.ID)
	failed, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error {
		return errs.E(errs.HostFailed, "disk full")
	})
	wait(t, r, failed.ID)
	started := make(chan struct{})
	running, _ := r.Submit(Spec{Kind: KindImport}, func(ctx context.Context, rep Reporter) error {
		rep.WMIJob(`\\H\root:Msvm_ConcreteJob.InstanceID="b"`)
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	<-started
	shutdown(t, r) // detaches the running job, as a service stop does

	r2 := openRegistry(t, dir, Options{})
	defer shutdown(t, r2)
	list := r2.List()
	if len(list) != 3 || list[0].ID != running.ID || list[2].ID != done.ID {
		t.Fatalf("restored list = %+v", list)
	}
	d, _ := r2.Get(done.ID)
	settings, _ := json.Marshal(d.Settings)
	result, _ := json.Marshal(d.Result)
	if d.State != Completed || d.PercentComplete != 100 || string(settings) != `{"copyVmStorage":true}` ||
		string(result) != `{"exportId":"e1"}` || d.WMIJob == "" || d.FinishedAt == nil {
		t.Fatalf("restored completed job = %+v (%s, %s)", d, settings, result)
	}
	f, _ := r2.Get(failed.ID)
	if f.State != Failed || !errs.Is(f.Err, errs.HostFailed) || f.Err.Error() != "disk full" {
		t.Fatalf("restored failed job = %+v", f)
	}
	i, _ := r2.Get(running.ID)
	if i.State != Failed || !errs.Is(i.Err, errs.Interrupted) || i.Phase != "interrupted" || i.FinishedAt == nil {
		t.Fatalf("interrupted job = %+v", i)
	}
	if s, fp, ok := r2.ByKey("k"); !ok || s.ID != done.ID || fp != "f" {
		t.Fatal("idempotency key lost across the restart")
	}
	if _, err := r2.Cancel(done.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("cancel of a restored finished job: %v", err)
	}
	// New work still runs and is stored.
	n, _ := r2.Submit(Spec{}, func(ctx context.Context, rep Reporter) error { return nil })
	wait(t, r2, n.ID)
	shutdown(t, r2)
	r3 := openRegistry(t, dir, Options{Retain: 2})
	defer shutdown(t, r3)
	if l := r3.List(); len(l) != 2 || l[0].ID != n.ID {
		t.Fatalf("after a restart with Retain 2: %+v", l)
	}
	if _, err := r3.Get(done.ID); !errs.Is(err, errs.NotFound) {
		t.Fatal("a pruned job came back")
	}
}

// Who submitted a job is part of its record and survives a restart.
func TestSubmitterSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	r := openRegistry(t, dir, Options{})
	who := &Submitter{Kind: "token", ID: "token:abc123", Name: "portal"}
	j, err := r.Submit(Spec{Kind: KindExport, Submitter: who}, func(ctx context.Context, rep Reporter) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	wait(t, r, j.ID)
	if s, _ := r.Get(j.ID); s.Submitter == nil || *s.Submitter != *who {
		t.Fatalf("submitter = %+v", s.Submitter)
	}
	shutdown(t, r)
	r2 := openRegistry(t, dir, Options{})
	defer shutdown(t, r2)
	if s, err := r2.Get(j.ID); err != nil || s.Submitter == nil || *s.Submitter != *who {
		t.Fatalf("after a restart: %+v %v", s.Submitter, err)
	}
}
