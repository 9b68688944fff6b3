package sim

import "strings"

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
type FaultRule struct {
	// Method is the method name, e.g. "ExportSystemDefinition".
	Method string
	// VM restricts the rule to one VM, by GUID or display name; "" = any.
	VM string
	// ReturnValue, if non-zero, is returned synchronously.
	ReturnValue uint32
	// JobErrorCode and JobErrorDescription: the started job fails with
	// them (description defaults to a generic text).
	JobErrorCode        uint16
	JobErrorDescription string
	// AtPercent is the PercentComplete at which the job fails (0 = before
	// it copies anything).
	AtPercent int
	// Count is how many times the rule fires; 0 = forever.
	Count int
	// Skip lets the rule pass over its first Skip matching calls before it
	// fires (govmomi's SkipCount): a test can fail the second
	// ImportSystemDefinition of a flow that calls it twice.
	Skip int
}

type faultState struct {
	rule      FaultRule
	remaining int // < 0: forever
	skip      int
}

// AddFault adds a fault rule. Rules are consulted in the order they were
// added; the first that matches fires.
func (h *Host) AddFault(r FaultRule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	remaining := r.Count
	if remaining == 0 {
		remaining = -1
	}
	h.faults = append(h.faults, &faultState{rule: r, remaining: remaining, skip: r.Skip})
}

// ClearFaults removes every fault rule.
func (h *Host) ClearFaults() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = nil
}

// takeFaultLocked fires the first rule for method and the VM or planned VM
// vmID / vmName ("" when the call names none) of the wanted kind —
// synchronous (ReturnValue) or job (JobErrorCode) — and returns a copy of
// it, or nil.
func (h *Host) takeFaultLocked(method, vmID, vmName string, synchronous bool) *FaultRule {
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
