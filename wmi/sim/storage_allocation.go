package sim

import (
	"strconv"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_StorageAllocationSettingData ([v2 docs]
// msvm-storageallocationsettingdata): one per virtual hard disk of a VM's
// or snapshot's settings. HostResource is the disk's file path (a file
// path, not a WMI path: docs/HYPERV.md#references). InstanceID follows what
// public WMI dumps of real hosts show,
// Microsoft:<VM or snapshot GUID>\<controller GUID>\<location>\0\L; the
// meaning of the second number is INFERRED (always 0 here). Parent names
// the drive (a Msvm_ResourceAllocationSettingData ending in \D) that the
// simulator does not model, so Get on it fails with WBEMNotFound.
//
// A planned VM's and its planned snapshots' disks are listed too, with
// their paths resolved at import (import_planning.go);
// ModifyResourceSettings changes them (modify_resource_settings.go).

// storageInstanceID is the InstanceID of a disk of the settings ownerID.
func storageInstanceID(ownerID string, d diskConfig) string {
	return "Microsoft:" + ownerID + `\` + d.ControllerID + `\` + strconv.Itoa(d.Location) + `\0\L`
}

// driveInstanceID is the InstanceID of the (unmodelled) drive the disk
// sits in.
func driveInstanceID(ownerID string, d diskConfig) string {
	return strings.TrimSuffix(storageInstanceID(ownerID, d), `\L`) + `\D`
}

// storageSettingPath is the path of a disk's settings.
func (h *Host) storageSettingPath(ownerID string, d diskConfig) string {
	return h.path(wmi.ClassStorageAllocation, wmi.Key{Name: "InstanceID", Value: storageInstanceID(ownerID, d)})
}

func (h *Host) storageAllocationsLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		out = append(out, h.storageAllocationsOfLocked(vm.config)...)
		for _, s := range vm.snapshots {
			out = append(out, h.storageAllocationsOfLocked(s)...)
		}
	}
	for _, p := range h.planned {
		for _, c := range p.configs() {
			out = append(out, h.storageAllocationsOfLocked(c)...)
		}
	}
	return out
}

// storageAllocationsOfLocked builds the disk settings of one VM's or
// snapshot's configuration.
func (h *Host) storageAllocationsOfLocked(c *vmConfig) []*wmi.Object {
	var out []*wmi.Object
	for _, d := range c.Disks {
		out = append(out, h.newInstance(classStorageAllocation, values{
			"InstanceID":                      storageInstanceID(c.ID, d),
			"Caption":                         "Hard Disk Image Default Settings",
			"Description":                     "Describes the default settings for the hard disk image resources",
			"ElementName":                     "Hard Disk Image",
			"ResourceType":                    uint16(31), // Logical Disk
			"ResourceSubType":                 "Microsoft:Hyper-V:Virtual Hard Disk",
			"HostResource":                    []string{d.Path},
			"Parent":                          h.path("Msvm_ResourceAllocationSettingData", wmi.Key{Name: "InstanceID", Value: driveInstanceID(c.ID, d)}),
			"PoolID":                          "",
			"AutomaticAllocation":             true,
			"AutomaticDeallocation":           true,
			"Limit":                           uint64(1),
			"VirtualQuantityUnits":            "count(fixed size block)",
			"Access":                          uint16(3), // Read/Write Supported
			"SnapshotId":                      "",
			"PersistentReservationsSupported": false,
			"IgnoreFlushes":                   false,
			"WriteHardeningMethod":            uint16(0),
		}))
	}
	return out
}
