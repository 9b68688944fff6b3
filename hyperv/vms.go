package hyperv

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// VM is a virtual machine as the REST layer sees it.
type VM struct {
	ID           string // the VM GUID (Msvm_ComputerSystem.Name)
	Name         string // ElementName
	State        string // running, off, saved, paused, ...
	EnabledState uint16
	Path         string // WMI object path of the Msvm_ComputerSystem
}

// Snapshot is a checkpoint of a VM.
type Snapshot struct {
	ID        string
	Name      string
	ParentID  string // "" for the first checkpoint
	CreatedAt *time.Time
	Path      string // WMI path of its Msvm_VirtualSystemSettingData
}

// stateNames maps Msvm_ComputerSystem.EnabledState to the REST names. The
// 327xx values are Hyper-V's transitional states (v2), and 32768/32769 are
// v1's Paused/Suspended.
var stateNames = map[uint16]string{
	wmi.EnabledEnabled: "running", wmi.EnabledDisabled: "off", wmi.EnabledShuttingDown: "stopping",
	wmi.EnabledOffline: "saved", wmi.EnabledQuiesce: "paused", wmi.EnabledStarting: "starting",
	wmi.EnabledSaving: "saving", wmi.EnabledPausing: "pausing", wmi.EnabledResuming: "resuming",
	32768: "paused", 32769: "saved", 32770: "starting", 32771: "snapshotting", 32774: "stopping",
	wmi.EnabledFastSaved: "fastSaved", wmi.EnabledFastSaving: "fastSaving",
	wmi.EnabledRunningCritical: "runningCritical", wmi.EnabledOffCritical: "offCritical",
	wmi.EnabledStoppingCritical: "stoppingCritical", wmi.EnabledSavedCritical: "savedCritical",
	wmi.EnabledPausedCritical: "pausedCritical", wmi.EnabledStartingCritical: "startingCritical",
	wmi.EnabledResetCritical: "resetCritical",
}

// StateName is the REST name of an EnabledState value.
func StateName(enabled uint16) string {
	if s, ok := stateNames[enabled]; ok {
		return s
	}
	return "unknown"
}

func vmFrom(o *wmi.Object) VM {
	es := uint16(o.Uint("EnabledState"))
	return VM{ID: o.String("Name"), Name: o.String("ElementName"), State: StateName(es), EnabledState: es, Path: o.Path}
}

// ListVMs returns the host's virtual machines, sorted by name.
//
// Msvm_ComputerSystem also holds the host itself. VMs are told apart by
// their Name being a GUID rather than by Caption ("Virtual Machine"),
// because Caption is localized on non-English hosts.
//
// Concurrent calls share one WMI query, and its answer is reused for
// Options.InventoryMaxAge unless the driver changed something since
// (inventory.go): on a real host a query costs tens of milliseconds, and
// a thousand clients listing VMs at once would otherwise queue a thousand
// of them.
func (d *Driver) ListVMs(ctx context.Context) ([]VM, error) {
	vms, err := d.inventory.list(func() ([]VM, error) {
		// The query is shared: a caller that leaves must not cancel it
		// for the others.
		return d.listVMs(context.WithoutCancel(ctx))
	})
	if err != nil {
		return nil, err
	}
	return slices.Clone(vms), nil
}

func (d *Driver) listVMs(ctx context.Context) ([]VM, error) {
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassComputerSystem)
	if err != nil {
		return nil, fromWMI("list VMs", err)
	}
	vms := make([]VM, 0, len(objs))
	for _, o := range objs {
		if _, err := uuid.Parse(o.String("Name")); err != nil {
			continue
		}
		vms = append(vms, vmFrom(o))
	}
	sort.Slice(vms, func(i, j int) bool {
		if !strings.EqualFold(vms[i].Name, vms[j].Name) {
			return strings.ToLower(vms[i].Name) < strings.ToLower(vms[j].Name)
		}
		return vms[i].ID < vms[j].ID
	})
	return vms, nil
}

// FindVM resolves a VM by GUID (any case) or by a unique name. An unknown
// reference is NotFound; a name shared by several VMs is a Conflict that
// lists their ids, since Hyper-V does not make names unique.
func (d *Driver) FindVM(ctx context.Context, ref string) (VM, error) {
	vms, err := d.ListVMs(ctx)
	if err != nil {
		return VM{}, err
	}
	if _, err := uuid.Parse(ref); err == nil {
		for _, vm := range vms {
			if strings.EqualFold(vm.ID, ref) {
				return vm, nil
			}
		}
	}
	var matches []VM
	for _, vm := range vms {
		if vm.Name == ref {
			matches = append(matches, vm)
		}
	}
	switch len(matches) {
	case 0:
		return VM{}, &errs.Error{Kind: errs.NotFound, Msg: "no VM with id or name " + quote(ref)}
	case 1:
		return matches[0], nil
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	return VM{}, &errs.Error{Kind: errs.Conflict, Msg: "the name " + quote(ref) + " is shared by several VMs; use one of their ids",
		Extra: map[string]any{"candidates": ids}}
}

// Snapshots returns a VM's checkpoints, oldest first.
func (d *Driver) Snapshots(ctx context.Context, vm VM) ([]Snapshot, error) {
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = "+wmi.ClassSystemSettingData)
	if err != nil {
		return nil, fromWMI("list checkpoints", err)
	}
	var out []Snapshot
	for _, o := range objs {
		if !isSnapshotSetting(o) {
			continue
		}
		s := Snapshot{ID: settingID(o.String("InstanceID")), Name: o.String("ElementName"), Path: o.Path}
		if p := o.String("Parent"); p != "" {
			if pp, err := wmi.ParsePath(p); err == nil {
				s.ParentID = settingID(pp.Key("InstanceID"))
			}
		}
		if t, err := wmi.ParseDatetime(o.String("CreationTime")); err == nil {
			s.CreatedAt = &t
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].CreatedAt != nil && out[j].CreatedAt != nil {
			return out[i].CreatedAt.Before(*out[j].CreatedAt)
		}
		return false
	})
	return out, nil
}

// settingID turns a setting data InstanceID ("Microsoft:<GUID>") into the
// GUID users see.
func settingID(instanceID string) string {
	return strings.TrimPrefix(instanceID, "Microsoft:")
}

func quote(s string) string { return `"` + s + `"` }

// isSnapshotSetting reports whether a Msvm_VirtualSystemSettingData is a
// checkpoint's: v2 says so in VirtualSystemType
// ("Microsoft:Hyper-V:Snapshot:…"), v1 in SettingType (5; 3 is the VM's
// own settings).
func isSnapshotSetting(o *wmi.Object) bool {
	if t, ok := o.Get("VirtualSystemType").(string); ok {
		return strings.HasPrefix(t, "Microsoft:Hyper-V:Snapshot:")
	}
	return o.Uint("SettingType") == 5
}

// isRealizedSetting reports whether it is a VM's own current settings.
func isRealizedSetting(o *wmi.Object) bool {
	if t, ok := o.Get("VirtualSystemType").(string); ok {
		return strings.EqualFold(t, wmi.SystemTypeRealized)
	}
	return o.Uint("SettingType") == 3
}
