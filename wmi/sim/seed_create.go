// Creating a host from a Seed (seed.go has the type and DemoSeed,
// seed_load.go reads one from a YAML or JSON file): the VMs'
// configurations, their VHDX disks with deterministic data, a
// differencing disk per checkpoint, the runtime state of VMs that are not
// off, and host.json.

package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ideController0 is the InstanceID part Hyper-V uses for a generation 1
// VM's first IDE controller: public WMI dumps show disk settings such as
// Microsoft:<VM GUID>\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\L.
const ideController0 = "83F8638B-8DCA-4152-9EDA-2CA8B33039B4"

// createFromSeed writes a new host into an empty data folder: the
// Hyper-V folders, every disk and differencing disk (VHDX files,
// disks.go), runtime state file,
// each VM's and snapshot's .vmcx, and host.json last (its presence is what
// marks the folder as holding a host).
func (h *Host) createFromSeed(seed *Seed) error {
	s, err := seed.normalized()
	if err != nil {
		return err
	}
	root := filepath.Join(h.dataDir, dirHyperV)
	for _, dir := range []string{dirVirtualMachines, dirSnapshots, dirVirtualHardDisks} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			return err
		}
	}
	h.settings = hostSettings{
		DefaultExternalDataRoot:    root,
		DefaultVirtualHardDiskPath: filepath.Join(root, dirVirtualHardDisks),
		ExportCaptureLiveState:     1,
	}
	if s.ExportCaptureLiveState != nil {
		h.settings.ExportCaptureLiveState = *s.ExportCaptureLiveState
	}
	for _, sw := range s.Switches {
		h.switches = append(h.switches, &virtualSwitch{ID: sw.ID, Name: sw.Name})
	}
	now := h.clock.Now()
	for _, sv := range s.VMs {
		vm, err := h.createSeedVM(sv, root, now)
		if err != nil {
			return fmt.Errorf("seed: VM %s: %w", sv.Name, err)
		}
		h.vms = append(h.vms, vm)
	}
	return h.saveHostState()
}

func (h *Host) createSeedVM(sv SeedVM, root string, now time.Time) (*virtualMachine, error) {
	vhdDir := h.settings.DefaultVirtualHardDiskPath
	// Checkpoints are taken an hour apart before "now", the VM created an
	// hour before the first one.
	created := now.Add(-time.Duration(len(sv.Checkpoints)+1) * time.Hour)
	cfg := &vmConfig{
		Format: configFormat, Kind: kindVirtualMachine, ID: sv.ID, Name: sv.Name,
		Generation: sv.Generation, Version: sv.Version, CreationTime: created,
		ConfigurationDataRoot: root, SnapshotDataRoot: root, SwapFileDataRoot: root,
	}
	scsi := derivedGUID(sv.ID, "SCSI controller 0")
	for i, d := range sv.Disks {
		path := filepath.Join(vhdDir, d.File)
		if err := createSeedDisk(path, d.VirtualSizeBytes, d.SizeBytes, sv.ID+"/"+d.File); err != nil {
			return nil, err
		}
		disk := diskConfig{ControllerType: "SCSI", ControllerID: scsi, Location: i, Path: path}
		if sv.Generation == 1 {
			// Generation 1 boots from IDE: the first two disks sit on IDE
			// controller 0, the rest on a SCSI controller.
			if i < 2 {
				disk.ControllerType, disk.ControllerID = "IDE", ideController0
			} else {
				disk.Location = i - 2
			}
		}
		cfg.Disks = append(cfg.Disks, disk)
	}
	for _, n := range sv.NetworkAdapters {
		nic := nicConfig{ID: n.ID}
		for _, sw := range h.switches {
			if strings.EqualFold(sw.Name, n.Switch) {
				nic.SwitchID, nic.SwitchName = sw.ID, sw.Name
			}
		}
		cfg.NetworkAdapters = append(cfg.NetworkAdapters, nic)
	}
	vm := &virtualMachine{config: cfg, enabledState: vmStateNames[sv.State], stateChanged: now}
	for k, c := range sv.Checkpoints {
		snap := cfg.clone()
		snap.Kind, snap.VMID, snap.ID, snap.Name = kindSnapshot, cfg.ID, c.ID, c.Name
		snap.Snapshots, snap.RuntimeStateFile = nil, ""
		snap.CreationTime = now.Add(-time.Duration(len(sv.Checkpoints)-k) * time.Hour)
		if err := writeConfig(snapshotConfigPath(cfg, snap.ID), snap); err != nil {
			return nil, err
		}
		// Taking the checkpoint freezes the current disks; the VM goes on
		// writing to a new differencing child of each.
		for i := range cfg.Disks {
			d := &cfg.Disks[i]
			child := differencingDiskPath(d.chain()[len(d.chain())-1], snap.ID, vhdDir)
			if err := createCheckpointDisk(child, d.Path, c.DifferencingBytes, snap.ID+"/"+filepath.Base(child)); err != nil {
				return nil, err
			}
			d.ParentPaths = append([]string{d.Path}, d.ParentPaths...)
			d.Path = child
		}
		cfg.Snapshots = append(cfg.Snapshots, snap.ID)
		cfg.Parent = snap.ID
		vm.snapshots = append(vm.snapshots, snap)
	}
	if hasRuntimeState(vm.enabledState) {
		cfg.RuntimeStateFile = cfg.ID + extRuntimeState
		path := filepath.Join(root, dirVirtualMachines, cfg.RuntimeStateFile)
		if err := writeDeterministicFile(path, sv.RuntimeStateBytes, cfg.ID+"/runtime"); err != nil {
			return nil, err
		}
	}
	if err := writeConfig(vmConfigPath(cfg), cfg); err != nil {
		return nil, err
	}
	return vm, nil
}

// differencingDiskPath names the differencing disk that checkpoint
// snapshotID creates for a disk: <base name>_<SnapGUID>.avhdx next to it.
func differencingDiskPath(baseDisk, snapshotID, dir string) string {
	base := strings.TrimSuffix(filepath.Base(baseDisk), filepath.Ext(baseDisk))
	return filepath.Join(dir, base+"_"+snapshotID+extDifferencingDisk)
}
