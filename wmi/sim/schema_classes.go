package sim

import (
	"slices"

	"github.com/hvport/hvport/wmi"
)

// The description of the classes of both namespaces (see schema.go). The
// v2 rows follow the MOF syntax on each class's [v2 docs] page
// (learn.microsoft.com/windows/win32/hyperv_v2/<class>), the v1 rows that
// of its [v1 docs] page (learn.microsoft.com/previous-versions/windows/
// desktop/virtual/<class>), which lists every property including the
// inherited ones; CLASSORIGINs follow the CIM class that declares each
// property. A row marked inV2 or inV1 is a difference between the two
// namespaces; every other row is shared. v1_schema.go sums the differences
// up.

var (
	derivComputerSystem = []string{"CIM_ComputerSystem", "CIM_System", "CIM_EnabledLogicalElement",
		"CIM_LogicalElement", "CIM_ManagedSystemElement", "CIM_ManagedElement"}
	derivSettingData = []string{"CIM_SettingData", "CIM_ManagedElement"}
	derivVSSD        = []string{"CIM_VirtualSystemSettingData", "CIM_SettingData", "CIM_ManagedElement"}
	derivRASD        = []string{"CIM_ResourceAllocationSettingData", "CIM_SettingData", "CIM_ManagedElement"}
	keysSystem       = []string{"CreationClassName", "Name"}
	keysInstanceID   = []string{"InstanceID"}
)

// Property groups several classes inherit.
var (
	// elementRows: CIM_ManagedElement's but InstanceID, which each kind
	// of class declares its own way (below).
	elementRows = declared(originManagedElement, inBoth,
		scalar("Caption", tString),
		scalar("Description", tString),
		scalar("ElementName", tString),
	)

	// settingElementRows: CIM_ManagedElement's properties with InstanceID
	// declared by CIM_SettingData, as setting data have them.
	settingElementRows = slices.Concat(elementRows, declared(originSettingData, inBoth, scalar("InstanceID", tString)))

	// systemElementRows: CIM_ManagedElement's properties as systems and
	// services have them. v1's MOFs of Msvm_ComputerSystem,
	// Msvm_VirtualSwitch and Msvm_VirtualSystemManagementService list no
	// InstanceID ([v1 docs] msvm-computersystem, msvm-virtualswitch,
	// msvm-virtualsystemmanagementservice).
	systemElementRows = slices.Concat(elementRows, declared(originManagedElement, inV2, scalar("InstanceID", tString)))

	// managedSystemRows: CIM_ManagedSystemElement's, for systems, services
	// and jobs.
	managedSystemRows = declared(originManagedSystem, inBoth,
		scalar("InstallDate", tTime),
		scalar("Name", tString),
		array("OperationalStatus", tU16),
		array("StatusDescriptions", tString),
		scalar("Status", tString),
		scalar("HealthState", tU16),
	)

	// enabledLogicalRows: CIM_EnabledLogicalElement's, for systems and
	// services; v1's MOFs do not list AvailableRequestedStates and
	// TransitioningToState ([v1 docs] msvm-computersystem).
	enabledLogicalRows = slices.Concat(
		declared(originEnabledLogical, inBoth,
			scalar("EnabledState", tU16),
			scalar("OtherEnabledState", tString),
			scalar("RequestedState", tU16),
			scalar("EnabledDefault", tU16),
			scalar("TimeOfLastStateChange", tTime),
		),
		declared(originEnabledLogical, inV2,
			array("AvailableRequestedStates", tU16),
			scalar("TransitioningToState", tU16),
		),
	)

	// systemRows: CIM_System's and CIM_ComputerSystem's, for systems; v1
	// lists OtherDedicatedDescriptions too ([v1 docs] msvm-computersystem,
	// msvm-virtualswitch).
	systemRows = slices.Concat(
		declared(originSystem, inBoth,
			scalar("CreationClassName", tString),
			scalar("NameFormat", tString),
			scalar("PrimaryOwnerName", tString),
			scalar("PrimaryOwnerContact", tString),
			array("Roles", tString),
			array("OtherIdentifyingInfo", tString),
			array("IdentifyingDescriptions", tString),
		),
		declared(originComputerSystem, inBoth,
			array("Dedicated", tU16),
			scalar("ResetCapability", tU16),
			array("PowerManagementCapabilities", tU16),
		),
		declared(originComputerSystem, inV1, array("OtherDedicatedDescriptions", tString)),
	)

	// computerSystemRows: what a system class inherits.
	computerSystemRows = slices.Concat(systemElementRows, managedSystemRows, enabledLogicalRows, systemRows)

	// vssdRows: CIM_VirtualSystemSettingData's. v2 and v1 share only
	// CreationTime: VirtualSystemType is a string in v2 ([v2 docs]
	// msvm-virtualsystemsettingdata) and a uint16 (301) in v1 ([v1 docs]
	// msvm-virtualsystemsettingdata, msvm-virtualsystemglobalsettingdata),
	// whose data roots are on Msvm_VirtualSystemGlobalSettingData.
	vssdRows = slices.Concat(
		declared(originVSSD, inBoth, scalar("CreationTime", tTime)),
		declared(originVSSD, inV2,
			scalar("VirtualSystemIdentifier", tString),
			scalar("VirtualSystemType", tString),
			array("Notes", tString),
			scalar("ConfigurationID", tString),
			scalar("ConfigurationDataRoot", tString),
			scalar("ConfigurationFile", tString),
			scalar("SnapshotDataRoot", tString),
			scalar("SuspendDataRoot", tString),
			scalar("SwapFileDataRoot", tString),
			scalar("LogDataRoot", tString),
			scalar("AutomaticStartupAction", tU16),
			scalar("AutomaticShutdownAction", tU16),
			scalar("AutomaticRecoveryAction", tU16),
			scalar("RecoveryFile", tString),
		),
		declared(originVSSD, inV1,
			scalar("SettingType", tU16),
			scalar("SystemName", tString),
			scalar("AutoActivate", tBool),
			scalar("OtherVirtualSystemType", tString),
			scalar("VirtualSystemType", tU16),
		),
	)

	// serviceRows: CIM_Service's.
	serviceRows = declared(originService, inBoth,
		scalar("SystemCreationClassName", tString),
		scalar("SystemName", tString),
		scalar("CreationClassName", tString),
		scalar("PrimaryOwnerName", tString),
		scalar("PrimaryOwnerContact", tString),
		scalar("StartMode", tString),
		scalar("Started", tBool),
	)
)

// rasdRows are CIM_ResourceAllocationSettingData's, with InstanceID. v2
// adds AddressOnParent and VirtualQuantityUnits ([v2 docs]
// msvm-storageallocationsettingdata, msvm-ethernetportallocationsettingdata);
// v1's subclasses add VirtualSystemIdentifiers, the owner's GUID, declared
// by the subclass owner ([v1 docs] msvm-resourceallocationsettingdata,
// msvm-syntheticethernetportsettingdata).
func rasdRows(owner string) []row {
	return slices.Concat(settingElementRows,
		declared(originRASD, inBoth,
			scalar("ResourceType", tU16),
			scalar("OtherResourceType", tString),
			scalar("ResourceSubType", tString),
			scalar("PoolID", tString),
			scalar("ConsumerVisibility", tU16),
			array("HostResource", tString),
			scalar("AllocationUnits", tString),
			scalar("VirtualQuantity", tU64),
			scalar("Reservation", tU64),
			scalar("Limit", tU64),
			scalar("Weight", tU32),
			scalar("AutomaticAllocation", tBool),
			scalar("AutomaticDeallocation", tBool),
			scalar("Parent", tString),
			array("Connection", tString),
			scalar("Address", tString),
			scalar("MappingBehavior", tU16),
		),
		declared(originRASD, inV2, scalar("AddressOnParent", tString), scalar("VirtualQuantityUnits", tString)),
		declared(owner, inV1, array("VirtualSystemIdentifiers", tString)),
	)
}

// Msvm_ComputerSystem ([v2 docs] msvm-computersystem, [v1 docs]
// msvm-computersystem): v2 adds NUMA, replication and enhanced-session
// properties and methods; v1 has AssignedNumaNodeList.
var computerSystemSpec = &classSpec{
	name: wmi.ClassComputerSystem, in: inBoth, derivation: derivComputerSystem, keys: keysSystem,
	props: slices.Concat(computerSystemRows,
		declared(wmi.ClassComputerSystem, inBoth,
			scalar("OnTimeInMilliseconds", tU64),
			scalar("ProcessID", tU32),
			scalar("TimeOfLastConfigurationChange", tTime),
		),
		declared(wmi.ClassComputerSystem, inV2,
			scalar("NumberOfNumaNodes", tU16),
			scalar("ReplicationState", tU16),
			scalar("ReplicationHealth", tU16),
			scalar("ReplicationMode", tU16),
			scalar("EnhancedSessionModeState", tU16),
		),
		declared(wmi.ClassComputerSystem, inV1, array("AssignedNumaNodeList", tU16)),
	),
	unmodelled: slices.Concat(names(inBoth, "RequestStateChange", "SetPowerState"),
		names(inV2, "RequestReplicationStateChange", "InjectNonMaskableInterrupt")),
}

// plannedComputerSystemSpec follows the MOF of [v2 docs]
// msvm-plannedcomputersystem: CIM_ComputerSystem's properties and three of
// its own, without Msvm_ComputerSystem's NUMA and replication properties.
// "RequestStateChange / SetPowerState: not supported" (docs/HYPERV.md#planned-vm).
var plannedComputerSystemSpec = &classSpec{
	name: wmi.ClassPlannedComputerSystem, in: inV2, derivation: derivComputerSystem, keys: keysSystem,
	props: slices.Concat(computerSystemRows, declared(wmi.ClassPlannedComputerSystem, inV2,
		array("AssignedNumaNodeList", tU16),
		scalar("OnTimeInMilliseconds", tU64),
		scalar("ProcessID", tU32),
		scalar("TimeOfLastConfigurationChange", tTime),
	)),
	unmodelled: names(inV2, "RequestStateChange", "SetPowerState"),
}

// The switches: v2's Msvm_VirtualEthernetSwitch ([v2 docs]
// msvm-virtualethernetswitch), v1's Msvm_VirtualSwitch ([v1 docs]
// msvm-virtualswitch).
var (
	virtualEthernetSwitchSpec = &classSpec{
		name: wmi.ClassVirtualEthernetSwitch, in: inV2, derivation: derivComputerSystem, keys: keysSystem,
		props:      computerSystemRows,
		unmodelled: names(inV2, "RequestStateChange"),
	}
	virtualSwitchSpec = &classSpec{
		name: wmi.ClassVirtualSwitchV1, in: inV1, derivation: derivComputerSystem, keys: keysSystem,
		props: slices.Concat(computerSystemRows, declared(wmi.ClassVirtualSwitchV1, inV1,
			scalar("ScopeOfResidence", tString),
			scalar("NumLearnableAddresses", tU32),
			scalar("MaxVMQOffloads", tU32),
			scalar("MaxChimneyOffloads", tU32),
		)),
		unmodelled: names(inV1, "RequestStateChange", "SetPowerState"),
	}
)

// Msvm_VirtualSystemSettingData ([v2 docs] msvm-virtualsystemsettingdata,
// [v1 docs] msvm-virtualsystemsettingdata): both have Parent; Notes is an
// array declared by CIM_VirtualSystemSettingData in v2 and a string
// declared by Msvm_VirtualSystemSettingData in v1; v1's BIOS, boot and
// NUMA settings are elsewhere in v2 (not simulated).
var systemSettingDataSpec = &classSpec{
	name: wmi.ClassSystemSettingData, in: inBoth, derivation: derivVSSD, keys: keysInstanceID,
	props: slices.Concat(settingElementRows, vssdRows,
		declared(wmi.ClassSystemSettingData, inBoth, scalar("Parent", tString)),
		declared(wmi.ClassSystemSettingData, inV2,
			scalar("IsSaved", tBool),
			scalar("Version", tString),
			scalar("VirtualSystemSubType", tString),
			scalar("Architecture", tString),
			scalar("SecureBootEnabled", tBool),
			scalar("GuestStateFile", tString),
			scalar("GuestStateDataRoot", tString),
			scalar("AutomaticSnapshotsEnabled", tBool),
			scalar("IsAutomaticSnapshot", tBool),
			scalar("UserSnapshotType", tU16),
		),
		declared(wmi.ClassSystemSettingData, inV1,
			scalar("Notes", tString),
			scalar("BIOSGUID", tString),
			scalar("BIOSSerialNumber", tString),
			scalar("BaseBoardSerialNumber", tString),
			scalar("ChassisSerialNumber", tString),
			scalar("ChassisAssetTag", tString),
			scalar("BIOSNumLock", tBool),
			array("BootOrder", tU16),
			array("NumaNodeList", tU16),
			scalar("NumaNodesAreRequired", tBool),
		),
	),
}

// globalSettingDataSpec is v1's Msvm_VirtualSystemGlobalSettingData
// ([v1 docs] msvm-virtualsystemglobalsettingdata): the data roots, startup
// and recovery settings v2 has on Msvm_VirtualSystemSettingData.
var globalSettingDataSpec = &classSpec{
	name: wmi.ClassGlobalSettingDataV1, in: inV1, derivation: derivVSSD, keys: keysInstanceID,
	props: slices.Concat(settingElementRows, vssdRows, declared(wmi.ClassGlobalSettingDataV1, inV1,
		scalar("ExternalDataRoot", tString),
		scalar("SnapshotDataRoot", tString),
		scalar("AutomaticStartupAction", tU16),
		scalar("AutomaticStartupActionDelay", tTime),
		scalar("AutomaticShutdownAction", tU16),
		scalar("AutomaticRecoveryAction", tU16),
		scalar("AdditionalRecoveryInformation", tString),
		scalar("ScopeOfResidence", tString),
		scalar("DebugChannelId", tU32),
		scalar("DebugPort", tU32),
		scalar("DebugPortEnabled", tU16),
		scalar("AllowFullSCSICommandSet", tBool),
		scalar("Version", tString),
	)),
}

// The resource settings: v2's disks and ports ([v2 docs]
// msvm-storageallocationsettingdata,
// msvm-ethernetportallocationsettingdata), v1's
// Msvm_ResourceAllocationSettingData (drives and disks) and
// Msvm_SyntheticEthernetPortSettingData ([v1 docs]
// msvm-resourceallocationsettingdata,
// msvm-syntheticethernetportsettingdata).
var (
	storageAllocationSpec = &classSpec{
		name: wmi.ClassStorageAllocation, in: inV2, keys: keysInstanceID,
		derivation: slices.Concat([]string{"CIM_StorageAllocationSettingData"}, derivRASD),
		props: slices.Concat(rasdRows(wmi.ClassStorageAllocation),
			declared(originStorageRASD, inV2,
				scalar("VirtualResourceBlockSize", tU64),
				scalar("Access", tU16),
				scalar("HostResourceBlockSize", tU64),
				scalar("HostExtentStartingAddress", tU64),
				scalar("HostExtentName", tString),
			),
			declared(wmi.ClassStorageAllocation, inV2,
				scalar("StorageQoSPolicyID", tString),
				scalar("IOPSLimit", tU64),
				scalar("IOPSReservation", tU64),
				scalar("PersistentReservationsSupported", tBool),
				scalar("CachingMode", tU16),
				scalar("SnapshotId", tString),
				scalar("IgnoreFlushes", tBool),
				scalar("WriteHardeningMethod", tU16),
			),
		),
	}
	ethernetPortAllocationSpec = &classSpec{
		name: wmi.ClassEthernetPortAllocation, in: inV2, keys: keysInstanceID,
		derivation: slices.Concat([]string{"CIM_EthernetPortAllocationSettingData"}, derivRASD),
		props: slices.Concat(rasdRows(wmi.ClassEthernetPortAllocation),
			declared(originEthernetPortRASD, inV2,
				scalar("DesiredVLANEndpointMode", tU16),
				scalar("OtherEndpointMode", tString),
			),
			declared(wmi.ClassEthernetPortAllocation, inV2,
				scalar("EnabledState", tU16),
				scalar("LastKnownSwitchName", tString),
				array("RequiredFeatures", tString),
				array("RequiredFeatureHints", tString),
				scalar("TestReplicaPoolID", tString),
				scalar("TestReplicaSwitchName", tString),
			),
		),
	}
	resourceAllocationSpec = &classSpec{
		name: wmi.ClassResourceAllocationV1, in: inV1, derivation: derivRASD, keys: keysInstanceID,
		props: rasdRows(wmi.ClassResourceAllocationV1),
	}
	syntheticEthernetPortSpec = &classSpec{
		name: wmi.ClassSyntheticEthernetPortV1, in: inV1, derivation: derivRASD, keys: keysInstanceID,
		props: slices.Concat(rasdRows(wmi.ClassSyntheticEthernetPortV1),
			declared(wmi.ClassSyntheticEthernetPortV1, inV1, scalar("StaticMacAddress", tBool))),
	}
)

// Msvm_VirtualSystemManagementService: the same properties in both but
// InstanceID (systemElementRows), and each namespace's own methods. The modelled ones have
// their in-parameters in MOF order (docs/HYPERV.md#v1-methods for v1, docs/HYPERV.md#v2-methods
// for v2); the out-parameters are built by each method. Unmodelled are the
// other methods of [v2 docs] and [v1 docs]
// msvm-virtualsystemmanagementservice (WBEMNotSupported).
var managementServiceSpec = &classSpec{
	name: wmi.ClassManagementService, in: inBoth,
	derivation: []string{"CIM_VirtualSystemManagementService", "CIM_Service", "CIM_EnabledLogicalElement",
		"CIM_LogicalElement", "CIM_ManagedSystemElement", "CIM_ManagedElement"},
	keys:  []string{"CreationClassName", "Name", "SystemCreationClassName", "SystemName"},
	props: slices.Concat(systemElementRows, managedSystemRows, enabledLogicalRows, serviceRows),
	methods: slices.Concat(
		methods(inV2,
			methodDef{name: "ExportSystemDefinition", in: []paramDef{
				{name: "ComputerSystem", typ: tRef},
				{name: "ExportDirectory", typ: tString},
				{name: "ExportSettingData", typ: tString},
			}},
			methodDef{name: "ImportSystemDefinition", in: []paramDef{
				{name: "SystemDefinitionFile", typ: tString},
				{name: "SnapshotFolder", typ: tString},
				{name: "GenerateNewSystemIdentifier", typ: tBool},
			}},
			methodDef{name: "ImportSnapshotDefinitions", in: []paramDef{
				{name: "PlannedSystem", typ: tRef},
				{name: "SnapshotFolder", typ: tString},
			}},
			methodDef{name: "ValidatePlannedSystem", in: []paramDef{{name: "PlannedSystem", typ: tRef}}},
			methodDef{name: "RealizePlannedSystem", in: []paramDef{{name: "PlannedSystem", typ: tRef}}},
			methodDef{name: "DestroySystem", in: []paramDef{{name: "AffectedSystem", typ: tRef}}},
			methodDef{name: "ModifySystemSettings", in: []paramDef{{name: "SystemSettings", typ: tString}}},
			methodDef{name: "ModifyResourceSettings", in: []paramDef{{name: "ResourceSettings", typ: tString, array: true}}},
			methodDef{name: "GetDefinitionFileSummaryInformation", in: []paramDef{{name: "DefinitionFiles", typ: tString, array: true}}},
		),
		methods(inV1,
			methodDef{name: "ExportVirtualSystemEx", in: []paramDef{
				{name: "ComputerSystem", typ: tRef},
				{name: "ExportDirectory", typ: tString},
				{name: "ExportSettingData", typ: tString},
			}},
			methodDef{name: "GetVirtualSystemImportSettingData", in: []paramDef{{name: "ImportDirectory", typ: tString}}},
			methodDef{name: "ImportVirtualSystemEx", in: []paramDef{
				{name: "ImportDirectory", typ: tString},
				{name: "ImportSettingData", typ: tString},
			}},
		),
	),
	unmodelled: slices.Concat(
		names(inV2, "DefineSystem", "DefinePlannedSystem", "AddResourceSettings", "RemoveResourceSettings",
			"GetSummaryInformation", "GetSizeOfSystemFiles", "ModifyServiceSettings", "FormatError",
			"RequestStateChange", "StartService", "StopService"),
		names(inV1, "AddKvpItems", "AddVirtualSystemResources", "ApplyVirtualSystemSnapshot",
			"ApplyVirtualSystemSnapshotEx", "CheckSystemCompatibilityInfo", "CloneVirtualSystem",
			"CreateVirtualSystemSnapshot", "DefineVirtualSystem", "DestroyVirtualSystem", "ExportVirtualSystem",
			"FormatError", "GetSummaryInformation", "GetSystemCompatibilityInfo", "GetVirtualSystemThumbnailImage",
			"ImportVirtualSystem", "InstantiateVirtualSystem", "ModifyKvpItems", "ModifyServiceSettings",
			"ModifyVirtualSystem", "ModifyVirtualSystemResources", "PlanVirtualSystem", "RemoveKvpItems",
			"RemoveVirtualSystemResources", "RemoveVirtualSystemSnapshot", "RemoveVirtualSystemSnapshotTree",
			"RequestStateChange", "StartService", "StopService"),
	),
}

// Msvm_VirtualSystemManagementServiceSettingData ([v2 docs] and [v1 docs]
// msvm-virtualsystemmanagementservicesettingdata): v2 adds the caching,
// scheduler and enhanced-session settings; v1 has ScopeOfResidence.
var managementServiceSettingsSpec = &classSpec{
	name: wmi.ClassManagementServiceSettings, in: inBoth, derivation: derivSettingData, keys: keysInstanceID,
	props: slices.Concat(settingElementRows,
		declared(wmi.ClassManagementServiceSettings, inBoth,
			scalar("BiosLockString", tString),
			scalar("DefaultExternalDataRoot", tString),
			scalar("DefaultVirtualHardDiskPath", tString),
			scalar("MaximumMacAddress", tString),
			scalar("MinimumMacAddress", tString),
			scalar("NumaSpanningEnabled", tBool),
			scalar("PrimaryOwnerContact", tString),
			scalar("PrimaryOwnerName", tString),
		),
		declared(wmi.ClassManagementServiceSettings, inV2,
			scalar("DefaultVirtualHardDiskCachingMode", tU16),
			scalar("HypervisorRootSchedulerEnabled", tBool),
			scalar("EnhancedSessionModeEnabled", tBool),
		),
		declared(wmi.ClassManagementServiceSettings, inV1, scalar("ScopeOfResidence", tString)),
	),
}

// Msvm_VirtualSystemExportSettingData ([v2 docs] and [v1 docs]
// msvm-virtualsystemexportsettingdata; docs/HYPERV.md#v1-export-settings): v1 has only the copy options
// and SnapshotVirtualSystem (CopySnapshotConfiguration 0-2).
var exportSettingDataSpec = &classSpec{
	name: wmi.ClassExportSettingData, in: inBoth, derivation: derivSettingData, keys: keysInstanceID,
	props: slices.Concat(settingElementRows,
		declared(wmi.ClassExportSettingData, inBoth,
			scalar("CopySnapshotConfiguration", tU8),
			scalar("CopyVmRuntimeInformation", tBool),
			scalar("CopyVmStorage", tBool),
			scalar("CreateVmExportSubdirectory", tBool),
			scalar("SnapshotVirtualSystem", tString),
		),
		declared(wmi.ClassExportSettingData, inV2,
			scalar("CaptureLiveState", tU8),
			scalar("BackupIntent", tU8),
			scalar("ExportForLiveMigration", tBool),
			scalar("DisableDifferentialOfIgnoredStorage", tBool),
			array("ExcludedVirtualHardDisks", tString),
			scalar("DifferentialBackupBase", tString),
		),
	),
}

// importSettingDataSpec is v1's Msvm_VirtualSystemImportSettingData (docs/HYPERV.md#v1-import-settings;
// [v1 docs] msvm-virtualsystemimportsettingdata). It has no provider
// ([AMENDMENT] only), so it has no instances to enumerate: it exists
// embedded, as GetVirtualSystemImportSettingData's out-parameter and
// ImportVirtualSystemEx's in-parameter.
var importSettingDataSpec = &classSpec{
	name: wmi.ClassImportSettingData, in: inV1, derivation: derivSettingData, keys: keysInstanceID,
	props: slices.Concat(settingElementRows, declared(wmi.ClassImportSettingData, inV1,
		scalar("GenerateNewId", tBool),
		scalar("CreateCopy", tBool),
		scalar("Name", tString),
		scalar("SourceVmDataRoot", tString),
		scalar("SourceSnapshotDataRoot", tString),
		scalar("SourceVhdDataRoot", tString),
		scalar("TargetVmDataRoot", tString),
		scalar("TargetSnapshotDataRoot", tString),
		scalar("TargetVhdDataRoot", tString),
		scalar("SecurityScope", tString),
		array("CurrentResourcePaths", tString),
		array("SourceResourcePaths", tString),
		array("TargetResourcePaths", tString),
		array("SourceNetworkConnections", tString),
		array("TargetNetworkConnections", tString),
	)),
}

// Msvm_ConcreteJob ([v2 docs] and [v1 docs] msvm-concretejob): v1 has no
// JobType and not the CIM 2.22 status properties; the methods are the same
// (concrete_job_class.go), and "KillJob: This method is not supported."
var concreteJobSpec = &classSpec{
	name: wmi.ClassConcreteJob, in: inBoth, keys: keysInstanceID,
	derivation: []string{"CIM_ConcreteJob", "CIM_Job", "CIM_LogicalElement", "CIM_ManagedSystemElement",
		"CIM_ManagedElement"},
	props: slices.Concat(elementRows, declared(originManagedElement, inBoth, scalar("InstanceID", tString)), managedSystemRows,
		declared(originManagedSystem, inV2,
			scalar("CommunicationStatus", tU16),
			scalar("DetailedStatus", tU16),
			scalar("OperatingStatus", tU16),
			scalar("PrimaryStatus", tU16),
		),
		declared(originJob, inBoth,
			scalar("JobStatus", tString),
			scalar("TimeSubmitted", tTime),
			scalar("ScheduledStartTime", tTime),
			scalar("StartTime", tTime),
			scalar("ElapsedTime", tTime),
			scalar("JobRunTimes", tU32),
			scalar("RunMonth", tU8),
			scalar("RunDay", tS8),
			scalar("RunDayOfWeek", tS8),
			scalar("RunStartInterval", tTime),
			scalar("LocalOrUtcTime", tU16),
			scalar("UntilTime", tTime),
			scalar("Notify", tString),
			scalar("Owner", tString),
			scalar("Priority", tU32),
			scalar("PercentComplete", tU16),
			scalar("DeleteOnCompletion", tBool),
			scalar("ErrorCode", tU16),
			scalar("ErrorDescription", tString),
			scalar("ErrorSummaryDescription", tString),
			scalar("RecoveryAction", tU16),
			scalar("OtherRecoveryAction", tString),
		),
		declared(originConcreteJob, inBoth,
			scalar("JobState", tU16),
			scalar("TimeOfLastStateChange", tTime),
			scalar("TimeBeforeRemoval", tTime),
		),
		declared(wmi.ClassConcreteJob, inBoth, scalar("Cancellable", tBool)),
		declared(wmi.ClassConcreteJob, inV2, scalar("JobType", tU16)),
	),
	methods: methods(inBoth,
		methodDef{name: "RequestStateChange", in: []paramDef{
			{name: "RequestedState", typ: tU16},
			{name: "TimeoutPeriod", typ: tTime},
		}},
		methodDef{name: "GetError"},
		methodDef{name: "GetErrorEx"},
	),
	unmodelled: names(inBoth, "KillJob"),
}

// errorSpec is CIM_Error's properties, the same in both namespaces.
var errorSpec = &classSpec{
	name: wmi.ClassError, in: inBoth, derivation: []string{"CIM_Error"},
	props: declared(originError, inBoth,
		scalar("ErrorType", tU16),
		scalar("OtherErrorType", tString),
		scalar("OwningEntity", tString),
		scalar("MessageID", tString),
		scalar("Message", tString),
		array("MessageArguments", tString),
		scalar("PerceivedSeverity", tU16),
		scalar("ProbableCause", tU16),
		scalar("ProbableCauseDescription", tString),
		array("RecommendedActions", tString),
		scalar("ErrorSource", tString),
		scalar("ErrorSourceFormat", tU16),
		scalar("OtherErrorSourceFormat", tString),
		scalar("CIMStatusCode", tU32),
		scalar("CIMStatusCodeDescription", tString),
	),
}

// summaryInformationSpec is what GetDefinitionFileSummaryInformation
// returns, embedded (no path): Msvm_SummaryInformation, the concrete
// subclass of the abstract Msvm_SummaryInformationBase : CIM_View
// ([v2 docs] msvm-summaryinformationbase; the out-parameter's type since
// Windows 10 1703). Notes is a string there, not an array. The
// simulator declares the base class's properties.
var summaryInformationSpec = &classSpec{
	name: wmi.ClassSummaryInformation, in: inV2,
	derivation: []string{wmi.ClassSummaryInformationBase, "CIM_View", "CIM_ManagedElement"},
	props: slices.Concat(
		declared(originManagedElement, inV2, scalar("InstanceID", tString), scalar("ElementName", tString)),
		declared(wmi.ClassSummaryInformationBase, inV2,
			scalar("CreationTime", tTime),
			scalar("EnabledState", tU16),
			scalar("OtherEnabledState", tString),
			scalar("HealthState", tU16),
			scalar("Name", tString),
			scalar("Notes", tString),
			scalar("Version", tString),
			scalar("NumberOfProcessors", tU16),
			array("OperationalStatus", tU16),
			array("StatusDescriptions", tString),
			scalar("UpTime", tU64),
			scalar("EnhancedSessionModeState", tU16),
			array("VirtualSwitchNames", tString),
			scalar("VirtualSystemSubType", tString),
			scalar("HostComputerSystemName", tString),
		),
	),
}
