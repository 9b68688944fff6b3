// Package sim is a simulated Hyper-V WMI provider: a wmi.Services for the
// namespace root\virtualization\v2 of a Windows Server 2016+ host, backed
// by real files in a data folder. Every test and every demo runs on it;
// on Windows it runs too, next to the COM transport (wmi/com).
//
// Like govmomi's vcsim it copies the real API's class and property names,
// CIM types, CLASSORIGINs, numbers, object paths and failure order, and
// writes down what it does not model. The facts it follows are in
// shared/reference/hyperv-wmi-facts.md (cited as §n below); choices where
// the real behaviour is unknown are marked UNCERTAIN or INFERRED in the
// code and listed here.
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
//   - Msvm_VirtualSystemSettingData: each VM's settings
//     (Microsoft:Hyper-V:System:Realized) and each snapshot's
//     (Microsoft:Hyper-V:Snapshot:Realized, Parent = parent snapshot),
//     InstanceID "Microsoft:<GUID>".
//   - Msvm_StorageAllocationSettingData: each disk of those settings,
//     HostResource = [file path].
//   - Msvm_EthernetPortAllocationSettingData: each network connection,
//     HostResource = [switch path]; Msvm_VirtualEthernetSwitch.
//   - Msvm_VirtualSystemManagementService ("vmms") and its
//     Msvm_VirtualSystemManagementServiceSettingData.
//   - Msvm_VirtualSystemExportSettingData: each VM's default export
//     settings (§1.3, §2.2), InstanceID "Microsoft:<VM GUID>".
//   - Msvm_ConcreteJob: jobs, removed 5 minutes after they end (§3.2).
//   - Msvm_Error: only embedded, from GetError/GetErrorEx.
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
//   - Msvm_ConcreteJob.RequestStateChange, GetError, GetErrorEx
//     (concrete_job.go).
//
// A cancelled context fails a call with WBEMCallCancelled; a closed host
// with WBEMTransportFailure.
//
// # Jobs
//
// Asynchronous work returns 4096 and a Job path. The job goes 3 Starting,
// 4 Running, then 7 Completed (PercentComplete 100, ErrorCode 0), or
// 10 Exception (ErrorCode, ErrorDescription), 9 Killed or 8 Terminated.
// PercentComplete is bytes copied / bytes to copy and never goes down. A
// job that fails or is stopped removes what it wrote (never anything that
// was there before); while it runs its VM is busy (32774) and the VM's
// EnabledState does not change. Close kills running jobs.
//
// # Test controls
//
// Options.Clock (FakeClock) drives timestamps, job removal, copy
// throttling and method delays; Options.CopyBytesPerSecond slows copies so
// a test can catch a job mid-way; Options.MethodDelay delays calls;
// Host.AddFault makes a method return a code or its job fail at a given
// percentage. Seeds may freeze a VM in a transitional state.
//
// # Files
//
// Under DataDir, in Hyper-V's layout (§5.1):
//
//	Hyper-V/host.json                          host state (below)
//	Hyper-V/Virtual Machines/<VM GUID>.vmcx    a VM's configuration
//	Hyper-V/Virtual Machines/<VM GUID>.vmrs    runtime state, unless the VM is Off
//	Hyper-V/Snapshots/<Snap GUID>.vmcx         a snapshot's configuration
//	Hyper-V/Virtual Hard Disks/<name>.vhdx     a disk, deterministic pseudo-random bytes
//	Hyper-V/Virtual Hard Disks/<name>_<Snap GUID>.avhdx
//	                                           the differencing disk a checkpoint created
//
// host.json (format "hvsim.host/1") holds the host settings (default data
// roots, the default CaptureLiveState), the switches ({id, name}) and the
// registered VMs ({id, configurationFile relative to DataDir, state
// "off"|"running"|"saved"|"paused"|transitional, stateChanged}). It is
// written atomically (temporary file, fsync, rename, fsync of the folder)
// when the host is created and when it is closed. New on a DataDir that
// has a host.json loads it and ignores Options.Seed.
//
// A .vmcx is JSON in the simulator's own format "hvsim.vmcx/1" (the real
// format is binary and undocumented): kind ("virtualMachine" or
// "snapshot"), id, vmId (a snapshot's VM), name, generation, version,
// creationTime, the data roots (configurationDataRoot, snapshotDataRoot,
// swapFileDataRoot), parent (the snapshot the configuration is based on),
// snapshots (a VM's, in creation order), runtimeStateFile, disks
// ({controllerType, controllerId, controllerNumber, location, path,
// parentPaths: the differencing chain, nearest parent first}) and
// networkAdapters ({id, switchId, switchName}). An exported .vmcx has no
// data roots, an "export" record (sourceHost, time,
// copySnapshotConfiguration, captureLiveState), and names copied disks
// relative to the export root ("Virtual Hard Disks/<file>").
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
// # Not modelled (yet)
//
//   - Import (ImportSystemDefinition, planned systems, Realize, Validate),
//     DestroySystem, Modify*, VM state changes (RequestStateChange on a
//     VM), snapshots taken at run time: WBEMNotSupported.
//   - Real VHDX files: disks are opaque bytes; CopySnapshotConfiguration
//     1, 2 and 3 copy the differencing chain as it is instead of merging
//     it; checkpoint trees (a seed's checkpoints form one chain).
//   - .vmgs guest state files, snapshots' saved state, ExcludedVirtualHardDisks
//     beyond not copying the excluded disks, BackupIntent,
//     DifferentialBackupBase, ExportForLiveMigration.
//   - Classes other than those above (drives, controllers, memory,
//     processors, synthetic ports…): WBEMInvalidClass, although a Parent
//     property may name one.
//   - Property lists in SELECT, REFERENCES OF, events, the namespace
//     root\virtualization (v1), CIM datetimes in local time (the
//     simulator writes UTC), two hosts sharing one DataDir.
package sim
