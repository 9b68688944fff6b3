package sim

// V1Options configure the v1 namespace root\virtualization (v1_*.go). Each
// switch names the non-default answer to a point the facts leave open
// (docs/HYPERV.md#v1, #export-layout, #uncertain), so that a driver can be tested
// against both.
type V1Options struct {
	// Unavailable takes the v1 namespace away: Host.Services fails with
	// WBEM_E_INVALID_NAMESPACE, as on Windows Server 2012 R2 and later
	// (docs/HYPERV.md#v1-availability). By default the simulated host serves both namespaces, as
	// Windows Server 2012 does.
	Unavailable bool
	// ExportConfigXML makes ExportVirtualSystemEx write a config.xml at the
	// top of the export. Whether 2008 R2's *Ex methods write one is
	// UNCERTAIN (docs/HYPERV.md#export-layout: it is what the 2008 RTM import read); the default
	// writes none. Its content is the simulator's own (the real one is
	// undocumented).
	ExportConfigXML bool
	// ImportSettingDataJob makes GetVirtualSystemImportSettingData return
	// 4096 and a Job (which has completed by the time the call returns)
	// with ImportSettingData filled in, the shape Microsoft's samples
	// handle by waiting for the job and then reading ImportSettingData.
	// The default returns 0, ImportSettingData and a NULL Job: the method
	// only reads the export (docs/HYPERV.md#v1-methods allows both).
	ImportSettingDataJob bool
	// SwitchConnectionsByName makes SourceNetworkConnections hold, and
	// TargetNetworkConnections match, the switch's Name (its GUID, as the
	// v1 C# sample "Importing Virtual Machines" puts in) instead of its
	// friendly name, ElementName, which the class page calls FriendlyName
	// (the default). UNCERTAIN, docs/HYPERV.md#v1-import-settings.
	SwitchConnectionsByName bool
	// FillTargetResourcePaths makes the import setting data's
	// TargetResourcePaths default to TargetVhdDataRoot\<file name> for each
	// resource instead of NULL. A filled entry pins its resource: changing
	// TargetVhdDataRoot alone then no longer moves it (a per-resource path
	// wins, docs/HYPERV.md#v1-import-settings), which is why the default is NULL
	// (v1_import_setting_data.go).
	FillTargetResourcePaths bool
	// ImportCopyByDefault makes the import setting data default to
	// GenerateNewId TRUE and CreateCopy TRUE, as the PowerShell dump in the
	// Hyper-V team blog's "Import/Export Part 2" (2009) shows; the default
	// is FALSE for both (a keep-ID register in place). UNCERTAIN: the dump
	// may show edited values.
	ImportCopyByDefault bool
}
