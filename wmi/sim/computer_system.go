package sim

import (
	"hash/fnv"

	"github.com/hvport/hvport/wmi"
)

// Msvm_ComputerSystem: the host itself and one instance per VM
// ([v2 docs] msvm-computersystem). Name is the host name or the VM GUID in
// upper case, as real paths show (…Msvm_ComputerSystem.CreationClassName=
// "Msvm_ComputerSystem",Name="D99A57FE-9F2F-44EE-B15F-BF6C5D740D1C").
//
// Modelled: the identity, captions, EnabledState (2 Running, 3 Off,
// 6 Saved, 9 Paused, transitional states from a seed), HealthState,
// OperationalStatus, OnTimeInMilliseconds, ProcessID (a stable fake vmwp.exe
// PID while the VM has a worker process), the state-change and
// configuration-change times. Not modelled: RequestedState,
// AvailableRequestedStates, replication beyond "not enabled", and the
// RequestStateChange method (the simulator's VMs do not change state yet).

func (h *Host) computerSystemsLocked() []*wmi.Object {
	out := []*wmi.Object{h.hostSystemLocked()}
	for _, vm := range h.vms {
		out = append(out, h.vmSystemLocked(vm))
	}
	return out
}

func (h *Host) hostSystemPath() string {
	return h.path(wmi.ClassComputerSystem,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassComputerSystem}, wmi.Key{Name: "Name", Value: h.name})
}

func (h *Host) vmSystemPath(id string) string {
	return h.path(wmi.ClassComputerSystem,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassComputerSystem}, wmi.Key{Name: "Name", Value: id})
}

func (h *Host) hostSystemLocked() *wmi.Object {
	return h.newInstance(classComputerSystem, values{
		"CreationClassName":  wmi.ClassComputerSystem,
		"Name":               h.name,
		"ElementName":        h.name,
		"Caption":            "Hosting Computer System",
		"Description":        "Microsoft Hosting Computer System",
		"EnabledState":       wmi.EnabledEnabled,
		"EnabledDefault":     uint16(2),
		"HealthState":        uint16(5),
		"OperationalStatus":  []uint16{2},
		"StatusDescriptions": []string{"OK"},
		"NumberOfNumaNodes":  uint16(1),
	})
}

func (h *Host) vmSystemLocked(vm *virtualMachine) *wmi.Object {
	c := vm.config
	lastConfigChange := c.CreationTime
	for _, s := range vm.snapshots {
		if s.CreationTime.After(lastConfigChange) {
			lastConfigChange = s.CreationTime
		}
	}
	v := values{
		"CreationClassName":             wmi.ClassComputerSystem,
		"Name":                          c.ID,
		"ElementName":                   c.Name,
		"Caption":                       "Virtual Machine",
		"Description":                   "Microsoft Virtual Machine",
		"EnabledState":                  vm.enabledState,
		"EnabledDefault":                uint16(2),
		"HealthState":                   uint16(5),
		"OperationalStatus":             []uint16{2},
		"StatusDescriptions":            []string{"Operating normally"},
		"InstallDate":                   cimTimestamp(c.CreationTime),
		"TimeOfLastStateChange":         cimTimestamp(vm.stateChanged),
		"TimeOfLastConfigurationChange": cimTimestamp(lastConfigChange),
		"OnTimeInMilliseconds":          uint64(0),
		"NumberOfNumaNodes":             uint16(1),
		"ReplicationState":              uint16(0),
		"ReplicationHealth":             uint16(0),
		"ReplicationMode":               uint16(0),
	}
	if hasWorkerProcess(vm.enabledState) {
		v["ProcessID"] = fakeWorkerPID(c.ID)
		if vm.enabledState == wmi.EnabledEnabled || vm.enabledState == wmi.EnabledQuiesce {
			v["OnTimeInMilliseconds"] = uint64(h.now().Sub(vm.stateChanged).Milliseconds())
		}
	}
	return h.newInstance(classComputerSystem, v)
}

// hasWorkerProcess reports whether a VM in this state has a vmwp.exe:
// every state but Off and Saved.
func hasWorkerProcess(enabled uint16) bool {
	return enabled != wmi.EnabledDisabled && enabled != wmi.EnabledOffline
}

// fakeWorkerPID is a stable, plausible process ID for a VM's worker.
func fakeWorkerPID(vmID string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(vmID))
	return 1000 + (h.Sum32()%20000)*4
}
