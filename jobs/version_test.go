package jobs

import (
	"context"
	"reflect"
	"testing"
)

// Every change a snapshot shows moves its Version on, and a Version that
// did not move means the same snapshot (handlers cache a job's JSON by
// it): each step of a job's work is checked against the snapshot before.
func TestVersionMovesWithEveryChange(t *testing.T) {
	r := newRegistry(t, Options{})
	step := make(chan func(Reporter))
	done := make(chan struct{})
	s, err := r.Submit(Spec{Kind: KindExport, VM: VMRef{ID: "1", Name: "vm"}}, func(ctx context.Context, rep Reporter) error {
		for f := range step {
			f(rep)
			done <- struct{}{}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func() Snapshot {
		t.Helper()
		s, err := r.Get(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.BytesPerSecond, s.ETASeconds = nil, nil // the estimate moves with the clock
		return s
	}
	prev := s
	check := func(what string, changes bool) {
		t.Helper()
		cur := get()
		moved := cur.Version != prev.Version
		if moved && cur.Version < prev.Version {
			t.Fatalf("%s: Version went back from %d to %d", what, prev.Version, cur.Version)
		}
		a, b := prev, cur
		a.Version, b.Version = 0, 0
		same := reflect.DeepEqual(a, b)
		if !moved && !same {
			t.Fatalf("%s changed the snapshot but not its Version %d:\n%+v\n%+v", what, cur.Version, prev, cur)
		}
		if changes && same {
			t.Fatalf("%s: the snapshot did not change", what)
		}
		prev = cur
	}
	run := func(what string, changes bool, f func(Reporter)) {
		t.Helper()
		step <- f
		<-done
		check(what, changes)
	}
	run("starting", true, func(Reporter) {})
	run("Phase", true, func(rep Reporter) { rep.Phase("exporting") })
	run("the same Phase", false, func(rep Reporter) { rep.Phase("exporting") })
	run("Progress", true, func(rep Reporter) { rep.Progress(10) })
	run("lower Progress", false, func(rep Reporter) { rep.Progress(5) })
	run("Bytes", true, func(rep Reporter) { rep.Bytes(100, 1000) })
	run("the same Bytes", false, func(rep Reporter) { rep.Bytes(100, 1000) })
	run("WMIJob", true, func(rep Reporter) { rep.WMIJob(`\\H\root:Msvm_ConcreteJob.InstanceID="j"`) })
	run("Warn", true, func(rep Reporter) { rep.Warn("careful") })
	run("Result", true, func(rep Reporter) { rep.Result(map[string]string{"exportId": "x"}) })
	close(step)
	wait(t, r, s.ID)
	check("completion", true)
}

// Those waiting for a job (a long poll through Next, Wait) hear that it
// finished, and anyone reading it (Get) sees it finished, only once that
// is stored: a client that saw it complete finds it completed after a
// crash too.
func TestWaitersHearOfAnEndOnceItIsStored(t *testing.T) {
	r := newRegistry(t, Options{})
	started, release := make(chan struct{}), make(chan struct{})
	s, err := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error {
		close(started)
		<-release
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	storing, proceed := make(chan struct{}), make(chan struct{})
	r.mu.Lock()
	j := r.jobs[s.ID]
	r.mu.Unlock()
	j.mu.Lock()
	j.persist = func(rec record) {
		if rec.State == Completed {
			close(storing)
			<-proceed
		}
	}
	j.mu.Unlock()
	cur, changed, err := r.Next(s.ID)
	if err != nil || cur.State != Running {
		t.Fatalf("%+v %v", cur, err)
	}
	waited := make(chan Snapshot)
	go func() {
		f, _ := r.Wait(context.Background(), s.ID)
		waited <- f
	}()
	close(release)
	<-storing
	// Nor can anyone read the new state: the job is locked until it is
	// stored (a Get, a poll, waits).
	if j.mu.TryLock() {
		j.mu.Unlock()
		t.Fatal("the job's end is readable before it is stored")
	}
	select {
	case <-changed:
		t.Fatal("a long poll heard of the end before it was stored")
	case f := <-waited:
		t.Fatalf("Wait returned %s before the end was stored", f.State)
	default:
	}
	close(proceed)
	<-changed
	if f := <-waited; f.State != Completed {
		t.Fatalf("Wait: %s", f.State)
	}
}
