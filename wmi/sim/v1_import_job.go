package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// The job of ImportVirtualSystemEx (v1_import.go), following docs/HYPERV.md#v1-import-settings:
//
//  1. GenerateNewId FALSE and a VM or planned VM with the export's GUID
//     exists → ErrorCode 32779 (UNCERTAIN: the v1 method pages list codes
//     up to 32778; 32779 "File in Use" is what v2's ImportSystemDefinition
//     returns for the same case, so a driver can treat both alike).
//  2. Each TargetNetworkConnections entry must name a switch of this host
//     (its ElementName; its Name with Options.V1.SwitchConnectionsByName)
//     or be "" to leave the adapter disconnected; otherwise ErrorCode 32773
//     with one Msvm_Error per unknown switch, MessageID 33012 and "Could
//     not find Ethernet switch '<name>'." — v2's documented incompatibility
//     (docs/HYPERV.md#validation), reused: v1's own MessageID is not documented, so for v1 it is
//     INVENTED.
//  3. Each resource's source file (SourceResourcePaths[i], else
//     SourceVhdDataRoot\<file name>) must exist, and a differencing disk's
//     parent must be where its parent locator says and be the disk it was
//     made from (disks.go); otherwise ErrorCode 32773 with one Msvm_Error
//     per missing file or parent, MessageID 32900 (INVENTED,
//     message_ids.go). ErrorSource of these errors is the management
//     service (the VM does not exist yet; INFERRED).
//  4. No file it would write may exist (it never overwrites): ErrorCode
//     32768, "The file exists".
//  5. It copies, reporting PercentComplete as bytes copied / bytes to
//     copy, job fault rules firing at their AtPercent:
//     - with CreateCopy TRUE, each resource to TargetResourcePaths[i]
//       (else TargetVhdDataRoot\<file name>) — Hyper-V itself copies in
//       v1, unlike v2's realize; a copied differencing disk whose copied
//       parent its relative parent locator does not find (targets in
//       several folders) is re-pointed with vhdx.SetParentPaths;
//     - in both modes the saved state <SourceVmDataRoot>\Virtual
//       Machines\<VM GUID>\<VM GUID>.bin, if the export has one, to the
//       VM's <GUID>.vmrs (the simulator's host keeps .vmrs files).
//  6. It writes the configuration to <root>\Virtual Machines\<GUID>.vmcx
//     and each snapshot's to <snapshot root>\Snapshots\<GUID>.vmcx, where
//     root is TargetVmDataRoot and TargetSnapshotDataRoot with CreateCopy,
//     SourceVmDataRoot and SourceSnapshotDataRoot without (register in
//     place: the Target* settings are ignored, the disks are used where
//     they are, the new .vmcx sits next to the .exp).
//  7. It registers the VM — in both namespaces — with the new GUID when
//     GenerateNewId (snapshot and adapter GUIDs derived from it, as v2's
//     import does), Name as its name, SecurityScope as its
//     ScopeOfResidence, its disks at the target paths (differencing
//     parents remapped too), its adapters connected as step 2 found. It is
//     Off ("Disabled", the method page), or Saved when saved state was
//     imported (INFERRED). The job's Msvm_AffectedJobElement then names the
//     new Msvm_ComputerSystem in root\virtualization.
//
// A failed or stopped job (RequestStateChange 4 or 5) removes every file
// and folder it created — partial copies included — and nothing else.

func (h *Host) v1ImportWork(imp *v1Import) jobWork {
	return h.undoOnFailure("a partial import", func(ctx context.Context, j *job, out *createdPaths) error {
		return h.v1Import(ctx, j, imp, out)
	})
}

// nicTarget is where an imported adapter is connected ("" = disconnected).
type nicTarget struct{ switchID, switchName string }

func (h *Host) v1Import(ctx context.Context, j *job, imp *v1Import, out *createdPaths) error {
	fail := func(code uint32, errs []*wmi.Object, format string, args ...any) error {
		return &jobFailure{code: uint16(code), summary: imp.summary, errors: errs,
			description: fmt.Sprintf("'%s' failed to import: ", imp.name) + fmt.Sprintf(format, args...) +
				fmt.Sprintf(" (Virtual machine ID %s)", imp.newID)}
	}
	inUse := func() error {
		return fail(wmi.ReturnFileInUse, nil, "a virtual machine with ID %s already exists on this host", imp.newID)
	}
	h.mu.Lock()
	if imp.keepID && h.systemIDInUseLocked(imp.newID) {
		h.mu.Unlock()
		return inUse()
	}
	nics, errs := h.v1ResolveSwitchesLocked(imp)
	source := h.v1ManagementServicePath()
	h.mu.Unlock()
	if len(errs) > 0 {
		return fail(wmi.ReturnInvalidParameter, errs, "%s", errs[0].String("Message"))
	}
	reported := map[string]bool{}
	for _, s := range imp.sources {
		missing := s
		if isRegularFile(s) {
			missing = unresolvedParent(s) // a differencing disk's parent (disks.go)
		}
		if missing != "" && !reported[missing] {
			reported[missing] = true
			errs = append(errs, h.incompatibility(MessageIDVirtualHardDiskNotFound, source,
				fmt.Sprintf("Could not find the virtual hard disk '%s'.", missing), []string{missing}))
		}
	}
	if len(errs) > 0 {
		return fail(wmi.ReturnInvalidParameter, errs, "%s", errs[0].String("Message"))
	}

	vm, files := imp.build(nics)
	var copies []exportCopy // absolute source and destination
	if imp.createCopy {
		for i, src := range imp.sources {
			copies = append(copies, exportCopy{src: src, dst: imp.targets[i]})
		}
	}
	if imp.stateSrc != "" {
		copies = append(copies, exportCopy{src: imp.stateSrc,
			dst: filepath.Join(vm.config.ConfigurationDataRoot, dirVirtualMachines, vm.config.RuntimeStateFile)})
	}
	var total int64
	var dirs []string
	addDir := func(f string) {
		d := filepath.Dir(f)
		for _, x := range dirs {
			if strings.EqualFold(x, d) {
				return
			}
		}
		dirs = append(dirs, d)
	}
	for _, c := range copies {
		fi, err := os.Stat(c.src)
		if err != nil {
			return fail(wmi.ReturnFailed, nil, "cannot read '%s': %v", c.src, err)
		}
		total += fi.Size()
		if exists(c.dst) {
			return fail(wmi.ReturnFailed, nil, "'%s': The file exists. (0x80070050)", c.dst)
		}
		addDir(c.dst)
	}
	for _, f := range files {
		total += int64(len(f.data))
		if exists(f.path) {
			return fail(wmi.ReturnFailed, nil, "'%s': The file exists. (0x80070050)", f.path)
		}
		addDir(f.path)
	}

	progress := &jobProgress{h: h, j: j, total: total, fault: imp.fault, summary: imp.summary}
	if err := progress.check(0); err != nil {
		return err
	}
	for _, d := range dirs {
		if err := out.mkdirAll(d); err != nil {
			return fail(wmi.ReturnFailed, nil, "cannot create folder: %v", err)
		}
	}
	engine := h.jobCopyEngine(j) // throttled, disk space: diskfull.go
	for _, c := range copies {
		err := engine.copyFile(ctx, c.src, c.dst, out.addFile, progress.add)
		var f *jobFailure
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.As(err, &f):
			return err
		default:
			return fail(wmi.ReturnFailed, nil, "cannot copy '%s' to '%s': %v", c.src, c.dst, err)
		}
	}
	if imp.createCopy {
		if err := relinkCopies(copiedLinks(vm, imp.targets)); err != nil {
			return fail(wmi.ReturnFailed, nil, "%v", err)
		}
	}
	for _, f := range files {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if err := writeNewFile(f.path, f.data, out.addFile); err != nil {
			return fail(wmi.ReturnFailed, nil, "cannot write '%s': %v", f.path, err)
		}
		if err := progress.add(int64(len(f.data))); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return fail(wmi.ReturnFailed, nil, "cannot flush '%s': %v", d, err)
		}
	}
	if err := progress.check(100); err != nil {
		return err
	}
	return h.commitJob(ctx, j, func() error {
		if h.systemIDInUseLocked(vm.config.ID) {
			return inUse()
		}
		vm.stateChanged = h.now()
		h.vms = append(h.vms, vm)
		h.persistLocked()
		j.affected = h.v1SystemPath(vm.config.ID)
		h.log.Info("virtual machine imported (v1)", zap.String("vm", vm.config.Name), zap.String("id", vm.config.ID),
			zap.Bool("createCopy", imp.createCopy), zap.String("configurationDataRoot", vm.config.ConfigurationDataRoot))
		return nil
	})
}

// copiedLinks lists each differencing disk of vm (its own and its
// snapshots' chains, at their target paths) whose parent was copied too.
func copiedLinks(vm *virtualMachine, targets []string) []chainLink {
	copied := map[string]bool{}
	for _, t := range targets {
		copied[strings.ToLower(t)] = true
	}
	var out []chainLink
	seen := map[string]bool{}
	for _, c := range append([]*vmConfig{vm.config}, vm.snapshots...) {
		for _, d := range c.Disks {
			chain := d.chain()
			for k := 0; k+1 < len(chain); k++ {
				child, parent := chain[k], chain[k+1]
				if copied[strings.ToLower(child)] && copied[strings.ToLower(parent)] && !seen[strings.ToLower(child)] {
					seen[strings.ToLower(child)] = true
					out = append(out, chainLink{child: child, parent: parent})
				}
			}
		}
	}
	return out
}

// v1ResolveSwitchesLocked finds the switch of each VM adapter's
// TargetNetworkConnections entry, by the adapter's GUID in the export;
// the errors are Msvm_Error instances for connections naming no switch.
func (h *Host) v1ResolveSwitchesLocked(imp *v1Import) (map[string]nicTarget, []*wmi.Object) {
	out := map[string]nicTarget{}
	var errs []*wmi.Object
	for i, n := range imp.exp.vm.NetworkAdapters {
		conn := imp.targetConn[i]
		if conn == "" {
			out[strings.ToUpper(n.ID)] = nicTarget{}
			continue
		}
		sw := h.v1SwitchLocked(conn)
		if sw == nil {
			errs = append(errs, h.incompatibility(MessageIDSwitchNotFound, h.v1ManagementServicePath(),
				fmt.Sprintf("Could not find Ethernet switch '%s'.", conn), []string{conn}))
			continue
		}
		out[strings.ToUpper(n.ID)] = nicTarget{sw.ID, sw.Name}
	}
	return out, errs
}

// v1ImportFile is a configuration file the job writes.
type v1ImportFile struct {
	path string
	data []byte
}

// build makes the imported VM and the configuration files to write,
// snapshots first and the VM's own last (as an export writes them).
func (imp *v1Import) build(nics map[string]nicTarget) (*virtualMachine, []v1ImportFile) {
	ids := idMapper{vm: imp.newID, newID: !imp.keepID}
	target := map[string]string{}
	for i, r := range imp.resources {
		target[strings.ToLower(r)] = imp.targets[i]
	}
	place := func(c *vmConfig) {
		for k := range c.Disks {
			d := &c.Disks[k]
			if t, ok := target[strings.ToLower(d.Path)]; ok {
				d.Path = t
			}
			for n, p := range d.ParentPaths {
				if t, ok := target[strings.ToLower(p)]; ok {
					d.ParentPaths[n] = t
				}
			}
		}
		for k := range c.NetworkAdapters {
			n := &c.NetworkAdapters[k]
			t := nics[strings.ToUpper(n.ID)] // an adapter of a snapshot only: disconnected
			n.ID, n.SwitchID, n.SwitchName = ids.nic(n.ID), t.switchID, t.switchName
		}
	}
	src := imp.exp.vm
	c := src.clone()
	c.Kind, c.ID, c.VMID, c.Name = kindVirtualMachine, imp.newID, "", imp.name
	c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot = imp.vmRoot, imp.snapRoot, imp.vmRoot
	c.Export, c.Import, c.RuntimeStateFile, c.ScopeOfResidence = nil, nil, "", imp.scope
	if imp.stateSrc != "" {
		c.RuntimeStateFile = c.ID + extRuntimeState
	}
	c.Snapshots, c.Parent = nil, ""
	imported := map[string]bool{}
	for _, s := range imp.snapshots {
		imported[strings.ToUpper(s.ID)] = true
		c.Snapshots = append(c.Snapshots, ids.snapshot(s.ID))
	}
	if imported[strings.ToUpper(src.Parent)] {
		c.Parent = ids.snapshot(src.Parent)
	}
	place(c)
	vm := &virtualMachine{config: c, enabledState: wmi.EnabledDisabled}
	if imp.stateSrc != "" {
		vm.enabledState = wmi.EnabledOffline
	}
	var files []v1ImportFile
	for _, s := range imp.snapshots {
		sc := s.clone()
		sc.Kind, sc.ID, sc.VMID = kindSnapshot, ids.snapshot(s.ID), c.ID
		sc.Parent = ""
		if imported[strings.ToUpper(s.Parent)] {
			sc.Parent = ids.snapshot(s.Parent)
		}
		sc.ConfigurationDataRoot, sc.SnapshotDataRoot, sc.SwapFileDataRoot = c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot
		sc.Export, sc.Import, sc.RuntimeStateFile, sc.Snapshots = nil, nil, "", nil
		place(sc)
		vm.snapshots = append(vm.snapshots, sc)
		files = append(files, v1ImportFile{path: snapshotConfigPath(c, sc.ID), data: mustEncodeConfig(sc)})
	}
	files = append(files, v1ImportFile{path: vmConfigPath(c), data: mustEncodeConfig(c)})
	return vm, files
}

func mustEncodeConfig(c *vmConfig) []byte {
	data, err := encodeConfig(c)
	if err != nil {
		panic(err) // vmConfig always encodes
	}
	return data
}
