package sim

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// Seed describes a host to create in an empty DataDir. It is tagged for
// JSON and YAML so that a seed can live in a config file (LoadSeed;
// configs/sim-demo.yaml is DemoSeed).
type Seed struct {
	Switches []SeedSwitch `json:"switches" yaml:"switches"`
	VMs      []SeedVM     `json:"vms" yaml:"vms"`
	// ExportCaptureLiveState is CaptureLiveState in each VM's default
	// Msvm_VirtualSystemExportSettingData and the value used when an
	// export leaves it NULL; nil means 1 (CaptureSavedState). The real WMI
	// default is not documented (UNCERTAIN); 1 is Export-VM's documented
	// default.
	ExportCaptureLiveState *uint8 `json:"exportCaptureLiveState,omitempty" yaml:"exportCaptureLiveState,omitempty"`
}

// SeedSwitch is a virtual switch.
type SeedSwitch struct {
	Name string `json:"name" yaml:"name"`
	// ID is the switch GUID (Msvm_VirtualEthernetSwitch.Name); empty means
	// a random one.
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
}

// SeedVM is a virtual machine.
type SeedVM struct {
	Name string `json:"name" yaml:"name"`
	// ID is the VM GUID; empty means a random one.
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
	// State is "off" (default), "running", "saved" or "paused"; also
	// "starting", "stopping", "saving", "pausing" or "resuming" to freeze a
	// VM in a transitional state for tests.
	State string `json:"state,omitempty" yaml:"state,omitempty"`
	// Generation is 1 or 2 (default 2).
	Generation int `json:"generation,omitempty" yaml:"generation,omitempty"`
	// Version is the configuration version (default "9.0").
	Version         string               `json:"version,omitempty" yaml:"version,omitempty"`
	Disks           []SeedDisk           `json:"disks,omitempty" yaml:"disks,omitempty"`
	Checkpoints     []SeedCheckpoint     `json:"checkpoints,omitempty" yaml:"checkpoints,omitempty"`
	NetworkAdapters []SeedNetworkAdapter `json:"networkAdapters,omitempty" yaml:"networkAdapters,omitempty"`
	// RuntimeStateBytes is the size of the .vmrs file of a VM that is not
	// off (default 1 MiB).
	RuntimeStateBytes int64 `json:"runtimeStateBytes,omitempty" yaml:"runtimeStateBytes,omitempty"`
}

// SeedDisk is a virtual hard disk in the host's "Virtual Hard Disks"
// folder: a dynamic VHDX file (package vhdx, 1 MiB blocks) of
// VirtualSizeBytes (default 20 GiB) holding SizeBytes of deterministic
// pseudo-random data (vhdx.FillDeterministic: 1 MiB runs every 3 MiB
// from the start of the disk, seeded from the VM GUID and the file name,
// so each disk differs). The file takes about 4 MiB of headers, log,
// metadata and BAT (mostly sparse) plus the blocks the data touches.
type SeedDisk struct {
	File      string `json:"file" yaml:"file"` // e.g. "web-01.vhdx"
	SizeBytes int64  `json:"sizeBytes" yaml:"sizeBytes"`
	// VirtualSizeBytes is the disk's size as the guest sees it: a
	// multiple of 512 of at most 64 TiB, large enough for SizeBytes (and
	// the checkpoints' DifferencingBytes) in runs every 3 MiB; 0 means
	// 20 GiB.
	VirtualSizeBytes int64 `json:"virtualSizeBytes,omitempty" yaml:"virtualSizeBytes,omitempty"`
}

// SeedCheckpoint is a checkpoint (snapshot). Taking it turns each of the
// VM's disks into a differencing child, <disk>_<SnapGUID>.avhdx
// (vhdx.CreateDifferencing on the disk's current file), into which the
// VM then writes DifferencingBytes (default 256 KiB) of its own
// deterministic data, seeded from the checkpoint GUID and the file name.
type SeedCheckpoint struct {
	Name string `json:"name" yaml:"name"`
	// ID is the snapshot GUID; empty means a random one.
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
	// Parent names the parent checkpoint (name or ID); "" for the first.
	// Checkpoint trees are not modelled yet: the parent must be the
	// previous checkpoint.
	Parent            string `json:"parent,omitempty" yaml:"parent,omitempty"`
	DifferencingBytes int64  `json:"differencingBytes,omitempty" yaml:"differencingBytes,omitempty"`
}

// SeedNetworkAdapter is a network adapter connected to a switch.
type SeedNetworkAdapter struct {
	Switch string `json:"switch" yaml:"switch"` // switch name
	// ID is the adapter GUID; empty means one derived from the VM GUID.
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
}

// Fixed GUIDs of DemoSeed, so docs and tests can name them.
const (
	DemoWeb01ID           = "C0FFEE01-0000-4000-8000-000000000001"
	DemoDB01ID            = "C0FFEE01-0000-4000-8000-000000000002"
	DemoBuildAgentID      = "C0FFEE01-0000-4000-8000-000000000003"
	DemoWeb01Checkpoint1  = "C0FFEE02-0000-4000-8000-000000000001"
	DemoWeb01Checkpoint2  = "C0FFEE02-0000-4000-8000-000000000002"
	DemoExternalSwitchID  = "C0FFEE03-0000-4000-8000-000000000001"
	DemoInternalSwitchID  = "C0FFEE03-0000-4000-8000-000000000002"
	demoWeb01NIC          = "C0FFEE04-0000-4000-8000-000000000001"
	demoDB01NIC           = "C0FFEE04-0000-4000-8000-000000000002"
	demoBuildAgentNIC     = "C0FFEE04-0000-4000-8000-000000000003"
	demoBuildAgentNICIntl = "C0FFEE04-0000-4000-8000-000000000004"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// Seed disk limits: the default virtual size, and the largest VHDX.
const (
	defaultVirtualSize = 20 * gib
	maxVirtualSize     = 64 << 40
)

// DemoSeed is the host a newcomer's demo and most tests run on: "web-01"
// (Off, generation 2, two disks, two checkpoints), "db-01" (Saved,
// generation 1, with saved state), "build-agent" (Running) and the switches
// "External" and "Internal". Its disks are VHDX files of 10 to 40 GiB
// holding 2 to 4 MiB of data each (256 KiB per checkpoint and disk): its
// files total about 55 MiB, 18 MiB of it allocated (the rest is sparse),
// and an export of web-01 with all its checkpoints writes about 7.2 MiB.
// configs/sim-demo.yaml is the same host as a seed file (a test keeps
// them equal).
func DemoSeed() *Seed {
	return &Seed{
		Switches: []SeedSwitch{
			{Name: "External", ID: DemoExternalSwitchID},
			{Name: "Internal", ID: DemoInternalSwitchID},
		},
		VMs: []SeedVM{
			{
				Name: "web-01", ID: DemoWeb01ID, State: "off", Generation: 2, Version: "9.0",
				Disks: []SeedDisk{
					{File: "web-01.vhdx", SizeBytes: 4 * mib},
					{File: "web-01-data.vhdx", SizeBytes: 2 * mib, VirtualSizeBytes: 10 * gib},
				},
				Checkpoints: []SeedCheckpoint{
					{Name: "Before update", ID: DemoWeb01Checkpoint1},
					{Name: "After update", ID: DemoWeb01Checkpoint2, Parent: "Before update"},
				},
				NetworkAdapters: []SeedNetworkAdapter{{Switch: "External", ID: demoWeb01NIC}},
			},
			{
				Name: "db-01", ID: DemoDB01ID, State: "saved", Generation: 1, Version: "8.0",
				Disks:             []SeedDisk{{File: "db-01.vhdx", SizeBytes: 4 * mib, VirtualSizeBytes: 40 * gib}},
				NetworkAdapters:   []SeedNetworkAdapter{{Switch: "Internal", ID: demoDB01NIC}},
				RuntimeStateBytes: 1 * mib,
			},
			{
				Name: "build-agent", ID: DemoBuildAgentID, State: "running", Generation: 2, Version: "9.0",
				Disks: []SeedDisk{{File: "build-agent.vhdx", SizeBytes: 3 * mib}},
				NetworkAdapters: []SeedNetworkAdapter{
					{Switch: "External", ID: demoBuildAgentNIC},
					{Switch: "Internal", ID: demoBuildAgentNICIntl},
				},
				RuntimeStateBytes: 1 * mib,
			},
		},
	}
}

// normalized returns a copy of the seed with defaults filled in and
// GUIDs upper-case (Hyper-V's WMI spelling, e.g. in
// Msvm_ComputerSystem.Name), or an error saying what is wrong with it.
func (s *Seed) normalized() (*Seed, error) {
	out := &Seed{ExportCaptureLiveState: s.ExportCaptureLiveState}
	if v := out.ExportCaptureLiveState; v != nil && *v > 2 {
		return nil, fmt.Errorf("seed: exportCaptureLiveState %d is not 0, 1 or 2", *v)
	}
	ids := map[string]string{}
	claim := func(id *string, what string) error {
		if *id == "" {
			*id = strings.ToUpper(uuid.NewString())
			return nil
		}
		u, err := uuid.Parse(*id)
		if err != nil {
			return fmt.Errorf("seed: %s: ID %q is not a GUID", what, *id)
		}
		*id = strings.ToUpper(u.String())
		if prev, dup := ids[*id]; dup {
			return fmt.Errorf("seed: %s: ID %s is already used by %s", what, *id, prev)
		}
		ids[*id] = what
		return nil
	}
	switches := map[string]bool{}
	for _, sw := range s.Switches {
		if sw.Name == "" {
			return nil, fmt.Errorf("seed: a switch has no name")
		}
		if switches[strings.ToLower(sw.Name)] {
			return nil, fmt.Errorf("seed: switch %q is listed twice", sw.Name)
		}
		switches[strings.ToLower(sw.Name)] = true
		if err := claim(&sw.ID, "switch "+sw.Name); err != nil {
			return nil, err
		}
		out.Switches = append(out.Switches, sw)
	}
	files := map[string]string{}
	for _, vm := range s.VMs {
		if vm.Name == "" {
			return nil, fmt.Errorf("seed: a VM has no name")
		}
		what := "VM " + vm.Name
		if err := claim(&vm.ID, what); err != nil {
			return nil, err
		}
		if vm.State == "" {
			vm.State = "off"
		}
		vm.State = strings.ToLower(vm.State)
		if _, ok := vmStateNames[vm.State]; !ok {
			return nil, fmt.Errorf("seed: %s: unknown state %q", what, vm.State)
		}
		if vm.Generation == 0 {
			vm.Generation = 2
		}
		if vm.Generation != 1 && vm.Generation != 2 {
			return nil, fmt.Errorf("seed: %s: generation %d is not 1 or 2", what, vm.Generation)
		}
		if vm.Version == "" {
			vm.Version = "9.0"
		}
		if vm.RuntimeStateBytes < 0 {
			return nil, fmt.Errorf("seed: %s: runtimeStateBytes %d is negative", what, vm.RuntimeStateBytes)
		}
		if vm.RuntimeStateBytes == 0 {
			vm.RuntimeStateBytes = 1 * mib
		}
		vm.Disks = append([]SeedDisk(nil), vm.Disks...)
		for i := range vm.Disks {
			d := &vm.Disks[i]
			ext := strings.ToLower(filepath.Ext(d.File))
			if d.File == "" || d.File != filepath.Base(d.File) || ext != ".vhdx" {
				return nil, fmt.Errorf("seed: %s: disk file %q must be a plain .vhdx file name (the simulator writes VHDX files)", what, d.File)
			}
			if d.SizeBytes < 0 {
				return nil, fmt.Errorf("seed: %s: disk %s has a negative size", what, d.File)
			}
			if d.VirtualSizeBytes < 0 || d.VirtualSizeBytes%512 != 0 || d.VirtualSizeBytes > maxVirtualSize {
				return nil, fmt.Errorf("seed: %s: disk %s: virtualSizeBytes %d is not a multiple of 512 between 512 and 64 TiB", what, d.File, d.VirtualSizeBytes)
			}
			if prev, dup := files[strings.ToLower(d.File)]; dup {
				return nil, fmt.Errorf("seed: %s: disk file %s is already used by %s", what, d.File, prev)
			}
			files[strings.ToLower(d.File)] = what
			if d.VirtualSizeBytes == 0 {
				d.VirtualSizeBytes = defaultVirtualSize
			}
			if need := fillSpan(d.SizeBytes); need > d.VirtualSizeBytes {
				return nil, fmt.Errorf("seed: %s: disk %s: %d bytes of data in runs every 3 MiB need a virtual size of at least %d bytes, not %d",
					what, d.File, d.SizeBytes, need, d.VirtualSizeBytes)
			}
		}
		vm.Checkpoints = append([]SeedCheckpoint(nil), vm.Checkpoints...)
		for i := range vm.Checkpoints {
			c := &vm.Checkpoints[i]
			if c.Name == "" {
				return nil, fmt.Errorf("seed: %s: checkpoint %d has no name", what, i+1)
			}
			if err := claim(&c.ID, what+" checkpoint "+c.Name); err != nil {
				return nil, err
			}
			if c.DifferencingBytes < 0 {
				return nil, fmt.Errorf("seed: %s: checkpoint %q: differencingBytes %d is negative", what, c.Name, c.DifferencingBytes)
			}
			if c.DifferencingBytes == 0 {
				c.DifferencingBytes = 256 * kib
			}
			for _, d := range vm.Disks {
				if need := fillSpan(c.DifferencingBytes); need > d.VirtualSizeBytes {
					return nil, fmt.Errorf("seed: %s: checkpoint %q: differencingBytes %d in runs every 3 MiB need a virtual size of at least %d bytes; disk %s has %d",
						what, c.Name, c.DifferencingBytes, need, d.File, d.VirtualSizeBytes)
				}
			}
			if i == 0 && c.Parent != "" {
				return nil, fmt.Errorf("seed: %s: the first checkpoint %q cannot have a parent", what, c.Name)
			}
			if i > 0 {
				prev := vm.Checkpoints[i-1]
				if !strings.EqualFold(c.Parent, prev.Name) && !strings.EqualFold(c.Parent, prev.ID) {
					return nil, fmt.Errorf("seed: %s: checkpoint %q: its parent must be the previous checkpoint %q (checkpoint trees are not modelled yet)", what, c.Name, prev.Name)
				}
			}
		}
		vm.NetworkAdapters = append([]SeedNetworkAdapter(nil), vm.NetworkAdapters...)
		for i := range vm.NetworkAdapters {
			n := &vm.NetworkAdapters[i]
			if n.Switch != "" && !switches[strings.ToLower(n.Switch)] {
				return nil, fmt.Errorf("seed: %s: network adapter %d: no switch %q", what, i+1, n.Switch)
			}
			if n.ID == "" {
				n.ID = derivedGUID(vm.ID, fmt.Sprintf("network adapter %d", i))
			}
			if err := claim(&n.ID, fmt.Sprintf("%s network adapter %d", what, i+1)); err != nil {
				return nil, err
			}
		}
		out.VMs = append(out.VMs, vm)
	}
	return out, nil
}

// simNamespace is the namespace of the GUIDs the simulator derives.
var simNamespace = uuid.MustParse("6E1F6B1C-7F3A-4C55-9D43-0B9C3B7E2A10")

// derivedGUID is a stable upper-case GUID derived from an owner GUID and a
// purpose, for IDs that must not change across restarts (controllers,
// network adapters).
func derivedGUID(owner, purpose string) string {
	return strings.ToUpper(uuid.NewSHA1(simNamespace, []byte(strings.ToUpper(owner)+"/"+purpose)).String())
}

// newGUID is a random upper-case GUID.
func newGUID() string { return strings.ToUpper(uuid.NewString()) }
