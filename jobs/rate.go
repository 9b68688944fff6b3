package jobs

import (
	"math"
	"time"
)

// The byte rate a job shows (bytesPerSecond, etaSeconds) is a moving
// average of the byte reports of its current phase, weighted
// exponentially with time: a report rateTau old counts e⁻¹ as much as a
// fresh one, so the rate follows the last 10–30 s and forgets a slow
// start or a burst.
const (
	rateTau = 10 * time.Second
	// rateWarmUp is how long a phase must have moved bytes before its rate
	// is shown: the first reports of a copy say little.
	rateWarmUp = 2 * time.Second
	// rateStale: when no byte moved for this long, and for three times the
	// last gap between moves, the rate is unknown again — a transfer that
	// stalled has no rate to show, only the last one it had.
	rateStale = 30 * time.Second
)

// rate turns (time, bytes done, bytes total) reports into a moving
// average rate and the time left at that rate. Only reports that moved
// bytes count: Hyper-V's progress comes in steps (1 % of a large export
// may take minutes), and polls that repeat the same value between steps
// would otherwise drag the average to nothing and back at every step.
//
// A report with fewer bytes done than the last (a new phase counting from
// zero) starts over. The zero value is ready to use and knows no rate.
type rate struct {
	seen  bool          // a report came since the last reset
	start time.Time     // first report of this run
	last  time.Time     // the last report that moved bytes (or start)
	gap   time.Duration // between the last two reports that moved bytes
	done  int64         // bytes done at last
	total int64         // bytes total of the newest report
	avg   float64       // exponentially weighted bytes/s, not yet corrected
	// weight is how much of avg is data rather than its zero start,
	// 1 - e^(-(last-start)/τ); avg/weight is the rate (the bias
	// correction makes the first seconds' rate their plain average).
	weight float64
}

// observe feeds one report.
func (r *rate) observe(t time.Time, done, total int64) {
	if !r.seen || done < r.done {
		*r = rate{seen: true, start: t, last: t, done: done, total: total}
		return
	}
	r.total = total
	dt := t.Sub(r.last)
	if done == r.done || dt <= 0 {
		// Nothing moved, or no time passed: bytes moved at the same
		// instant count with the next report that has a time span.
		return
	}
	a := 1 - math.Exp(-dt.Seconds()/rateTau.Seconds())
	r.avg += a * (float64(done-r.done)/dt.Seconds() - r.avg)
	r.weight += a * (1 - r.weight)
	r.last, r.gap, r.done = t, dt, done
}

// reset forgets everything (a phase that moves no bytes, or another one).
func (r *rate) reset() { *r = rate{} }

// estimate is the rate in bytes per second and the seconds left at that
// rate, as of now; each is nil when unknown (no or too few reports, a
// stall, no total).
func (r *rate) estimate(now time.Time) (bytesPerSecond, etaSeconds *int64) {
	if r.weight == 0 || r.last.Sub(r.start) < rateWarmUp {
		return nil, nil
	}
	if idle := now.Sub(r.last); idle > rateStale && idle > 3*r.gap {
		return nil, nil
	}
	bps := r.avg / r.weight
	if bps < 1 {
		return nil, nil
	}
	b := int64(math.Round(bps))
	bytesPerSecond = &b
	if r.total > 0 && r.done <= r.total {
		e := int64(math.Ceil(float64(r.total-r.done) / bps))
		etaSeconds = &e
	}
	return bytesPerSecond, etaSeconds
}
