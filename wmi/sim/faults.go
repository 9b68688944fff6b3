package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// FaultRule makes a method fail on purpose, for tests (govmomi's
// FaultInjectionRule is the model). A rule with a non-zero ReturnValue
// makes the method return that code synchronously, before the method's own
// checks run (no job is started). Otherwise a rule with a non-zero
// JobErrorCode lets the method start its job and makes the job end in
// JobState 10 (Exception) with that ErrorCode and JobErrorDescription once
// its copy reaches AtPercent, removing the job's partial output as any
// failure does. Jobs that copy nothing (import, validate, destroy) fail at
// their start whatever AtPercent says; RealizePlannedSystem copies the
// runtime state and configuration, ExportSystemDefinition the export. With
// Options.ImportSynchronous a job rule makes the inline work fail and the
// method return JobErrorCode.
//
// VM matches the VM or planned VM a call is about by GUID or display name:
// for ImportSystemDefinition the VM in the definition file (its original
// GUID), for GetDefinitionFileSummaryInformation and ModifyResourceSettings
// none (only rules without VM match).
//
// A matching call is one for the rule's method and VM of the rule's kind
// (synchronous or job). The first Skip matching calls pass; after them,
// a rule with a Probability fires on each matching call with that
// probability, drawn from the rule's own random stream (derived from
// Options.RandomSeed and the rule's position among all the rules the host
// was given, Options.Faults first), so that the same seed and the same
// calls fire on the same calls; a call it does not fire on passes to the
// next rule. Count counts the calls it fired on.
//
// The field tags are the keys of a fault in a controls file (Controls).
type FaultRule struct {
	// Method is the method name, e.g. "ExportSystemDefinition".
	Method string `yaml:"method" json:"method"`
	// VM restricts the rule to one VM, by GUID or display name; "" = any.
	VM string `yaml:"vm,omitempty" json:"vm,omitempty"`
	// ReturnValue, if non-zero, is returned synchronously.
	ReturnValue uint32 `yaml:"return-value,omitempty" json:"return-value,omitempty"`
	// JobErrorCode and JobErrorDescription: the started job fails with
	// them (description defaults to a generic text).
	JobErrorCode        uint16 `yaml:"job-error-code,omitempty" json:"job-error-code,omitempty"`
	JobErrorDescription string `yaml:"job-error-description,omitempty" json:"job-error-description,omitempty"`
	// AtPercent is the PercentComplete at which the job fails (0 = before
	// it copies anything).
	AtPercent int `yaml:"at-percent,omitempty" json:"at-percent,omitempty"`
	// Count is how many times the rule fires; 0 = forever.
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// Skip lets the rule pass over its first Skip matching calls before it
	// fires (govmomi's SkipCount): a test can fail the second
	// ImportSystemDefinition of a flow that calls it twice.
	Skip int `yaml:"skip,omitempty" json:"skip,omitempty"`
	// Probability, if non-zero, is the chance in (0, 1] that the rule
	// fires on a matching call after the skipped ones; 0 = always.
	// AddFault panics on a value outside [0, 1].
	Probability float64 `yaml:"probability,omitempty" json:"probability,omitempty"`
}

// check reports what makes the rule unusable: a rule that can never fire
// (no method, no ReturnValue nor JobErrorCode) or a value out of range.
func (r FaultRule) check() error {
	if strings.TrimSpace(r.Method) == "" {
		return errors.New("method is missing")
	}
	if r.ReturnValue == 0 && r.JobErrorCode == 0 {
		return fmt.Errorf("%s: needs a return-value or a job-error-code (it would never fire)", r.Method)
	}
	if err := checkProbability(r.Probability); err != nil {
		return fmt.Errorf("%s: %w", r.Method, err)
	}
	if r.AtPercent < 0 || r.AtPercent > 100 {
		return fmt.Errorf("%s: at-percent %d is not in 0-100", r.Method, r.AtPercent)
	}
	if r.Count < 0 {
		return fmt.Errorf("%s: count %d is negative", r.Method, r.Count)
	}
	if r.Skip < 0 {
		return fmt.Errorf("%s: skip %d is negative", r.Method, r.Skip)
	}
	return nil
}

func checkProbability(p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return fmt.Errorf("probability %v is not in [0, 1]", p)
	}
	return nil
}

type faultState struct {
	rule      FaultRule
	remaining int // < 0: forever
	skip      int
	rng       *rand.Rand // the rule's draws for Probability; nil when it has none
}

// AddFault adds a fault rule. Rules are consulted in the order they were
// added (after Options.Faults); the first that matches and fires wins.
func (h *Host) AddFault(r FaultRule) {
	if err := checkProbability(r.Probability); err != nil {
		panic("sim: AddFault: " + err.Error())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.installOptionFaultsLocked()
	h.faults = append(h.faults, h.opts.ctl.newFaultState(r))
}

// ClearFaults removes every fault rule, Options.Faults too.
func (h *Host) ClearFaults() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.installOptionFaultsLocked()
	h.faults = nil
}

// installOptionFaultsLocked puts Options.Faults before the rules added so
// far, once. (It runs on the first use of the rules instead of in New,
// which then needs no hook; nothing else reads h.faults.)
func (h *Host) installOptionFaultsLocked() {
	c := h.opts.ctl
	if c == nil || c.faultsInstalled {
		return
	}
	c.faultsInstalled = true
	if len(c.optionFaults) > 0 {
		h.faults = append(c.optionFaults, h.faults...)
		c.optionFaults = nil
	}
}

// takeFaultLocked fires the first rule for method and the VM or planned VM
// vmID / vmName ("" when the call names none) of the wanted kind —
// synchronous (ReturnValue) or job (JobErrorCode) — and returns a copy of
// it, or nil.
func (h *Host) takeFaultLocked(method, vmID, vmName string, synchronous bool) *FaultRule {
	h.installOptionFaultsLocked()
	for i, f := range h.faults {
		r := f.rule
		if !strings.EqualFold(r.Method, method) || (r.ReturnValue != 0) != synchronous {
			continue
		}
		if !synchronous && r.JobErrorCode == 0 {
			continue
		}
		if r.VM != "" && (vmID == "" || (!strings.EqualFold(r.VM, vmID) && !strings.EqualFold(r.VM, vmName))) {
			continue
		}
		if f.skip > 0 {
			f.skip--
			continue
		}
		if f.rng != nil && f.rng.Float64() >= r.Probability {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				h.faults = append(h.faults[:i:i], h.faults[i+1:]...)
			}
		}
		return &r
	}
	return nil
}
