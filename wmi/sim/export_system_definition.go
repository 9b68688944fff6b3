package sim

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ExportSystemDefinition
// (docs/HYPERV.md#v2-methods, #v2-export-settings, #export-layout):
//
//	uint32 ExportSystemDefinition([in] CIM_ComputerSystem REF ComputerSystem,
//	    [in] string ExportDirectory, [in] string ExportSettingData,
//	    [out] CIM_ConcreteJob REF Job)
//
// The call checks its input in this order and returns the first failure
// synchronously (no job):
//
//  1. a synchronous fault rule (FaultRule.ReturnValue);
//  2. ComputerSystem names no VM → returnNoSuchSystem (32773);
//  3. ExportDirectory empty or not absolute → 32773;
//  4. ExportSettingData NULL, not CIM-XML, not a
//     Msvm_VirtualSystemExportSettingData, with an undeclared property or an
//     out-of-range enum → 32773;
//  5. CopySnapshotConfiguration 2 or 3 with SnapshotVirtualSystem not a
//     snapshot of this VM → 32773;
//  6. ExcludedVirtualHardDisks with CopySnapshotConfiguration 0, or naming
//     a disk setting the VM does not have → 32773 (docs/HYPERV.md#pitfall-excluded-disks);
//  7. the VM is Paused or in a transitional state → 32775 (Off, Saved and
//     Running export; running VMs since Windows Server 2016, per
//     CaptureLiveState);
//  8. the VM is busy with an unfinished job → 32774.
//
// Otherwise it returns 4096 and Job, and the job (export_job.go) writes the
// export. The real order of checks is not documented: parameters before
// state before busy is the simulator's choice.

// returnNoSuchSystem is the return code when ComputerSystem names no VM.
// UNCERTAIN: a real host might instead fail the call with WBEM_E_NOT_FOUND;
// the method page lists only return codes, so the simulator returns
// Invalid parameter.
const returnNoSuchSystem = wmi.ReturnInvalidParameter

// Export job identity (job type 62, Export Virtual Machine, from the
// Msvm_ConcreteJob.JobType list). The captions are INFERRED.
const (
	exportJobCaption     = "Export Virtual Machine"
	exportJobDescription = "Exporting Virtual Machine"
)

func (h *Host) exportSystemDefinition(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	vm := h.exportSourceLocked(call.in["ComputerSystem"])
	vmID, vmName := vmIdentity(vm)
	if f := h.takeFaultLocked(call.method, vmID, vmName, true); f != nil {
		return h.rejectExport(call, f.ReturnValue, "fault rule"), nil
	}
	plan, code, reason := h.planExportLocked(vm, call)
	if code != 0 {
		return h.rejectExport(call, code, reason), nil
	}
	if h.closed {
		return nil, wmiError("ExecMethod", call.target.Path, wmi.WBEMTransportFailure, "the simulated host is closed")
	}
	plan.fault = h.takeFaultLocked(call.method, vmID, vmName, false)
	j, ctx := h.newJobLocked(h.vmJobSpec(vm, wmi.JobTypeExportVM, exportJobCaption, exportJobDescription), false)
	text, _ := call.in["ExportSettingData"].(string)
	j.export = &exportCallParams{computerSystem: fmt.Sprint(call.in["ComputerSystem"]), exportDirectory: plan.exportDir, settingData: text}
	h.saveJobsLocked() // before the caller learns of the job (job_persist.go)
	go h.runJob(ctx, j, h.exportWork(plan))
	h.log.Info("job started", zap.String("job", j.id), zap.String("vm", j.vmName), zap.String("caption", j.caption))
	return outParams(wmi.ReturnJobStarted, jobOutParam(h.jobPath(j.id))), nil
}

func jobOutParam(path string) wmi.Property {
	p := wmi.Property{Name: "Job", Type: wmi.CIMReference}
	if path != "" {
		p.Value = path
	}
	return p
}

// rejectExport returns a synchronous failure. Real VMMS explains such a
// failure only in its event log; the simulator logs the reason.
func (h *Host) rejectExport(call *methodCall, code uint32, reason string) *wmi.Object {
	h.log.Info("ExportSystemDefinition rejected", zap.Any("computerSystem", call.in["ComputerSystem"]),
		zap.Uint32("returnValue", code), zap.String("reason", reason))
	return outParams(code, jobOutParam(""))
}

// exportSourceLocked resolves the ComputerSystem parameter to a VM. Besides
// the VM's Msvm_ComputerSystem path it accepts the path of the VM's
// Msvm_VirtualSystemSettingData, which os-win passes and which a real host
// evidently accepts (docs/HYPERV.md#v2-export-settings; INFERRED).
func (h *Host) exportSourceLocked(v any) *virtualMachine {
	s, _ := v.(string)
	p, err := wmi.ParsePath(s)
	if err != nil || (p.Namespace != "" && !strings.EqualFold(p.Namespace, wmi.NamespaceV2)) {
		return nil
	}
	switch {
	case strings.EqualFold(p.Class, wmi.ClassComputerSystem) && len(p.Keys) == 2 &&
		strings.EqualFold(p.Key("CreationClassName"), wmi.ClassComputerSystem):
		return h.vmLocked(p.Key("Name"))
	case strings.EqualFold(p.Class, wmi.ClassSystemSettingData) && len(p.Keys) == 1:
		id, ok := strings.CutPrefix(p.Key("InstanceID"), "Microsoft:")
		if !ok {
			return nil
		}
		return h.vmLocked(id)
	}
	return nil
}

// planExportLocked checks the call (steps 2-8 above) and plans the export.
func (h *Host) planExportLocked(vm *virtualMachine, call *methodCall) (plan *exportPlan, code uint32, reason string) {
	if vm == nil {
		return nil, returnNoSuchSystem, fmt.Sprintf("ComputerSystem %v names no virtual machine", call.in["ComputerSystem"])
	}
	dir, _ := call.in["ExportDirectory"].(string)
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, wmi.ReturnInvalidParameter, fmt.Sprintf("ExportDirectory %q is not a fully qualified path", dir)
	}
	s, err := h.decodeExportSettings(call.in["ExportSettingData"])
	if err != nil {
		return nil, wmi.ReturnInvalidParameter, err.Error()
	}
	var snap *vmConfig
	if s.copySnapshots == wmi.ExportOneSnapshot || s.copySnapshots == wmi.ExportOneSnapshotForBackup {
		if snap = h.snapshotOfLocked(vm, s.snapshotSystem); snap == nil {
			return nil, wmi.ReturnInvalidParameter, fmt.Sprintf("SnapshotVirtualSystem %q is not a snapshot of %s", s.snapshotSystem, vm.config.Name)
		}
	}
	excluded, err := excludedDisks(vm, s)
	if err != nil {
		return nil, wmi.ReturnInvalidParameter, err.Error()
	}
	switch vm.enabledState {
	case wmi.EnabledDisabled, wmi.EnabledEnabled, wmi.EnabledOffline:
	default:
		return nil, wmi.ReturnInvalidState, fmt.Sprintf("%s is in state %d (%s)", vm.config.Name, vm.enabledState, vmStateName(vm.enabledState))
	}
	if j := h.busyJobLocked(vm.config.ID); j != nil {
		return nil, wmi.ReturnSystemInUse, fmt.Sprintf("%s is busy with job %s", vm.config.Name, j.id)
	}
	return h.newExportPlanLocked(vm, dir, s, snap, excluded), 0, ""
}

// snapshotOfLocked resolves SnapshotVirtualSystem to one of vm's snapshots.
func (h *Host) snapshotOfLocked(vm *virtualMachine, path string) *vmConfig {
	p, err := wmi.ParsePath(path)
	if err != nil || !strings.EqualFold(p.Class, wmi.ClassSystemSettingData) || len(p.Keys) != 1 {
		return nil
	}
	id, ok := strings.CutPrefix(p.Key("InstanceID"), "Microsoft:")
	if !ok {
		return nil
	}
	for _, s := range vm.snapshots {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

// excludedDisks resolves ExcludedVirtualHardDisks (InstanceIDs of the VM's
// or its snapshots' Msvm_StorageAllocationSettingData) to disk slots
// (controller and location): excluding one excludes that slot across the
// snapshot tree (docs/HYPERV.md#v2-export-settings).
func excludedDisks(vm *virtualMachine, s *exportSettings) (map[string]bool, error) {
	if len(s.excludedDisks) == 0 {
		return nil, nil
	}
	if s.copySnapshots == wmi.ExportAllSnapshots {
		return nil, fmt.Errorf("ExcludedVirtualHardDisks cannot be used with CopySnapshotConfiguration 0")
	}
	slots := map[string]bool{}
	for _, id := range s.excludedDisks {
		found := false
		for _, cfg := range append([]*vmConfig{vm.config}, vm.snapshots...) {
			for _, d := range cfg.Disks {
				if strings.EqualFold(storageInstanceID(cfg.ID, d), id) {
					slots[diskSlot(d)], found = true, true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("ExcludedVirtualHardDisks: %q is not a virtual hard disk of %s", id, vm.config.Name)
		}
	}
	return slots, nil
}

func diskSlot(d diskConfig) string {
	return strings.ToUpper(d.ControllerID) + "/" + fmt.Sprint(d.Location)
}
