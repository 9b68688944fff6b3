package sim

import "strings"

// FaultRule makes a method fail on purpose, for tests (govmomi's
// FaultInjectionRule is the model). A rule with a non-zero ReturnValue
// makes the method return that code synchronously, before the method's own
// checks run (no job is started). Otherwise a rule with a non-zero
// JobErrorCode lets the method start its job and makes the job end in
// JobState 10 (Exception) with that ErrorCode and JobErrorDescription once
// its copy reaches AtPercent, removing the job's partial output as any
// failure does.
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
}

type faultState struct {
	rule      FaultRule
	remaining int // < 0: forever
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
	h.faults = append(h.faults, &faultState{rule: r, remaining: remaining})
}

// ClearFaults removes every fault rule.
func (h *Host) ClearFaults() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = nil
}

// takeFaultLocked fires the first rule for method and vm (nil: the call
// names no VM) of the wanted kind — synchronous (ReturnValue) or job
// (JobErrorCode) — and returns a copy of it, or nil.
func (h *Host) takeFaultLocked(method string, vm *virtualMachine, synchronous bool) *FaultRule {
	for i, f := range h.faults {
		r := f.rule
		if !strings.EqualFold(r.Method, method) || (r.ReturnValue != 0) != synchronous {
			continue
		}
		if !synchronous && r.JobErrorCode == 0 {
			continue
		}
		if r.VM != "" && (vm == nil || (!strings.EqualFold(r.VM, vm.config.ID) && !strings.EqualFold(r.VM, vm.config.Name))) {
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
