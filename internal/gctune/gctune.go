// Package gctune keeps the garbage collector from running needlessly
// often while the server's heap is small. Go collects when the heap has
// grown by GOGC percent (100) of what the last collection kept, but at
// least 4 MiB: a server that keeps a few MiB and answers thousands of
// polls a second collects dozens of times a second, and in the jobs pair
// of the benchmark harness that was a fifth of the server's CPU
// (docs/BENCHMARKS.md). Start raises GOGC after each collection so that
// the heap may grow by at least Headroom before the next one, and lowers
// it back to the default as the kept heap grows past Headroom: a large
// heap is collected as Go would, a small one costs at most Headroom more
// memory.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Headroom is how much the heap may grow between two collections at
// least: 16 MiB against the runtime's 4.
const Headroom = 16 << 20

// maxPercent bounds GOGC when the kept heap is tiny.
const maxPercent = 1600

// PercentFor is the GOGC that lets a heap of live bytes grow by
// max(live, headroom) before the next collection (never below Go's 100).
func PercentFor(live, headroom uint64) int {
	if live == 0 {
		return maxPercent
	}
	p := 100 * headroom / live
	return int(min(max(p, 100), maxPercent))
}

// Tuner adjusts GOGC after each collection; Stop ends it.
type Tuner struct {
	stopped  atomic.Bool
	headroom uint64
	last     int
	sample   []metrics.Sample
}

// Start tunes GOGC with headroom (Headroom when 0). It does nothing and
// returns nil when the GOGC environment variable is set: the host's
// operator chose.
func Start(headroom uint64) *Tuner {
	if os.Getenv("GOGC") != "" {
		return nil
	}
	if headroom == 0 {
		headroom = Headroom
	}
	t := &Tuner{headroom: headroom, last: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.arm()
	return t
}

// Stop ends the tuning and gives GOGC back its default.
func (t *Tuner) Stop() {
	if t == nil || t.stopped.Swap(true) {
		return
	}
	debug.SetGCPercent(100)
}

// arm sets a sentinel that becomes garbage at once: its finalizer runs
// after the next collection, adjusts, and arms the next one.
func (t *Tuner) arm() {
	s := new(sentinel)
	runtime.SetFinalizer(s, func(*sentinel) {
		if t.stopped.Load() {
			return
		}
		t.adjust()
		t.arm()
	})
}

type sentinel struct{ _ [16]byte } // not tiny-allocated: a finalizer needs its own object

func (t *Tuner) adjust() {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	p := PercentFor(t.sample[0].Value.Uint64(), t.headroom)
	// Only a change worth it: setting GOGC recomputes the GC's pacing.
	if p*10 < t.last*9 || p*10 > t.last*11 {
		debug.SetGCPercent(p)
		t.last = p
	}
}
