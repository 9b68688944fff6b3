package sim

import (
	"strings"

	"github.com/hvport/hvport/wmi"
)

// settingOwner is what a settings object passed to ModifySystemSettings
// or ModifyResourceSettings belongs to: a VM or a planned VM, and the
// configuration (the system's own or a snapshot's) that holds the
// setting.
type settingOwner struct {
	vm      *virtualMachine // a realized VM, or
	planned *plannedVM      // a planned VM
	config  *vmConfig       // the system's configuration or a snapshot's
}

func (o settingOwner) systemID() string {
	if o.vm != nil {
		return o.vm.config.ID
	}
	return o.planned.config.ID
}

func (o settingOwner) systemName() string {
	if o.vm != nil {
		return o.vm.config.Name
	}
	return o.planned.config.Name
}

// systemConfig is the configuration of the VM or planned VM itself.
func (o settingOwner) systemConfig() *vmConfig {
	if o.vm != nil {
		return o.vm.config
	}
	return o.planned.config
}

// isSnapshot reports whether the configuration is a snapshot's.
func (o settingOwner) isSnapshot() bool { return o.config.ID != o.systemID() }

// allConfigsLocked calls f with every configuration of the host and its
// owner until f returns true.
func (h *Host) allConfigsLocked(f func(settingOwner) bool) {
	for _, vm := range h.vms {
		for _, c := range append([]*vmConfig{vm.config}, vm.snapshots...) {
			if f(settingOwner{vm: vm, config: c}) {
				return
			}
		}
	}
	for _, p := range h.planned {
		for _, c := range p.configs() {
			if f(settingOwner{planned: p, config: c}) {
				return
			}
		}
	}
}

// saveOwnerLocked writes the configuration files after a modification:
// a planned VM's records, or the realized VM's or snapshot's .vmcx.
func (h *Host) saveOwnerLocked(o settingOwner) error {
	if o.planned != nil {
		return h.writePlannedLocked(o.planned)
	}
	if o.isSnapshot() {
		return writeConfig(snapshotConfigPath(o.vm.config, o.config.ID), o.config)
	}
	return writeConfig(vmConfigPath(o.vm.config), o.config)
}

// decodeEmbedded decodes an embedded-instance parameter of the class want
// (or a subclass the simulator knows); ok is false when it is NULL, not
// CIM-XML or another class.
func decodeEmbedded(text string, want *classDef) (*wmi.Object, bool) {
	if text == "" {
		return nil, false
	}
	o, err := wmi.DecodeInstance(text)
	if err != nil {
		return nil, false
	}
	c := lookupClass(o.Class)
	if c == nil || !c.isA(want.name) {
		return nil, false
	}
	return o, true
}

// nullOrString returns a string property and whether it is set (not
// NULL).
func nullOrString(o *wmi.Object, name string) (string, bool) {
	s, ok := o.Get(name).(string)
	return s, ok
}

// settingID strips "Microsoft:" from a settings InstanceID.
func settingID(instanceID string) (string, bool) {
	id, ok := strings.CutPrefix(instanceID, "Microsoft:")
	return id, ok && id != ""
}
