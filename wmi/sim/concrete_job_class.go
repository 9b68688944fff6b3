package sim

import (
	"fmt"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_ConcreteJob as WMI shows it: the instance and its methods.
//
// RequestStateChange(RequestedState, TimeoutPeriod), decided here as the
// docs leave it open (docs/HYPERV.md#jobs, #uncertain):
//   - 5 Kill and 4 Terminate stop the work between two copy chunks, remove
//     what the job wrote, and end the job in 9 Killed or 8 Terminated;
//     the call returns 0 once the job has ended (TimeoutPeriod is
//     accepted and ignored). Whether real VMMS honours Terminate for
//     exports is UNCERTAIN; os-win uses Kill.
//   - 2 Start, 3 Suspend and 6 Service return 1 Not Supported.
//   - Any other value, or NULL, returns 5 Invalid Parameter.
//   - On a job that has already ended: 4097 Invalid State Transition.
// GetError / GetErrorEx return the job's Msvm_Error (msvm_error.go) as
// embedded CIM-XML, or NULL when the job has no error.

func (h *Host) jobPath(id string) string {
	return h.path(wmi.ClassConcreteJob, wmi.Key{Name: "InstanceID", Value: id})
}

// jobPathOf is the path of j in the namespace that started it.
func (h *Host) jobPathOf(j *job) string {
	return h.pathIn(j.namespace, wmi.ClassConcreteJob, wmi.Key{Name: "InstanceID", Value: j.id})
}

func (h *Host) jobLocked(id string) *job {
	for _, j := range h.jobs {
		if strings.EqualFold(j.id, id) && !j.hidden {
			return j
		}
	}
	return nil
}

func (h *Host) jobsLocked() []*wmi.Object {
	out := make([]*wmi.Object, 0, len(h.jobs))
	for _, j := range h.jobs {
		if !j.hidden && j.namespace == wmi.NamespaceV2 {
			out = append(out, h.jobObjectLocked(j))
		}
	}
	return out
}

func (h *Host) jobObjectLocked(j *job) *wmi.Object {
	now := h.now()
	v := values{
		"InstanceID":            j.id,
		"Caption":               j.caption,
		"Description":           j.description,
		"ElementName":           j.caption,
		"JobState":              j.state,
		"PercentComplete":       j.percent,
		"ErrorCode":             j.errorCode,
		"JobStatus":             j.status,
		"TimeSubmitted":         cimTimestamp(j.submitted),
		"TimeOfLastStateChange": cimTimestamp(j.changed),
		"TimeBeforeRemoval":     wmi.FormatInterval(jobTimeBeforeRemoval),
		"ElapsedTime":           wmi.FormatInterval(0),
		"Cancellable":           true,
		"DeleteOnCompletion":    false,
		"JobType":               j.jobType,
		"JobRunTimes":           uint32(1),
		"LocalOrUtcTime":        uint16(2), // UTC: the simulator's timestamps are UTC
		"Priority":              uint32(0),
		"OperationalStatus":     []uint16{2},
		"StatusDescriptions":    []string{"OK"},
		"HealthState":           uint16(5),
	}
	if !j.started.IsZero() {
		v["StartTime"] = cimTimestamp(j.started)
		end := now
		if wmi.JobStateTerminal(j.state) {
			end = j.finished
		}
		v["ElapsedTime"] = wmi.FormatInterval(end.Sub(j.started))
	}
	if j.errorDescription != "" {
		v["ErrorDescription"] = j.errorDescription
		v["ErrorSummaryDescription"] = j.errorSummary
	}
	return h.newInstance(classConcreteJob, v)
}

// jobOfCallLocked returns the job a method call targets (nil if it was
// removed since ExecMethod resolved it). The methods are the same in both
// namespaces; a job is found only in its own.
func (h *Host) jobOfCallLocked(call *methodCall) *job {
	j := h.jobLocked(call.path.Key("InstanceID"))
	if j == nil || j.namespace != call.ns.name {
		return nil
	}
	return j
}

func jobGoneError(call *methodCall) error {
	return wmiError("ExecMethod", call.target.Path, wmi.WBEMNotFound, "the job was removed")
}

func (h *Host) jobRequestStateChange(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	j := h.jobOfCallLocked(call)
	if j == nil {
		h.mu.Unlock()
		return nil, jobGoneError(call)
	}
	if f := h.takeFaultLocked(call.method, j.vmID, j.vmName, true); f != nil {
		h.mu.Unlock()
		return outParams(f.ReturnValue), nil
	}
	requested, ok := call.in["RequestedState"].(uint16)
	var ret uint32
	switch {
	case !ok || requested < wmi.JobRequestStart || requested > 6:
		ret = wmi.RSCInvalidParameter
	case requested != wmi.JobRequestTerminate && requested != wmi.JobRequestKill:
		ret = wmi.RSCNotSupported
	case wmi.JobStateTerminal(j.state):
		ret = wmi.RSCInvalidStateTransition
	}
	if ret != 0 {
		h.mu.Unlock()
		return outParams(ret), nil
	}
	end := wmi.JobKilled
	if requested == wmi.JobRequestTerminate {
		end = wmi.JobTerminated
	}
	h.stopJobLocked(j, end, fmt.Errorf("RequestStateChange(%d)", requested))
	done := j.done
	h.mu.Unlock()
	select {
	case <-done:
		return outParams(wmi.RSCCompleted), nil
	case <-call.ctx.Done():
		return nil, &wmi.Error{Op: "ExecMethod", Path: call.target.Path, HResult: wmi.WBEMCallCancelled, Err: call.ctx.Err()}
	}
}

// jobErrorsLocked returns the job's Msvm_Error instances: its own list
// (a validation's incompatibilities, on a completed job as on a failed
// one), else one for a job that did not complete, none otherwise.
func (h *Host) jobErrorsLocked(j *job) []*wmi.Object {
	if j.errors != nil && (wmi.JobStateTerminal(j.state) || j.errorCode != 0) {
		out := make([]*wmi.Object, len(j.errors))
		for i, e := range j.errors {
			out[i] = e.Clone()
		}
		return out
	}
	if j.errorCode == 0 && (j.state == wmi.JobCompleted || !wmi.JobStateTerminal(j.state)) {
		return nil
	}
	return []*wmi.Object{h.jobErrorObjectLocked(j)}
}

func (h *Host) jobGetError(call *methodCall) (*wmi.Object, error) {
	texts, err := h.jobErrorTexts(call)
	if err != nil || texts == nil {
		return outParams(0, wmi.Property{Name: "Error", Type: wmi.CIMString}), err
	}
	return outParams(0, wmi.Property{Name: "Error", Type: wmi.CIMString, Value: texts[0]}), nil
}

func (h *Host) jobGetErrorEx(call *methodCall) (*wmi.Object, error) {
	texts, err := h.jobErrorTexts(call)
	if err != nil {
		return nil, err
	}
	p := wmi.Property{Name: "Errors", Type: wmi.CIMString, Array: true}
	if texts != nil {
		p.Value = texts
	}
	return outParams(0, p), nil
}

// jobErrorTexts encodes the job's errors as CIM-XML (nil when none).
func (h *Host) jobErrorTexts(call *methodCall) ([]string, error) {
	h.mu.Lock()
	j := h.jobOfCallLocked(call)
	if j == nil {
		h.mu.Unlock()
		return nil, jobGoneError(call)
	}
	errs := h.jobErrorsLocked(j)
	h.mu.Unlock()
	var texts []string
	for _, e := range errs {
		s, err := wmi.EncodeInstance(e)
		if err != nil {
			return nil, &wmi.Error{Op: "ExecMethod", Path: call.target.Path, HResult: wmi.WBEMFailed,
				Msg: "encoding Msvm_Error", Err: err}
		}
		texts = append(texts, s)
	}
	return texts, nil
}
