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
	disks, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vssd.Path+"} WHERE ResultClass = "+wmi.ClassStorageAllocation)
	if err != nil {
		return Details{}, fromWMI("list the VM's disks", err)
	}
	for _, o := range disks {
		disk := Disk{ID: o.String("InstanceID")}
		if hr := o.Strings("HostResource"); len(hr) > 0 {
			disk.Path = hr[0]
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
	ports, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vssd.Path+"} WHERE ResultClass = "+wmi.ClassEthernetPortAllocation)
	if err != nil {
		return Details{}, fromWMI("list the VM's network adapters", err)
	}
	for _, o := range ports {
		nic := NetworkAdapter{ID: o.String("InstanceID")}
		hr := o.Strings("HostResource")
		if len(hr) > 0 && hr[0] != "" && o.Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
			nic.Connected = true
			if sw, err := d.svc.Get(ctx, hr[0]); err == nil {
				nic.Switch, nic.SwitchID = sw.String("ElementName"), sw.String("Name")
			} else if p, perr := wmi.ParsePath(hr[0]); perr == nil {
				nic.SwitchID = p.Key("Name") // the switch is gone; still say which it was
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
		disks, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vssd.Path+"} WHERE ResultClass = "+wmi.ClassStorageAllocation)
		if err != nil {
			return 0, fromWMI("estimate the export size", err)
		}
		for _, o := range disks {
			for _, p := range o.Strings("HostResource") {
				if seen[strings.ToLower(p)] {
					continue
				}
				seen[strings.ToLower(p)] = true
				if fi, err := os.Stat(p); err == nil {
					total += fi.Size()
				}
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
