package metrics

import "github.com/hvport/hvport/jobs"

// Metrics is the job registry's observer (jobs.Options.Observer).
var _ jobs.Observer = (*Metrics)(nil)

// WatchJobs makes the running and queued gauges read r at each scrape.
func (m *Metrics) WatchJobs(r *jobs.Registry) {
	if m == nil || r == nil {
		return
	}
	m.mu.Lock()
	m.load = r.Load
	m.mu.Unlock()
}

// JobSubmitted counts a queued job.
func (m *Metrics) JobSubmitted(kind jobs.Kind) {
	if m != nil {
		m.jobsSubmitted.WithLabelValues(oneOf(string(kind), jobKinds)).Inc()
	}
}

// JobFinished counts a job's end and, when it ran, how long it ran.
func (m *Metrics) JobFinished(s jobs.Snapshot) {
	if m == nil {
		return
	}
	kind, state := oneOf(string(s.Kind), jobKinds), oneOf(string(s.State), finalStates)
	m.jobsFinished.WithLabelValues(kind, state).Inc()
	if s.StartedAt != nil && s.FinishedAt != nil {
		d := s.FinishedAt.Sub(*s.StartedAt)
		if d < 0 {
			d = 0
		}
		m.jobDuration.WithLabelValues(kind, state).Observe(d.Seconds())
	}
}

// JobBytes counts bytes a job moved: copying, hashing (phase verifying)
// and receiving (transferring) each have their counter; other phases'
// bytes (Hyper-V's own export, estimated from its percentage) are not
// counted.
func (m *Metrics) JobBytes(kind jobs.Kind, phase string, n int64) {
	if m == nil || n <= 0 {
		return
	}
	if c := m.jobBytes[phase]; c != nil {
		c.WithLabelValues(oneOf(string(kind), jobKinds)).Add(float64(n))
	}
}
