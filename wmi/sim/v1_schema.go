package sim

import (
	"slices"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// The class schema of root\virtualization (v1), from the MOF syntax on each
// class's [v1 docs] page (learn.microsoft.com/previous-versions/windows/
// desktop/virtual/<class>), which lists every property including the
// inherited ones. As for v2 (schema.go) an instance declares every property
// listed here, NULL where the simulator has no value; CLASSORIGINs follow
// the CIM class that declares each property. Where v1 and v2 differ:
//
//   - Msvm_VirtualSystemSettingData: SettingType (uint16: 3 current
//     settings, 5 a snapshot's), SystemName (the VM GUID), VirtualSystemType
//     uint16 301, Notes a single string; no data roots, Version or
//     VirtualSystemSubType. The data roots and ScopeOfResidence are on
//     Msvm_VirtualSystemGlobalSettingData (InstanceID
//     "Microsoft:<GUID>\Global").
//   - Virtual hard disks are Msvm_ResourceAllocationSettingData
//     (ResourceType 21, ResourceSubType "Microsoft Virtual Hard Disk",
//     Connection[0] = the file path) whose Parent is the drive, itself a
//     Msvm_ResourceAllocationSettingData (22, "Microsoft Synthetic Disk
//     Drive"); network adapters Msvm_SyntheticEthernetPortSettingData with
//     Connection[0] = a Msvm_SwitchPort path; switches Msvm_VirtualSwitch.
//   - Msvm_ConcreteJob has no JobType.
//   - Msvm_VirtualSystemExportSettingData has only Caption, Description,
//     InstanceID, ElementName, CopySnapshotConfiguration (0-2),
//     CopyVmRuntimeInformation, CopyVmStorage, CreateVmExportSubdirectory
//     and SnapshotVirtualSystem (§1.3).

const originVirtualSystemSettingData = "CIM_VirtualSystemSettingData"

// v1ElementProps are CIM_ManagedElement's Caption, Description and
// ElementName.
func v1ElementProps() []propDef {
	return []propDef{
		scalar("Caption", tString, originManagedElement),
		scalar("Description", tString, originManagedElement),
		scalar("ElementName", tString, originManagedElement),
	}
}

// v1SettingDataProps are CIM_SettingData's (with InstanceID).
func v1SettingDataProps() []propDef {
	return append(v1ElementProps(), scalar("InstanceID", tString, originSettingData))
}

// v1SystemProps are the CIM_ComputerSystem properties the v1 MOFs of
// Msvm_ComputerSystem and Msvm_VirtualSwitch list.
func v1SystemProps() []propDef {
	return concat(v1ElementProps(), []propDef{
		scalar("InstallDate", tTime, originManagedSystem),
		array("OperationalStatus", tU16, originManagedSystem),
		array("StatusDescriptions", tString, originManagedSystem),
		scalar("Status", tString, originManagedSystem),
		scalar("HealthState", tU16, originManagedSystem),
		scalar("Name", tString, originManagedSystem),
		scalar("EnabledState", tU16, originEnabledLogical),
		scalar("OtherEnabledState", tString, originEnabledLogical),
		scalar("RequestedState", tU16, originEnabledLogical),
		scalar("EnabledDefault", tU16, originEnabledLogical),
		scalar("TimeOfLastStateChange", tTime, originEnabledLogical),
		scalar("CreationClassName", tString, originSystem),
		scalar("NameFormat", tString, originSystem),
		scalar("PrimaryOwnerName", tString, originSystem),
		scalar("PrimaryOwnerContact", tString, originSystem),
		array("Roles", tString, originSystem),
		array("IdentifyingDescriptions", tString, originSystem),
		array("OtherIdentifyingInfo", tString, originSystem),
		array("Dedicated", tU16, originComputerSystem),
		array("OtherDedicatedDescriptions", tString, originComputerSystem),
		scalar("ResetCapability", tU16, originComputerSystem),
		array("PowerManagementCapabilities", tU16, originComputerSystem),
	})
}

// v1RASDProps are the CIM_ResourceAllocationSettingData properties of the
// v1 MOFs, and VirtualSystemIdentifiers (the owner's GUID).
func v1RASDProps(owner string) []propDef {
	return concat(v1SettingDataProps(), []propDef{
		scalar("ResourceType", tU16, originRASD),
		scalar("OtherResourceType", tString, originRASD),
		scalar("ResourceSubType", tString, originRASD),
		scalar("PoolID", tString, originRASD),
		scalar("ConsumerVisibility", tU16, originRASD),
		array("HostResource", tString, originRASD),
		scalar("AllocationUnits", tString, originRASD),
		scalar("VirtualQuantity", tU64, originRASD),
		scalar("Reservation", tU64, originRASD),
		scalar("Limit", tU64, originRASD),
		scalar("Weight", tU32, originRASD),
		scalar("AutomaticAllocation", tBool, originRASD),
		scalar("AutomaticDeallocation", tBool, originRASD),
		scalar("Parent", tString, originRASD),
		array("Connection", tString, originRASD),
		scalar("Address", tString, originRASD),
		scalar("MappingBehavior", tU16, originRASD),
		array("VirtualSystemIdentifiers", tString, owner),
	})
}

var classV1ComputerSystem = &classDef{
	name:       wmi.ClassComputerSystem,
	derivation: derivComputerSystem,
	keys:       []string{"CreationClassName", "Name"},
	props: concat(v1SystemProps(), []propDef{
		scalar("OnTimeInMilliseconds", tU64, wmi.ClassComputerSystem),
		scalar("TimeOfLastConfigurationChange", tTime, wmi.ClassComputerSystem),
		scalar("ProcessID", tU32, wmi.ClassComputerSystem),
		array("AssignedNumaNodeList", tU16, wmi.ClassComputerSystem),
	}),
	unmodelled: []string{"RequestStateChange", "SetPowerState"},
}

var classV1VirtualSwitch = &classDef{
	name:       wmi.ClassVirtualSwitchV1,
	derivation: derivComputerSystem,
	keys:       []string{"CreationClassName", "Name"},
	props: concat(v1SystemProps(), []propDef{
		scalar("ScopeOfResidence", tString, wmi.ClassVirtualSwitchV1),
		scalar("NumLearnableAddresses", tU32, wmi.ClassVirtualSwitchV1),
		scalar("MaxVMQOffloads", tU32, wmi.ClassVirtualSwitchV1),
		scalar("MaxChimneyOffloads", tU32, wmi.ClassVirtualSwitchV1),
	}),
	unmodelled: []string{"RequestStateChange", "SetPowerState"},
}

var derivVirtualSystemSettingData = []string{originVirtualSystemSettingData, "CIM_SettingData", "CIM_ManagedElement"}

var classV1SystemSettingData = &classDef{
	name:       wmi.ClassSystemSettingData,
	derivation: derivVirtualSystemSettingData,
	keys:       []string{"InstanceID"},
	props: concat(v1SettingDataProps(), []propDef{
		scalar("SettingType", tU16, originVirtualSystemSettingData),
		scalar("SystemName", tString, originVirtualSystemSettingData),
		scalar("AutoActivate", tBool, originVirtualSystemSettingData),
		scalar("OtherVirtualSystemType", tString, originVirtualSystemSettingData),
		scalar("CreationTime", tTime, originVirtualSystemSettingData),
		scalar("VirtualSystemType", tU16, originVirtualSystemSettingData),
		scalar("Notes", tString, wmi.ClassSystemSettingData),
		scalar("BIOSGUID", tString, wmi.ClassSystemSettingData),
		scalar("BIOSSerialNumber", tString, wmi.ClassSystemSettingData),
		scalar("BaseBoardSerialNumber", tString, wmi.ClassSystemSettingData),
		scalar("ChassisSerialNumber", tString, wmi.ClassSystemSettingData),
		scalar("ChassisAssetTag", tString, wmi.ClassSystemSettingData),
		scalar("BIOSNumLock", tBool, wmi.ClassSystemSettingData),
		array("BootOrder", tU16, wmi.ClassSystemSettingData),
		scalar("Parent", tString, wmi.ClassSystemSettingData),
		array("NumaNodeList", tU16, wmi.ClassSystemSettingData),
		scalar("NumaNodesAreRequired", tBool, wmi.ClassSystemSettingData),
	}),
}

var classV1GlobalSettingData = &classDef{
	name:       wmi.ClassGlobalSettingDataV1,
	derivation: derivVirtualSystemSettingData,
	keys:       []string{"InstanceID"},
	props: concat(v1SettingDataProps(), []propDef{
		scalar("SystemName", tString, originVirtualSystemSettingData),
		scalar("VirtualSystemType", tU16, originVirtualSystemSettingData),
		scalar("AutoActivate", tBool, originVirtualSystemSettingData),
		scalar("OtherVirtualSystemType", tString, originVirtualSystemSettingData),
		scalar("CreationTime", tTime, originVirtualSystemSettingData),
		scalar("SettingType", tU16, originVirtualSystemSettingData),
		scalar("ExternalDataRoot", tString, wmi.ClassGlobalSettingDataV1),
		scalar("SnapshotDataRoot", tString, wmi.ClassGlobalSettingDataV1),
		scalar("AutomaticStartupAction", tU16, wmi.ClassGlobalSettingDataV1),
		scalar("AutomaticStartupActionDelay", tTime, wmi.ClassGlobalSettingDataV1),
		scalar("AutomaticShutdownAction", tU16, wmi.ClassGlobalSettingDataV1),
		scalar("AutomaticRecoveryAction", tU16, wmi.ClassGlobalSettingDataV1),
		scalar("AdditionalRecoveryInformation", tString, wmi.ClassGlobalSettingDataV1),
		scalar("ScopeOfResidence", tString, wmi.ClassGlobalSettingDataV1),
		scalar("DebugChannelId", tU32, wmi.ClassGlobalSettingDataV1),
		scalar("DebugPort", tU32, wmi.ClassGlobalSettingDataV1),
		scalar("DebugPortEnabled", tU16, wmi.ClassGlobalSettingDataV1),
		scalar("AllowFullSCSICommandSet", tBool, wmi.ClassGlobalSettingDataV1),
		scalar("Version", tString, wmi.ClassGlobalSettingDataV1),
	}),
}

var classV1ResourceAllocation = &classDef{
	name:       wmi.ClassResourceAllocationV1,
	derivation: []string{"CIM_ResourceAllocationSettingData", "CIM_SettingData", "CIM_ManagedElement"},
	keys:       []string{"InstanceID"},
	props:      v1RASDProps(wmi.ClassResourceAllocationV1),
}

var classV1SyntheticEthernetPort = &classDef{
	name:       wmi.ClassSyntheticEthernetPortV1,
	derivation: []string{"CIM_ResourceAllocationSettingData", "CIM_SettingData", "CIM_ManagedElement"},
	keys:       []string{"InstanceID"},
	props: concat(v1RASDProps(wmi.ClassSyntheticEthernetPortV1), []propDef{
		scalar("StaticMacAddress", tBool, wmi.ClassSyntheticEthernetPortV1),
	}),
}

// classV1ManagementService has the v1 method signatures of §1.2 (in-
// parameters in MOF order); the other methods of [v1 docs]
// msvm-virtualsystemmanagementservice fail with WBEMNotSupported.
var classV1ManagementService = &classDef{
	name:       wmi.ClassManagementService,
	derivation: classManagementService.derivation,
	keys:       classManagementService.keys,
	props: concat(v1ElementProps(), []propDef{
		scalar("InstallDate", tTime, originManagedSystem),
		array("OperationalStatus", tU16, originManagedSystem),
		array("StatusDescriptions", tString, originManagedSystem),
		scalar("Status", tString, originManagedSystem),
		scalar("HealthState", tU16, originManagedSystem),
		scalar("Name", tString, originManagedSystem),
		scalar("EnabledState", tU16, originEnabledLogical),
		scalar("OtherEnabledState", tString, originEnabledLogical),
		scalar("RequestedState", tU16, originEnabledLogical),
		scalar("EnabledDefault", tU16, originEnabledLogical),
		scalar("TimeOfLastStateChange", tTime, originEnabledLogical),
		scalar("SystemCreationClassName", tString, originService),
		scalar("SystemName", tString, originService),
		scalar("CreationClassName", tString, originService),
		scalar("PrimaryOwnerName", tString, originService),
		scalar("PrimaryOwnerContact", tString, originService),
		scalar("StartMode", tString, originService),
		scalar("Started", tBool, originService),
	}),
	methods: []methodDef{
		{name: "ExportVirtualSystemEx", in: []paramDef{
			{name: "ComputerSystem", typ: tRef},
			{name: "ExportDirectory", typ: tString},
			{name: "ExportSettingData", typ: tString},
		}},
		{name: "GetVirtualSystemImportSettingData", in: []paramDef{{name: "ImportDirectory", typ: tString}}},
		{name: "ImportVirtualSystemEx", in: []paramDef{
			{name: "ImportDirectory", typ: tString},
			{name: "ImportSettingData", typ: tString},
		}},
	},
	unmodelled: []string{"AddKvpItems", "AddVirtualSystemResources", "ApplyVirtualSystemSnapshot",
		"ApplyVirtualSystemSnapshotEx", "CheckSystemCompatibilityInfo", "CloneVirtualSystem",
		"CreateVirtualSystemSnapshot", "DefineVirtualSystem", "DestroyVirtualSystem", "ExportVirtualSystem",
		"FormatError", "GetSummaryInformation", "GetSystemCompatibilityInfo", "GetVirtualSystemThumbnailImage",
		"ImportVirtualSystem", "InstantiateVirtualSystem", "ModifyKvpItems", "ModifyServiceSettings",
		"ModifyVirtualSystem", "ModifyVirtualSystemResources", "PlanVirtualSystem", "RemoveKvpItems",
		"RemoveVirtualSystemResources", "RemoveVirtualSystemSnapshot", "RemoveVirtualSystemSnapshotTree",
		"RequestStateChange", "StartService", "StopService"},
}

var classV1ManagementServiceSettings = &classDef{
	name:       wmi.ClassManagementServiceSettings,
	derivation: derivSettingData,
	keys:       []string{"InstanceID"},
	props: concat(v1SettingDataProps(), []propDef{
		scalar("PrimaryOwnerName", tString, wmi.ClassManagementServiceSettings),
		scalar("PrimaryOwnerContact", tString, wmi.ClassManagementServiceSettings),
		scalar("ScopeOfResidence", tString, wmi.ClassManagementServiceSettings),
		scalar("DefaultExternalDataRoot", tString, wmi.ClassManagementServiceSettings),
		scalar("DefaultVirtualHardDiskPath", tString, wmi.ClassManagementServiceSettings),
		scalar("MinimumMacAddress", tString, wmi.ClassManagementServiceSettings),
		scalar("MaximumMacAddress", tString, wmi.ClassManagementServiceSettings),
		scalar("NumaSpanningEnabled", tBool, wmi.ClassManagementServiceSettings),
		scalar("BiosLockString", tString, wmi.ClassManagementServiceSettings),
	}),
}

var classV1ExportSettingData = &classDef{
	name:       wmi.ClassExportSettingData,
	derivation: derivSettingData,
	keys:       []string{"InstanceID"},
	props: concat(v1SettingDataProps(), []propDef{
		scalar("CopySnapshotConfiguration", tU8, wmi.ClassExportSettingData),
		scalar("CopyVmRuntimeInformation", tBool, wmi.ClassExportSettingData),
		scalar("CopyVmStorage", tBool, wmi.ClassExportSettingData),
		scalar("CreateVmExportSubdirectory", tBool, wmi.ClassExportSettingData),
		scalar("SnapshotVirtualSystem", tString, wmi.ClassExportSettingData),
	}),
}

// classV1ImportSettingData is §1.4's class. It has no provider ([AMENDMENT]
// only), so it has no instances to enumerate: it exists embedded, as
// GetVirtualSystemImportSettingData's out-parameter and
// ImportVirtualSystemEx's in-parameter.
var classV1ImportSettingData = &classDef{
	name:       wmi.ClassImportSettingData,
	derivation: derivSettingData,
	keys:       []string{"InstanceID"},
	props: concat(v1SettingDataProps(), []propDef{
		scalar("GenerateNewId", tBool, wmi.ClassImportSettingData),
		scalar("CreateCopy", tBool, wmi.ClassImportSettingData),
		scalar("Name", tString, wmi.ClassImportSettingData),
		scalar("SourceVmDataRoot", tString, wmi.ClassImportSettingData),
		scalar("SourceSnapshotDataRoot", tString, wmi.ClassImportSettingData),
		scalar("SourceVhdDataRoot", tString, wmi.ClassImportSettingData),
		scalar("TargetVmDataRoot", tString, wmi.ClassImportSettingData),
		scalar("TargetSnapshotDataRoot", tString, wmi.ClassImportSettingData),
		scalar("TargetVhdDataRoot", tString, wmi.ClassImportSettingData),
		scalar("SecurityScope", tString, wmi.ClassImportSettingData),
		array("CurrentResourcePaths", tString, wmi.ClassImportSettingData),
		array("SourceResourcePaths", tString, wmi.ClassImportSettingData),
		array("TargetResourcePaths", tString, wmi.ClassImportSettingData),
		array("SourceNetworkConnections", tString, wmi.ClassImportSettingData),
		array("TargetNetworkConnections", tString, wmi.ClassImportSettingData),
	}),
}

// classV1ConcreteJob is the v2 class without JobType, which v1 does not
// have, and without the CIM 2.22 status properties the v1 MOF does not
// list; the methods are the same (concrete_job_methods.go).
var classV1ConcreteJob = &classDef{
	name:       wmi.ClassConcreteJob,
	derivation: classConcreteJob.derivation,
	keys:       classConcreteJob.keys,
	props: slices.DeleteFunc(slices.Clone(classConcreteJob.props), func(p propDef) bool {
		switch strings.ToLower(p.name) {
		case "jobtype", "communicationstatus", "detailedstatus", "operatingstatus", "primarystatus":
			return true
		}
		return false
	}),
	methods:    classConcreteJob.methods,
	unmodelled: classConcreteJob.unmodelled,
}
