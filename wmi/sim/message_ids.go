package sim

import "github.com/hvport/hvport/wmi"

// Msvm_Error.MessageID values of ValidatePlannedSystem's
// incompatibilities (the MessageId of PowerShell's Compare-VM report,
// docs/HYPERV.md#validation).
//
// Only 33012 is documented. Microsoft publishes no list of the others
// (docs/HYPERV.md#validation, #uncertain), so the simulator INVENTS them,
// in a 329xx range that no return code uses; a driver must not rely on them against a real host.
const (
	// MessageIDSwitchNotFound: "Could not find Ethernet switch '<name>'.";
	// ErrorSource is the adapter's Msvm_EthernetPortAllocationSettingData.
	MessageIDSwitchNotFound = wmi.MessageIDSwitchNotFound
	// MessageIDVirtualHardDiskNotFound: a disk file (or a parent of a
	// differencing disk) does not exist; ErrorSource is the disk's
	// Msvm_StorageAllocationSettingData. INVENTED.
	MessageIDVirtualHardDiskNotFound = "32900"
	// MessageIDUnsupportedVersion: the configuration version is outside
	// the host's range (Options.HostRelease, docs/HYPERV.md#config-versions); ErrorSource is the
	// planned VM. The job's ErrorCode is then 32784. INVENTED.
	MessageIDUnsupportedVersion = "32901"
	// MessageIDSystemExists: a VM with the planned VM's GUID is
	// registered; ErrorSource is the planned VM. INVENTED.
	MessageIDSystemExists = "32902"
	// MessageIDSnapshotNotFound: a snapshot the planned VM refers to was
	// not imported (docs/HYPERV.md#v2-methods: such snapshots must be imported with
	// ImportSnapshotDefinitions before realizing); ErrorSource is the
	// planned VM. INVENTED.
	MessageIDSnapshotNotFound = "32903"
)
