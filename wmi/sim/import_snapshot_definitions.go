package sim

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ImportSnapshotDefinitions
// (docs/HYPERV.md#v2-methods):
//
//	uint32 ImportSnapshotDefinitions([in] Msvm_PlannedComputerSystem REF PlannedSystem,
//	    [in] string SnapshotFolder,
//	    [out] Msvm_VirtualSystemSettingData REF ImportedSnapshots[],
//	    [out] CIM_ConcreteJob REF Job)
//
// It imports the snapshot configurations in SnapshotFolder that belong to
// the planned VM — their VM is the planned VM's source VM, the planned VM
// refers to them, and they are not imported yet — as planned snapshots
// (VirtualSystemType Microsoft:Hyper-V:Snapshot:Planned), with new GUIDs
// if the VM got one (import_planning.go). Finding none is not an error.
//
// Synchronous failures, in order: a fault rule; PlannedSystem names no
// planned VM → 32773; SnapshotFolder NULL, relative or not a folder →
// 32773; the planned VM is busy with a job → 32774. Then 4096 and a job of
// type 61 (ImportedSnapshots NULL: the snapshots are found through the
// planned VM's associations), or with Options.ImportSynchronous 0 and
// ImportedSnapshots, the paths of the snapshots' settings, in creation
// order.
func (h *Host) importSnapshotDefinitions(call *methodCall) (*wmi.Object, error) {
	folder, _ := call.in["SnapshotFolder"].(string)
	h.mu.Lock()
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		h.mu.Unlock()
		return outParams(h.rejectCall(call, code, reason), refArrayProp("ImportedSnapshots", nil), jobOutParam("")), nil
	}
	p := h.plannedOfRefLocked(call.in["PlannedSystem"])
	id, name := plannedIdentity(p)
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		return reject(f.ReturnValue, "fault rule")
	}
	switch {
	case p == nil:
		return reject(wmi.ReturnInvalidParameter, fmt.Sprintf("PlannedSystem %v names no planned virtual machine", call.in["PlannedSystem"]))
	case folder == "" || !filepath.IsAbs(folder) || !isDir(folder):
		return reject(wmi.ReturnInvalidParameter, fmt.Sprintf("SnapshotFolder %q is not a fully qualified path to a folder", folder))
	case h.busyJobLocked(id) != nil:
		return reject(wmi.ReturnSystemInUse, fmt.Sprintf("%s is busy with job %s", name, h.busyJobLocked(id).id))
	case h.closed:
		h.mu.Unlock()
		return nil, closedError(call)
	}
	fault := h.takeFaultLocked(call.method, id, name, false)
	summary := fmt.Sprintf("Failed to import the snapshots of virtual machine '%s'.", name)
	var imported []string // written by the work: read only when it ran inline
	work := func(ctx context.Context, j *job) error {
		if err := faultAtStart(fault, summary); err != nil {
			return err
		}
		return h.commitJob(ctx, j, func() error {
			if h.plannedLocked(id) != p {
				return &jobFailure{code: uint16(wmi.ReturnInvalidParameter), summary: summary,
					description: fmt.Sprintf("The planned virtual machine '%s' no longer exists.", name)}
			}
			snaps := h.findSnapshotsLocked(p, filepath.Clean(folder), h.now())
			before := p.snapshots
			p.addSnapshots(snaps...)
			if err := h.writePlannedLocked(p); err != nil {
				p.snapshots = before
				for _, s := range snaps {
					h.removePlannedRecord(s.ID)
				}
				return &jobFailure{code: uint16(wmi.ReturnFailed), summary: summary, description: err.Error()}
			}
			imported = []string{}
			for _, s := range p.snapshots {
				for _, n := range snaps {
					if n == s {
						imported = append(imported, h.systemSettingPath(s.ID))
					}
				}
			}
			return nil
		})
	}
	ret, job := h.launchAndUnlock(h.plannedJobSpec(p, snapshotsJobCaption, snapshotsJobDescription), h.opts.ImportSynchronous, work)
	var result []string
	if ret == wmi.ReturnOK {
		result = imported
	}
	return outParams(ret, refArrayProp("ImportedSnapshots", result), jobOutParam(job)), nil
}
