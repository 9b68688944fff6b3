package sim

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// An export's layout (docs/HYPERV.md#export-layout, Windows Server 2016+ / v2):
//
//	<ExportDirectory>[\<VM name> when CreateVmExportSubdirectory]\
//	  Virtual Machines\<VM GUID>.vmcx     the VM's configuration
//	  Virtual Machines\<VM GUID>.vmrs     runtime state, see below
//	  Snapshots\<Snap GUID>.vmcx          each checkpoint, CopySnapshotConfiguration 0
//	  Virtual Hard Disks\<disk files>     with CopyVmStorage
//
// The three folders are always created, as Export-VM does. The .vmrs is
// exported with CopyVmRuntimeInformation when the VM is Saved, or Running
// and CaptureLiveState is 1; CaptureLiveState 0 (crash-consistent) and 2
// (application-consistent) export no .vmrs (INFERRED for 2).
//
// Disk files, per CopySnapshotConfiguration (disks.go; the copy engine
// does the copies and merges, copy_engine.go):
//
//   - 0 ExportAllSnapshots: every file of the VM's and the snapshots'
//     differencing chains, copied as they are, under their own names. A
//     copied child's relative parent locator (".\base.vhdx") still finds
//     its copied parent; where it would not (a chain that spanned several
//     folders on the host), the copy is re-pointed with
//     vhdx.SetParentPaths.
//   - 1 ExportNoSnapshots: per disk of the VM, ONE dynamic VHDX merged from
//     the VM's current chain (vhdx.MergeWith), named after the chain's base
//     disk (<base>.vhdx). INFERRED: the facts document the merge only for
//     2; an export without snapshots has no snapshot the chain's parents
//     would belong to, so the simulator flattens the chain as for 2.
//   - 2 ExportOneSnapshot: the snapshot SnapshotVirtualSystem exported as a
//     VM, always with its storage: per disk one VHDX merged from the
//     snapshot's chain, <base>.vhdx — documented: "differencing disks
//     merged into a new VHD" (docs/HYPERV.md#v2-export-settings). Its configuration is Virtual
//     Machines\<Snap GUID>.vmcx.
//   - 3 ExportOneSnapshotForBackup: like 2, but the configuration is
//     <VM GUID>.vmcx ("the exported configuration will use ID of the VM",
//     docs/HYPERV.md#v2-export-settings); BackupIntent 1 (Merge) merges as 2 does, 0 (PreserveChain)
//     copies the snapshot's chain as it is. INFERRED from BackupIntent's
//     description ("merged into full backup sets" / "kept as they are").
//
// A disk whose chain is a single file (no checkpoint since it was made)
// is copied as it is in every mode: there is nothing to merge (INFERRED).
// DifferentialBackupBase, ExportForLiveMigration and
// DisableDifferentialOfIgnoredStorage are accepted and ignored.
//
// The exported .vmcx files record the copied disks relative to the export
// root ("Virtual Hard Disks/<file>", forward slashes), so an import can find
// them wherever the export is moved; a merged disk has no parents. Disks
// that were not copied keep their absolute host paths and chains, as a
// configuration-only export refers to the original disks. Excluded disks
// (ExcludedVirtualHardDisks) are neither copied nor merged and keep their
// host paths.

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
	src string // absolute; for a merge the top of the chain
	dst string // relative to root
	// merge: write the merged disk of src's chain to dst instead of
	// copying src; base is the chain's base disk (absolute).
	merge bool
	base  string
	// parent is the dst of the copy of src's differencing parent, "" when
	// src is not a differencing disk or its parent is not copied: after
	// the copies, the copy of src must find it (relinkCopies).
	parent string
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

	// copied maps each disk file the export writes (absolute source path)
	// to its name in the export; merged maps the top of each merged chain
	// to its merged file's name.
	copied, merged := map[string]string{}, map[string]string{}
	merge := s.copySnapshots == wmi.ExportNoSnapshots || s.copySnapshots == wmi.ExportOneSnapshot ||
		(s.copySnapshots == wmi.ExportOneSnapshotForBackup && s.backupIntent == backupIntentMerge)
	if copyStorage {
		for _, cfg := range storageOf {
			for _, d := range cfg.Disks {
				if excluded[diskSlot(d)] {
					continue
				}
				chain := d.chain()
				if merge && (len(chain) > 1 || isDifferencing(d.Path)) {
					if _, done := merged[d.Path]; !done {
						base := chain[len(chain)-1]
						if len(chain) == 1 { // a chain only the file records
							if parents, ok := fileChain(d.Path); ok && len(parents) > 0 {
								base = parents[len(parents)-1]
							}
						}
						rel := path.Join(dirVirtualHardDisks, strings.TrimSuffix(filepath.Base(base), filepath.Ext(base))+".vhdx")
						merged[d.Path] = rel
						p.copies = append(p.copies, exportCopy{src: d.Path, dst: filepath.FromSlash(rel), merge: true, base: base})
					}
					continue
				}
				for k, f := range chain {
					if _, done := copied[f]; done {
						continue
					}
					copied[f] = path.Join(dirVirtualHardDisks, filepath.Base(f))
					c := exportCopy{src: f, dst: filepath.Join(dirVirtualHardDisks, filepath.Base(f))}
					if k+1 < len(chain) {
						c.parent = filepath.Join(dirVirtualHardDisks, filepath.Base(chain[k+1]))
					}
					p.copies = append(p.copies, c)
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
		relocateForExport(out, copied, merged, meta)
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
// relative to the export root, merged ones as their merged file without
// parents, no host data roots.
func relocateForExport(c *vmConfig, copied, merged map[string]string, meta *exportMetadata) {
	c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot = "", "", ""
	c.Export = meta
	rel := func(f string) string {
		if r, ok := copied[f]; ok {
			return r
		}
		return f
	}
	for i := range c.Disks {
		d := &c.Disks[i]
		if r, ok := merged[d.Path]; ok {
			d.Path, d.ParentPaths = r, nil
			continue
		}
		d.Path = rel(d.Path)
		for k, pp := range d.ParentPaths {
			d.ParentPaths[k] = rel(pp)
		}
	}
}

// links lists the copied differencing disks whose copied parent they must
// find, as absolute paths under the export root.
func (p *exportPlan) links() []chainLink {
	var out []chainLink
	for _, c := range p.copies {
		if c.parent != "" {
			out = append(out, chainLink{child: filepath.Join(p.root, c.dst), parent: filepath.Join(p.root, c.parent)})
		}
	}
	return out
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
