package sim

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"go.uber.org/zap"
)

// TestDemoSeedFile: configs/sim-demo.yaml is DemoSeed, so the two cannot
// drift apart.
func TestDemoSeedFile(t *testing.T) {
	t.Parallel()
	loaded, err := LoadSeed("../../configs/sim-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.normalized()
	if err != nil {
		t.Fatal(err)
	}
	want, err := DemoSeed().normalized()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("configs/sim-demo.yaml differs from DemoSeed():\n file %+v\n code %+v", got, want)
	}
	// Equal as written too, not only once defaults are filled in.
	if !reflect.DeepEqual(loaded, DemoSeed()) {
		t.Errorf("configs/sim-demo.yaml spells DemoSeed() differently:\n file %+v\n code %+v", loaded, DemoSeed())
	}
}

// TestFaultProbabilityStream: a rule fires on exactly the matching calls
// where its stream — PCG(seed, streamFaultBase + the rule's number) —
// draws below its Probability, and skipped or non-matching calls draw
// nothing.
func TestFaultProbabilityStream(t *testing.T) {
	t.Parallel()
	const seed, p, n = 1234, 0.25, 200
	h := &Host{opts: Options{RandomSeed: seed, Logger: zap.NewNop(), Faults: []FaultRule{
		{Method: "A", ReturnValue: 1, Probability: 0.5}, // rule 0
	}}}
	h.opts.ctl = newControls(&h.opts)
	h.AddFault(FaultRule{Method: "B", ReturnValue: 2, Probability: p, Skip: 2}) // rule 1

	src := rand.New(rand.NewPCG(seed, streamFaultBase+1))
	fired := 0
	for i := 0; i < n; i++ {
		// A call of another kind (job) or to another method draws nothing.
		h.mu.Lock()
		other := h.takeFaultLocked("B", "", "", false)
		got := h.takeFaultLocked("B", "", "", true) != nil
		h.mu.Unlock()
		if other != nil {
			t.Fatal("a synchronous rule fired for a job")
		}
		want := i >= 2 && src.Float64() < p
		if got != want {
			t.Fatalf("call %d: fired %v, the seeded source says %v", i, got, want)
		}
		if got {
			fired++
		}
	}
	if fired == 0 || fired == n-2 {
		t.Errorf("fired %d of %d", fired, n-2)
	}
	t.Logf("fired %d of %d calls", fired, n-2)
}
