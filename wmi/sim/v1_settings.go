package sim

import (
	"strconv"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// v1's settings of a VM and its snapshots, from the same configurations as
// v2's (system_setting_data.go, storage_allocation.go, network.go):
//
//   - Msvm_VirtualSystemSettingData ([v1 docs]): InstanceID
//     "Microsoft:<GUID>" as in v2 (so v1 and v2 settings paths differ only
//     in namespace), Caption "Virtual Machine", Description "Active
//     settings for the virtual machine" or "Snapshot settings for the
//     virtual machine", SettingType 3 or 5, SystemName the VM's GUID (also
//     on a snapshot's), VirtualSystemType 301, ElementName the VM's or the
//     snapshot's name, Notes v2's lines joined with "\n", BootOrder the
//     MOF's default [0, 1, 2, 3], Parent the v1 path of the snapshot the
//     settings are based on. BIOS and NUMA properties are NULL.
//   - Msvm_VirtualSystemGlobalSettingData: one per VM, InstanceID
//     "Microsoft:<GUID>\Global", SettingType 32768, ExternalDataRoot and
//     SnapshotDataRoot the VM's configuration and snapshot data roots,
//     ScopeOfResidence the VM's (ImportVirtualSystemEx's SecurityScope;
//     "" when none), the MOF's defaults for the automatic actions,
//     ElementName the VM's name (the page says changing it renames the
//     VM; INFERRED), Version the configuration version.
//   - Msvm_ResourceAllocationSettingData: per disk a drive (ResourceType
//     22, "Microsoft Synthetic Disk Drive", InstanceID …\<location>\0\D,
//     Address the location, Parent the controller, not modelled) and the
//     virtual hard disk in it (21, "Microsoft Virtual Hard Disk",
//     InstanceID …\0\L, Parent the drive, Connection = [file path]: the v1
//     way, where v2 uses Msvm_StorageAllocationSettingData.HostResource).
//     Every file of a differencing chain is on the host, but only the
//     attached one is a setting, as in v2. VirtualSystemIdentifiers is
//     NULL (its meaning for disks is not documented).
//   - Msvm_SyntheticEthernetPortSettingData: per network adapter,
//     InstanceID "Microsoft:<owner GUID>\<adapter GUID>" (INFERRED from the
//     MOF's "Microsoft:GUID\device-specific data"), the MOF's defaults,
//     VirtualSystemIdentifiers ["{<adapter GUID>}"] (INFERRED), Connection
//     [the path of a Msvm_SwitchPort on the switch] — SystemName, a key of
//     that path, is the switch's GUID — or NULL when disconnected. Switch
//     ports are not modelled (Get on one fails with WBEMInvalidClass).

// v1GlobalSettingPath is the path of a VM's global settings.
func (h *Host) v1GlobalSettingPath(id string) string {
	return h.v1Path(wmi.ClassGlobalSettingDataV1, wmi.Key{Name: "InstanceID", Value: settingInstanceID(id) + `\Global`})
}

func (h *Host) v1SystemSettingDataLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		out = append(out, h.v1SystemSettingLocked(vm.config, nil))
		for _, s := range vm.snapshots {
			out = append(out, h.v1SystemSettingLocked(vm.config, s))
		}
	}
	return out
}

// v1SystemSettingLocked builds the settings of the VM whose configuration
// is c, or of its snapshot snap.
func (h *Host) v1SystemSettingLocked(c, snap *vmConfig) *wmi.Object {
	cfg, settingType, desc := c, wmi.SettingTypeCurrentV1, "Active settings for the virtual machine"
	if snap != nil {
		cfg, settingType, desc = snap, wmi.SettingTypeSnapshotV1, "Snapshot settings for the virtual machine"
	}
	v := values{
		"InstanceID":        settingInstanceID(cfg.ID),
		"Caption":           "Virtual Machine",
		"Description":       desc,
		"ElementName":       cfg.Name,
		"SettingType":       settingType,
		"SystemName":        c.ID,
		"VirtualSystemType": wmi.VirtualSystemTypeHyperVV1,
		"CreationTime":      cimTimestamp(cfg.CreationTime),
		"Notes":             strings.Join(cfg.Notes, "\n"),
		"BootOrder":         []uint16{0, 1, 2, 3},
		"BIOSNumLock":       false,
	}
	if cfg.Parent != "" {
		v["Parent"] = h.v1SettingPath(cfg.Parent)
	}
	return h.newInstanceIn(wmi.NamespaceV1, classV1SystemSettingData, v)
}

func (h *Host) v1GlobalSettingDataLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		c := vm.config
		out = append(out, h.newInstanceIn(wmi.NamespaceV1, classV1GlobalSettingData, values{
			"InstanceID":                  settingInstanceID(c.ID) + `\Global`,
			"Caption":                     "Global Virtual Machine Settings",
			"Description":                 "Global settings for the virtual machine",
			"ElementName":                 c.Name,
			"SystemName":                  c.ID,
			"VirtualSystemType":           wmi.VirtualSystemTypeHyperVV1,
			"SettingType":                 wmi.SettingTypeGlobalV1,
			"CreationTime":                cimTimestamp(c.CreationTime),
			"ExternalDataRoot":            c.ConfigurationDataRoot,
			"SnapshotDataRoot":            c.SnapshotDataRoot,
			"AutomaticStartupAction":      uint16(1),
			"AutomaticStartupActionDelay": wmi.FormatInterval(0),
			"AutomaticShutdownAction":     uint16(1),
			"AutomaticRecoveryAction":     uint16(1),
			"ScopeOfResidence":            c.ScopeOfResidence,
			"AllowFullSCSICommandSet":     false,
			"Version":                     c.Version,
		}))
	}
	return out
}

func (h *Host) v1ResourceAllocationsLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		for _, c := range append([]*vmConfig{vm.config}, vm.snapshots...) {
			out = append(out, h.v1ResourceAllocationsOfLocked(c)...)
		}
	}
	return out
}

// v1ResourceAllocationsOfLocked builds the drive and disk settings of one
// configuration, each drive followed by its disk.
func (h *Host) v1ResourceAllocationsOfLocked(c *vmConfig) []*wmi.Object {
	var out []*wmi.Object
	for _, d := range c.Disks {
		drive := h.v1Path(wmi.ClassResourceAllocationV1, wmi.Key{Name: "InstanceID", Value: driveInstanceID(c.ID, d)})
		controller := h.v1Path(wmi.ClassResourceAllocationV1, wmi.Key{Name: "InstanceID",
			Value: "Microsoft:" + c.ID + `\` + d.ControllerID + `\` + strconv.Itoa(d.ControllerNumber)})
		out = append(out, h.newInstanceIn(wmi.NamespaceV1, classV1ResourceAllocation, values{
			"InstanceID":            driveInstanceID(c.ID, d),
			"Caption":               "Hard Drive",
			"Description":           "Microsoft Synthetic Disk Drive",
			"ElementName":           "Hard Drive",
			"ResourceType":          uint16(22),
			"ResourceSubType":       wmi.ResourceSubTypeDiskDriveV1,
			"Address":               strconv.Itoa(d.Location),
			"Parent":                controller,
			"ConsumerVisibility":    uint16(3),
			"AutomaticAllocation":   true,
			"AutomaticDeallocation": true,
			"VirtualQuantity":       uint64(1),
			"Limit":                 uint64(1),
			"AllocationUnits":       "Disks",
		}))
		out = append(out, h.newInstanceIn(wmi.NamespaceV1, classV1ResourceAllocation, values{
			"InstanceID":            storageInstanceID(c.ID, d),
			"Caption":               "Hard Disk Image",
			"Description":           "Microsoft Virtual Hard Disk",
			"ElementName":           "Hard Disk Image",
			"ResourceType":          uint16(21),
			"ResourceSubType":       wmi.ResourceSubTypeVHDV1,
			"Connection":            []string{d.Path},
			"Parent":                drive,
			"ConsumerVisibility":    uint16(3),
			"AutomaticAllocation":   true,
			"AutomaticDeallocation": true,
			"VirtualQuantity":       uint64(1),
			"Limit":                 uint64(1),
			"AllocationUnits":       "Disks",
		}))
	}
	return out
}

func (h *Host) v1EthernetPortsLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		for _, c := range append([]*vmConfig{vm.config}, vm.snapshots...) {
			out = append(out, h.v1EthernetPortsOfLocked(c)...)
		}
	}
	return out
}

// v1SwitchPortPath names the (unmodelled) Msvm_SwitchPort an adapter is
// connected to: keys as on the v1 class page, the port's GUID derived from
// the adapter's.
func (h *Host) v1SwitchPortPath(switchID, nicID string) string {
	return h.v1Path("Msvm_SwitchPort",
		wmi.Key{Name: "CreationClassName", Value: "Msvm_SwitchPort"},
		wmi.Key{Name: "Name", Value: derivedGUID(nicID, "switch port")},
		wmi.Key{Name: "SystemCreationClassName", Value: wmi.ClassVirtualSwitchV1},
		wmi.Key{Name: "SystemName", Value: switchID})
}

func (h *Host) v1EthernetPortsOfLocked(c *vmConfig) []*wmi.Object {
	var out []*wmi.Object
	for _, n := range c.NetworkAdapters {
		v := values{
			"InstanceID":               "Microsoft:" + c.ID + `\` + n.ID,
			"Caption":                  "Ethernet Port",
			"Description":              "Settings for the Microsoft Synthetic Ethernet Port",
			"ElementName":              "Ethernet Port",
			"ResourceType":             uint16(10),
			"ResourceSubType":          "Microsoft Synthetic Ethernet Port",
			"ConsumerVisibility":       uint16(3),
			"AllocationUnits":          "Ports",
			"VirtualQuantity":          uint64(1),
			"Reservation":              uint64(1),
			"Limit":                    uint64(1),
			"Weight":                   uint32(0),
			"AutomaticAllocation":      true,
			"AutomaticDeallocation":    true,
			"VirtualSystemIdentifiers": []string{"{" + n.ID + "}"},
			"StaticMacAddress":         false,
		}
		if n.SwitchID != "" {
			v["Connection"] = []string{h.v1SwitchPortPath(n.SwitchID, n.ID)}
		}
		out = append(out, h.newInstanceIn(wmi.NamespaceV1, classV1SyntheticEthernetPort, v))
	}
	return out
}
