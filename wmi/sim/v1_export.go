package sim

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ExportVirtualSystemEx in
// root\virtualization (docs/HYPERV.md#v1-methods, #v1-export-settings, #export-layout):
//
//	uint32 ExportVirtualSystemEx([in] CIM_ComputerSystem REF ComputerSystem,
//	    [in] string ExportDirectory, [in] string ExportSettingData,
//	    [out] CIM_ConcreteJob REF Job)
//
// It is ExportSystemDefinition's engine (export_plan.go, export_job.go)
// with v1's rules. The call checks, in the order of ExportSystemDefinition,
// and returns the first failure synchronously (no job):
//
//  1. a synchronous fault rule (FaultRule.ReturnValue);
//  2. ComputerSystem names no VM of root\virtualization → 32773
//     (returnNoSuchSystem, as in v2);
//  3. ExportDirectory empty or not absolute → 32773;
//  4. ExportSettingData NULL, not CIM-XML, not a
//     Msvm_VirtualSystemExportSettingData, with a property v1's class does
//     not declare (v2's CaptureLiveState, BackupIntent, ...) or
//     CopySnapshotConfiguration 3 → 32773 (v1_export_setting_data.go);
//  5. CopySnapshotConfiguration 2 with SnapshotVirtualSystem not a
//     snapshot of this VM (a v1 or namespace-less VSSD path) → 32773;
//  6. the VM is not Off or Saved → 32775: the method exports VMs "in the
//     'powered off' or 'saved' state" (docs/HYPERV.md#v1-methods); v1 hosts cannot export a
//     running VM, unlike 2016+ with CaptureLiveState;
//  7. the VM is busy with an unfinished job of either namespace → 32774.
//
// Otherwise it returns 4096 and Job (in root\virtualization, without
// JobType; Msvm_AffectedJobElement names the VM), and the job writes the
// export, with PercentComplete, fault rules at AtPercent, RequestStateChange
// and clean-up exactly as v2's export job.
//
// The layout is 2008 R2's (docs/HYPERV.md#export-layout, v1_export_layout.go):
//
//	<ExportDirectory>[\<VM name> with CreateVmExportSubdirectory]\
//	  Virtual Machines\<VM GUID>.exp               the VM's definition
//	  Virtual Machines\<VM GUID>\<VM GUID>.bin/.vsv saved state (below)
//	  Snapshots\<Snap GUID>.exp                    each snapshot, with CopySnapshotConfiguration 0
//	  Virtual Hard Disks\<files>                   with CopyVmStorage
//	  config.xml                                   only with Options.V1.ExportConfigXML
func (h *Host) v1ExportVirtualSystemEx(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	vm := h.v1SystemRefLocked(call.in["ComputerSystem"])
	vmID, vmName := vmIdentity(vm)
	if f := h.takeFaultLocked(call.method, vmID, vmName, true); f != nil {
		return h.v1RejectExport(call, f.ReturnValue, "fault rule"), nil
	}
	plan, code, reason := h.v1PlanExportLocked(vm, call)
	if code != 0 {
		return h.v1RejectExport(call, code, reason), nil
	}
	if h.closed {
		return nil, closedError(call)
	}
	plan.fault = h.takeFaultLocked(call.method, vmID, vmName, false)
	// jobType is kept internally (the copy engine words its failures by
	// it); v1's Msvm_ConcreteJob does not show it.
	spec := jobSpec{systemID: vmID, systemName: vmName, affected: h.v1SystemPath(vmID),
		jobType: wmi.JobTypeExportVM, caption: exportJobCaption, description: exportJobDescription,
		namespace: wmi.NamespaceV1}
	j := h.startJobLocked(spec, h.exportWork(plan))
	return outParams(wmi.ReturnJobStarted, jobOutParam(h.jobPathOf(j))), nil
}

func (h *Host) v1RejectExport(call *methodCall, code uint32, reason string) *wmi.Object {
	h.log.Info("ExportVirtualSystemEx rejected", zap.Any("computerSystem", call.in["ComputerSystem"]),
		zap.Uint32("returnValue", code), zap.String("reason", reason))
	return outParams(code, jobOutParam(""))
}

// v1PlanExportLocked checks the call (steps 2-7 above) and plans the
// export in v1's layout.
func (h *Host) v1PlanExportLocked(vm *virtualMachine, call *methodCall) (plan *exportPlan, code uint32, reason string) {
	if vm == nil {
		return nil, returnNoSuchSystem, fmt.Sprintf("ComputerSystem %v names no virtual machine in %s", call.in["ComputerSystem"], wmi.NamespaceV1)
	}
	dir, _ := call.in["ExportDirectory"].(string)
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, wmi.ReturnInvalidParameter, fmt.Sprintf("ExportDirectory %q is not a fully qualified path", dir)
	}
	s, err := decodeV1ExportSettings(call.in["ExportSettingData"])
	if err != nil {
		return nil, wmi.ReturnInvalidParameter, err.Error()
	}
	var snap *vmConfig
	if s.copySnapshots == wmi.ExportOneSnapshot {
		if p, err := wmi.ParsePath(s.snapshotSystem); err == nil && p.Namespace != "" && !strings.EqualFold(p.Namespace, wmi.NamespaceV1) {
			return nil, wmi.ReturnInvalidParameter, fmt.Sprintf("SnapshotVirtualSystem %q is not in %s", s.snapshotSystem, wmi.NamespaceV1)
		}
		if snap = h.snapshotOfLocked(vm, s.snapshotSystem); snap == nil {
			return nil, wmi.ReturnInvalidParameter, fmt.Sprintf("SnapshotVirtualSystem %q is not a snapshot of %s", s.snapshotSystem, vm.config.Name)
		}
	}
	if vm.enabledState != wmi.EnabledDisabled && vm.enabledState != wmi.EnabledOffline {
		return nil, wmi.ReturnInvalidState, fmt.Sprintf("%s is in state %d (%s): v1 exports only Off or Saved virtual machines",
			vm.config.Name, v1EnabledState(vm.enabledState), vmStateName(vm.enabledState))
	}
	if j := h.busyJobLocked(vm.config.ID); j != nil {
		return nil, wmi.ReturnSystemInUse, fmt.Sprintf("%s is busy with job %s", vm.config.Name, j.id)
	}
	plan = h.newExportPlanLocked(vm, dir, s, snap, nil)
	if err := h.v1ExportLayout(plan, vm); err != nil {
		// The plan's configurations are the simulator's own JSON: a
		// failure here is a bug, reported as Failed.
		return nil, wmi.ReturnFailed, err.Error()
	}
	return plan, 0, ""
}
