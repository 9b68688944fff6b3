package sim

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// DefaultHostName is the simulated host's NetBIOS name when Options.HostName
// is empty. It appears as __SERVER and in every object path.
const DefaultHostName = "HVSIM"

// Options configure a simulated Hyper-V host.
type Options struct {
	// DataDir is required: the simulated host's files (configurations,
	// virtual hard disks, host state) live under it.
	DataDir string
	// HostName is the host's name; default DefaultHostName. It always
	// comes from Options, also for a DataDir that holds a host already.
	HostName string
	// Seed describes the host to create when DataDir holds no host yet;
	// nil means DemoSeed(). It is ignored for an existing host.
	Seed *Seed
	// Clock is the source of time for timestamps, job removal, copy
	// throttling and method delays; nil means real time.
	Clock Clock
	// CopyBytesPerSecond throttles the simulated copy engine of export
	// jobs; 0 means unlimited.
	CopyBytesPerSecond int64
	// MethodDelay delays a call before it runs, by method name
	// ("ExportSystemDefinition", "RequestStateChange", ...; also "ExecQuery"
	// and "Get" for those calls). Names match case-insensitively.
	MethodDelay map[string]time.Duration
	// MethodJitter adds to a call's MethodDelay a uniformly random extra
	// delay in [0, jitter), by method name as MethodDelay (a method may
	// have jitter without a fixed delay). The draws come from the host's
	// random source (RandomSeed), one per delayed call, in call order.
	MethodJitter map[string]time.Duration
	// RandomSeed seeds the host's random source, used by MethodJitter and
	// FaultRule.Probability, so that a reproduction is deterministic: two
	// hosts with the same seed draw the same jitter for their n-th delayed
	// call and fire a probabilistic rule on the same matching calls. 0
	// means a seed taken from the time of day; Host.RandomSeed reports
	// the seed in use (and New logs it when it chose one).
	RandomSeed int64
	// Faults are fault rules the host starts with, as if each were given
	// to Host.AddFault in order right after New (so they come before any
	// rule a test adds). Each is checked like a rule from a controls
	// file: New fails on a rule that could never fire or has a
	// Probability outside [0, 1].
	Faults []FaultRule
	// DiskQuotaBytes is the size of a simulated volume that holds
	// everything the host's copy engine writes, across all jobs (export
	// copies of disks and runtime state, the runtime state a realization
	// copies); 0 means unlimited. A copy that would go past it fails like
	// a real ENOSPC: the job ends in JobState 10 with ErrorCode 32768 and
	// ErrorDescription DiskFullDescription, its partial output removed.
	// The volume only fills: a failed or stopped job gives its bytes
	// back, a completed one keeps them for the life of the Host (deleting
	// an export does not free them). Configuration files (.vmcx) are not
	// counted. Host.SetDiskQuota changes the quota at run time,
	// Host.DiskUsedBytes reports what counts. (diskfull.go)
	DiskQuotaBytes int64
	// FullVolumes lists folders that each behave as a volume of their
	// own with only DiskFullAfterBytes free: a copy whose destination is
	// under one of them (relative names are resolved against the working
	// directory at New) fails as above once the bytes written under that
	// folder would exceed DiskFullAfterBytes; with DiskFullAfterBytes 0
	// the folder is full from the first byte.
	FullVolumes []string
	// DiskFullAfterBytes is the free space of each of FullVolumes.
	DiskFullAfterBytes int64
	// ExportDirectoryMustExist makes an export job fail when ExportDirectory
	// does not exist. The default (false) creates it. Whether real VMMS
	// creates a missing export directory is UNCERTAIN
	// (docs/HYPERV.md#pitfall-paths: Microsoft's samples create it before
	// calling).
	ExportDirectoryMustExist bool
	// ImportSynchronous makes ImportSystemDefinition,
	// ImportSnapshotDefinitions, RealizePlannedSystem and DestroySystem
	// finish before they return: ReturnValue 0 with ImportedSystem,
	// ImportedSnapshots or ResultingSystem filled in, or the failure's code.
	// The default (false) is what real hosts commonly do
	// (docs/HYPERV.md#pitfall-jobs): return 4096 and a Job, the object
	// out-parameters NULL, the result found through the job's
	// Msvm_AffectedJobElement. ValidatePlannedSystem always starts a job
	// (its result is the job's Msvm_Error list); ModifySystemSettings and
	// ModifyResourceSettings always finish at once.
	//
	// (The default must be the zero value, so the switch names the
	// non-default behaviour.)
	ImportSynchronous bool
	// OutParametersWithJobs makes ImportSystemDefinition and
	// RealizePlannedSystem fill their object out-parameter (ImportedSystem,
	// ResultingSystem) even when they start a job, and their jobs name no
	// Msvm_AffectedJobElement: a host where the association returns
	// nothing and only the out-parameters tell (what os-win's
	// migrationutils import_vm_definition reads). The default follows
	// docs/HYPERV.md#pitfall-jobs: NULL out-parameters, the association filled.
	OutParametersWithJobs bool
	// ValidationFailsJob makes ValidatePlannedSystem's job end in 10
	// Exception when the planned VM has incompatibilities. The default
	// (false) is what real hosts do (docs/HYPERV.md#validation): the
	// job completes (JobState 7, ErrorCode 0) and the
	// incompatibilities are read from it with GetErrorEx, as Microsoft's
	// Pvm sample (ImportUtilities.cs, ValidatePvm) and the Hyper-V
	// PowerShell client do. A client must handle both.
	ValidationFailsJob bool
	// HostRelease is the Windows Server release the host runs, which sets
	// the VM configuration versions it supports (docs/HYPERV.md#config-versions):
	// "2016" (5.0-8.0), "2019" (5.0-9.0), "2022" (8.0-10.0, the default)
	// or "2025" (8.0-12.0). ValidatePlannedSystem reports a planned VM
	// whose version is outside the range. Seeded VMs are not checked.
	HostRelease string
	// InterruptedJobs says what a host opened on an existing DataDir does
	// with the export jobs a previous process left (job_persist.go):
	// InterruptedJobsResume (the default, "") or InterruptedJobsForgotten.
	InterruptedJobs InterruptedJobs
	// Logger receives the simulator's logs; nil means zap.NewNop().
	Logger *zap.Logger

	// ctl is the run-time state of the test controls above (random
	// sources, the simulated volumes, the rules still to install), made
	// by withDefaults; Host.opts shares it (controls.go).
	ctl *controls

	// V1 configures the v1 namespace root\virtualization (v1_options.go).
	V1 V1Options
}

// withDefaults validates the options and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.DataDir == "" {
		return o, errors.New("sim: Options.DataDir is required")
	}
	if o.HostName == "" {
		o.HostName = DefaultHostName
	}
	if o.Clock == nil {
		o.Clock = RealClock()
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	delays := make(map[string]time.Duration, len(o.MethodDelay))
	for name, d := range o.MethodDelay {
		delays[name] = d
	}
	o.MethodDelay = delays
	if o.CopyBytesPerSecond < 0 {
		return o, errors.New("sim: Options.CopyBytesPerSecond must not be negative")
	}
	if err := o.checkControls(); err != nil {
		return o, err
	}
	switch o.InterruptedJobs {
	case "":
		o.InterruptedJobs = InterruptedJobsResume
	case InterruptedJobsResume, InterruptedJobsForgotten:
	default:
		return o, fmt.Errorf("sim: Options.InterruptedJobs %q is not %q or %q", o.InterruptedJobs, InterruptedJobsResume, InterruptedJobsForgotten)
	}
	if o.HostRelease == "" {
		o.HostRelease = DefaultHostRelease
	}
	if _, ok := hostReleases[o.HostRelease]; !ok {
		return o, fmt.Errorf("sim: Options.HostRelease %q is not one of 2016, 2019, 2022, 2025", o.HostRelease)
	}
	o.ctl = newControls(&o)
	return o, nil
}
