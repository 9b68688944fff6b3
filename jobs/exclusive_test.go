package jobs

import (
	"context"
	"sync"
	"testing"
)

// Jobs that need the same VM run one after the other, the later one
// waiting in phase "waiting for VM"; a job of another VM runs meanwhile
// (issue #10, point 8: the second export of a VM failed with 32774 before).
func TestJobsOfOneVMRunOneAtATime(t *testing.T) {
	r := newRegistry(t, Options{Workers: 2})
	release := make(chan struct{})
	startedA, startedC := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var order []string
	record := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	a, _ := r.Submit(Spec{Kind: KindExport, VM: VMRef{ID: "1"}, Exclusive: "vm:1"}, func(ctx context.Context, rep Reporter) error {
		record("a start")
		close(startedA)
		<-release
		record("a end")
		return nil
	})
	<-startedA
	b, _ := r.Submit(Spec{Kind: KindExport, VM: VMRef{ID: "1"}, Exclusive: "vm:1"}, func(ctx context.Context, rep Reporter) error {
		record("b start")
		return nil
	})
	c, _ := r.Submit(Spec{Kind: KindExport, VM: VMRef{ID: "2"}, Exclusive: "vm:2"}, func(ctx context.Context, rep Reporter) error {
		close(startedC)
		return nil
	})
	<-startedC // the other VM's job ran although a worker was held by a
	wait(t, r, c.ID)
	if s, _ := r.Get(b.ID); s.State != Queued || s.Phase != WaitingPhase {
		t.Fatalf("the second job of VM 1 is %s/%q while the first runs, want queued/%q", s.State, s.Phase, WaitingPhase)
	}
	close(release)
	wait(t, r, a.ID)
	if s := wait(t, r, b.ID); s.State != Completed {
		t.Fatalf("second job: %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 3 || order[0] != "a start" || order[1] != "a end" || order[2] != "b start" {
		t.Fatalf("order %v: the second job of a VM must start after the first ended", order)
	}
}
