package sim

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the simulator's source of time. Everything time-dependent goes
// through it — timestamps on objects, the 5-minute removal of finished jobs
// (TimeBeforeRemoval), copy throttling and method delays — so tests can run
// those on a FakeClock.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the simulator uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// RealClock returns a Clock backed by the time package.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// sleep waits d on clock, or until ctx is done (then it returns ctx's
// cause).
func sleep(ctx context.Context, clock Clock, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// FakeClock is a Clock that moves only when Advance is called. Tests use it
// to expire finished jobs and to step a throttled copy chunk by chunk.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer // pending, unordered
	// added is closed when a timer is next added (Waiting), nil while
	// nobody waits for one.
	added chan struct{}
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock has advanced d.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, when: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	if c.added != nil {
		close(c.added)
		c.added = nil
	}
	return t
}

// Advance moves the clock forward by d and fires every timer that is due,
// earliest first.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].when.Before(c.timers[j].when) })
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.when.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- t.when
	}
	c.timers = kept
}

// Timers reports how many timers are waiting to fire: a test can wait for
// the simulator to block on the clock before it advances it.
func (c *FakeClock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Waiting reports how many timers are waiting to fire, and gives a
// channel that is closed when a timer is next added: a test that finds
// none waits on it (and on whatever else may happen) for the simulator to
// block on the clock, instead of polling Timers against a real-time
// deadline.
func (c *FakeClock) Waiting() (int, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.added == nil {
		c.added = make(chan struct{})
	}
	return len(c.timers), c.added
}

type fakeTimer struct {
	clock *FakeClock
	when  time.Time
	ch    chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.timers {
		if p == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}
