package sim

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ImportSystemDefinition
// (docs/HYPERV.md#v2-methods, #import-sequence, #pitfall-import-twice):
//
//	uint32 ImportSystemDefinition([in] string SystemDefinitionFile,
//	    [in] string SnapshotFolder, [in] boolean GenerateNewSystemIdentifier,
//	    [out] Msvm_PlannedComputerSystem REF ImportedSystem,
//	    [out] CIM_ConcreteJob REF Job)
//
// It creates a planned VM (import_planning.go) from the definition file
// and imports the snapshots it finds in SnapshotFolder. The call checks, in
// this order, and returns the first failure synchronously:
//
//  1. a synchronous fault rule;
//  2. SystemDefinitionFile is not an absolute path to a readable .vmcx
//     holding a VM's configuration → 32773 (definition_file.go);
//  3. SnapshotFolder is neither NULL/empty nor an absolute path → 32773;
//  4. the file is the configuration of a registered VM or of one of its
//     snapshots → 32779 File in Use ("must not already be in use by the
//     host", docs/HYPERV.md#v2-methods);
//  5. GenerateNewSystemIdentifier FALSE and a VM or planned VM with the
//     file's GUID exists → 32779 (docs/HYPERV.md#pitfall-import-twice).
//
// Then it returns 4096 and a job of type 61 that creates the planned VM;
// ImportedSystem stays NULL and the planned VM is found with
// ASSOCIATORS OF {job} WHERE AssocClass = Msvm_AffectedJobElement
// ResultClass = Msvm_PlannedComputerSystem (docs/HYPERV.md#import-sequence, #pitfall-jobs). The job checks 5
// again (another import may have taken the GUID meanwhile) and fails with
// ErrorCode 32779 if so. With Options.ImportSynchronous the call returns 0
// and ImportedSystem instead.
//
// Decisions on UNCERTAIN points: NULL SnapshotFolder imports no snapshots
// (the referenced ones are "missing" until ImportSnapshotDefinitions); a
// SnapshotFolder that does not exist is searched as an empty folder; the
// configuration version is checked by ValidatePlannedSystem, not here.
func (h *Host) importSystemDefinition(call *methodCall) (*wmi.Object, error) {
	file, _ := call.in["SystemDefinitionFile"].(string)
	snapshotFolder, _ := call.in["SnapshotFolder"].(string)
	newID, _ := call.in["GenerateNewSystemIdentifier"].(bool)
	def, code, reason := readDefinition(file, false)
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		h.mu.Unlock()
		return outParams(h.rejectCall(call, code, reason), refProp("ImportedSystem", ""), jobOutParam("")), nil
	}

	h.mu.Lock()
	id, name := "", ""
	if def != nil {
		id, name = def.config.ID, def.config.Name
	}
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		return reject(f.ReturnValue, "fault rule")
	}
	switch {
	case code != 0:
		return reject(code, reason)
	case snapshotFolder != "" && !filepath.IsAbs(snapshotFolder):
		return reject(wmi.ReturnInvalidParameter, fmt.Sprintf("SnapshotFolder %q is not a fully qualified path", snapshotFolder))
	case h.configFileInUseLocked(def.path):
		return reject(wmi.ReturnFileInUse, fmt.Sprintf("%s is the configuration of a registered virtual machine", def.path))
	case !newID && h.systemIDInUseLocked(id):
		return reject(wmi.ReturnFileInUse, fmt.Sprintf("a virtual machine or planned virtual machine with ID %s exists", id))
	case h.closed:
		h.mu.Unlock()
		return nil, closedError(call)
	}
	fault := h.takeFaultLocked(call.method, id, name, false)
	plannedID := id
	if newID {
		plannedID = newGUID()
	}
	folder := ""
	if snapshotFolder != "" {
		folder = filepath.Clean(snapshotFolder)
	}
	summary := fmt.Sprintf("Failed to import virtual machine '%s'.", name)
	var imported string // written by the work: read only when it ran inline
	work := func(ctx context.Context, j *job) error {
		if err := faultAtStart(fault, summary); err != nil {
			return err
		}
		return h.commitJob(ctx, j, func() error {
			if !newID && h.systemIDInUseLocked(plannedID) {
				return &jobFailure{code: uint16(wmi.ReturnFileInUse), summary: summary,
					description: fmt.Sprintf("'%s' failed to import: a virtual machine with ID %s already exists. (Virtual machine ID %s)", name, plannedID, plannedID)}
			}
			p := h.newPlannedLocked(def, plannedID, newID, folder, h.now())
			if err := h.writePlannedLocked(p); err != nil {
				h.removePlannedFilesLocked(p)
				return &jobFailure{code: uint16(wmi.ReturnFailed), summary: summary,
					description: fmt.Sprintf("'%s' failed to import: %v", name, err)}
			}
			h.planned = append(h.planned, p)
			h.persistLocked()
			imported = h.plannedSystemPath(plannedID)
			if !h.opts.OutParametersWithJobs {
				j.affected = imported
			}
			return nil
		})
	}
	spec := jobSpec{systemID: plannedID, systemName: name, jobType: wmi.JobTypeImportVM,
		caption: importJobCaption, description: importJobDescription}
	ret, job := h.launchAndUnlock(spec, h.opts.ImportSynchronous, work)
	result := ""
	switch {
	case ret == wmi.ReturnOK:
		result = imported
	case ret == wmi.ReturnJobStarted && h.opts.OutParametersWithJobs:
		result = h.plannedSystemPath(plannedID)
	}
	return outParams(ret, refProp("ImportedSystem", result), jobOutParam(job)), nil
}
