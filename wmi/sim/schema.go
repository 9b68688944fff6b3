package sim

import (
	"sort"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// The simulator's class schema: for each class it serves, the derivation
// chain, the key properties (in path order) and the properties it declares,
// each with its CIM type and CLASSORIGIN (the class that first declares it,
// per the MOF syntax on the class's Microsoft docs page, as in the real
// GetText_ output in shared/reference/cimxml-samples). Every instance the
// simulator returns declares all of its class's properties here, NULL where
// the simulator has no value, as real WMI does. The lists are a subset of
// the real classes' properties: the ones a client plausibly reads.

// propDef declares one property of a class.
type propDef struct {
	name   string
	typ    wmi.CIMType
	array  bool
	origin string
}

// paramDef declares one in-parameter of a method.
type paramDef struct {
	name  string
	typ   wmi.CIMType
	array bool
}

// methodDef declares a method the simulator implements.
type methodDef struct {
	name string
	in   []paramDef
}

// classDef is one simulated class.
type classDef struct {
	name        string
	derivation  []string // nearest ancestor first (__DERIVATION)
	keys        []string // key properties, in path order
	props       []propDef
	methods     []methodDef
	unmodelled  []string // real methods the simulator does not implement
	association bool     // an association class: it has no enumerable instances here
}

func (c *classDef) prop(name string) *propDef {
	for i := range c.props {
		if strings.EqualFold(c.props[i].name, name) {
			return &c.props[i]
		}
	}
	return nil
}

func (c *classDef) method(name string) *methodDef {
	for i := range c.methods {
		if strings.EqualFold(c.methods[i].name, name) {
			return &c.methods[i]
		}
	}
	return nil
}

func (c *classDef) hasUnmodelledMethod(name string) bool {
	for _, m := range c.unmodelled {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// isA reports whether the class is name or derives from it.
func (c *classDef) isA(name string) bool {
	if strings.EqualFold(c.name, name) {
		return true
	}
	for _, d := range c.derivation {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

// CLASSORIGIN values.
const (
	originManagedElement   = "CIM_ManagedElement"
	originManagedSystem    = "CIM_ManagedSystemElement"
	originEnabledLogical   = "CIM_EnabledLogicalElement"
	originSystem           = "CIM_System"
	originComputerSystem   = "CIM_ComputerSystem"
	originService          = "CIM_Service"
	originSettingData      = "CIM_SettingData"
	originRASD             = "CIM_ResourceAllocationSettingData"
	originStorageRASD      = "CIM_StorageAllocationSettingData"
	originEthernetPortRASD = "CIM_EthernetPortAllocationSettingData"
	originVSSD             = "CIM_VirtualSystemSettingData"
	originJob              = "CIM_Job"
	originConcreteJob      = "CIM_ConcreteJob"
	originError            = "CIM_Error"
)

func scalar(name string, t wmi.CIMType, origin string) propDef {
	return propDef{name: name, typ: t, origin: origin}
}

func array(name string, t wmi.CIMType, origin string) propDef {
	return propDef{name: name, typ: t, array: true, origin: origin}
}

const (
	tString = wmi.CIMString
	tBool   = wmi.CIMBoolean
	tU8     = wmi.CIMUint8
	tS8     = wmi.CIMSint8
	tU16    = wmi.CIMUint16
	tU32    = wmi.CIMUint32
	tU64    = wmi.CIMUint64
	tTime   = wmi.CIMDatetime
	tRef    = wmi.CIMReference
)

var (
	derivComputerSystem = []string{"CIM_ComputerSystem", "CIM_System", "CIM_EnabledLogicalElement",
		"CIM_LogicalElement", "CIM_ManagedSystemElement", "CIM_ManagedElement"}
	derivSettingData = []string{"CIM_SettingData", "CIM_ManagedElement"}
)

// managedElementProps are CIM_ManagedElement's, with InstanceID declared
// there (as for jobs and systems) or by CIM_SettingData (setting data).
func managedElementProps(instanceIDOrigin string) []propDef {
	return []propDef{
		scalar("InstanceID", tString, instanceIDOrigin),
		scalar("Caption", tString, originManagedElement),
		scalar("Description", tString, originManagedElement),
		scalar("ElementName", tString, originManagedElement),
	}
}

// enabledLogicalElementProps are the CIM_ManagedSystemElement and
// CIM_EnabledLogicalElement properties shared by systems and services.
func enabledLogicalElementProps() []propDef {
	return []propDef{
		scalar("InstallDate", tTime, originManagedSystem),
		scalar("Name", tString, originManagedSystem),
		array("OperationalStatus", tU16, originManagedSystem),
		array("StatusDescriptions", tString, originManagedSystem),
		scalar("Status", tString, originManagedSystem),
		scalar("HealthState", tU16, originManagedSystem),
		scalar("EnabledState", tU16, originEnabledLogical),
		scalar("OtherEnabledState", tString, originEnabledLogical),
		scalar("RequestedState", tU16, originEnabledLogical),
		scalar("EnabledDefault", tU16, originEnabledLogical),
		scalar("TimeOfLastStateChange", tTime, originEnabledLogical),
		array("AvailableRequestedStates", tU16, originEnabledLogical),
		scalar("TransitioningToState", tU16, originEnabledLogical),
	}
}

func systemProps() []propDef {
	return []propDef{
		scalar("CreationClassName", tString, originSystem),
		scalar("NameFormat", tString, originSystem),
		scalar("PrimaryOwnerName", tString, originSystem),
		scalar("PrimaryOwnerContact", tString, originSystem),
		array("Roles", tString, originSystem),
		array("OtherIdentifyingInfo", tString, originSystem),
		array("IdentifyingDescriptions", tString, originSystem),
		array("Dedicated", tU16, originComputerSystem),
		scalar("ResetCapability", tU16, originComputerSystem),
		array("PowerManagementCapabilities", tU16, originComputerSystem),
	}
}

func rasdProps() []propDef {
	return []propDef{
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
		scalar("AddressOnParent", tString, originRASD),
		scalar("VirtualQuantityUnits", tString, originRASD),
	}
}

func concat(lists ...[]propDef) []propDef {
	var out []propDef
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var classComputerSystem = &classDef{
	name:       wmi.ClassComputerSystem,
	derivation: derivComputerSystem,
	keys:       []string{"CreationClassName", "Name"},
	props: concat(managedElementProps(originManagedElement), enabledLogicalElementProps(), systemProps(), []propDef{
		scalar("OnTimeInMilliseconds", tU64, wmi.ClassComputerSystem),
		scalar("ProcessID", tU32, wmi.ClassComputerSystem),
		scalar("TimeOfLastConfigurationChange", tTime, wmi.ClassComputerSystem),
		scalar("NumberOfNumaNodes", tU16, wmi.ClassComputerSystem),
		scalar("ReplicationState", tU16, wmi.ClassComputerSystem),
		scalar("ReplicationHealth", tU16, wmi.ClassComputerSystem),
		scalar("ReplicationMode", tU16, wmi.ClassComputerSystem),
		scalar("EnhancedSessionModeState", tU16, wmi.ClassComputerSystem),
	}),
	unmodelled: []string{"RequestStateChange", "SetPowerState", "RequestReplicationStateChange",
		"InjectNonMaskableInterrupt"},
}

// classPlannedComputerSystem follows the MOF of [v2 docs]
// msvm-plannedcomputersystem: CIM_ComputerSystem's properties and three of
// its own, without Msvm_ComputerSystem's NUMA and replication properties.
var classPlannedComputerSystem = &classDef{
	name:       wmi.ClassPlannedComputerSystem,
	derivation: derivComputerSystem,
	keys:       []string{"CreationClassName", "Name"},
	props: concat(managedElementProps(originManagedElement), enabledLogicalElementProps(), systemProps(), []propDef{
		array("AssignedNumaNodeList", tU16, wmi.ClassPlannedComputerSystem),
		scalar("OnTimeInMilliseconds", tU64, wmi.ClassPlannedComputerSystem),
		scalar("ProcessID", tU32, wmi.ClassPlannedComputerSystem),
		scalar("TimeOfLastConfigurationChange", tTime, wmi.ClassPlannedComputerSystem),
	}),
	// "RequestStateChange / SetPowerState: not supported" (§2.3).
	unmodelled: []string{"RequestStateChange", "SetPowerState"},
}

var classVirtualEthernetSwitch = &classDef{
	name:       wmi.ClassVirtualEthernetSwitch,
	derivation: derivComputerSystem,
	keys:       []string{"CreationClassName", "Name"},
	props:      concat(managedElementProps(originManagedElement), enabledLogicalElementProps(), systemProps()),
	unmodelled: []string{"RequestStateChange"},
}

var classSystemSettingData = &classDef{
	name:       wmi.ClassSystemSettingData,
	derivation: []string{"CIM_VirtualSystemSettingData", "CIM_SettingData", "CIM_ManagedElement"},
	keys:       []string{"InstanceID"},
	props: concat(managedElementProps(originSettingData), []propDef{
		scalar("VirtualSystemIdentifier", tString, originVSSD),
		scalar("VirtualSystemType", tString, originVSSD),
		array("Notes", tString, originVSSD),
		scalar("CreationTime", tTime, originVSSD),
		scalar("ConfigurationID", tString, originVSSD),
		scalar("ConfigurationDataRoot", tString, originVSSD),
		scalar("ConfigurationFile", tString, originVSSD),
		scalar("SnapshotDataRoot", tString, originVSSD),
		scalar("SuspendDataRoot", tString, originVSSD),
		scalar("SwapFileDataRoot", tString, originVSSD),
		scalar("LogDataRoot", tString, originVSSD),
		scalar("AutomaticStartupAction", tU16, originVSSD),
		scalar("AutomaticShutdownAction", tU16, originVSSD),
		scalar("AutomaticRecoveryAction", tU16, originVSSD),
		scalar("RecoveryFile", tString, originVSSD),
		scalar("Parent", tString, wmi.ClassSystemSettingData),
		scalar("IsSaved", tBool, wmi.ClassSystemSettingData),
		scalar("Version", tString, wmi.ClassSystemSettingData),
		scalar("VirtualSystemSubType", tString, wmi.ClassSystemSettingData),
		scalar("Architecture", tString, wmi.ClassSystemSettingData),
		scalar("SecureBootEnabled", tBool, wmi.ClassSystemSettingData),
		scalar("GuestStateFile", tString, wmi.ClassSystemSettingData),
		scalar("GuestStateDataRoot", tString, wmi.ClassSystemSettingData),
		scalar("AutomaticSnapshotsEnabled", tBool, wmi.ClassSystemSettingData),
		scalar("IsAutomaticSnapshot", tBool, wmi.ClassSystemSettingData),
		scalar("UserSnapshotType", tU16, wmi.ClassSystemSettingData),
	}),
}

var classStorageAllocation = &classDef{
	name: wmi.ClassStorageAllocation,
	derivation: []string{"CIM_StorageAllocationSettingData", "CIM_ResourceAllocationSettingData",
		"CIM_SettingData", "CIM_ManagedElement"},
	keys: []string{"InstanceID"},
	props: concat(managedElementProps(originSettingData), rasdProps(), []propDef{
		scalar("VirtualResourceBlockSize", tU64, originStorageRASD),
		scalar("Access", tU16, originStorageRASD),
		scalar("HostResourceBlockSize", tU64, originStorageRASD),
		scalar("HostExtentStartingAddress", tU64, originStorageRASD),
		scalar("HostExtentName", tString, originStorageRASD),
		scalar("StorageQoSPolicyID", tString, wmi.ClassStorageAllocation),
		scalar("IOPSLimit", tU64, wmi.ClassStorageAllocation),
		scalar("IOPSReservation", tU64, wmi.ClassStorageAllocation),
		scalar("PersistentReservationsSupported", tBool, wmi.ClassStorageAllocation),
		scalar("CachingMode", tU16, wmi.ClassStorageAllocation),
		scalar("SnapshotId", tString, wmi.ClassStorageAllocation),
		scalar("IgnoreFlushes", tBool, wmi.ClassStorageAllocation),
		scalar("WriteHardeningMethod", tU16, wmi.ClassStorageAllocation),
	}),
}

var classEthernetPortAllocation = &classDef{
	name: wmi.ClassEthernetPortAllocation,
	derivation: []string{"CIM_EthernetPortAllocationSettingData", "CIM_ResourceAllocationSettingData",
		"CIM_SettingData", "CIM_ManagedElement"},
	keys: []string{"InstanceID"},
	props: concat(managedElementProps(originSettingData), rasdProps(), []propDef{
		scalar("DesiredVLANEndpointMode", tU16, originEthernetPortRASD),
		scalar("OtherEndpointMode", tString, originEthernetPortRASD),
		scalar("EnabledState", tU16, wmi.ClassEthernetPortAllocation),
		scalar("LastKnownSwitchName", tString, wmi.ClassEthernetPortAllocation),
		array("RequiredFeatures", tString, wmi.ClassEthernetPortAllocation),
		array("RequiredFeatureHints", tString, wmi.ClassEthernetPortAllocation),
		scalar("TestReplicaPoolID", tString, wmi.ClassEthernetPortAllocation),
		scalar("TestReplicaSwitchName", tString, wmi.ClassEthernetPortAllocation),
	}),
}

var classManagementService = &classDef{
	name: wmi.ClassManagementService,
	derivation: []string{"CIM_VirtualSystemManagementService", "CIM_Service", "CIM_EnabledLogicalElement",
		"CIM_LogicalElement", "CIM_ManagedSystemElement", "CIM_ManagedElement"},
	keys: []string{"CreationClassName", "Name", "SystemCreationClassName", "SystemName"},
	props: concat(managedElementProps(originManagedElement), enabledLogicalElementProps(), []propDef{
		scalar("SystemCreationClassName", tString, originService),
		scalar("SystemName", tString, originService),
		scalar("CreationClassName", tString, originService),
		scalar("PrimaryOwnerName", tString, originService),
		scalar("PrimaryOwnerContact", tString, originService),
		scalar("StartMode", tString, originService),
		scalar("Started", tBool, originService),
	}),
	// In-parameters in MOF order (hyperv-wmi-facts.md §2.1); the
	// out-parameters are built by each method.
	methods: []methodDef{
		{name: "ExportSystemDefinition", in: []paramDef{
			{name: "ComputerSystem", typ: tRef},
			{name: "ExportDirectory", typ: tString},
			{name: "ExportSettingData", typ: tString},
		}},
		{name: "ImportSystemDefinition", in: []paramDef{
			{name: "SystemDefinitionFile", typ: tString},
			{name: "SnapshotFolder", typ: tString},
			{name: "GenerateNewSystemIdentifier", typ: tBool},
		}},
		{name: "ImportSnapshotDefinitions", in: []paramDef{
			{name: "PlannedSystem", typ: tRef},
			{name: "SnapshotFolder", typ: tString},
		}},
		{name: "ValidatePlannedSystem", in: []paramDef{{name: "PlannedSystem", typ: tRef}}},
		{name: "RealizePlannedSystem", in: []paramDef{{name: "PlannedSystem", typ: tRef}}},
		{name: "DestroySystem", in: []paramDef{{name: "AffectedSystem", typ: tRef}}},
		{name: "ModifySystemSettings", in: []paramDef{{name: "SystemSettings", typ: tString}}},
		{name: "ModifyResourceSettings", in: []paramDef{{name: "ResourceSettings", typ: tString, array: true}}},
		{name: "GetDefinitionFileSummaryInformation", in: []paramDef{{name: "DefinitionFiles", typ: tString, array: true}}},
	},
	// The other methods of [v2 docs] msvm-virtualsystemmanagementservice.
	unmodelled: []string{"DefineSystem", "DefinePlannedSystem", "AddResourceSettings", "RemoveResourceSettings",
		"GetSummaryInformation", "GetSizeOfSystemFiles", "ModifyServiceSettings", "FormatError",
		"RequestStateChange", "StartService", "StopService"},
}

var classManagementServiceSettings = &classDef{
	name:       wmi.ClassManagementServiceSettings,
	derivation: derivSettingData,
	keys:       []string{"InstanceID"},
	props: concat(managedElementProps(originSettingData), []propDef{
		scalar("BiosLockString", tString, wmi.ClassManagementServiceSettings),
		scalar("DefaultExternalDataRoot", tString, wmi.ClassManagementServiceSettings),
		scalar("DefaultVirtualHardDiskPath", tString, wmi.ClassManagementServiceSettings),
		scalar("MaximumMacAddress", tString, wmi.ClassManagementServiceSettings),
		scalar("MinimumMacAddress", tString, wmi.ClassManagementServiceSettings),
		scalar("NumaSpanningEnabled", tBool, wmi.ClassManagementServiceSettings),
		scalar("PrimaryOwnerContact", tString, wmi.ClassManagementServiceSettings),
		scalar("PrimaryOwnerName", tString, wmi.ClassManagementServiceSettings),
		scalar("DefaultVirtualHardDiskCachingMode", tU16, wmi.ClassManagementServiceSettings),
		scalar("HypervisorRootSchedulerEnabled", tBool, wmi.ClassManagementServiceSettings),
		scalar("EnhancedSessionModeEnabled", tBool, wmi.ClassManagementServiceSettings),
	}),
}

var classExportSettingData = &classDef{
	name:       wmi.ClassExportSettingData,
	derivation: derivSettingData,
	keys:       []string{"InstanceID"},
	props: concat(managedElementProps(originSettingData), []propDef{
		scalar("CaptureLiveState", tU8, wmi.ClassExportSettingData),
		scalar("CopySnapshotConfiguration", tU8, wmi.ClassExportSettingData),
		scalar("CopyVmRuntimeInformation", tBool, wmi.ClassExportSettingData),
		scalar("CopyVmStorage", tBool, wmi.ClassExportSettingData),
		scalar("CreateVmExportSubdirectory", tBool, wmi.ClassExportSettingData),
		scalar("SnapshotVirtualSystem", tString, wmi.ClassExportSettingData),
		scalar("BackupIntent", tU8, wmi.ClassExportSettingData),
		scalar("ExportForLiveMigration", tBool, wmi.ClassExportSettingData),
		scalar("DisableDifferentialOfIgnoredStorage", tBool, wmi.ClassExportSettingData),
		array("ExcludedVirtualHardDisks", tString, wmi.ClassExportSettingData),
		scalar("DifferentialBackupBase", tString, wmi.ClassExportSettingData),
	}),
}

var classConcreteJob = &classDef{
	name: wmi.ClassConcreteJob,
	derivation: []string{"CIM_ConcreteJob", "CIM_Job", "CIM_LogicalElement", "CIM_ManagedSystemElement",
		"CIM_ManagedElement"},
	keys: []string{"InstanceID"},
	props: concat(managedElementProps(originManagedElement), []propDef{
		scalar("InstallDate", tTime, originManagedSystem),
		scalar("Name", tString, originManagedSystem),
		array("OperationalStatus", tU16, originManagedSystem),
		array("StatusDescriptions", tString, originManagedSystem),
		scalar("Status", tString, originManagedSystem),
		scalar("HealthState", tU16, originManagedSystem),
		scalar("CommunicationStatus", tU16, originManagedSystem),
		scalar("DetailedStatus", tU16, originManagedSystem),
		scalar("OperatingStatus", tU16, originManagedSystem),
		scalar("PrimaryStatus", tU16, originManagedSystem),
		scalar("JobStatus", tString, originJob),
		scalar("TimeSubmitted", tTime, originJob),
		scalar("ScheduledStartTime", tTime, originJob),
		scalar("StartTime", tTime, originJob),
		scalar("ElapsedTime", tTime, originJob),
		scalar("JobRunTimes", tU32, originJob),
		scalar("RunMonth", tU8, originJob),
		scalar("RunDay", tS8, originJob),
		scalar("RunDayOfWeek", tS8, originJob),
		scalar("RunStartInterval", tTime, originJob),
		scalar("LocalOrUtcTime", tU16, originJob),
		scalar("UntilTime", tTime, originJob),
		scalar("Notify", tString, originJob),
		scalar("Owner", tString, originJob),
		scalar("Priority", tU32, originJob),
		scalar("PercentComplete", tU16, originJob),
		scalar("DeleteOnCompletion", tBool, originJob),
		scalar("ErrorCode", tU16, originJob),
		scalar("ErrorDescription", tString, originJob),
		scalar("ErrorSummaryDescription", tString, originJob),
		scalar("RecoveryAction", tU16, originJob),
		scalar("OtherRecoveryAction", tString, originJob),
		scalar("JobState", tU16, originConcreteJob),
		scalar("TimeOfLastStateChange", tTime, originConcreteJob),
		scalar("TimeBeforeRemoval", tTime, originConcreteJob),
		scalar("Cancellable", tBool, wmi.ClassConcreteJob),
		scalar("JobType", tU16, wmi.ClassConcreteJob),
	}),
	methods: []methodDef{
		{name: "RequestStateChange", in: []paramDef{
			{name: "RequestedState", typ: tU16},
			{name: "TimeoutPeriod", typ: tTime},
		}},
		{name: "GetError"},
		{name: "GetErrorEx"},
	},
	// [v2 docs] msvm-concretejob: "KillJob: This method is not supported."
	unmodelled: []string{"KillJob"},
}

var classError = &classDef{
	name:       wmi.ClassError,
	derivation: []string{"CIM_Error"},
	props: []propDef{
		scalar("ErrorType", tU16, originError),
		scalar("OtherErrorType", tString, originError),
		scalar("OwningEntity", tString, originError),
		scalar("MessageID", tString, originError),
		scalar("Message", tString, originError),
		array("MessageArguments", tString, originError),
		scalar("PerceivedSeverity", tU16, originError),
		scalar("ProbableCause", tU16, originError),
		scalar("ProbableCauseDescription", tString, originError),
		array("RecommendedActions", tString, originError),
		scalar("ErrorSource", tString, originError),
		scalar("ErrorSourceFormat", tU16, originError),
		scalar("OtherErrorSourceFormat", tString, originError),
		scalar("CIMStatusCode", tU32, originError),
		scalar("CIMStatusCodeDescription", tString, originError),
	},
}

// classSummaryInformation is what GetDefinitionFileSummaryInformation
// returns, embedded (no path): Msvm_SummaryInformation, the concrete
// subclass of the abstract Msvm_SummaryInformationBase : CIM_View
// ([v2 docs] msvm-summaryinformationbase; the out-parameter's type since
// Windows 10 1703). Notes is a string there, not an array. The
// simulator declares the base class's properties.
var classSummaryInformation = &classDef{
	name:       wmi.ClassSummaryInformation,
	derivation: []string{wmi.ClassSummaryInformationBase, "CIM_View", "CIM_ManagedElement"},
	props: []propDef{
		scalar("InstanceID", tString, originManagedElement),
		scalar("ElementName", tString, originManagedElement),
		scalar("CreationTime", tTime, wmi.ClassSummaryInformationBase),
		scalar("EnabledState", tU16, wmi.ClassSummaryInformationBase),
		scalar("OtherEnabledState", tString, wmi.ClassSummaryInformationBase),
		scalar("HealthState", tU16, wmi.ClassSummaryInformationBase),
		scalar("Name", tString, wmi.ClassSummaryInformationBase),
		scalar("Notes", tString, wmi.ClassSummaryInformationBase),
		scalar("Version", tString, wmi.ClassSummaryInformationBase),
		scalar("NumberOfProcessors", tU16, wmi.ClassSummaryInformationBase),
		array("OperationalStatus", tU16, wmi.ClassSummaryInformationBase),
		array("StatusDescriptions", tString, wmi.ClassSummaryInformationBase),
		scalar("UpTime", tU64, wmi.ClassSummaryInformationBase),
		scalar("EnhancedSessionModeState", tU16, wmi.ClassSummaryInformationBase),
		array("VirtualSwitchNames", tString, wmi.ClassSummaryInformationBase),
		scalar("VirtualSystemSubType", tString, wmi.ClassSummaryInformationBase),
		scalar("HostComputerSystemName", tString, wmi.ClassSummaryInformationBase),
	},
}

// Association classes the simulator answers ASSOCIATORS OF queries with
// (see associations.go). Their own instances are not enumerable here.
func associationClass(name string, derivation ...string) *classDef {
	return &classDef{name: name, derivation: derivation, association: true}
}

var (
	assocSettingsDefineState  = associationClass("Msvm_SettingsDefineState", "CIM_SettingsDefineState")
	assocElementSettingData   = associationClass(wmi.ClassElementSettingData, "CIM_ElementSettingData")
	assocSnapshotOfSystem     = associationClass("Msvm_SnapshotOfVirtualSystem", "CIM_Dependency")
	assocMostCurrentSnapshot  = associationClass(wmi.ClassMostCurrentSnapshotInBranch, "CIM_Dependency")
	assocSettingDataComponent = associationClass("Msvm_VirtualSystemSettingDataComponent", "CIM_Component")
	assocSystemExportSettings = associationClass(wmi.ClassSystemExportSettingData, "CIM_ElementSettingData")
	assocAffectedJobElement   = associationClass(wmi.ClassAffectedJobElement, "CIM_AffectedJobElement")
	assocHostedService        = associationClass("Msvm_HostedService", "CIM_HostedService", "CIM_HostedDependency", "CIM_Dependency")
)

// allClasses are the classes the simulator knows, by lower-case name.
var allClasses = func() map[string]*classDef {
	m := map[string]*classDef{}
	for _, c := range []*classDef{
		classComputerSystem, classPlannedComputerSystem, classVirtualEthernetSwitch, classSystemSettingData,
		classStorageAllocation, classEthernetPortAllocation, classManagementService, classManagementServiceSettings,
		classExportSettingData, classConcreteJob, classError, classSummaryInformation,
		assocSettingsDefineState, assocElementSettingData, assocSnapshotOfSystem, assocMostCurrentSnapshot,
		assocSettingDataComponent, assocSystemExportSettings, assocAffectedJobElement, assocHostedService,
	} {
		sort.Slice(c.props, func(i, j int) bool { return c.props[i].name < c.props[j].name })
		m[strings.ToLower(c.name)] = c
	}
	return m
}()

// lookupClass returns the named simulated class, or nil.
func lookupClass(name string) *classDef { return allClasses[strings.ToLower(name)] }

// knownClassName reports whether name is a simulated class or an ancestor
// of one (so "SELECT * FROM CIM_ComputerSystem" is valid, as on a real host).
func knownClassName(name string) bool {
	if lookupClass(name) != nil {
		return true
	}
	for _, c := range allClasses {
		if c.isA(name) {
			return true
		}
	}
	return false
}
