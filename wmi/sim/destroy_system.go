package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.DestroySystem
// (docs/HYPERV.md#v2-methods, #return-codes), with the CIM-style return
// codes:
//
//	uint32 DestroySystem([in] CIM_ComputerSystem REF AffectedSystem,
//	    [out] CIM_ConcreteJob REF Job)
//
// AffectedSystem is a VM (Msvm_ComputerSystem) or a planned VM
// (Msvm_PlannedComputerSystem; discarding planned VMs this way is what the
// Windows samples and os-win do, docs/HYPERV.md#v2-methods). Synchronous failures, in order: a
// fault rule; AffectedSystem names neither (the host included) →
// 4 Invalid Parameter; a VM that is not Off or Saved → 5 Invalid State;
// a VM or planned VM busy with a job → 5 Invalid State (UNCERTAIN: a real
// host may answer 32774, a vendor-specific code). Then 4096 and a job of
// type 3 (Destroy VM), or with Options.ImportSynchronous 0.
//
// The job removes the system at once from WMI (its job's
// Msvm_AffectedJobElement then names nothing) and deletes:
//
//   - for a planned VM, the simulator's records of it — never the files it
//     was imported from;
//   - for a VM, its configuration, its runtime state and its snapshots'
//     configurations, wherever they are (in DataDir, or in an export folder
//     it was registered in place from); the folders stay. Virtual hard
//     disks, differencing disks included, are kept, as Hyper-V's Remove-VM
//     keeps them (common knowledge of Hyper-V; not in the facts).

func (h *Host) destroySystem(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		h.mu.Unlock()
		return outParams(h.rejectCall(call, code, reason), jobOutParam("")), nil
	}
	class, name := systemRef(call.in["AffectedSystem"])
	var vm *virtualMachine
	var p *plannedVM
	switch {
	case strings.EqualFold(class, wmi.ClassComputerSystem):
		vm = h.vmLocked(name)
	case strings.EqualFold(class, wmi.ClassPlannedComputerSystem):
		p = h.plannedLocked(name)
	}
	id, vmName := vmIdentity(vm)
	if p != nil {
		id, vmName = plannedIdentity(p)
	}
	if f := h.takeFaultLocked(call.method, id, vmName, true); f != nil {
		return reject(f.ReturnValue, "fault rule")
	}
	switch {
	case vm == nil && p == nil:
		return reject(wmi.CIMReturnInvalidParameter, fmt.Sprintf("AffectedSystem %v names no virtual machine", call.in["AffectedSystem"]))
	case vm != nil && vm.enabledState != wmi.EnabledDisabled && vm.enabledState != wmi.EnabledOffline:
		return reject(wmi.CIMReturnInvalidState, fmt.Sprintf("%s is in state %d (%s)", vmName, vm.enabledState, vmStateName(vm.enabledState)))
	case h.busyJobLocked(id) != nil:
		return reject(wmi.CIMReturnInvalidState, fmt.Sprintf("%s is busy with job %s", vmName, h.busyJobLocked(id).id))
	case h.closed:
		h.mu.Unlock()
		return nil, closedError(call)
	}
	fault := h.takeFaultLocked(call.method, id, vmName, false)
	summary := fmt.Sprintf("Failed to delete virtual machine '%s'.", vmName)
	spec := jobSpec{systemID: id, systemName: vmName, jobType: wmi.JobTypeDestroyVM,
		caption: destroyJobCaption, description: destroyJobDescription}
	if vm != nil {
		spec.affected = h.vmSystemPath(id)
	} else {
		spec.affected = h.plannedSystemPath(id)
	}
	work := func(ctx context.Context, j *job) error {
		if err := faultAtStart(fault, summary); err != nil {
			return err
		}
		return h.commitJob(ctx, j, func() error {
			if vm != nil {
				h.destroyVMLocked(vm)
			} else {
				h.removePlannedLocked(p)
			}
			h.persistLocked()
			return nil
		})
	}
	ret, job := h.launchAndUnlock(spec, h.opts.ImportSynchronous, work)
	return outParams(ret, jobOutParam(job)), nil
}

// destroyVMLocked unregisters vm and deletes its configuration files.
func (h *Host) destroyVMLocked(vm *virtualMachine) {
	h.vms = slices.DeleteFunc(h.vms, func(v *virtualMachine) bool { return v == vm })
	c := vm.config
	files := []string{vmConfigPath(c)}
	if c.RuntimeStateFile != "" {
		files = append(files, filepath.Join(c.ConfigurationDataRoot, dirVirtualMachines, c.RuntimeStateFile))
	}
	for _, s := range vm.snapshots {
		files = append(files, snapshotConfigPath(c, s.ID))
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			h.log.Warn("deleting a destroyed VM's file", zap.String("file", f), zap.Error(err))
		}
	}
	h.log.Info("virtual machine destroyed", zap.String("vm", c.Name), zap.String("id", c.ID))
}
