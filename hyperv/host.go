package hyperv

import (
	"context"
	"sort"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// HostDefaults are the host's default places for new VMs
// (Msvm_VirtualSystemManagementServiceSettingData), which Import-VM uses as
// copy targets (docs/HYPERV.md#import-modes).
type HostDefaults struct {
	ExternalDataRoot   string // DefaultExternalDataRoot: configuration and checkpoints
	VirtualHardDiskDir string // DefaultVirtualHardDiskPath
}

// HostDefaults reads the host's default data roots.
func (d *Driver) HostDefaults(ctx context.Context) (HostDefaults, error) {
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassManagementServiceSettings)
	if err != nil {
		return HostDefaults{}, fromWMI("read the host's default paths", err)
	}
	if len(objs) == 0 {
		return HostDefaults{}, errs.E(errs.HostFailed, "Hyper-V returned no %s", wmi.ClassManagementServiceSettings)
	}
	return HostDefaults{ExternalDataRoot: objs[0].String("DefaultExternalDataRoot"),
		VirtualHardDiskDir: objs[0].String("DefaultVirtualHardDiskPath")}, nil
}

// Switch is a virtual Ethernet switch of the host.
type Switch struct {
	ID   string // Name (a GUID)
	Name string // ElementName, what users call it
	Path string
}

// Switches lists the host's virtual switches, sorted by name.
func (d *Driver) Switches(ctx context.Context) ([]Switch, error) {
	class := wmi.ClassVirtualEthernetSwitch
	if d.api == V1 {
		class = wmi.ClassVirtualSwitchV1
	}
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+class)
	if err != nil {
		return nil, fromWMI("list the virtual switches", err)
	}
	out := make([]Switch, 0, len(objs))
	for _, o := range objs {
		out = append(out, Switch{ID: o.String("Name"), Name: o.String("ElementName"), Path: o.Path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SwitchByPath reads the switch an adapter's HostResource names; NotFound
// when the host has no such switch.
func (d *Driver) SwitchByPath(ctx context.Context, path string) (Switch, error) {
	o, err := d.svc.Get(ctx, path)
	if err != nil {
		return Switch{}, fromWMI("read the virtual switch", err)
	}
	return Switch{ID: o.String("Name"), Name: o.String("ElementName"), Path: o.Path}, nil
}

// SwitchIDFromPath is the GUID key of a switch path, for messages about a
// switch the host lacks.
func SwitchIDFromPath(path string) string {
	if p, err := wmi.ParsePath(path); err == nil {
		if id := p.Key("Name"); id != "" {
			return id
		}
	}
	return path
}
