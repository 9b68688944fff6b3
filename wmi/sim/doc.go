// Package sim is a simulated Hyper-V WMI provider: a wmi.Services for the
// namespace root\virtualization\v2 of a Windows Server 2016+ host, and for
// v1's root\virtualization over the same host (see "v1" below), backed by
// real files in a data folder. Every test and every demo runs on it; on
// Windows it runs too, next to the COM transport (wmi/com).
//
// Like govmomi's vcsim it copies the real API's class and property names,
// CIM types, CLASSORIGINs, numbers, object paths and failure order, and
// writes down what it does not model. The facts it follows are in
// docs/HYPERV.md, cited by anchor (docs/HYPERV.md#validation), with their
// public sources; "[v2 docs] <page>" is
// https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/<page> and
// "[v1 docs] <page>" is
// https://learn.microsoft.com/en-us/previous-versions/windows/desktop/virtual/<page>.
// Choices where the real behaviour is unknown are marked UNCERTAIN or
// INFERRED in the code, listed here and in docs/HYPERV.md#uncertain.
//
//	host, err := sim.New(sim.Options{DataDir: dir}) // DemoSeed() on first use
//	svc, err := host.Services(wmi.NamespaceV2)
//	defer host.Close()
//
// # Objects
//
// All under \\<HostName>\root\virtualization\v2 (HostName defaults to
// "HVSIM"); GUIDs are upper case, as in real paths.
//
//   - Msvm_ComputerSystem: the host (Caption "Hosting Computer System",
//     Name = host name) and each VM (Caption "Virtual Machine", Name = VM
//     GUID, ElementName = display name, EnabledState 2 Running, 3 Off,
//     6 Saved, 9 Paused, HealthState 5, OnTimeInMilliseconds, ProcessID).
//   - Msvm_PlannedComputerSystem: each planned VM (an import not yet
//     realized; Caption "Planned Virtual Machine", Name = GUID). It derives
//     from CIM_ComputerSystem, so Msvm_ComputerSystem queries do not
//     return it.
//   - Msvm_VirtualSystemSettingData: each VM's settings
//     (Microsoft:Hyper-V:System:Realized) and each snapshot's
//     (Microsoft:Hyper-V:Snapshot:Realized, Parent = parent snapshot),
//     a planned VM's (…:System:Planned) and its imported snapshots'
//     (…:Snapshot:Planned), InstanceID "Microsoft:<GUID>".
//   - Msvm_StorageAllocationSettingData: each disk of those settings,
//     HostResource = [file path].
//   - Msvm_EthernetPortAllocationSettingData: each network connection,
//     HostResource = [switch path]; Msvm_VirtualEthernetSwitch.
//   - Msvm_VirtualSystemManagementService ("vmms") and its
//     Msvm_VirtualSystemManagementServiceSettingData.
//   - Msvm_VirtualSystemExportSettingData: each VM's default export
//     settings (docs/HYPERV.md#v1-export-settings, #v2-export-settings), InstanceID "Microsoft:<VM GUID>".
//   - Msvm_ConcreteJob: jobs, removed 5 minutes after they end (docs/HYPERV.md#jobs).
//   - Msvm_Error: only embedded, from GetError/GetErrorEx.
//   - Msvm_SummaryInformation: only embedded, from
//     GetDefinitionFileSummaryInformation.
//
// Disk and port settings of planned VMs are listed with the others;
// associations work for planned VMs as for VMs (associations.go).
//
// Each instance declares all the properties the simulator's schema
// (schema.go) lists for its class — a subset of the real class, the
// properties a client plausibly reads — NULL where there is no value.
//
// # Calls
//
// ExecQuery: SELECT * FROM <class> [WHERE …] and ASSOCIATORS OF {path}
// [WHERE ResultClass/AssocClass/Role/ResultRole = …] (wql.go lists the
// subset; associations.go the association classes). A superclass such as
// CIM_ComputerSystem returns its subclasses' instances. Failures:
// WBEMInvalidQuery for syntax outside the subset or an unknown property,
// WBEMInvalidClass for an unknown class, WBEMNotSupported for SELECT on an
// association class, WBEMNotFound for ASSOCIATORS OF a missing object.
//
// Get: any instance above by path; server and namespace may be absent,
// class and key names and GUIDs may differ in case. WBEMNotFound for no
// such instance, WBEMInvalidClass for a class the simulator does not know
// (including real classes it does not model), WBEMInvalidNamespace for
// another namespace, WBEMNotSupported for a class path.
//
// ExecMethod: the instance must exist (WBEMNotFound), the method must be
// the class's (WBEMInvalidMethod; WBEMNotSupported for a real method not
// modelled yet), each in-parameter must be declared (WBEMInvalidMethodParam,
// as putting an unknown parameter fails in WMI) and take its value
// (WBEMTypeMismatch). Modelled methods:
//
//   - Msvm_VirtualSystemManagementService.ExportSystemDefinition
//     (export_system_definition.go: synchronous checks and their order;
//     export_plan.go: the files written; export_job.go: the job).
//   - The v2 import (docs/HYPERV.md#v2-methods, #import-sequence), each file giving its
//     checks in order, its return codes and its job:
//     ImportSystemDefinition (import_system_definition.go; the planned VM
//     it builds: import_planning.go, definition_file.go),
//     ImportSnapshotDefinitions (import_snapshot_definitions.go),
//     ValidatePlannedSystem (validate_planned_system.go; MessageIDs in
//     message_ids.go), RealizePlannedSystem (realize_planned_system.go),
//     DestroySystem (destroy_system.go), ModifySystemSettings
//     (modify_system_settings.go), ModifyResourceSettings
//     (modify_resource_settings.go), GetDefinitionFileSummaryInformation
//     (summary_information.go). DestroySystem, ModifySystemSettings and
//     ModifyResourceSettings return the CIM-style codes 0-6, the others
//     the Hyper-V-style 0/4096/32768-32779 (docs/HYPERV.md#return-codes).
//   - Msvm_ConcreteJob.RequestStateChange, GetError, GetErrorEx
//     (job_run.go).
//
// A cancelled context fails a call with WBEMCallCancelled; a closed host
// with WBEMTransportFailure.
//
// # Jobs
//
// Asynchronous work returns 4096 and a Job path: exports (JobType 62),
// imports, snapshot imports, validations and realizations (61), destroys
// (3). An object out-parameter (ImportedSystem, ImportedSnapshots,
// ResultingSystem) is then NULL, as on real hosts (docs/HYPERV.md#pitfall-jobs): the job's
// Msvm_AffectedJobElement names the planned VM an import created, the
// planned VM a validation or realization works on, and once a
// realization completed the new VM. Options.ImportSynchronous makes the
// import methods (all but ValidatePlannedSystem) and DestroySystem finish
// before returning 0 and their out-parameters instead. The job goes 3 Starting,
// 4 Running, then 7 Completed (PercentComplete 100, ErrorCode 0), or
// 10 Exception (ErrorCode, ErrorDescription), 9 Killed or 8 Terminated.
// PercentComplete is bytes read / bytes to read (the files copied, and the
// data a merge reads, see "Virtual hard disks") and never goes down. A
// job that fails or is stopped removes what it wrote (never anything that
// was there before); while it runs its VM is busy (32774) and the VM's
// EnabledState does not change. Close kills running jobs — but export
// jobs belong to VMMS, not to the client's process: they are recorded in
// Hyper-V/jobs.json, and a host opened again on the DataDir runs an
// unfinished one again under the same InstanceID and knows an ended one
// until TimeBeforeRemoval after its end (Options.InterruptedJobs models
// coming back after Hyper-V forgot them; job_persist.go). A failed
// validation's (or realization's) job has one Msvm_Error per
// incompatibility.
//
// # Test controls
//
// Options.Clock (FakeClock) drives timestamps, job removal, copy
// throttling and method delays; Options.CopyBytesPerSecond slows copies so
// a test can catch a job mid-way; Options.MethodDelay delays calls;
// Host.AddFault makes a method return a code or its job fail at a given
// percentage (at the start of jobs that copy nothing). Seeds may freeze a
// VM in a transitional state. Options.HostRelease ("2016", "2019", "2022"
// by default, "2025") sets the configuration versions the host accepts
// (docs/HYPERV.md#config-versions); Options.ImportSynchronous is described under Jobs.
//
// # Randomness, full disks and control files
//
// Options.MethodJitter adds to a method's delay a uniformly random extra
// in [0, jitter); FaultRule.Probability makes a rule fire on a matching
// call with that probability (0 = always; Skip passes calls before the
// draws, Count counts firings). Both draw from sources seeded by
// Options.RandomSeed (0: from the time of day, logged and returned by
// Host.RandomSeed): jitter from one stream, each fault rule from its own,
// numbered by the order the host got its rules (Options.Faults first, then
// AddFault), so the same seed and the same calls give the same delays and
// fire on the same calls, whatever other rules do. Concurrent calls draw
// in the order they reach the host.
//
// Options.DiskQuotaBytes is a simulated volume for everything the copy
// engine writes (disks and runtime state copied by exports, imports and
// realizations, disks merged by exports, all jobs together; the data
// written: the zeros a sparse copy skips do not count, see "Virtual hard
// disks"); Options.FullVolumes are folders that
// each hold only Options.DiskFullAfterBytes (0: full). A chunk that does
// not fit fails the job as ENOSPC does: JobState 10, ErrorCode 32768,
// ErrorDescription DiskFullDescription ("There is not enough space on the
// disk. (0x80070070)"), partial output removed. The volumes only fill: a
// failed or stopped job gives its bytes back, a completed one keeps them
// for the life of the Host — deleting an export frees nothing, as the
// simulator cannot tell it from the rename by which the REST service
// publishes an export; Host.SetDiskQuota changes the quota at run time and
// Host.DiskUsedBytes reports what counts (diskfull.go). Configuration
// files, seeded files and other programs' writes do not count. This
// cannot fake the free space the REST service checks before an export:
// that preflight asks the real file system (statfs / GetDiskFreeSpaceEx);
// a quota here fills the disk during the Hyper-V job instead.
//
// Users reproduce a bug from files, without code: LoadSeed reads a Seed
// (configs/sim-demo.yaml is DemoSeed, kept equal by a test) and
// LoadControls a Controls — the controls above with kebab-case keys
// (method-delay, method-jitter, copy-bytes-per-second, random-seed,
// disk-quota-bytes, full-volumes, disk-full-after-bytes,
// export-directory-must-exist, faults: [{method, vm, return-value,
// job-error-code, job-error-description, at-percent, count, skip,
// probability}]), durations as Go strings ("250ms"); Controls.Apply lays
// them over Options and New installs their faults
// (configs/sim-faults-example.yaml). Both files are YAML (.yaml, .yml) or
// JSON (.json), by extension, strict: an unknown key, a value of the wrong
// type or one New would refuse is an error naming it. A seed file and a
// controls file are separate files, so one host can be run under
// different controls.
//
// # Files
//
// Under DataDir, in Hyper-V's layout (docs/HYPERV.md#file-types):
//
//	Hyper-V/host.json                          host state (below)
//	Hyper-V/jobs.json                          export jobs that outlive the process (job_persist.go)
//	Hyper-V/Virtual Machines/<VM GUID>.vmcx    a VM's configuration
//	Hyper-V/Virtual Machines/<VM GUID>.vmrs    runtime state, unless the VM is Off
//	Hyper-V/Snapshots/<Snap GUID>.vmcx         a snapshot's configuration
//	Hyper-V/Virtual Hard Disks/<name>.vhdx     a disk, a dynamic VHDX ("Virtual hard disks")
//	Hyper-V/Virtual Hard Disks/<name>_<Snap GUID>.avhdx
//	                                           the differencing VHDX a checkpoint created
//	Hyper-V/Planned Virtual Machines/<GUID>.vmcx
//	                                           the record of a planned VM, and of each
//	                                           snapshot imported into one
//
// A VM realized elsewhere — registered in place in an export folder, or
// given other data roots — keeps its files there, in the same layout
// under its ConfigurationDataRoot and SnapshotDataRoot.
//
// host.json (format "hvsim.host/1") holds the host settings (default data
// roots, the default CaptureLiveState), the switches ({id, name}), the
// registered VMs ({id, configurationFile relative to DataDir — absolute
// when outside it —, state "off"|"running"|"saved"|"paused"|transitional,
// stateChanged}) and the planned VMs ({id, recordFile}). It is written
// atomically (temporary file, fsync, rename, fsync of the folder) when the
// host is created, after each import, realization and destroy, and when
// it is closed. New on a DataDir that has a host.json loads it and ignores
// Options.Seed.
//
// A .vmcx is JSON in the simulator's own format "hvsim.vmcx/1" (the real
// format is binary and undocumented): kind ("virtualMachine" or
// "snapshot"), id, vmId (a snapshot's VM), name, generation, version,
// creationTime, the data roots (configurationDataRoot, snapshotDataRoot,
// swapFileDataRoot), parent (the snapshot the configuration is based on),
// snapshots (a VM's, in creation order), runtimeStateFile, disks
// ({controllerType, controllerId, controllerNumber, location, path,
// parentPaths: the differencing chain, nearest parent first — the
// simulator's record of what the files' parent locators say}),
// networkAdapters ({id, switchId, switchName}), notes and
// scopeOfResidence (v1's SecurityScope). An exported .vmcx has no data
// roots, an "export" record (sourceHost, time,
// copySnapshotConfiguration, captureLiveState), and names copied disks
// relative to the export root ("Virtual Hard Disks/<file>"). A planned
// VM's record has kind "plannedVirtualMachine" (its snapshots'
// "plannedSnapshot"), absolute disk paths, and an "import" record
// (definitionFile, sourceId, newId, runtimeStateSource, time).
//
// # Virtual hard disks
//
// Disks are real VHDX files (package vhdx; disks.go). A seed's disk is a
// dynamic VHDX with 1 MiB blocks of SeedDisk.VirtualSizeBytes (default
// 20 GiB) holding SizeBytes of deterministic data (vhdx.FillDeterministic,
// seeded from the VM GUID and the file name, so each disk differs and
// every host made from a seed has the same content). Each checkpoint
// makes a differencing child of each disk's current file,
// <base>_<Snap GUID>.avhdx (vhdx.CreateDifferencing: relative_path
// ".\<parent>", absolute_win32_path, parent_linkage), into which
// DifferencingBytes of the checkpoint's own data are written; the VM's
// disk is the top of the chain, each snapshot's the file that was the top
// when it was taken. A differencing disk finds its parent through its
// parent locator (relative_path, then absolute_win32_path), which must be
// the disk it was made from (parent_linkage = the parent's DataWriteGuid),
// as on a real host (MS-VHDX 2.6.2.6.3).
//
// Exports write, per CopySnapshotConfiguration (export_plan.go; v1's
// ExportVirtualSystemEx the same for 0-2):
//
//   - 0 ExportAllSnapshots: every file of every chain, copied as it is
//     under its own name into Virtual Hard Disks, where the copies'
//     relative locators find their copied parents; a chain that spanned
//     several folders on the host is re-pointed (vhdx.SetParentPaths).
//   - 1 ExportNoSnapshots: per disk ONE dynamic VHDX merged from the VM's
//     current chain (vhdx.MergeWith), named after the base disk,
//     <base>.vhdx. INFERRED: the facts document the merge for 2 only.
//   - 2 ExportOneSnapshot: per disk one VHDX merged from the snapshot's
//     chain, <base>.vhdx. Documented: "differencing disks merged into a
//     new VHD" (docs/HYPERV.md#v2-export-settings), "which produces a merged VHD" (docs/HYPERV.md#export-layout).
//   - 3 ExportOneSnapshotForBackup: BackupIntent 1 (Merge) merges as 2
//     does, 0 (PreserveChain) copies the snapshot's chain as it is.
//     INFERRED from BackupIntent's description (docs/HYPERV.md#v2-export-settings: "merged into full
//     backup sets" / "kept as they are").
//
// A disk whose chain is one file is copied as it is in every mode
// (nothing to merge; INFERRED). A merged disk keeps the chain's virtual
// size, sector sizes and disk ID, takes the base disk's block size, gets
// new write GUIDs and allocates only blocks that hold data; the exported
// configuration names it "Virtual Hard Disks/<base>.vhdx" without
// parents (v1's .exp: at the base disk's host path). Excluded disks
// (ExcludedVirtualHardDisks) are neither copied nor merged.
//
// Copies and merges run in the job on the copy engine (copy_engine.go).
// A copy is sparse: only the 4 KiB pages of a file that are not all zeros
// are written. A merge reads the 1 MiB pieces of the disk some layer
// stores (vhdx.MergeLength) and writes those that are not zeros.
// PercentComplete counts bytes read (a copied file's size, a merge's
// pieces); Options.CopyBytesPerSecond and the simulated disk space count
// bytes written, each chunk or piece charged before it is written (a
// merged file's headers, metadata and BAT, a few KiB, are not). Kill and
// Terminate stop a copy or merge between two chunks and remove the
// partial file.
//
// Imports: v1's ImportVirtualSystemEx with CreateCopy re-points a copied
// differencing disk whose relative locator does not lead to its copied
// parent (targets in several folders, or renamed). ValidatePlannedSystem
// and v1's import report a differencing disk whose parent cannot be
// resolved — no file where its locator points, or not the disk it was
// made from (vhdx.ErrParent) — as a missing virtual hard disk naming that
// parent, even when every file the configuration records exists. A file
// that is not a VHDX (a test's stand-in) is only checked to exist.
//
// # Decisions on UNCERTAIN points
//
//   - ComputerSystem naming no VM: ExportSystemDefinition returns 32773
//     Invalid parameter (returnNoSuchSystem), not WBEM_E_NOT_FOUND.
//   - A missing ExportDirectory is created, unless
//     Options.ExportDirectoryMustExist, when the job fails with 32768.
//   - CaptureLiveState of the default export settings: 1
//     (CaptureSavedState, Export-VM's default); Seed.ExportCaptureLiveState
//     changes it. A NULL CaptureLiveState in ExportSettingData means the
//     same default; other NULL booleans are FALSE, NULL numbers 0.
//   - NULL or undecodable ExportSettingData: 32773.
//   - RequestStateChange: 5 Kill and 4 Terminate both stop the job and
//     clean up, ending in 9 or 8; the call returns 0 once the job has
//     ended. 2, 3, 6 return 1 Not Supported; other values 5 Invalid
//     Parameter; a job that has ended 4097. TimeoutPeriod is ignored.
//   - A stopped job reports ErrorCode 32768 and "The operation was
//     canceled by the user. (0x800704C7)".
//   - Running VMs export (2016+); CaptureLiveState 1 exports the .vmrs,
//     0 and 2 do not. Paused and transitional VMs return 32775.
//   - Msvm_Error values (MessageID = the job's ErrorCode, ErrorType 4,
//     PerceivedSeverity 5) and the job captions are invented.
//
// Import (details in each method's file):
//
//   - ImportSystemDefinition returns 4096 and a job by default (real hosts
//     commonly do, docs/HYPERV.md#pitfall-jobs); Options.ImportSynchronous switches to 0 and
//     ImportedSystem. All its checks are synchronous (32773, 32779); the
//     job repeats the GUID check (ErrorCode 32779). Only the simulator's
//     .vmcx is read; .xml and .exp definition files give 32773.
//   - "In use" (32779): the file is a registered VM's or snapshot's
//     configuration, or GenerateNewSystemIdentifier is FALSE and a VM or
//     planned VM has the GUID (docs/HYPERV.md#pitfall-import-twice).
//   - A planned VM's data roots are the import location (the parent of the
//     "Virtual Machines" folder), so realizing without changes registers
//     the VM in place (Import-VM -Register, docs/HYPERV.md#import-modes); disks keep the paths the
//     definition names, relative ones resolved against that root.
//   - NULL SnapshotFolder imports no snapshot: those referred to are
//     missing (an incompatibility) until ImportSnapshotDefinitions. A
//     SnapshotFolder that does not exist counts as empty.
//   - New GUIDs (GenerateNewSystemIdentifier TRUE): random for the VM,
//     derived from it for snapshots and network adapters.
//   - Switches are matched by GUID, then by name (INFERRED).
//   - ValidatePlannedSystem always starts a job, which completes (7)
//     with the incompatibilities on it, read with GetErrorEx, as on a real
//     host (docs/HYPERV.md#validation: Microsoft's Pvm sample ValidatePvm;
//     the Hyper-V PowerShell client). Options.ValidationFailsJob makes it
//     end in 10 instead, ErrorCode 32784 when the version is unsupported,
//     else 32768. Incompatibilities are Msvm_Error instances with
//     MessageID 33012 (missing switch, documented) or invented ones
//     (message_ids.go: 32900 missing virtual hard disk, 32901 unsupported
//     configuration version, 32902 GUID already registered, 32903 missing
//     snapshot). The version is checked here, not at import.
//   - RealizePlannedSystem validates again, copies the runtime state and
//     writes the configurations into the data roots, never copies disks
//     (so it re-points no parent locator; the realized chains are read
//     from the disks' locators),
//     refuses (32768) to overwrite a file that is not its own source, and
//     rewrites a source in place when it is the target (register in
//     place). The VM is Saved when runtime state was imported, else Off.
//   - DestroySystem returns a job (type 3); it deletes a VM's
//     configuration and runtime state files but keeps its disks, and a
//     planned VM's records but never its import source. Running, paused,
//     transitional or busy systems give 5.
//   - ModifySystemSettings and ModifyResourceSettings finish at once (0,
//     never a job); they change ElementName and Notes anywhere, and data
//     roots, disk paths and switch connections of planned VMs only (5 for
//     a change to a realized VM's). A disk's differencing parents are
//     those its new file's parent locators lead to, or, while that file
//     cannot be opened yet, files of the recorded parents' names next to
//     it.
//   - Planned VMs survive Close and New (UNCERTAIN for a real vmms
//     restart; docs/HYPERV.md#pitfall-import-twice only says failed imports leave them behind).
//   - A planned VM's EnabledState is 3 (the MOF gives no default).
//   - GetDefinitionFileSummaryInformation reads VM and snapshot .vmcx; one
//     unreadable file fails the call with 32773.
//
// # v1: root\virtualization
//
// Host.Services(wmi.NamespaceV1) connects to the v1 namespace of Windows
// Server 2008 R2 / 2012 (docs/HYPERV.md#v1): a second view of the same VMs, switches,
// files and busy jobs (v1_*.go; Options.V1.Unavailable takes it away, as
// 2012 R2 did). Paths are \\<HostName>\root\virtualization:<class>…;
// a path of the other namespace fails with WBEMInvalidNamespace. Classes
// (from the MOF on each [v1 docs] page; v1_schema.go):
//
//   - Msvm_ComputerSystem with v1's EnabledState: 2 Enabled, 3 Disabled,
//     32768 Paused, 32769 Suspended (Saved), 32770 Starting, 32773 Saving,
//     32774 Stopping, 32776 Pausing, 32777 Resuming (wmi.EnabledV1*;
//     libvirt's hyperv_wmi_classes.h and the v1/v2 pages); 32771
//     Snapshotting is never reported. Msvm_VirtualSwitch (Name = GUID,
//     ElementName = friendly name; v1 has no FriendlyName property).
//   - Msvm_VirtualSystemSettingData with SettingType 3 (current) or 5
//     (snapshot), SystemName = VM GUID, VirtualSystemType uint16 301,
//     Notes one string, no data roots/Version/VirtualSystemSubType;
//     Msvm_VirtualSystemGlobalSettingData (…\Global) holds ExternalDataRoot,
//     SnapshotDataRoot and ScopeOfResidence — where v1 keeps them, so the
//     import's SecurityScope shows there, not on the VSSD.
//   - Msvm_ResourceAllocationSettingData: a drive (22, "Microsoft Synthetic
//     Disk Drive") and its VHD (21, "Microsoft Virtual Hard Disk",
//     Connection[0] = file path) per disk; Msvm_SyntheticEthernetPortSettingData
//     (Connection[0] = a Msvm_SwitchPort path whose SystemName is the
//     switch GUID, NULL when disconnected).
//   - Msvm_VirtualSystemManagementService (v1's methods below) and its
//     settings; Msvm_VirtualSystemExportSettingData with only v1's nine
//     properties; Msvm_VirtualSystemImportSettingData (embedded only);
//     Msvm_ConcreteJob without JobType; Msvm_Error.
//   - Associations: Msvm_SettingsDefineState, Msvm_ElementSettingData (VM →
//     current and snapshot VSSDs, global settings), Msvm_VirtualSystemSettingDataComponent,
//     Msvm_SystemExportSettingData, Msvm_HostedService, Msvm_AffectedJobElement.
//
// Methods (Hyper-V-style codes; fault rules, Skip and MethodDelay apply by
// method name; a VM busy with a job of either namespace gives 32774; a
// job is visible only in the namespace that started it):
//
//   - ExportVirtualSystemEx (v1_export.go): ExportSystemDefinition's
//     checks and engine with v1's rules — only Off or Saved VMs (running →
//     32775), CopySnapshotConfiguration 0-2, a v2-only property in
//     ExportSettingData → 32773. Layout (v1_export_layout.go):
//     Virtual Machines\<GUID>.exp (the simulator's JSON under 2008 R2's
//     name; disks at their absolute host paths), Virtual Machines\<GUID>\
//     <GUID>.bin/.vsv for a Saved VM's state (the .bin is the host's .vmrs
//     bytes, the .vsv a small JSON record), Snapshots\<GUID>.exp, Virtual
//     Hard Disks\ with the host's .vhdx/.avhdx (2008 R2 had .vhd/.avhd).
//   - GetVirtualSystemImportSettingData (v1_import_setting_data.go): 0 and
//     ImportSettingData as an embedded object (CIMObject, *wmi.Object), Job
//     NULL; defaults listed in that file; not a v1 export → 32773.
//   - ImportVirtualSystemEx (v1_import.go, v1_import_job.go): synchronous
//     checks (32773), then 4096 and a job that registers in place
//     (CreateCopy FALSE: Source* used, Target* ignored) or copies the
//     disks, saved state and configuration itself (CreateCopy TRUE) with
//     byte-driven progress, cancellation and clean-up; keep-ID while the
//     GUID is registered → job ErrorCode 32779; unknown switch or missing
//     source disk → job ErrorCode 32773 with Msvm_Errors (MessageID 33012,
//     32900). The VM appears in both namespaces.
//
// Decisions on v1's UNCERTAIN points, with the option that gives the
// other answer (V1Options):
//
//   - config.xml is not written (ExportConfigXML writes one).
//   - GetVirtualSystemImportSettingData finishes synchronously
//     (ImportSettingDataJob: 4096, a completed Job and the object).
//   - Network connections are switch friendly names, ElementName
//     (SwitchConnectionsByName: switch GUIDs).
//   - GenerateNewId and CreateCopy default to FALSE (ImportCopyByDefault:
//     TRUE, as the 2009 blog's dump shows).
//   - TargetResourcePaths defaults to NULL so that TargetVhdDataRoot moves
//     every disk, as Microsoft's sample relies on (FillTargetResourcePaths:
//     TargetVhdDataRoot\<file name> per disk). Data roots are filled in
//     (the blog's dump shows them empty); NULL or "" means the default.
//   - CurrentResourcePaths lists every file of each differencing chain;
//     an export's merged disk is one file, named at its base disk's host
//     path.
//   - Keep-ID in use → job ErrorCode 32779 (v1's pages list codes up to
//     32778); Msvm_Error MessageIDs are v2's or INVENTED; imported saved
//     state makes the VM Saved (the page says Disabled).
//
// Not modelled in v1: v1's other methods (DefineVirtualSystem,
// DestroyVirtualSystem, ModifyVirtualSystem…: WBEMNotSupported), the
// deprecated ExportVirtualSystem/ImportVirtualSystem, planned VMs (a v2
// concept; not listed in v1), Msvm_SwitchPort and v1's snapshot-tree
// associations, config-only exports needing a "state" root
// (SourceVmDataRoot is not checked against CopyVmRuntimeInformation),
// and importing a v2 export (.vmcx) through v1 (32773).
//
// # Not modelled (yet)
//
//   - DefineSystem, DefinePlannedSystem, Add/RemoveResourceSettings, VM
//     state changes (RequestStateChange on a VM), snapshots taken at run
//     time, DestroySnapshot (so a missing snapshot of a planned VM can only
//     be imported, not dropped): WBEMNotSupported.
//   - On import: saved state that does not fit the host's processor,
//     .xml/.exp definitions in ImportSystemDefinition (v1's .exp exports
//     import through v1), Msvm_Error other than the incompatibilities
//     above, moving a realized VM's storage.
//   - Disks (see "Virtual hard disks"): checkpoint trees (a seed's
//     checkpoints form one chain), the merge a host runs when a
//     checkpoint is deleted, .vhd/.avhd and fixed disks, VHD Sets,
//     resizing; two disks of a VM whose base files share a name (their
//     exported copies or merged disks collide: the export fails, "The file
//     exists").
//   - .vmgs guest state files, snapshots' saved state, ExcludedVirtualHardDisks
//     beyond not copying or merging the excluded disks,
//     DifferentialBackupBase, ExportForLiveMigration.
//   - Classes other than those above (drives, controllers, memory,
//     processors, synthetic ports…): WBEMInvalidClass, although a Parent
//     property may name one.
//   - Property lists in SELECT, REFERENCES OF, events, CIM datetimes in
//     local time (the simulator writes UTC), two hosts sharing one
//     DataDir.
package sim
