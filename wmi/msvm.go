package wmi

import "fmt"

// Namespaces. v1 exists up to Windows Server 2012 and is gone from 2012 R2
// (docs/HYPERV.md#v1-availability); v2 exists from 2012.
const (
	NamespaceV2 = `root\virtualization\v2`
	NamespaceV1 = `root\virtualization`
)

// Hyper-V classes the driver and the simulator use.
const (
	ClassComputerSystem              = "Msvm_ComputerSystem"
	ClassPlannedComputerSystem       = "Msvm_PlannedComputerSystem"
	ClassManagementService           = "Msvm_VirtualSystemManagementService"
	ClassManagementServiceSettings   = "Msvm_VirtualSystemManagementServiceSettingData"
	ClassSystemSettingData           = "Msvm_VirtualSystemSettingData"
	ClassExportSettingData           = "Msvm_VirtualSystemExportSettingData"
	ClassImportSettingData           = "Msvm_VirtualSystemImportSettingData" // v1 only
	ClassStorageAllocation           = "Msvm_StorageAllocationSettingData"
	ClassEthernetPortAllocation      = "Msvm_EthernetPortAllocationSettingData"
	ClassVirtualEthernetSwitch       = "Msvm_VirtualEthernetSwitch"
	ClassVirtualSwitchV1             = "Msvm_VirtualSwitch" // v1's switch class
	ClassConcreteJob                 = "Msvm_ConcreteJob"
	ClassError                       = "Msvm_Error"
	ClassSystemExportSettingData     = "Msvm_SystemExportSettingData" // association
	ClassElementSettingData          = "Msvm_ElementSettingData"      // association
	ClassAffectedJobElement          = "Msvm_AffectedJobElement"      // association
	ClassMostCurrentSnapshotInBranch = "Msvm_MostCurrentSnapshotInBranch"
	ClassParameters                  = "__PARAMETERS"
	// GetDefinitionFileSummaryInformation's out-parameter holds
	// Msvm_SummaryInformation instances; the declared type is
	// Msvm_SummaryInformationBase since Windows 10 1703 (docs/HYPERV.md#v2-methods).
	ClassSummaryInformation     = "Msvm_SummaryInformation"
	ClassSummaryInformationBase = "Msvm_SummaryInformationBase"
)

// Msvm_Error.MessageID values the driver can recognise. Microsoft publishes
// no list (docs/HYPERV.md#validation, #uncertain); this one is from the Compare-VM
// documentation's example.
const (
	// MessageIDSwitchNotFound: "Could not find Ethernet switch '<name>'.",
	// ErrorSource the network adapter's port allocation.
	MessageIDSwitchNotFound = "33012"
)

// Method return codes of the "Hyper-V style" methods (ExportSystemDefinition,
// ImportSystemDefinition, ..., and v1's *Ex methods). Source: the method
// pages listed in docs/HYPERV.md#return-codes. Note: github.com/microsoft/wmi
// swaps 32773 and 32775; these follow Microsoft's docs.
const (
	ReturnOK               uint32 = 0
	ReturnJobStarted       uint32 = 4096
	ReturnFailed           uint32 = 32768
	ReturnAccessDenied     uint32 = 32769
	ReturnNotSupported     uint32 = 32770
	ReturnStatusUnknown    uint32 = 32771
	ReturnTimeout          uint32 = 32772
	ReturnInvalidParameter uint32 = 32773
	ReturnSystemInUse      uint32 = 32774
	ReturnInvalidState     uint32 = 32775
	ReturnIncorrectType    uint32 = 32776
	ReturnNotAvailable     uint32 = 32777
	ReturnOutOfMemory      uint32 = 32778
	ReturnFileInUse        uint32 = 32779
	// ReturnUnsupportedVersion is seen only in Vagrant's mapping of job
	// error codes ("VM version is unsupported"); Microsoft does not list it.
	ReturnUnsupportedVersion uint32 = 32784
)

// CIM-style return codes (DestroySystem, ModifySystemSettings,
// ModifyResourceSettings): docs/HYPERV.md#return-codes.
const (
	CIMReturnOK                     uint32 = 0
	CIMReturnNotSupported           uint32 = 1
	CIMReturnFailed                 uint32 = 2
	CIMReturnTimeout                uint32 = 3
	CIMReturnInvalidParameter       uint32 = 4
	CIMReturnInvalidState           uint32 = 5
	CIMReturnIncompatibleParameters uint32 = 6
)

var returnTexts = map[uint32]string{
	0: "Completed with No Error", 4096: "Method Parameters Checked - Job Started",
	32768: "Failed", 32769: "Access Denied", 32770: "Not Supported", 32771: "Status is unknown",
	32772: "Timeout", 32773: "Invalid parameter", 32774: "System is in use",
	32775: "Invalid state for this operation", 32776: "Incorrect data type",
	32777: "System is not available", 32778: "Out of memory", 32779: "File in Use",
	32784: "VM version is unsupported",
}

// ReturnText is the documented meaning of a Hyper-V-style return code.
func ReturnText(code uint32) string {
	if s, ok := returnTexts[code]; ok {
		return s
	}
	return fmt.Sprintf("unknown return code %d", code)
}

var cimReturnTexts = map[uint32]string{
	0: "Completed with No Error", 1: "Not Supported", 2: "Failed", 3: "Timeout",
	4: "Invalid Parameter", 5: "Invalid State", 6: "Incompatible Parameters",
	4096: "Method Parameters Checked - Job Started",
}

// CIMReturnText is the documented meaning of a CIM-style return code.
// Codes from 32768 on are vendor-specific in the CIM convention, and
// Hyper-V's CIM-style methods (DestroySystem, ModifySystemSettings,
// ModifyResourceSettings) do return its own codes there (32775 for a VM in
// the wrong state, 32779 for a file in use): those are named as the
// Hyper-V-style ones are.
func CIMReturnText(code uint32) string {
	if s, ok := cimReturnTexts[code]; ok {
		return s
	}
	if s, ok := returnTexts[code]; ok && code >= 32768 {
		return s
	}
	return fmt.Sprintf("unknown return code %d", code)
}

// CheckReturn turns a method's out-parameters into (started job path, error):
// 0 gives ("", nil), 4096 gives the Job out-parameter, anything else a
// *MethodError.
func CheckReturn(method, path string, out *Object, cimStyle bool) (job string, err error) {
	switch code := ReturnValue(out); code {
	case ReturnOK:
		return "", nil
	case ReturnJobStarted:
		return out.String("Job"), nil
	default:
		return "", &MethodError{Method: method, Path: path, Code: code, CIMStyle: cimStyle}
	}
}

// Msvm_ConcreteJob.JobState (CIM_ConcreteJob; docs/HYPERV.md#jobs).
const (
	JobNew          uint16 = 2
	JobStarting     uint16 = 3
	JobRunning      uint16 = 4
	JobSuspended    uint16 = 5
	JobShuttingDown uint16 = 6
	JobCompleted    uint16 = 7
	JobTerminated   uint16 = 8
	JobKilled       uint16 = 9
	JobException    uint16 = 10
	JobService      uint16 = 11
	// JobQueryPending is listed by the v1 Msvm_ConcreteJob page.
	JobQueryPending uint16 = 12
	// JobCompletedWithWarnings is vendor state 32768, which os-win treats
	// as success.
	JobCompletedWithWarnings uint16 = 32768
)

var jobStateTexts = map[uint16]string{
	2: "New", 3: "Starting", 4: "Running", 5: "Suspended", 6: "Shutting Down",
	7: "Completed", 8: "Terminated", 9: "Killed", 10: "Exception", 11: "Service", 12: "Query Pending",
	32768: "Completed with warnings",
}

// JobStateText names a JobState value.
func JobStateText(s uint16) string {
	if t, ok := jobStateTexts[s]; ok {
		return t
	}
	return fmt.Sprintf("JobState(%d)", s)
}

// JobStateTerminal reports whether a job in state s will not change again.
// 2, 3, 4, 5, 6 keep running; everything else is an end (libvirt treats
// 11 Service as failure too).
//
// 11 Service and 12 Query Pending are not ends: the job is being serviced
// or waits for a query, and goes on. Microsoft's samples poll while a job
// is neither Completed nor failed, so they keep polling there too
// (WmiUtilities.cs); libvirt's hyperv_wmi.c counting 11 as a failure is
// the exception, not followed here.
func JobStateTerminal(s uint16) bool {
	switch s {
	case JobNew, JobStarting, JobRunning, JobSuspended, JobShuttingDown, JobService, JobQueryPending:
		return false
	}
	return true
}

// Msvm_ConcreteJob.RequestStateChange RequestedState values.
const (
	JobRequestStart     uint16 = 2
	JobRequestSuspend   uint16 = 3
	JobRequestTerminate uint16 = 4
	JobRequestKill      uint16 = 5
)

// RequestStateChange return codes (CIM_ConcreteJob).
const (
	RSCCompleted              uint32 = 0
	RSCNotSupported           uint32 = 1
	RSCFailed                 uint32 = 4
	RSCInvalidParameter       uint32 = 5
	RSCTransitionStarted      uint32 = 4096
	RSCInvalidStateTransition uint32 = 4097
)

// Msvm_ConcreteJob.JobType values used here (v2 only).
const (
	JobTypeDestroyVM     uint16 = 3
	JobTypeGetImportData uint16 = 60
	JobTypeImportVM      uint16 = 61
	JobTypeExportVM      uint16 = 62
)

// Msvm_ComputerSystem.EnabledState values (CIM_EnabledLogicalElement and
// Hyper-V's own transitional states).
const (
	EnabledUnknown       uint16 = 0
	EnabledOther         uint16 = 1
	EnabledEnabled       uint16 = 2 // Running
	EnabledDisabled      uint16 = 3 // Off
	EnabledShuttingDown  uint16 = 4
	EnabledNotApplicable uint16 = 5
	EnabledOffline       uint16 = 6 // Saved
	EnabledInTest        uint16 = 7
	EnabledDeferred      uint16 = 8
	EnabledQuiesce       uint16 = 9 // Paused
	EnabledStarting      uint16 = 10
	EnabledSaving        uint16 = 32773
	EnabledPausing       uint16 = 32776
	EnabledResuming      uint16 = 32777
	// v2's fast-save and "critical" states (the storage of a running VM
	// became unavailable): the values Msvm_ComputerSystem.RequestStateChange's
	// page lists (FastSaved 32779 … ResetCritical 32787), as the Hyper-V
	// PowerShell module's VMState enumeration names them.
	EnabledFastSaved        uint16 = 32779
	EnabledFastSaving       uint16 = 32780
	EnabledRunningCritical  uint16 = 32781
	EnabledOffCritical      uint16 = 32782
	EnabledStoppingCritical uint16 = 32783
	EnabledSavedCritical    uint16 = 32784
	EnabledPausedCritical   uint16 = 32785
	EnabledStartingCritical uint16 = 32786
	EnabledResetCritical    uint16 = 32787
)

// Msvm_VirtualSystemExportSettingData.CopySnapshotConfiguration.
const (
	ExportAllSnapshots         uint8 = 0
	ExportNoSnapshots          uint8 = 1
	ExportOneSnapshot          uint8 = 2
	ExportOneSnapshotForBackup uint8 = 3
)

// Msvm_VirtualSystemExportSettingData.CaptureLiveState.
const (
	CaptureCrashConsistentState uint8 = 0
	CaptureSavedState           uint8 = 1
	CaptureAppConsistentState   uint8 = 2
)

// Msvm_VirtualSystemSettingData.VirtualSystemType values.
const (
	SystemTypeRealized   = "Microsoft:Hyper-V:System:Realized"
	SystemTypePlanned    = "Microsoft:Hyper-V:System:Planned"
	SnapshotTypeRealized = "Microsoft:Hyper-V:Snapshot:Realized"
	SnapshotTypePlanned  = "Microsoft:Hyper-V:Snapshot:Planned"
)

// v1 (root\virtualization) classes that v2 does not have, or names
// differently ([v1 docs], docs/HYPERV.md#v1).
const (
	// ClassGlobalSettingDataV1 holds the settings that do not change with
	// snapshots: ExternalDataRoot, SnapshotDataRoot, ScopeOfResidence, ...
	// (v1 docs msvm-virtualsystemglobalsettingdata).
	ClassGlobalSettingDataV1 = "Msvm_VirtualSystemGlobalSettingData"
	// ClassResourceAllocationV1 is v1's setting class for drives and
	// virtual hard disks: a VHD is ResourceType 21 with ResourceSubType
	// ResourceSubTypeVHDV1 and its file path in Connection[0] (v1 docs
	// msvm-resourceallocationsettingdata). v1 has no
	// Msvm_StorageAllocationSettingData.
	ClassResourceAllocationV1 = "Msvm_ResourceAllocationSettingData"
	// ClassSyntheticEthernetPortV1 is a v1 network adapter; Connection[0]
	// is the Msvm_SwitchPort it is connected to (v1 has no
	// Msvm_EthernetPortAllocationSettingData).
	ClassSyntheticEthernetPortV1 = "Msvm_SyntheticEthernetPortSettingData"
)

// v1 Msvm_ResourceAllocationSettingData.ResourceSubType values (v1 docs).
const (
	ResourceSubTypeVHDV1       = "Microsoft Virtual Hard Disk"    // ResourceType 21
	ResourceSubTypeDiskDriveV1 = "Microsoft Synthetic Disk Drive" // ResourceType 22
)

// v1 Msvm_ComputerSystem.EnabledState values of a VM: 2 and 3 as in v2, the
// rest vendor-specific. Source: libvirt src/hyperv/hyperv_wmi_classes.h
// (MSVM_COMPUTERSYSTEM_V1_ENABLEDSTATE_*), the v1 msvm-computersystem page
// (32768 Paused, 32769 Suspended) and the v2 RequestStateChange page ("in
// V1 corresponds to" 32773 Saving, 32776 Pausing, 32777 Resuming).
const (
	EnabledV1Paused       uint16 = 32768
	EnabledV1Suspended    uint16 = 32769 // Saved
	EnabledV1Starting     uint16 = 32770
	EnabledV1Snapshotting uint16 = 32771
	EnabledV1Saving       uint16 = 32773
	EnabledV1Stopping     uint16 = 32774
	EnabledV1Pausing      uint16 = 32776
	EnabledV1Resuming     uint16 = 32777
)

// v1 Msvm_VirtualSystemSettingData.SettingType (3 current settings,
// 5 a snapshot's) and Msvm_VirtualSystemGlobalSettingData.SettingType
// (32768), and VirtualSystemType (a uint16 in v1, always 301 "Microsoft
// Hyper-V"; v2's is a string). Source: the v1 class pages.
const (
	SettingTypeCurrentV1      uint16 = 3
	SettingTypeSnapshotV1     uint16 = 5
	SettingTypeGlobalV1       uint16 = 32768
	VirtualSystemTypeHyperVV1 uint16 = 301
)
