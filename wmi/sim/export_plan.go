package sim

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// An export's layout (hyperv-wmi-facts.md §5.3, Windows Server 2016+ / v2):
//
//	<ExportDirectory>[\<VM name> when CreateVmExportSubdirectory]\
//	  Virtual Machines\<VM GUID>.vmcx     the VM's configuration
//	  Virtual Machines\<VM GUID>.vmrs     runtime state, see below
//	  Snapshots\<Snap GUID>.vmcx          each checkpoint, CopySnapshotConfiguration 0
//	  Virtual Hard Disks\<disk files>     with CopyVmStorage
//
// The three folders are always created, as Export-VM does. Disk files are
// the .vhdx and, where they are attached, the .avhdx chain: with
// CopySnapshotConfiguration 0 every file of the VM's and the snapshots'
// chains; with 1 (ExportNoSnapshots) the VM's current chain as it is (real
// Hyper-V merges it into one disk; merging is not modelled yet). The .vmrs
// is exported with CopyVmRuntimeInformation when the VM is Saved, or
// Running and CaptureLiveState is 1; CaptureLiveState 0 (crash-consistent)
// and 2 (application-consistent) export no .vmrs (INFERRED for 2).
//
// CopySnapshotConfiguration 2 (ExportOneSnapshot) and 3
// (ExportOneSnapshotForBackup) export the snapshot SnapshotVirtualSystem as
// a VM, always with its storage: its configuration as Virtual
// Machines\<Snap GUID>.vmcx (2) or <VM GUID>.vmcx (3, "the exported
// configuration will use ID of the VM"), and its disk chain unmerged (a
// real host merges it; not modelled yet). BackupIntent,
// DifferentialBackupBase, ExportForLiveMigration and
// DisableDifferentialOfIgnoredStorage are accepted and ignored.
//
// The exported .vmcx files record the copied disks relative to the export
// root ("Virtual Hard Disks/<file>", forward slashes), so an import can find
// them wherever the export is moved; disks that were not copied keep their
// absolute host paths, as a configuration-only export refers to the
// original disks. Excluded disks are not copied and keep their host paths.

// exportPlan is everything an export job needs, decided when the call is
// accepted so that the job does not need the host's lock to read the VM.
type exportPlan struct {
	vmID, vmName string
	exportDir    string // ExportDirectory as given
	root         string // the export root: exportDir or exportDir\<VM name>
	configRel    string // the VM's .vmcx, relative to root
	copies       []exportCopy
	configs      []exportConfig // the VM's own configuration last
	mustExist    bool           // Options.ExportDirectoryMustExist
	fault        *FaultRule     // a job fault rule, or nil
}

type exportCopy struct {
	src string // absolute
	dst string // relative to root
}

type exportConfig struct {
	rel  string // relative to root
	data []byte
}

// exportDirs are the folders every export creates.
var exportDirs = []string{dirVirtualMachines, dirSnapshots, dirVirtualHardDisks}

func (h *Host) newExportPlanLocked(vm *virtualMachine, dir string, s *exportSettings, snap *vmConfig, excluded map[string]bool) *exportPlan {
	p := &exportPlan{vmID: vm.config.ID, vmName: vm.config.Name, exportDir: dir, root: dir,
		mustExist: h.opts.ExportDirectoryMustExist}
	if s.createSubdirectory {
		p.root = filepath.Join(dir, safeFolderName(vm.config.Name))
	}
	meta := &exportMetadata{SourceHost: h.name, Time: h.now(),
		CopySnapshotConfiguration: s.copySnapshots, CaptureLiveState: s.captureLiveState}

	var vmOut *vmConfig
	var snapshotsOut []*vmConfig
	var storageOf []*vmConfig // configurations whose disk chains are exported
	copyStorage := s.copyStorage
	switch s.copySnapshots {
	case wmi.ExportAllSnapshots:
		vmOut = vm.config.clone()
		storageOf = append([]*vmConfig{vm.config}, vm.snapshots...)
		for _, sn := range vm.snapshots {
			snapshotsOut = append(snapshotsOut, sn.clone())
		}
	case wmi.ExportNoSnapshots:
		vmOut = vm.config.clone()
		vmOut.Snapshots, vmOut.Parent = nil, ""
		storageOf = []*vmConfig{vm.config}
	default: // one snapshot, exported as a VM
		vmOut = snap.clone()
		vmOut.Kind, vmOut.VMID, vmOut.Name = kindVirtualMachine, "", vm.config.Name
		vmOut.Snapshots, vmOut.Parent = nil, ""
		if s.copySnapshots == wmi.ExportOneSnapshot {
			vmOut.ID = snap.ID
		} else {
			vmOut.ID = vm.config.ID
		}
		storageOf = []*vmConfig{snap}
		copyStorage = true
	}
	p.configRel = filepath.Join(dirVirtualMachines, configFileName(vmOut.ID))

	copied := map[string]bool{} // absolute source path → copied
	if copyStorage {
		for _, cfg := range storageOf {
			for _, d := range cfg.Disks {
				if excluded[diskSlot(d)] {
					continue
				}
				for _, f := range d.chain() {
					if !copied[f] {
						copied[f] = true
						p.copies = append(p.copies, exportCopy{src: f, dst: filepath.Join(dirVirtualHardDisks, filepath.Base(f))})
					}
				}
			}
		}
	}

	vmOut.RuntimeStateFile = ""
	captureState := vm.enabledState == wmi.EnabledOffline ||
		(vm.enabledState == wmi.EnabledEnabled && s.captureLiveState == wmi.CaptureSavedState)
	if s.copySnapshots <= wmi.ExportNoSnapshots && s.copyRuntime && captureState && vm.config.RuntimeStateFile != "" {
		vmOut.RuntimeStateFile = vmOut.ID + extRuntimeState
		p.copies = append(p.copies, exportCopy{
			src: filepath.Join(vm.config.ConfigurationDataRoot, dirVirtualMachines, vm.config.RuntimeStateFile),
			dst: filepath.Join(dirVirtualMachines, vmOut.RuntimeStateFile),
		})
	}

	for _, out := range append(snapshotsOut, vmOut) {
		relocateForExport(out, copied, meta)
		data, err := encodeConfig(out)
		if err != nil {
			panic(err) // vmConfig always encodes
		}
		rel := p.configRel
		if out.Kind == kindSnapshot {
			rel = filepath.Join(dirSnapshots, configFileName(out.ID))
		}
		p.configs = append(p.configs, exportConfig{rel: rel, data: data})
	}
	return p
}

// relocateForExport rewrites a configuration for the export: copied disks
// relative to the export root, no host data roots.
func relocateForExport(c *vmConfig, copied map[string]bool, meta *exportMetadata) {
	c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot = "", "", ""
	c.Export = meta
	rel := func(f string) string {
		if copied[f] {
			return path.Join(dirVirtualHardDisks, filepath.Base(f))
		}
		return f
	}
	for i := range c.Disks {
		d := &c.Disks[i]
		d.Path = rel(d.Path)
		for k, pp := range d.ParentPaths {
			d.ParentPaths[k] = rel(pp)
		}
	}
}

// safeFolderName turns a VM name into a folder name (CreateVmExportSubdirectory).
func safeFolderName(name string) string {
	s := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`\/:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, name)
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}
