package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func TestMethodDelay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{MethodDelay: map[string]time.Duration{"ExecQuery": time.Hour}})
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.ExecQuery(context.Background(), "SELECT * FROM Msvm_ComputerSystem")
		done <- err
	}()
	for f.clock.Timers() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the query did not wait: %v", err)
	default:
	}
	f.clock.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A delayed call gives up when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := f.svc.ExecQuery(ctx, "SELECT * FROM Msvm_ComputerSystem")
		done <- err
	}()
	for f.clock.Timers() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	cancel()
	wantHResult(t, <-done, wmi.WBEMCallCancelled)
	// Get is not delayed.
	f.get(t, vsmsPath)
}
