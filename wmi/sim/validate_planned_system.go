package sim

import (
	"context"
	"errors"
	"fmt"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ValidatePlannedSystem
// (docs/HYPERV.md#v2-methods, #validation):
//
//	uint32 ValidatePlannedSystem([in] Msvm_PlannedComputerSystem REF PlannedSystem,
//	    [out] CIM_ConcreteJob REF Job)
//
// Synchronous failures, in order: a fault rule; PlannedSystem names no
// planned VM → 32773; the planned VM is busy → 32774. Otherwise it always
// returns 4096 and a job of type 61, also with Options.ImportSynchronous:
// the result is the job. The job completes (JobState 7, ErrorCode 0)
// whether or not the planned VM is compatible, and GetErrorEx on it
// returns one Msvm_Error per incompatibility (GetError the first): on a
// real host the incompatibilities arrive on a successful job (docs/HYPERV.md#validation:
// Microsoft's Pvm sample ValidatePvm prints the job's
// errors after the job succeeded; the Hyper-V PowerShell client's
// EndValidatePlannedVirtualSystem throws only for a failed job and then
// returns the errors). With Options.ValidationFailsJob the job instead
// ends in 10 Exception carrying the same list. The order:
//
//  1. the configuration version is not supported by the host
//     (MessageIDUnsupportedVersion; the job's ErrorCode is then 32784,
//     "VM version is unsupported" in Vagrant's mapping, docs/HYPERV.md#validation — and "Not
//     compatible" on CheckSystemCompatibilityInfo's page);
//  2. a VM with the planned VM's GUID is registered (MessageIDSystemExists;
//     defensive: ImportSystemDefinition already refuses such a GUID, so
//     the methods alone cannot reach this);
//  3. each snapshot the planned VM refers to but that was not imported
//     (MessageIDSnapshotNotFound);
//  4. each network adapter of the VM's current settings connected to a
//     switch the host does not have (MessageID 33012, "Could not find
//     Ethernet switch '<name>'.", ErrorSource the port settings);
//  5. each disk, of the VM or of a snapshot, whose file or one of whose
//     recorded parents does not exist, or whose differencing parent cannot
//     be found through the file's parent locator or is not the disk it was
//     made from (vhdx.ErrParent; disks.go) — the message names that
//     parent (MessageIDVirtualHardDiskNotFound, ErrorSource the disk
//     settings).
//
// In the failing variant the job's ErrorCode is then 32784 for an
// unsupported version, else 32768. The messages other than 33012's
// are the simulator's wording. Not modelled: saved state that does not fit
// the host's processor, and everything else a real host checks.

func (h *Host) validatePlannedSystem(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		h.mu.Unlock()
		return outParams(h.rejectCall(call, code, reason), jobOutParam("")), nil
	}
	p := h.plannedOfRefLocked(call.in["PlannedSystem"])
	id, name := plannedIdentity(p)
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		return reject(f.ReturnValue, "fault rule")
	}
	switch {
	case p == nil:
		return reject(wmi.ReturnInvalidParameter, fmt.Sprintf("PlannedSystem %v names no planned virtual machine", call.in["PlannedSystem"]))
	case h.busyJobLocked(id) != nil:
		return reject(wmi.ReturnSystemInUse, fmt.Sprintf("%s is busy with job %s", name, h.busyJobLocked(id).id))
	case h.closed:
		h.mu.Unlock()
		return nil, closedError(call)
	}
	fault := h.takeFaultLocked(call.method, id, name, false)
	summary := fmt.Sprintf("Failed to validate planned virtual machine '%s'.", name)
	work := func(ctx context.Context, j *job) error {
		if err := faultAtStart(fault, summary); err != nil {
			return err
		}
		h.mu.Lock()
		err := h.validationFailureLocked(p, summary)
		var incompatible *jobFailure
		if errors.As(err, &incompatible) && incompatible.errors != nil && !h.opts.ValidationFailsJob {
			// A real host: the job succeeds, the list is on it.
			j.errors, err = incompatible.errors, nil
		}
		h.mu.Unlock()
		if err != nil {
			return err
		}
		return h.completeJob(ctx, j)
	}
	ret, job := h.launchAndUnlock(h.plannedJobSpec(p, validateJobCaption, validateJobDescription), false, work)
	return outParams(ret, jobOutParam(job)), nil
}

// validationFailureLocked returns the job failure that p's
// incompatibilities cause, or nil when it has none.
func (h *Host) validationFailureLocked(p *plannedVM, summary string) error {
	if h.plannedLocked(p.config.ID) != p {
		return &jobFailure{code: uint16(wmi.ReturnInvalidParameter), summary: summary,
			description: fmt.Sprintf("The planned virtual machine '%s' no longer exists.", p.config.Name)}
	}
	errs := h.incompatibilitiesLocked(p)
	if len(errs) == 0 {
		return nil
	}
	code := wmi.ReturnFailed
	for _, e := range errs {
		if e.String("MessageID") == MessageIDUnsupportedVersion {
			code = wmi.ReturnUnsupportedVersion
		}
	}
	desc := fmt.Sprintf("'%s' failed validation: %s", p.config.Name, errs[0].String("Message"))
	if len(errs) > 1 {
		desc += fmt.Sprintf(" (and %d more incompatibilities)", len(errs)-1)
	}
	return &jobFailure{code: uint16(code), summary: summary,
		description: desc + fmt.Sprintf(" (Virtual machine ID %s)", p.config.ID), errors: errs}
}

// incompatibilitiesLocked lists p's incompatibilities as Msvm_Error
// instances, in the order the method's comment gives.
func (h *Host) incompatibilitiesLocked(p *plannedVM) []*wmi.Object {
	c := p.config
	system := h.plannedSystemPath(c.ID)
	var out []*wmi.Object
	add := func(id, source, message string, args ...string) {
		out = append(out, h.incompatibility(id, source, message, args))
	}
	if r := h.supportedVersions(); !r.supports(c.Version) {
		add(MessageIDUnsupportedVersion, system,
			fmt.Sprintf("The virtual machine '%s' has configuration version %s, which this host does not support (supported versions: %s).", c.Name, c.Version, r),
			c.Name, c.Version)
	}
	if h.vmLocked(c.ID) != nil {
		add(MessageIDSystemExists, system,
			fmt.Sprintf("A virtual machine with ID %s already exists on this host.", c.ID), c.Name, c.ID)
	}
	for _, id := range p.missingSnapshots() {
		add(MessageIDSnapshotNotFound, system,
			fmt.Sprintf("Could not find checkpoint %s of virtual machine '%s'.", id, c.Name), c.Name, id)
	}
	for _, n := range c.NetworkAdapters {
		if n.SwitchID != "" && !h.switchExistsLocked(n.SwitchID) {
			add(MessageIDSwitchNotFound, h.portSettingPath(c.ID, n),
				fmt.Sprintf("Could not find Ethernet switch '%s'.", n.SwitchName), n.SwitchName)
		}
	}
	for _, cfg := range p.configs() {
		for _, d := range cfg.Disks {
			if f := missingDiskFile(d); f != "" {
				add(MessageIDVirtualHardDiskNotFound, h.storageSettingPath(cfg.ID, d),
					fmt.Sprintf("Could not find the virtual hard disk '%s'.", f), f)
			}
		}
	}
	return out
}

// incompatibility builds one Msvm_Error of a validation, with the same
// INFERRED constants as a job's error (msvm_error.go).
func (h *Host) incompatibility(messageID, source, message string, args []string) *wmi.Object {
	o := newEmbeddedInstance(classError)
	o.MustSet("ErrorType", uint16(4))
	o.MustSet("OwningEntity", "Microsoft-Windows-Hyper-V-VMMS")
	o.MustSet("MessageID", messageID)
	o.MustSet("Message", message)
	o.MustSet("MessageArguments", args)
	o.MustSet("PerceivedSeverity", uint16(5))
	o.MustSet("ProbableCause", uint16(0))
	o.MustSet("ErrorSource", source)
	o.MustSet("ErrorSourceFormat", uint16(0))
	o.MustSet("CIMStatusCode", uint32(1))
	o.MustSet("CIMStatusCodeDescription", "CIM_ERR_FAILED")
	return o
}
