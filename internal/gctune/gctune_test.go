package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{4 << 20, 16 << 20, 400},   // 4 MiB kept: grow by 16 MiB
		{16 << 20, 16 << 20, 100},  // as much as the headroom: Go's default
		{600 << 20, 16 << 20, 100}, // a large heap: as Go would
		{8 << 20, 16 << 20, 200},
		{1 << 10, 16 << 20, 1600}, // bounded
		{0, 16 << 20, 1600},
	} {
		if got := PercentFor(c.live, c.headroom); got != c.want {
			t.Errorf("PercentFor(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

// After a collection the tuner has set GOGC for the heap the collection
// kept; Stop gives the default back.
func TestTunerSetsGOGCAfterACollection(t *testing.T) {
	t.Setenv("GOGC", "")
	tu := Start(1 << 30) // far more than this test's heap: the bound
	if tu == nil {
		t.Fatal("not started")
	}
	defer debug.SetGCPercent(100)
	// The finalizer runs on its own goroutine after the collection that
	// finds the sentinel: collect until it has (each GC runs the queued
	// finalizers' goroutine; Gosched lets it).
	for i := 0; i < 1000 && tu.current() != maxPercent; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if got := tu.current(); got != maxPercent {
		t.Fatalf("GOGC %d after collections, want %d", got, maxPercent)
	}
	tu.Stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC %d after Stop", got)
	}
}

func TestOperatorsGOGCIsLeftAlone(t *testing.T) {
	t.Setenv("GOGC", "150")
	if Start(0) != nil {
		t.Fatal("started although GOGC is set")
	}
}

// current reads GOGC without changing it.
func (t *Tuner) current() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}
