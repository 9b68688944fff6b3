package sim

import (
	"path/filepath"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemSettingData ([v2 docs] msvm-virtualsystemsettingdata):
// one per VM (its current settings, VirtualSystemType
// Microsoft:Hyper-V:System:Realized), one per snapshot
// (Microsoft:Hyper-V:Snapshot:Realized), and for a planned VM its settings
// (Microsoft:Hyper-V:System:Planned) and those of its imported snapshots
// (Microsoft:Hyper-V:Snapshot:Planned; docs/HYPERV.md#planned-vm).
// InstanceID is "Microsoft:<GUID>" of the VM or snapshot; Parent is the
// object path of the snapshot the settings are based on. A snapshot's data
// roots are its VM's. Not modelled: BIOS, boot order, automatic actions
// beyond their defaults, guest state files (.vmgs; see docs/HYPERV.md#file-types).
//
// ModifySystemSettings (modify_system_settings.go) changes ElementName,
// Notes and, on a planned VM, the data roots.

// settingInstanceID is the InstanceID of the settings of a VM or snapshot.
func settingInstanceID(id string) string { return "Microsoft:" + id }

func (h *Host) systemSettingPath(id string) string {
	return h.path(wmi.ClassSystemSettingData, wmi.Key{Name: "InstanceID", Value: settingInstanceID(id)})
}

func (h *Host) systemSettingDataLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		saved := vm.enabledState == wmi.EnabledOffline
		out = append(out, h.systemSettingLocked(vm.config, nil, wmi.SystemTypeRealized, saved))
		for _, s := range vm.snapshots {
			out = append(out, h.systemSettingLocked(vm.config, s, wmi.SnapshotTypeRealized, false))
		}
	}
	for _, p := range h.planned {
		saved := p.config.Import.RuntimeStateSource != ""
		out = append(out, h.systemSettingLocked(p.config, nil, wmi.SystemTypePlanned, saved))
		for _, s := range p.snapshots {
			out = append(out, h.systemSettingLocked(p.config, s, wmi.SnapshotTypePlanned, false))
		}
	}
	return out
}

// systemSettingLocked builds the settings of the VM or planned VM whose
// configuration is c, or of its snapshot snap.
func (h *Host) systemSettingLocked(c, snap *vmConfig, systemType string, isSaved bool) *wmi.Object {
	notes := c.Notes
	v := values{
		"Caption":                   "Virtual Machine Settings",
		"Description":               "Active settings for the virtual machine",
		"VirtualSystemType":         systemType,
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
		"IsSaved":                   isSaved,
		"Architecture":              "x64",
		"SecureBootEnabled":         c.Generation == 2,
		"AutomaticSnapshotsEnabled": false,
		"IsAutomaticSnapshot":       false,
		"UserSnapshotType":          uint16(2),
	}
	cfg := c
	if snap != nil {
		cfg = snap
		notes = snap.Notes
		v["Description"] = "Snapshot settings for the virtual machine"
		v["ConfigurationFile"] = filepath.Join(dirSnapshots, configFileName(snap.ID))
	}
	if notes == nil {
		notes = []string{}
	}
	v["Notes"] = notes
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
