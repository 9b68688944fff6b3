package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A .vmcx file in the simulator is JSON in the simulator's own format (a
// real .vmcx is a binary format that is not publicly documented). doc.go
// describes it; vmConfig is its schema.

const configFormat = "hvsim.vmcx/1"

// Configuration kinds. The planned kinds are the simulator's records of a
// planned VM and its imported snapshots (planned_model.go).
const (
	kindVirtualMachine        = "virtualMachine"
	kindSnapshot              = "snapshot"
	kindPlannedVirtualMachine = "plannedVirtualMachine"
	kindPlannedSnapshot       = "plannedSnapshot"
)

// Folder and file names of Hyper-V's layout (docs/HYPERV.md#file-types, #export-layout).
const (
	dirHyperV           = "Hyper-V"
	dirVirtualMachines  = "Virtual Machines"
	dirSnapshots        = "Snapshots"
	dirVirtualHardDisks = "Virtual Hard Disks"
	// dirPlanned holds the simulator's records of planned VMs. Real hosts
	// have a folder of this name under ProgramData\Microsoft\Windows\Hyper-V
	// (from memory of real hosts; INFERRED, not in the facts).
	dirPlanned          = "Planned Virtual Machines"
	extConfig           = ".vmcx"
	extRuntimeState     = ".vmrs"
	extDifferencingDisk = ".avhdx"
	hostStateFile       = "host.json"
)

// vmConfig is the content of a virtual machine's or a snapshot's .vmcx.
type vmConfig struct {
	Format string `json:"format"`
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	// VMID is the owning virtual machine of a snapshot.
	VMID         string    `json:"vmId,omitempty"`
	Name         string    `json:"name"`
	Generation   int       `json:"generation"`
	Version      string    `json:"version"`
	CreationTime time.Time `json:"creationTime"`
	// Data roots: absolute paths on the host; empty in an exported
	// configuration, whose files are relative to the export.
	ConfigurationDataRoot string `json:"configurationDataRoot,omitempty"`
	SnapshotDataRoot      string `json:"snapshotDataRoot,omitempty"`
	SwapFileDataRoot      string `json:"swapFileDataRoot,omitempty"`
	// Parent is the snapshot this configuration is based on: for a VM the
	// most recent checkpoint, for a snapshot its parent checkpoint.
	Parent string `json:"parent,omitempty"`
	// Snapshots lists a VM's snapshots in creation order.
	Snapshots []string `json:"snapshots,omitempty"`
	// RuntimeStateFile is the .vmrs file name, next to the .vmcx, when the
	// VM has runtime or saved state.
	RuntimeStateFile string          `json:"runtimeStateFile,omitempty"`
	Disks            []diskConfig    `json:"disks"`
	NetworkAdapters  []nicConfig     `json:"networkAdapters"`
	Export           *exportMetadata `json:"export,omitempty"`
	// Notes are Msvm_VirtualSystemSettingData.Notes.
	Notes []string `json:"notes,omitempty"`
	// Import is set on the records of a planned VM and its snapshots.
	Import *importMetadata `json:"import,omitempty"`
	// ScopeOfResidence is the VM's authorization scope, v1's
	// Msvm_VirtualSystemGlobalSettingData.ScopeOfResidence, set from
	// ImportVirtualSystemEx's SecurityScope (v1_import.go).
	ScopeOfResidence string `json:"scopeOfResidence,omitempty"`
}

// diskConfig is one virtual hard disk attached to a VM or snapshot.
type diskConfig struct {
	ControllerType   string `json:"controllerType"` // "IDE" or "SCSI"
	ControllerID     string `json:"controllerId"`
	ControllerNumber int    `json:"controllerNumber"`
	Location         int    `json:"location"`
	// Path is the attached file. ParentPaths is its differencing chain,
	// nearest parent first, ending at the base .vhdx: the simulator's
	// record of what the files' parent locators say (disks.go), kept so
	// that the chain is known without opening the files and where a file
	// is not a VHDX (a test's stand-in).
	Path        string   `json:"path"`
	ParentPaths []string `json:"parentPaths,omitempty"`
}

// chain is the attached file followed by its parents.
func (d diskConfig) chain() []string { return append([]string{d.Path}, d.ParentPaths...) }

// nicConfig is one network adapter and the switch it is connected to.
type nicConfig struct {
	ID         string `json:"id"`
	SwitchID   string `json:"switchId,omitempty"`
	SwitchName string `json:"switchName,omitempty"`
}

// exportMetadata marks a configuration written by an export.
type exportMetadata struct {
	SourceHost                string    `json:"sourceHost"`
	Time                      time.Time `json:"time"`
	CopySnapshotConfiguration uint8     `json:"copySnapshotConfiguration"`
	CaptureLiveState          uint8     `json:"captureLiveState"`
}

// importMetadata records where a planned VM or planned snapshot came from.
type importMetadata struct {
	// DefinitionFile is the absolute path of the .vmcx it was imported
	// from (the VM's, or the snapshot's own).
	DefinitionFile string `json:"definitionFile"`
	// SourceID is the VM GUID in the definition file (a snapshot's: its
	// own GUID there). With NewID the planned objects have new GUIDs.
	SourceID string `json:"sourceId"`
	NewID    bool   `json:"newId,omitempty"`
	// RuntimeStateSource is the absolute path of the .vmrs that was
	// imported with the VM, "" when none.
	RuntimeStateSource string    `json:"runtimeStateSource,omitempty"`
	Time               time.Time `json:"time"`
}

// clone returns a deep copy.
func (c *vmConfig) clone() *vmConfig {
	d := *c
	d.Snapshots = append([]string(nil), c.Snapshots...)
	d.Disks = make([]diskConfig, len(c.Disks))
	for i, disk := range c.Disks {
		disk.ParentPaths = append([]string(nil), disk.ParentPaths...)
		d.Disks[i] = disk
	}
	d.NetworkAdapters = append([]nicConfig(nil), c.NetworkAdapters...)
	if c.Export != nil {
		e := *c.Export
		d.Export = &e
	}
	d.Notes = append([]string(nil), c.Notes...)
	if c.Import != nil {
		i := *c.Import
		d.Import = &i
	}
	return &d
}

// configFileName is <GUID>.vmcx.
func configFileName(id string) string { return id + extConfig }

// vmConfigPath is where a VM's configuration lives on the host.
func vmConfigPath(c *vmConfig) string {
	return filepath.Join(c.ConfigurationDataRoot, dirVirtualMachines, configFileName(c.ID))
}

// snapshotConfigPath is where a VM's snapshot configuration lives.
func snapshotConfigPath(vm *vmConfig, snapshotID string) string {
	return filepath.Join(vm.SnapshotDataRoot, dirSnapshots, configFileName(snapshotID))
}

func encodeConfig(c *vmConfig) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func readConfig(path string) (*vmConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c vmConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.Format != configFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", path, c.Format, configFormat)
	}
	return &c, nil
}

func writeConfig(path string, c *vmConfig) error {
	b, err := encodeConfig(c)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}
