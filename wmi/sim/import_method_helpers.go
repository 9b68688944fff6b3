package sim

import (
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Helpers shared by the methods of the import side (planned VMs, destroy,
// modify): running their work as a job or inline, resolving REF
// parameters, building out-parameters.

// launchAndUnlock runs work, the body of a method's job. It is called with
// h.mu held and returns with h.mu released.
//
// Unless inline, it starts a Msvm_ConcreteJob and returns 4096 and the
// job's path at once. Inline (Options.ImportSynchronous) it runs work in
// the caller's goroutine as a hidden job — the system is busy meanwhile, as
// with a visible job, and a host Close waits for it — and returns 0 when
// the work completed, else the failure's ErrorCode; the job path is "".
func (h *Host) launchAndUnlock(spec jobSpec, inline bool, work jobWork) (ret uint32, jobPath string) {
	if !inline {
		j := h.startJobLocked(spec, work)
		path := h.jobPathOf(j)
		h.mu.Unlock()
		return wmi.ReturnJobStarted, path
	}
	j, ctx := h.newJobLocked(spec, true)
	h.mu.Unlock()
	h.runJob(ctx, j, work)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.jobs = slices.DeleteFunc(h.jobs, func(x *job) bool { return x == j })
	if j.state == wmi.JobCompleted {
		return wmi.ReturnOK, ""
	}
	h.log.Info("inline work failed", zap.String("caption", j.caption), zap.String("vm", j.vmName),
		zap.Uint16("errorCode", j.errorCode), zap.String("error", j.errorDescription))
	return uint32(j.errorCode), ""
}

// rejectCall logs a synchronous failure and returns its code. Real VMMS
// explains such failures only in its event log; the simulator logs the
// reason.
func (h *Host) rejectCall(call *methodCall, code uint32, reason string) uint32 {
	h.log.Info(call.method+" rejected", zap.Uint32("returnValue", code), zap.String("reason", reason))
	return code
}

// refProp is a REF out-parameter, NULL when path is "".
func refProp(name, path string) wmi.Property {
	p := wmi.Property{Name: name, Type: wmi.CIMReference}
	if path != "" {
		p.Value = path
	}
	return p
}

// refArrayProp is a REF[] out-parameter, NULL when paths is nil.
func refArrayProp(name string, paths []string) wmi.Property {
	p := wmi.Property{Name: name, Type: wmi.CIMReference, Array: true}
	if paths != nil {
		p.Value = paths
	}
	return p
}

// systemRef parses a REF to a computer system of this namespace and
// returns its class and Name key ("", "" when it is none).
func systemRef(v any) (class, name string) {
	s, _ := v.(string)
	p, err := wmi.ParsePath(s)
	if err != nil || (p.Namespace != "" && !strings.EqualFold(p.Namespace, wmi.NamespaceV2)) || len(p.Keys) != 2 ||
		!strings.EqualFold(p.Key("CreationClassName"), p.Class) {
		return "", ""
	}
	return p.Class, p.Key("Name")
}

// plannedOfRefLocked resolves a Msvm_PlannedComputerSystem REF, or nil.
func (h *Host) plannedOfRefLocked(v any) *plannedVM {
	class, name := systemRef(v)
	if !strings.EqualFold(class, wmi.ClassPlannedComputerSystem) {
		return nil
	}
	return h.plannedLocked(name)
}

// plannedIdentity is the GUID and name of p, "" for nil (fault rules).
func plannedIdentity(p *plannedVM) (id, name string) {
	if p == nil {
		return "", ""
	}
	return p.config.ID, p.config.Name
}

// Job identities of the import side. JobType 61 (Import Virtual Machine)
// and 3 (Destroy VM) are from the Msvm_ConcreteJob.JobType list
// (docs/HYPERV.md#jobs); that list has no value for validating or
// realizing a planned VM, so those jobs are 61 as well (INFERRED). The
// captions are INFERRED.
const (
	importJobCaption        = "Import Virtual Machine"
	importJobDescription    = "Importing Virtual Machine"
	snapshotsJobCaption     = "Import Snapshot Definitions"
	snapshotsJobDescription = "Importing Snapshot Definitions"
	validateJobCaption      = "Validate Planned Virtual Machine"
	validateJobDescription  = "Validating Planned Virtual Machine"
	realizeJobCaption       = "Realize Planned Virtual Machine"
	realizeJobDescription   = "Realizing Planned Virtual Machine"
	destroyJobCaption       = "Destroy Virtual Machine"
	destroyJobDescription   = "Destroying Virtual Machine"
)

func (h *Host) plannedJobSpec(p *plannedVM, caption, description string) jobSpec {
	return jobSpec{systemID: p.config.ID, systemName: p.config.Name, affected: h.plannedSystemPath(p.config.ID),
		jobType: wmi.JobTypeImportVM, caption: caption, description: description}
}

// closedError is the failure of a call that reaches a method after Close.
func closedError(call *methodCall) error {
	return wmiError("ExecMethod", call.target.Path, wmi.WBEMTransportFailure, "the simulated host is closed")
}
