package sim

import "github.com/hvport/hvport/wmi"

// Msvm_VirtualSystemManagementService ([v2 docs]
// msvm-virtualsystemmanagementservice): the host's one VMMS instance, Name
// "vmms", its path keyed by CreationClassName, Name,
// SystemCreationClassName and SystemName. Its modelled methods are
// ExportSystemDefinition (export_system_definition.go) and the import side
// (doc.go lists the files); the other real methods fail with
// WBEMNotSupported.
//
// Msvm_VirtualSystemManagementServiceSettingData ([v2 docs]
// msvm-virtualsystemmanagementservicesettingdata): InstanceID
// "Microsoft:<host>", the default data roots under DataDir.

func (h *Host) managementServicePath() string {
	return h.path(wmi.ClassManagementService,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassManagementService},
		wmi.Key{Name: "Name", Value: "vmms"},
		wmi.Key{Name: "SystemCreationClassName", Value: wmi.ClassComputerSystem},
		wmi.Key{Name: "SystemName", Value: h.name})
}

func (h *Host) managementServicesLocked() []*wmi.Object {
	return []*wmi.Object{h.newInstance(classManagementService, values{
		"CreationClassName":       wmi.ClassManagementService,
		"Name":                    "vmms",
		"SystemCreationClassName": wmi.ClassComputerSystem,
		"SystemName":              h.name,
		"Caption":                 "Virtual System Management Service",
		"Description":             "Service for creating, manipulating, and managing virtual machines",
		"ElementName":             "Hyper-V Virtual System Management Service",
		"EnabledState":            wmi.EnabledEnabled,
		"EnabledDefault":          uint16(2),
		"RequestedState":          uint16(12),
		"HealthState":             uint16(5),
		"OperationalStatus":       []uint16{2},
		"StatusDescriptions":      []string{"The service is running normally"},
		"StartMode":               "Auto",
		"Started":                 true,
	})}
}

func (h *Host) managementServiceSettingsPath() string {
	return h.path(wmi.ClassManagementServiceSettings, wmi.Key{Name: "InstanceID", Value: "Microsoft:" + h.name})
}

func (h *Host) managementServiceSettingsLocked() []*wmi.Object {
	return []*wmi.Object{h.newInstance(classManagementServiceSettings, values{
		"InstanceID":                        "Microsoft:" + h.name,
		"Caption":                           "Hyper-V Virtual System Management Service",
		"Description":                       "Settings for the Virtual System Management Service",
		"ElementName":                       "Hyper-V Virtual System Management Service",
		"DefaultExternalDataRoot":           h.settings.DefaultExternalDataRoot,
		"DefaultVirtualHardDiskPath":        h.settings.DefaultVirtualHardDiskPath,
		"MinimumMacAddress":                 "00155D000000",
		"MaximumMacAddress":                 "00155D0000FF",
		"NumaSpanningEnabled":               true,
		"PrimaryOwnerName":                  "Administrators",
		"PrimaryOwnerContact":               "",
		"EnhancedSessionModeEnabled":        false,
		"HypervisorRootSchedulerEnabled":    false,
		"DefaultVirtualHardDiskCachingMode": uint16(0),
	})}
}
