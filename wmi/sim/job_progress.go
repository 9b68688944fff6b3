package sim

import "fmt"

// jobProgress turns copied bytes into PercentComplete and fires a job
// fault rule (FaultRule.JobErrorCode) when the copy reaches its AtPercent.
// Jobs that copy nothing call check(0) at their start, so their rules fire
// there.
type jobProgress struct {
	h       *Host
	j       *job
	total   int64
	done    int64
	fault   *FaultRule
	summary string // ErrorSummaryDescription of a fault
}

func (p *jobProgress) add(n int64) error {
	p.done += n
	pct := 100
	if p.total > 0 {
		pct = int(p.done * 100 / p.total)
	}
	p.h.setJobPercent(p.j, pct)
	return p.check(pct)
}

func (p *jobProgress) check(pct int) error {
	if p.fault == nil || pct < p.fault.AtPercent {
		return nil
	}
	desc := p.fault.JobErrorDescription
	if desc == "" {
		desc = fmt.Sprintf("Simulated failure at %d%% (fault rule).", p.fault.AtPercent)
	}
	return &jobFailure{code: p.fault.JobErrorCode, summary: p.summary, description: desc}
}

// faultAtStart is the failure a job rule causes in a job that copies
// nothing, or nil.
func faultAtStart(f *FaultRule, summary string) error {
	if f == nil {
		return nil
	}
	desc := f.JobErrorDescription
	if desc == "" {
		desc = "Simulated failure (fault rule)."
	}
	return &jobFailure{code: f.JobErrorCode, summary: summary, description: desc}
}
