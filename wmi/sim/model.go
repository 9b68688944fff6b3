package sim

import (
	"strings"
	"time"

	"github.com/hvport/hvport/wmi"
)

// The in-memory model of the simulated host. It is guarded by Host.mu and
// mirrors what is on disk: host.json (host.go, persist.go) lists the
// virtual machines and switches; each virtual machine's and snapshot's
// configuration is its .vmcx file (config_file.go).

// virtualMachine is one realized VM.
type virtualMachine struct {
	config       *vmConfig
	snapshots    []*vmConfig // in creation order (config.Snapshots)
	enabledState uint16
	stateChanged time.Time
}

// virtualSwitch is one Msvm_VirtualEthernetSwitch.
type virtualSwitch struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// hostSettings are the host-wide settings kept in host.json.
type hostSettings struct {
	// DefaultExternalDataRoot and DefaultVirtualHardDiskPath are
	// Msvm_VirtualSystemManagementServiceSettingData's properties.
	DefaultExternalDataRoot    string `json:"defaultExternalDataRoot"`
	DefaultVirtualHardDiskPath string `json:"defaultVirtualHardDiskPath"`
	// ExportCaptureLiveState is CaptureLiveState in the default
	// Msvm_VirtualSystemExportSettingData, and what the simulator uses when
	// a caller leaves it NULL. The WMI default is not documented; 1
	// (CaptureSavedState, Export-VM's documented default) unless the seed
	// says otherwise. UNCERTAIN.
	ExportCaptureLiveState uint8 `json:"exportCaptureLiveState"`
}

// VM state names used in seeds and host.json, and the EnabledState each
// one stands for (wmi/msvm.go). The transitional states exist so tests can
// put a VM in them; the simulator never moves a VM out of one.
var vmStateNames = map[string]uint16{
	"off":      wmi.EnabledDisabled,
	"running":  wmi.EnabledEnabled,
	"saved":    wmi.EnabledOffline,
	"paused":   wmi.EnabledQuiesce,
	"starting": wmi.EnabledStarting,
	"stopping": wmi.EnabledShuttingDown,
	"saving":   wmi.EnabledSaving,
	"pausing":  wmi.EnabledPausing,
	"resuming": wmi.EnabledResuming,
}

func vmStateName(enabled uint16) string {
	for name, v := range vmStateNames {
		if v == enabled {
			return name
		}
	}
	return "off"
}

// hasRuntimeState reports whether a VM in this state has a .vmrs file: a
// saved VM keeps its saved state there, a running or paused one its
// runtime state (docs/HYPERV.md#file-types).
func hasRuntimeState(enabled uint16) bool {
	return enabled != wmi.EnabledDisabled && enabled != wmi.EnabledStarting
}

// vmLocked returns the VM with this GUID, or nil.
func (h *Host) vmLocked(id string) *virtualMachine {
	for _, vm := range h.vms {
		if strings.EqualFold(vm.config.ID, id) {
			return vm
		}
	}
	return nil
}

// vmIdentity is the GUID and name of vm, "" for nil (fault rule matching).
func vmIdentity(vm *virtualMachine) (id, name string) {
	if vm == nil {
		return "", ""
	}
	return vm.config.ID, vm.config.Name
}

// busyJobLocked returns the unfinished job working on the VM, or nil:
// while it runs, the VM is "in use" (32774).
func (h *Host) busyJobLocked(vmID string) *job {
	for _, j := range h.jobs {
		if strings.EqualFold(j.vmID, vmID) && !wmi.JobStateTerminal(j.state) {
			return j
		}
	}
	return nil
}
