package sim

import (
	"path/filepath"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemSettingData ([v2 docs] msvm-virtualsystemsettingdata):
// one per VM (its current settings, VirtualSystemType
// Microsoft:Hyper-V:System:Realized) and one per snapshot
// (Microsoft:Hyper-V:Snapshot:Realized). InstanceID is
// "Microsoft:<GUID>" of the VM or snapshot; Parent is the object path of
// the snapshot the settings are based on. Not modelled: BIOS, boot order,
// automatic actions beyond their defaults, guest state files (.vmgs; see
// hyperv-wmi-facts.md §5.1).

// settingInstanceID is the InstanceID of the settings of a VM or snapshot.
func settingInstanceID(id string) string { return "Microsoft:" + id }

func (h *Host) systemSettingPath(id string) string {
	return h.path(wmi.ClassSystemSettingData, wmi.Key{Name: "InstanceID", Value: settingInstanceID(id)})
}

func (h *Host) systemSettingDataLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		out = append(out, h.systemSettingLocked(vm, nil))
		for _, s := range vm.snapshots {
			out = append(out, h.systemSettingLocked(vm, s))
		}
	}
	return out
}

// systemSettingLocked builds the settings of vm, or of its snapshot snap.
func (h *Host) systemSettingLocked(vm *virtualMachine, snap *vmConfig) *wmi.Object {
	c := vm.config
	v := values{
		"Caption":                   "Virtual Machine Settings",
		"Description":               "Active settings for the virtual machine",
		"VirtualSystemType":         wmi.SystemTypeRealized,
		"VirtualSystemIdentifier":   c.ID,
		"ConfigurationDataRoot":     c.ConfigurationDataRoot,
		"ConfigurationFile":         filepath.Join(dirVirtualMachines, configFileName(c.ID)),
		"SnapshotDataRoot":          c.SnapshotDataRoot,
		"SuspendDataRoot":           c.ConfigurationDataRoot,
		"SwapFileDataRoot":          c.SwapFileDataRoot,
		"LogDataRoot":               c.ConfigurationDataRoot,
		"AutomaticStartupAction":    uint16(2),
		"AutomaticShutdownAction":   uint16(3),
		"AutomaticRecoveryAction":   uint16(3),
		"Notes":                     []string{},
		"IsSaved":                   vm.enabledState == wmi.EnabledOffline,
		"Architecture":              "x64",
		"SecureBootEnabled":         c.Generation == 2,
		"AutomaticSnapshotsEnabled": false,
		"IsAutomaticSnapshot":       false,
		"UserSnapshotType":          uint16(2),
	}
	cfg := c
	if snap != nil {
		cfg = snap
		v["Description"] = "Snapshot settings for the virtual machine"
		v["VirtualSystemType"] = wmi.SnapshotTypeRealized
		v["ConfigurationFile"] = filepath.Join(dirSnapshots, configFileName(snap.ID))
		v["IsSaved"] = false
	}
	v["InstanceID"] = settingInstanceID(cfg.ID)
	v["ConfigurationID"] = cfg.ID
	v["ElementName"] = cfg.Name
	v["Version"] = cfg.Version
	v["VirtualSystemSubType"] = subTypeForGeneration(cfg.Generation)
	v["CreationTime"] = cimTimestamp(cfg.CreationTime)
	if cfg.Parent != "" {
		v["Parent"] = h.systemSettingPath(cfg.Parent)
	}
	return h.newInstance(classSystemSettingData, v)
}

// subTypeForGeneration is VirtualSystemSubType for a VM generation.
func subTypeForGeneration(gen int) string {
	if gen == 1 {
		return "Microsoft:Hyper-V:SubType:1"
	}
	return "Microsoft:Hyper-V:SubType:2"
}
