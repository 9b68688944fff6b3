package sim

import (
	"github.com/hvport/hvport/wmi"
)

// v1's systems and service ([v1 docs] msvm-computersystem,
// msvm-virtualswitch, msvm-virtualsystemmanagementservice,
// msvm-virtualsystemmanagementservicesettingdata), with the values those
// pages give: a VM's Description "Microsoft Virtual Computer System" and
// its EnabledState in v1's numbers (v1EnabledState); a switch's
// EnabledState 5 (Not Applicable), RequestedState 12, ResetCapability 5,
// Name its GUID and ElementName its friendly name (v1 has no FriendlyName
// property: CreateSwitch's FriendlyName parameter becomes ElementName);
// the service's ElementName "Virtual System Management Service" and
// StartMode NULL. Not modelled: Msvm_SwitchPort (an adapter's Connection
// names one), NumLearnableAddresses and the offload counts (NULL).

func (h *Host) v1ComputerSystemsLocked() []*wmi.Object {
	host := h.convertInstance(h.hostSystemLocked(), classV1ComputerSystem, wmi.NamespaceV1, values{
		"Description": "Microsoft Hosting Computer System",
	})
	out := []*wmi.Object{host}
	for _, vm := range h.vms {
		out = append(out, h.convertInstance(h.vmSystemLocked(vm), classV1ComputerSystem, wmi.NamespaceV1, values{
			"Description":     "Microsoft Virtual Computer System",
			"EnabledState":    v1EnabledState(vm.enabledState),
			"RequestedState":  uint16(12),
			"Dedicated":       []uint16{0},
			"ResetCapability": uint16(1),
		}))
	}
	return out
}

func (h *Host) v1SwitchesLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, s := range h.switches {
		out = append(out, h.newInstanceIn(wmi.NamespaceV1, classV1VirtualSwitch, values{
			"CreationClassName":  wmi.ClassVirtualSwitchV1,
			"Name":               s.ID,
			"ElementName":        s.Name,
			"Caption":            "Virtual Switch",
			"Description":        "Microsoft Virtual Switch", // INFERRED: the page gives no value
			"EnabledState":       wmi.EnabledNotApplicable,
			"EnabledDefault":     uint16(2),
			"RequestedState":     uint16(12),
			"HealthState":        uint16(5),
			"OperationalStatus":  []uint16{2},
			"StatusDescriptions": []string{"OK"},
			"Dedicated":          []uint16{0},
			"ResetCapability":    uint16(5),
		}))
	}
	return out
}

func (h *Host) v1ManagementServicesLocked() []*wmi.Object {
	return []*wmi.Object{h.newInstanceIn(wmi.NamespaceV1, classV1ManagementService, values{
		"CreationClassName":       wmi.ClassManagementService,
		"Name":                    "vmms",
		"SystemCreationClassName": wmi.ClassComputerSystem,
		"SystemName":              h.name,
		"Caption":                 "Virtual System Management Service",
		"Description":             "Service for creating, manipulating, and managing virtual systems",
		"ElementName":             "Virtual System Management Service",
		"EnabledState":            wmi.EnabledEnabled,
		"EnabledDefault":          uint16(2),
		"RequestedState":          uint16(12),
		"HealthState":             uint16(5),
		"OperationalStatus":       []uint16{2},
		"StatusDescriptions":      []string{"The service is running normally"},
		"Started":                 true,
	})}
}

func (h *Host) v1ManagementServiceSettingsPath() string {
	return h.v1Path(wmi.ClassManagementServiceSettings, wmi.Key{Name: "InstanceID", Value: "Microsoft:" + h.name})
}

func (h *Host) v1ManagementServiceSettingsLocked() []*wmi.Object {
	return []*wmi.Object{h.newInstanceIn(wmi.NamespaceV1, classV1ManagementServiceSettings, values{
		"InstanceID":                 "Microsoft:" + h.name,
		"Caption":                    "Virtual System Management Service",
		"Description":                "Settings for the Virtual System Management Service",
		"ElementName":                "Virtual System Management Service",
		"PrimaryOwnerName":           "Administrators",
		"PrimaryOwnerContact":        "",
		"ScopeOfResidence":           "",
		"DefaultExternalDataRoot":    h.settings.DefaultExternalDataRoot,
		"DefaultVirtualHardDiskPath": h.settings.DefaultVirtualHardDiskPath,
		"MinimumMacAddress":          "00155D000000",
		"MaximumMacAddress":          "00155D0000FF",
		"NumaSpanningEnabled":        true,
	})}
}
