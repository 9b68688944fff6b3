package jobs

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

const mb = 1 << 20

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// est reads an estimate for a test: -1 for unknown.
func est(r *rate, now time.Time) (int64, int64) {
	b, e := r.estimate(now)
	bv, ev := int64(-1), int64(-1)
	if b != nil {
		bv = *b
	}
	if e != nil {
		ev = *e
	}
	return bv, ev
}

func TestRateSteadyCopy(t *testing.T) {
	var r rate
	if b, e := est(&r, t0); b != -1 || e != -1 {
		t.Fatalf("no reports: %d B/s, eta %d", b, e)
	}
	r.observe(at(0), 0, 100*mb)
	r.observe(at(1), 10*mb, 100*mb)
	if b, _ := est(&r, at(1)); b != -1 {
		t.Fatalf("after 1 s (warming up): %d B/s, want unknown", b)
	}
	for s := 2; s <= 5; s++ {
		r.observe(at(float64(s)), int64(s)*10*mb, 100*mb)
	}
	// A constant rate is that rate exactly, from the first seconds on.
	if b, e := est(&r, at(5)); b != 10*mb || e != 5 {
		t.Fatalf("10 MB/s, 50 MB left: %d B/s, eta %d s", b, e)
	}
	// Several reports at one instant count with the next time span.
	r.observe(at(6), 60*mb, 100*mb)
	r.observe(at(6), 65*mb, 100*mb)
	r.observe(at(7), 70*mb, 100*mb)
	if b, e := est(&r, at(7)); b != 10*mb || e != 3 {
		t.Fatalf("bunched reports: %d B/s, eta %d s", b, e)
	}
}

// The rate follows the last seconds, not the average since the start.
func TestRateFollowsAChange(t *testing.T) {
	var r rate
	total := int64(10000 * mb)
	done := int64(0)
	r.observe(at(0), 0, total)
	for s := 1; s <= 60; s++ { // a minute at 10 MB/s
		done += 10 * mb
		r.observe(at(float64(s)), done, total)
	}
	for s := 61; s <= 90; s++ { // then 30 s at 20 MB/s
		done += 20 * mb
		r.observe(at(float64(s)), done, total)
		if s == 70 {
			// 10 s (one time constant) in: about 1-e⁻¹ of the way.
			if b, _ := est(&r, at(70)); b < 16*mb || b > 17*mb {
				t.Errorf("10 s after the change: %.1f MB/s, want about 16.3", float64(b)/mb)
			}
		}
	}
	b, e := est(&r, at(90))
	// The overall average would be 13.3 MB/s.
	if b < 19*mb || b > 20*mb {
		t.Fatalf("30 s after the change: %.1f MB/s, want about 19.5", float64(b)/mb)
	}
	if want := (total - done + b - 1) / b; e != want {
		t.Fatalf("eta %d s, want %d", e, want)
	}
}

// Hyper-V reports a percentage: the same byte count is repeated between
// steps. Repeats do not drag the rate down and up again.
func TestRateStepsAndStalls(t *testing.T) {
	var r rate
	step := int64(200 * mb) // 1 % of a 20 GB export every 20 s
	r.observe(at(0), 0, 100*step)
	for s := 1; s <= 200; s++ {
		done := int64(s/20) * step
		r.observe(at(float64(s)), done, 100*step)
		if s < 20 {
			continue
		}
		if b, _ := est(&r, at(float64(s))); b != 10*mb {
			t.Fatalf("at %d s between steps: %.2f MB/s, want 10", s, float64(b)/mb)
		}
	}
	// No step for three gaps (60 s) and more than 30 s: unknown.
	if b, _ := est(&r, at(200+60)); b != 10*mb {
		t.Fatalf("60 s after the last step: %d B/s, still known", b)
	}
	if b, e := est(&r, at(200+61)); b != -1 || e != -1 {
		t.Fatalf("stalled: %d B/s, eta %d, want unknown", b, e)
	}

	// A fine-grained copy that stalls is unknown after 30 s.
	var c rate
	for s := 0; s <= 10; s++ {
		c.observe(at(float64(s)), int64(s)*mb, 100*mb)
	}
	if b, _ := est(&c, at(40)); b != mb {
		t.Fatalf("30 s idle: %d B/s, want still 1 MB/s", b)
	}
	if b, _ := est(&c, at(41)); b != -1 {
		t.Fatalf("31 s idle: %d B/s, want unknown", b)
	}
}

func TestRateStartsOver(t *testing.T) {
	var r rate
	for s := 0; s <= 10; s++ {
		r.observe(at(float64(s)), int64(s)*mb, 100*mb)
	}
	// A new count from zero (hashing after copying) forgets the old rate.
	r.observe(at(11), 0, 50*mb)
	r.observe(at(12), 5*mb, 50*mb)
	if b, _ := est(&r, at(12)); b != -1 {
		t.Fatalf("1 s into a new count: %d B/s, want unknown", b)
	}
	r.observe(at(13), 10*mb, 50*mb)
	if b, e := est(&r, at(13)); b != 5*mb || e != 8 {
		t.Fatalf("new count: %d B/s, eta %d", b, e)
	}
	// No total: a rate, no time left.
	r.observe(at(14), 15*mb, 0)
	if b, e := est(&r, at(14)); b != 5*mb || e != -1 {
		t.Fatalf("no total: %d B/s, eta %d", b, e)
	}
	r.reset()
	if b, e := est(&r, at(14)); b != -1 || e != -1 {
		t.Fatalf("after reset: %d B/s, eta %d", b, e)
	}
}

func show(p *int64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatInt(*p, 10)
}

// clock is a test's "now", moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A job shows a rate while it moves bytes in a phase, none in a phase
// that moves none, and none once finished.
func TestJobRate(t *testing.T) {
	c := &clock{t: t0}
	r := newRegistry(t, Options{Now: c.now})
	step, next := make(chan string), make(chan struct{})
	s, err := r.Submit(Spec{Kind: KindImport}, func(ctx context.Context, rep Reporter) error {
		rep.Phase("copying")
		for i := 0; i <= 4; i++ {
			rep.Bytes(int64(i)*8*mb, 80*mb)
			c.add(time.Second)
		}
		rep.Phase("copying") // the same phase again: the rate stays
		step <- "copying"
		<-next
		rep.Phase("validating")
		step <- "validating"
		<-next
		rep.Phase("hashing")
		for i := 0; i <= 4; i++ {
			rep.Bytes(int64(i)*mb, 80*mb)
			c.add(time.Second)
		}
		return nil // finishing while bytes move
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.BytesPerSecond != nil || s.ETASeconds != nil {
		t.Fatalf("queued: %s B/s, eta %s", show(s.BytesPerSecond), show(s.ETASeconds))
	}
	<-step
	g, _ := r.Get(s.ID)
	if g.BytesPerSecond == nil || *g.BytesPerSecond != 8*mb || g.ETASeconds == nil || *g.ETASeconds != 6 {
		t.Fatalf("copying at 8 MB/s, 48 MB left: %s B/s, eta %s", show(g.BytesPerSecond), show(g.ETASeconds))
	}
	next <- struct{}{}
	<-step
	if g, _ = r.Get(s.ID); g.BytesPerSecond != nil || g.ETASeconds != nil {
		t.Fatalf("validating moves no bytes: %s B/s, eta %s", show(g.BytesPerSecond), show(g.ETASeconds))
	}
	next <- struct{}{}
	if f := wait(t, r, s.ID); f.State != Completed || f.BytesPerSecond != nil || f.ETASeconds != nil {
		t.Fatalf("finished: %s, %s B/s, eta %s", f.State, show(f.BytesPerSecond), show(f.ETASeconds))
	}
}
