package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hvport/hvport/errs"
)

// A restart reattaches unfinished jobs: a running one goes on (still
// running, same phase, its last checkpoint handed back) before anything
// queued, a queued one keeps its place, a cancelling one resumes with its
// context cancelled, and a kind without a Resume fails as interrupted.
func TestUnfinishedJobsAreReattachedAfterARestart(t *testing.T) {
	dir := t.TempDir()
	r := openRegistry(t, dir, Options{Workers: 1})
	hold := make(chan struct{})
	started := make(chan struct{})
	running, _ := r.Submit(Spec{Kind: KindExport, Exclusive: "vm:1", Checkpoint: map[string]string{"step": "planned"}},
		func(ctx context.Context, rep Reporter) error {
			rep.Phase("exporting")
			rep.Checkpoint(map[string]string{"step": "hyperv-started"})
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
	<-started
	queued, _ := r.Submit(Spec{Kind: KindExport, Exclusive: "vm:1", Checkpoint: map[string]string{"step": "planned"}},
		func(ctx context.Context, rep Reporter) error { <-hold; return nil })
	other, _ := r.Submit(Spec{Kind: KindVerify}, func(ctx context.Context, rep Reporter) error { <-hold; return nil })
	shutdown(t, r) // detaches: the running work returned on ErrShutdown
	close(hold)

	var order []string
	checkpoints := map[string]string{}
	resume := func(s Snapshot, cp json.RawMessage) (Work, error) {
		checkpoints[s.ID] = string(cp)
		if s.State == Running && s.Phase != "exporting" {
			t.Errorf("resumed running job in phase %q", s.Phase)
		}
		return func(ctx context.Context, rep Reporter) error {
			order = append(order, s.ID) // one worker: no race
			return nil
		}, nil
	}
	r2 := openRegistry(t, dir, Options{Workers: 1, Resume: map[Kind]Resume{KindExport: resume}})
	defer shutdown(t, r2)
	if s, _ := r2.Get(running.ID); s.State != Running && s.State != Completed {
		t.Fatalf("reattached running job is %s", s.State)
	}
	wait(t, r2, running.ID)
	wait(t, r2, queued.ID)
	for _, id := range []string{running.ID, queued.ID} {
		if s, _ := r2.Get(id); s.State != Completed {
			t.Fatalf("job %s ended %s: %v", id, s.State, s.Err)
		}
	}
	if len(order) != 2 || order[0] != running.ID || order[1] != queued.ID {
		t.Fatalf("resumed in order %v, want the running job first", order)
	}
	if checkpoints[running.ID] != `{"step":"hyperv-started"}` || checkpoints[queued.ID] != `{"step":"planned"}` {
		t.Fatalf("checkpoints handed back: %v", checkpoints)
	}
	o, _ := r2.Get(other.ID)
	if o.State != Failed || !errs.Is(o.Err, errs.Interrupted) || o.Err.(*errs.Error).Extra["phase"] != "queued" {
		t.Fatalf("a kind without Resume: %+v %v", o, o.Err)
	}
}

// A cancel asked for before the restart is carried out after it: the
// resumed work sees its context cancelled with ErrCancelled and the job
// ends cancelled. A Resume that fails leaves the job failed as interrupted
// with the reason.
func TestReattachCarriesOnACancelAndReportsAFailedResume(t *testing.T) {
	dir := t.TempDir()
	r := openRegistry(t, dir, Options{})
	started := make(chan struct{}, 2)
	work := func(ctx context.Context, rep Reporter) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	a, _ := r.Submit(Spec{Kind: KindExport}, work)
	b, _ := r.Submit(Spec{Kind: KindImport}, work)
	<-started
	<-started
	// Cancel a, then stop before its work can react: the registry's
	// shutdown detaches it in Cancelling. (Its work returns at once, so
	// the race is settled by shutting the registry down in the same
	// critical moment: cancel's context cause is ErrCancelled, so the
	// job would end cancelled; simulate the stop by rewriting the record.)
	shutdown(t, r)
	rec := r.jobs[a.ID].recordLocked()
	rec.State, rec.Phase, rec.Rev = Cancelling, "cancelling", rec.Rev+1
	r.store.save(rec)

	resumeExport := func(s Snapshot, _ json.RawMessage) (Work, error) {
		if s.State != Cancelling {
			t.Errorf("state handed to Resume = %s", s.State)
		}
		return func(ctx context.Context, rep Reporter) error {
			if !errors.Is(context.Cause(ctx), errs.ErrCancelled) {
				return errors.New("context not cancelled for a job cancelled before the restart")
			}
			return errs.E(errs.Cancelled, "stopped")
		}, nil
	}
	resumeImport := func(Snapshot, json.RawMessage) (Work, error) {
		return nil, errs.E(errs.Interrupted, "the planned VM is gone")
	}
	r2 := openRegistry(t, dir, Options{Resume: map[Kind]Resume{KindExport: resumeExport, KindImport: resumeImport}})
	defer shutdown(t, r2)
	if s := wait(t, r2, a.ID); s.State != Cancelled {
		t.Fatalf("cancelled-before-restart job ended %s: %v", s.State, s.Err)
	}
	s, _ := r2.Get(b.ID)
	if s.State != Failed || !errs.Is(s.Err, errs.Interrupted) || !strings.Contains(errs.Message(s.Err), "the planned VM is gone") {
		t.Fatalf("failed resume: %+v %v", s, s.Err)
	}
}
