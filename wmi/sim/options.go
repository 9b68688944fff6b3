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
	// and "Get" for those calls).
	MethodDelay map[string]time.Duration
	// ExportDirectoryMustExist makes an export job fail when ExportDirectory
	// does not exist. The default (false) creates it. Whether real VMMS
	// creates a missing export directory is UNCERTAIN (hyperv-wmi-facts.md
	// §6.7: Microsoft's samples create it before calling).
	ExportDirectoryMustExist bool
	// ImportSynchronous makes ImportSystemDefinition,
	// ImportSnapshotDefinitions, RealizePlannedSystem and DestroySystem
	// finish before they return: ReturnValue 0 with ImportedSystem,
	// ImportedSnapshots or ResultingSystem filled in, or the failure's code.
	// The default (false) is what real hosts commonly do
	// (hyperv-wmi-facts.md §6.4): return 4096 and a Job, the object
	// out-parameters NULL, the result found through the job's
	// Msvm_AffectedJobElement. ValidatePlannedSystem always starts a job
	// (its result is the job's Msvm_Error list); ModifySystemSettings and
	// ModifyResourceSettings always finish at once.
	//
	// (The default must be the zero value, so the switch names the
	// non-default behaviour.)
	ImportSynchronous bool
	// HostRelease is the Windows Server release the host runs, which sets
	// the VM configuration versions it supports (hyperv-wmi-facts.md §2.7):
	// "2016" (5.0-8.0), "2019" (5.0-9.0), "2022" (8.0-10.0, the default)
	// or "2025" (8.0-12.0). ValidatePlannedSystem reports a planned VM
	// whose version is outside the range. Seeded VMs are not checked.
	HostRelease string
	// Logger receives the simulator's logs; nil means zap.NewNop().
	Logger *zap.Logger
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
	if o.HostRelease == "" {
		o.HostRelease = DefaultHostRelease
	}
	if _, ok := hostReleases[o.HostRelease]; !ok {
		return o, fmt.Errorf("sim: Options.HostRelease %q is not one of 2016, 2019, 2022, 2025", o.HostRelease)
	}
	return o, nil
}
