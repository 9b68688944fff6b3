package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.RealizePlannedSystem
// (docs/HYPERV.md#v2-methods, #import-sequence):
//
//	uint32 RealizePlannedSystem([in] Msvm_PlannedComputerSystem REF PlannedSystem,
//	    [out] CIM_ComputerSystem REF ResultingSystem,
//	    [out] CIM_ConcreteJob REF Job)
//
// Synchronous failures, in order: a fault rule; PlannedSystem names no
// planned VM → 32773; the planned VM is busy → 32774. Then 4096 and a job
// of type 61 (ResultingSystem NULL; the job's Msvm_AffectedJobElement
// names the planned VM while the job runs and the new Msvm_ComputerSystem
// once it completed), or with Options.ImportSynchronous 0 and
// ResultingSystem.
//
// The job:
//
//  1. validates again (validate_planned_system.go): incompatibilities fail
//     it as they fail ValidatePlannedSystem's job, Msvm_Error list and all;
//  2. fails with 32768 "The file exists" when a target file exists that is
//     not the file it would be written from (it never overwrites another
//     VM's files);
//  3. copies the runtime state (.vmrs) from the import location to
//     <ConfigurationDataRoot>\Virtual Machines\<GUID>.vmrs — "copies
//     runtime/saved-state files from the import location to the VM's data
//     root" (docs/HYPERV.md#v2-methods) — and writes the configuration there and each snapshot's
//     to <SnapshotDataRoot>\Snapshots\<GUID>.vmcx, in the host's form
//     (absolute disk paths, data roots); PercentComplete follows these
//     bytes and job fault rules fire at their AtPercent;
//  4. registers the VM — EnabledState 6 Saved with runtime state, else
//     3 Off — with its snapshots realized (Microsoft:Hyper-V:Snapshot:
//     Realized), its disks at the planned VM's (possibly modified)
//     HostResource paths and its adapters' connections, and removes the
//     planned VM.
//
// The realized configurations record each differencing disk's chain as
// the disks' parent locators give it (disks.go), which is where a caller
// that copied a chain put the parents. Nothing is moved, so no locator is
// rewritten.
//
// When a target is the very file it is written from — a "Register in
// place" import that kept the GUID and the data roots (docs/HYPERV.md#import-modes) — the file is
// rewritten in place at step 4 and the .vmrs is used where it is. Virtual
// hard disks are never copied: in the v2 flow copying them is the caller's
// job (docs/HYPERV.md#import-modes), which then points the disks at the copies with
// ModifyResourceSettings. A failed or stopped job removes the files and
// folders it created and leaves the planned VM as it was.

func (h *Host) realizePlannedSystem(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		h.mu.Unlock()
		return outParams(h.rejectCall(call, code, reason), refProp("ResultingSystem", ""), jobOutParam("")), nil
	}
	p := h.plannedOfRefLocked(call.in["PlannedSystem"])
	id, name := plannedIdentity(p)
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		return reject(f.ReturnValue, "fault rule")
	}
	switch {
	case p == nil:
		return reject(wmi.ReturnInvalidParameter, fmt.Sprintf("PlannedSystem %v names no planned virtual machine", call.in["PlannedSystem"]))
	case h.busyJobLocked(id) != nil:
		return reject(wmi.ReturnSystemInUse, fmt.Sprintf("%s is busy with job %s", name, h.busyJobLocked(id).id))
	case h.closed:
		h.mu.Unlock()
		return nil, closedError(call)
	}
	r := &realization{p: p, fault: h.takeFaultLocked(call.method, id, name, false),
		summary: fmt.Sprintf("Failed to realize virtual machine '%s'.", name)}
	ret, job := h.launchAndUnlock(h.plannedJobSpec(p, realizeJobCaption, realizeJobDescription), h.opts.ImportSynchronous, h.realizeWork(r))
	result := ""
	switch {
	case ret == wmi.ReturnOK:
		result = r.result
	case ret == wmi.ReturnJobStarted && h.opts.OutParametersWithJobs:
		result = h.vmSystemPath(id)
	}
	return outParams(ret, refProp("ResultingSystem", result), jobOutParam(job)), nil
}

// realization is one RealizePlannedSystem job.
type realization struct {
	p       *plannedVM
	fault   *FaultRule
	summary string
	result  string // the new VM's path, set by the commit

	// Decided under h.mu at the job's start.
	vm        *virtualMachine
	files     []realizeFile
	stateFrom string // the .vmrs to copy ("" for none or in place)
	stateTo   string
}

// realizeFile is one configuration file the job writes.
type realizeFile struct {
	path    string
	data    []byte
	inPlace bool // path is the file it was imported from: rewritten at commit
	config  *vmConfig
}

func (h *Host) realizeWork(r *realization) jobWork {
	return h.undoOnFailure("partial realization", func(ctx context.Context, j *job, out *createdPaths) error {
		return h.realize(ctx, j, r, out)
	})
}

func (h *Host) realize(ctx context.Context, j *job, r *realization, out *createdPaths) error {
	fail := func(format string, args ...any) error {
		return &jobFailure{code: uint16(wmi.ReturnFailed), summary: r.summary,
			description: fmt.Sprintf("'%s' failed to realize: ", r.p.config.Name) + fmt.Sprintf(format, args...) +
				fmt.Sprintf(" (Virtual machine ID %s)", r.p.config.ID)}
	}
	h.mu.Lock()
	err := h.validationFailureLocked(r.p, r.summary)
	if err == nil {
		h.planRealizationLocked(r)
	}
	h.mu.Unlock()
	if err != nil {
		return err
	}

	var total int64
	for _, f := range r.files {
		total += int64(len(f.data))
		if !f.inPlace && exists(f.path) {
			return fail("'%s': The file exists. (0x80070050)", f.path)
		}
	}
	if r.stateFrom != "" {
		fi, err := os.Stat(r.stateFrom)
		if err != nil {
			return fail("cannot read '%s': %v", r.stateFrom, err)
		}
		total += fi.Size()
		if exists(r.stateTo) {
			return fail("'%s': The file exists. (0x80070050)", r.stateTo)
		}
	}
	progress := &jobProgress{h: h, j: j, total: total, fault: r.fault, summary: r.summary}
	if err := progress.check(0); err != nil {
		return err
	}
	c := r.vm.config
	dirs := []string{filepath.Join(c.ConfigurationDataRoot, dirVirtualMachines)}
	if len(r.vm.snapshots) > 0 {
		dirs = append(dirs, filepath.Join(c.SnapshotDataRoot, dirSnapshots))
	}
	for _, d := range dirs {
		if err := out.mkdirAll(d); err != nil {
			return fail("cannot create folder: %v", err)
		}
	}
	if r.stateFrom != "" {
		engine := h.jobCopyEngine(j) // throttled, disk space: diskfull.go
		err := engine.copyFile(ctx, r.stateFrom, r.stateTo, out.addFile, progress.add)
		var f *jobFailure
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.As(err, &f):
			return err
		default:
			return fail("cannot copy '%s' to '%s': %v", r.stateFrom, r.stateTo, err)
		}
	}
	for _, f := range r.files {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if f.inPlace {
			continue
		}
		if err := writeNewFile(f.path, f.data, out.addFile); err != nil {
			return fail("cannot write '%s': %v", f.path, err)
		}
		if err := progress.add(int64(len(f.data))); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return fail("cannot flush '%s': %v", d, err)
		}
	}
	if err := progress.check(100); err != nil {
		return err
	}
	return h.commitJob(ctx, j, func() error {
		if h.plannedLocked(r.p.config.ID) != r.p {
			return fail("the planned virtual machine no longer exists")
		}
		if h.vmLocked(c.ID) != nil {
			return fail("a virtual machine with ID %s already exists", c.ID)
		}
		for _, f := range r.files {
			if f.inPlace {
				if err := writeConfig(f.path, f.config); err != nil {
					return fail("cannot write '%s': %v", f.path, err)
				}
			}
		}
		r.vm.stateChanged = h.now()
		h.vms = append(h.vms, r.vm)
		h.removePlannedLocked(r.p)
		h.persistLocked()
		r.result = h.vmSystemPath(c.ID)
		if !h.opts.OutParametersWithJobs {
			j.affected = r.result
		}
		h.log.Info("planned virtual machine realized", zap.String("vm", c.Name), zap.String("id", c.ID),
			zap.String("configurationDataRoot", c.ConfigurationDataRoot))
		return nil
	})
}

// planRealizationLocked builds the VM the job registers and the files it
// writes.
func (h *Host) planRealizationLocked(r *realization) {
	p := r.p
	c := p.config.clone()
	c.Kind, c.Import, c.Export = kindVirtualMachine, nil, nil
	refreshChains(c)
	vm := &virtualMachine{config: c, enabledState: wmi.EnabledDisabled}
	if src := p.config.Import.RuntimeStateSource; src != "" {
		vm.enabledState = wmi.EnabledOffline
		c.RuntimeStateFile = c.ID + extRuntimeState
		to := filepath.Join(c.ConfigurationDataRoot, dirVirtualMachines, c.RuntimeStateFile)
		if !sameFile(src, to) {
			r.stateFrom, r.stateTo = src, to
		}
	}
	for _, s := range p.snapshots {
		sc := s.clone()
		sc.Kind, sc.Import, sc.VMID = kindSnapshot, nil, c.ID
		refreshChains(sc)
		sc.ConfigurationDataRoot, sc.SnapshotDataRoot, sc.SwapFileDataRoot = c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot
		vm.snapshots = append(vm.snapshots, sc)
		r.files = append(r.files, realizeConfigFile(snapshotConfigPath(c, sc.ID), s.Import.DefinitionFile, sc))
	}
	// The VM's own configuration last, as an export writes it.
	r.files = append(r.files, realizeConfigFile(vmConfigPath(c), p.config.Import.DefinitionFile, c))
	r.vm = vm
}

func realizeConfigFile(path, from string, c *vmConfig) realizeFile {
	data, err := encodeConfig(c)
	if err != nil {
		panic(err) // vmConfig always encodes
	}
	return realizeFile{path: path, data: data, inPlace: sameFile(path, from), config: c}
}
