// Package progress is the reporting interface jobs are given
// (jobs.Reporter is this interface) and the scaling the application rooms
// (exports, imports) share; the driver needs only a subset
// (hyperv.Progress).
package progress

// Reporter receives a job's progress.
type Reporter interface {
	// Phase names the current step (e.g. "exporting").
	Phase(name string)
	// Progress sets the percentage done (0-100).
	Progress(percent int)
	// WMIJob records the path of the Hyper-V job doing the work.
	WMIJob(path string)
	// Warn records a warning the user should see in the job.
	Warn(msg string)
	// Result records what the job produced (e.g. a link to an export).
	Result(v any)
	// Bytes records how many bytes of the current phase's work are done,
	// of how many (copy and hash phases).
	Bytes(done, total int64)
	// Checkpoint records, durably and before it returns, what a restarted
	// server needs to finish or undo the work (a job's resume state: the
	// planned VM created, the files copied, the step reached). v must
	// marshal to JSON; each call replaces the previous checkpoint.
	Checkpoint(v any)
}

// Scale maps a step's own 0-100 progress into [from, to] of the job's, so
// that several steps add up to one monotonic number.
func Scale(r Reporter, from, to int) Reporter { return scaled{r, from, to} }

type scaled struct {
	r        Reporter
	from, to int
}

func (s scaled) Progress(p int)          { s.r.Progress(s.from + p*(s.to-s.from)/100) }
func (s scaled) Phase(name string)       { s.r.Phase(name) }
func (s scaled) WMIJob(path string)      { s.r.WMIJob(path) }
func (s scaled) Warn(msg string)         { s.r.Warn(msg) }
func (s scaled) Result(v any)            { s.r.Result(v) }
func (s scaled) Bytes(done, total int64) { s.r.Bytes(done, total) }
func (s scaled) Checkpoint(v any)        { s.r.Checkpoint(v) }

// Discard drops everything (for work that is not a job).
var Discard Reporter = discard{}

type discard struct{}

func (discard) Phase(string)       {}
func (discard) Progress(int)       {}
func (discard) WMIJob(string)      {}
func (discard) Warn(string)        {}
func (discard) Result(any)         {}
func (discard) Bytes(int64, int64) {}
func (discard) Checkpoint(any)     {}

// EstimateBytes reports, with every percentage of a step that counts no
// bytes itself (a Hyper-V export job reports only PercentComplete), the
// matching share of total as bytes done, so a client can show bytes and a
// rate for the whole job. total <= 0 reports nothing more.
func EstimateBytes(r Reporter, total int64) Reporter {
	if total <= 0 {
		return r
	}
	return estimated{r, total}
}

type estimated struct {
	Reporter
	total int64
}

func (e estimated) Progress(p int) {
	e.Reporter.Progress(p)
	if p < 0 {
		p = 0
	}
	if p > 100 {
		p = 100
	}
	e.Reporter.Bytes(e.total*int64(p)/100, e.total)
}
