package sim

// The classes of root\virtualization (v1), built from the description in
// schema_classes.go, where every row v1 does not share with v2 is marked
// inV1 or inV2 next to the [v1 docs] page it comes from
// (learn.microsoft.com/previous-versions/windows/desktop/virtual/<class>).
// As for v2 an instance declares every property listed, NULL where the
// simulator has no value. In short, where v1 and v2 differ:
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
//   - Systems and the management service have no InstanceID; the
//     management service has v1's methods (docs/HYPERV.md#v1-methods).
//   - Msvm_ConcreteJob has no JobType.
//   - Msvm_VirtualSystemExportSettingData has only Caption, Description,
//     InstanceID, ElementName, CopySnapshotConfiguration (0-2),
//     CopyVmRuntimeInformation, CopyVmStorage, CreateVmExportSubdirectory
//     and SnapshotVirtualSystem (docs/HYPERV.md#v1-export-settings).
//
// Msvm_Error and the association classes are v2's (v1_services.go).
var (
	classV1ComputerSystem            = computerSystemSpec.build(inV1)
	classV1VirtualSwitch             = virtualSwitchSpec.build(inV1)
	classV1SystemSettingData         = systemSettingDataSpec.build(inV1)
	classV1GlobalSettingData         = globalSettingDataSpec.build(inV1)
	classV1ResourceAllocation        = resourceAllocationSpec.build(inV1)
	classV1SyntheticEthernetPort     = syntheticEthernetPortSpec.build(inV1)
	classV1ManagementService         = managementServiceSpec.build(inV1)
	classV1ManagementServiceSettings = managementServiceSettingsSpec.build(inV1)
	classV1ExportSettingData         = exportSettingDataSpec.build(inV1)
	classV1ImportSettingData         = importSettingDataSpec.build(inV1)
	classV1ConcreteJob               = concreteJobSpec.build(inV1)
)
