package sim

import "github.com/hvport/hvport/wmi"

// Msvm_PlannedComputerSystem ([v2 docs] msvm-plannedcomputersystem;
// docs/HYPERV.md#planned-vm): a planned VM, keyed like a VM by
// CreationClassName and Name (the GUID):
//
//	…:Msvm_PlannedComputerSystem.CreationClassName="Msvm_PlannedComputerSystem",Name="<GUID>"
//
// Caption, Description, OperationalStatus, StatusDescriptions, HealthState,
// RequestedState and TransitioningToState are the MOF's defaults.
// EnabledState has no default in the MOF; the simulator says 3 (Disabled:
// a planned VM does not run; INFERRED). RequestStateChange and
// SetPowerState are not supported on planned VMs (docs/HYPERV.md#planned-vm): WBEMNotSupported.
// It derives from CIM_ComputerSystem, not Msvm_ComputerSystem, so queries
// on Msvm_ComputerSystem never return planned VMs, while queries on
// CIM_ComputerSystem do.

func (h *Host) plannedSystemPath(id string) string {
	return h.path(wmi.ClassPlannedComputerSystem,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassPlannedComputerSystem}, wmi.Key{Name: "Name", Value: id})
}

func (h *Host) plannedSystemsLocked() []*wmi.Object {
	out := make([]*wmi.Object, 0, len(h.planned))
	for _, p := range h.planned {
		c := p.config
		out = append(out, h.newInstance(classPlannedComputerSystem, values{
			"CreationClassName":             wmi.ClassPlannedComputerSystem,
			"Name":                          c.ID,
			"ElementName":                   c.Name,
			"Caption":                       "Planned Virtual Machine",
			"Description":                   "Microsoft Planned Virtual Machine",
			"EnabledState":                  wmi.EnabledDisabled,
			"RequestedState":                uint16(12),
			"TransitioningToState":          uint16(12),
			"HealthState":                   uint16(5),
			"OperationalStatus":             []uint16{2},
			"StatusDescriptions":            []string{"The service is running normally"},
			"InstallDate":                   cimTimestamp(c.Import.Time),
			"TimeOfLastStateChange":         cimTimestamp(c.Import.Time),
			"TimeOfLastConfigurationChange": cimTimestamp(c.Import.Time),
			"OnTimeInMilliseconds":          uint64(0),
		}))
	}
	return out
}

// plannedLinksLocked adds a planned VM's associations (associations.go).
func (h *Host) plannedLinksLocked(p *plannedVM, add addLink) {
	h.systemLinksLocked(h.plannedSystemPath(p.config.ID), p.config, p.snapshots, add)
}
