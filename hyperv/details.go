package hyperv

import (
	"context"
	"os"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/vhdx"
	"github.com/hvport/hvport/wmi"
)

// Details is what a user needs to fill in export settings: the VM's
// generation and configuration version, its disks and network adapters.
type Details struct {
	Generation      int    // 1 or 2; 0 when Hyper-V does not say
	Version         string // configuration version, e.g. "9.0"
	Disks           []Disk
	NetworkAdapters []NetworkAdapter
}

// Disk is a virtual hard disk attached to the VM.
type Disk struct {
	ID       string // InstanceID of its Msvm_StorageAllocationSettingData (what excludedVirtualHardDisks takes)
	Path     string // the file (HostResource[0])
	FileSize *int64 // size of the file on the host; nil when it cannot be read
	// VirtualSize is the disk's size as the guest sees it, read from the
	// VHDX header; nil when the file is not a readable VHDX (e.g. a .vhd,
	// or locked by a running VM).
	VirtualSize *uint64
}

// NetworkAdapter is a VM's connection to a virtual switch.
type NetworkAdapter struct {
	ID        string // InstanceID of its Msvm_EthernetPortAllocationSettingData
	Switch    string // the switch's name (ElementName); "" when disconnected
	SwitchID  string // the switch's GUID (Name)
	Connected bool
}

// VMDetails reads the VM's realized settings: VSSD, disks and adapters.
func (d *Driver) VMDetails(ctx context.Context, vm VM) (Details, error) {
	vssd, err := d.realizedSettings(ctx, vm)
	if err != nil {
		return Details{}, err
	}
	det := Details{Version: vssd.String("Version"), Disks: []Disk{}, NetworkAdapters: []NetworkAdapter{}}
	switch vssd.String("VirtualSystemSubType") {
	case "Microsoft:Hyper-V:SubType:1":
		det.Generation = 1
	case "Microsoft:Hyper-V:SubType:2":
		det.Generation = 2
	}
	disks, err := d.diskSettings(ctx, vssd)
	if err != nil {
		return Details{}, err
	}
	for _, ds := range disks {
		disk := Disk{ID: ds.id, Path: ds.path}
		if disk.Path != "" {
			if fi, err := os.Stat(disk.Path); err == nil {
				n := fi.Size()
				disk.FileSize = &n
			}
			if info, err := vhdx.Stat(disk.Path); err == nil {
				v := info.VirtualSize
				disk.VirtualSize = &v
			}
		}
		det.Disks = append(det.Disks, disk)
	}
	nics, err := d.nicSettings(ctx, vssd)
	if err != nil {
		return Details{}, err
	}
	for _, n := range nics {
		nic := NetworkAdapter{ID: n.id, Connected: n.switchPath != ""}
		if n.switchPath != "" {
			if sw, err := d.SwitchByPath(ctx, n.switchPath); err == nil {
				nic.Switch, nic.SwitchID = sw.Name, sw.ID
			} else {
				nic.SwitchID = SwitchIDFromPath(n.switchPath) // the switch is gone; still say which it was
			}
		}
		det.NetworkAdapters = append(det.NetworkAdapters, nic)
	}
	return det, nil
}

// realizedSettings returns the VM's own Msvm_VirtualSystemSettingData (not
// a checkpoint's).
func (d *Driver) realizedSettings(ctx context.Context, vm VM) (*wmi.Object, error) {
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = "+wmi.ClassSystemSettingData)
	if err != nil {
		return nil, fromWMI("read the VM's settings", err)
	}
	for _, o := range objs {
		if isRealizedSetting(o) {
			return o, nil
		}
	}
	return nil, errs.E(errs.HostFailed, "Hyper-V returned no realized settings for VM %s", vm.ID)
}

// EstimateExportBytes estimates what an export with settings s writes: the
// disk files of the VM and of its checkpoints (when storage is copied) plus
// a margin for configuration and runtime-state files, whose size Hyper-V
// does not report here. It is a preflight estimate, not a promise.
func (d *Driver) EstimateExportBytes(ctx context.Context, vm VM, s ExportSettings) (int64, error) {
	const margin = 64 << 20
	copiesDisks := s.CopyVmStorage || s.CopySnapshotConfiguration == SnapshotMode(wmi.ExportOneSnapshot) ||
		s.CopySnapshotConfiguration == SnapshotMode(wmi.ExportOneSnapshotForBackup)
	if !copiesDisks {
		return margin, nil
	}
	settings, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = "+wmi.ClassSystemSettingData)
	if err != nil {
		return 0, fromWMI("estimate the export size", err)
	}
	seen := map[string]bool{}
	var total int64 = margin
	for _, vssd := range settings {
		disks, err := d.diskSettings(ctx, vssd)
		if err != nil {
			return 0, err
		}
		for _, ds := range disks {
			if ds.path == "" || seen[strings.ToLower(ds.path)] {
				continue
			}
			seen[strings.ToLower(ds.path)] = true
			if fi, err := os.Stat(ds.path); err == nil {
				total += fi.Size()
			}
		}
	}
	return total, nil
}

// RunningJobs counts the host's Hyper-V jobs that have not finished (export
// jobs only where the host says which jobs are exports: JobType 62, v2).
func (d *Driver) RunningJobs(ctx context.Context) (int, error) {
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassConcreteJob)
	if err != nil {
		return 0, fromWMI("list Hyper-V jobs", err)
	}
	n := 0
	for _, o := range objs {
		if wmi.JobStateTerminal(uint16(o.Uint("JobState"))) {
			continue
		}
		if o.Has("JobType") && uint16(o.Uint("JobType")) != wmi.JobTypeExportVM {
			continue
		}
		n++
	}
	return n, nil
}

// diskSetting is a virtual hard disk as a settings object names it.
type diskSetting struct {
	id, path string
	obj      *wmi.Object
}

// diskSettings lists the disks of a VM's (or checkpoint's) settings. v2:
// Msvm_StorageAllocationSettingData with the file in HostResource[0]; v1:
// Msvm_ResourceAllocationSettingData of subtype "Microsoft Virtual Hard
// Disk" with the file in Connection[0].
func (d *Driver) diskSettings(ctx context.Context, vssd *wmi.Object) ([]diskSetting, error) {
	class, prop := wmi.ClassStorageAllocation, "HostResource"
	if d.api == V1 {
		class, prop = wmi.ClassResourceAllocationV1, "Connection"
	}
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vssd.Path+"} WHERE ResultClass = "+class)
	if err != nil {
		return nil, fromWMI("list the VM's disks", err)
	}
	var out []diskSetting
	for _, o := range objs {
		if d.api == V1 && o.String("ResourceSubType") != wmi.ResourceSubTypeVHDV1 {
			continue // drives, controllers
		}
		ds := diskSetting{id: o.String("InstanceID"), obj: o}
		if v := o.Strings(prop); len(v) > 0 {
			ds.path = v[0]
		}
		out = append(out, ds)
	}
	return out, nil
}

// nicSetting is a network adapter and the switch (or v1 switch port) it is
// connected to; switchPath is "" when disconnected.
type nicSetting struct {
	id, switchPath string
}

// nicSettings lists a VM's network adapters. v2: the port allocation's
// HostResource[0] is the switch; EnabledState 3 means disconnected. v1:
// the synthetic port's Connection[0] is a Msvm_SwitchPort whose SystemName
// key is the switch's GUID.
func (d *Driver) nicSettings(ctx context.Context, vssd *wmi.Object) ([]nicSetting, error) {
	class := wmi.ClassEthernetPortAllocation
	if d.api == V1 {
		class = wmi.ClassSyntheticEthernetPortV1
	}
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vssd.Path+"} WHERE ResultClass = "+class)
	if err != nil {
		return nil, fromWMI("list the VM's network adapters", err)
	}
	var out []nicSetting
	for _, o := range objs {
		n := nicSetting{id: o.String("InstanceID")}
		if d.api == V1 {
			if c := o.Strings("Connection"); len(c) > 0 && c[0] != "" {
				if p, err := wmi.ParsePath(c[0]); err == nil && p.Key("SystemName") != "" {
					n.switchPath = wmi.ObjectPath{Server: p.Server, Namespace: p.Namespace, Class: wmi.ClassVirtualSwitchV1,
						Keys: []wmi.Key{{Name: "CreationClassName", Value: wmi.ClassVirtualSwitchV1}, {Name: "Name", Value: p.Key("SystemName")}}}.String()
				}
			}
		} else if hr := o.Strings("HostResource"); len(hr) > 0 && hr[0] != "" && o.Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
			n.switchPath = hr[0]
		}
		out = append(out, n)
	}
	return out, nil
}
