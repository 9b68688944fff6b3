package sim

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.GetVirtualSystemImportSettingData
// (docs/HYPERV.md#v1-methods, #v1-import-settings):
//
//	uint32 GetVirtualSystemImportSettingData([in] string ImportDirectory,
//	    [out] Msvm_VirtualSystemImportSettingData ImportSettingData,
//	    [out] CIM_ConcreteJob REF Job)
//
// ImportSettingData is an embedded object: the out-parameter's Property
// has Type CIMObject and holds a *wmi.Object of class
// Msvm_VirtualSystemImportSettingData (no __PATH), as COM hands an
// SWbemObject over — not CIM-XML text.
//
// Checks, in order, each failing synchronously with ImportSettingData and
// Job NULL: a synchronous fault rule (VM = the exported VM); ImportDirectory
// not a v1 export → 32773 (v1_import_source.go).
//
// By default the call returns 0, ImportSettingData and a NULL Job: it only
// reads the export. With Options.V1.ImportSettingDataJob it returns 4096, a
// Job that has already completed (JobState 7) and ImportSettingData filled
// in, the shape Microsoft's samples wait for; a job fault rule then fails
// the job (JobState 10) and ImportSettingData is NULL.
//
// The defaults (docs/HYPERV.md#v1-import-settings; the blog's dump in "Import/Export Part 2" for
// Caption, Description, ElementName and InstanceID):
//
//	InstanceID               "Microsoft:<VM GUID of the export>"
//	Caption                  "Virtual System Import Setting Data"
//	Description, ElementName "Microsoft Virtual System Import Setting Data"
//	GenerateNewId, CreateCopy FALSE (TRUE with Options.V1.ImportCopyByDefault)
//	Name                     the VM's name
//	SourceVmDataRoot         ImportDirectory
//	SourceSnapshotDataRoot   ImportDirectory
//	SourceVhdDataRoot        ImportDirectory\Virtual Hard Disks
//	TargetVmDataRoot         the host's DefaultExternalDataRoot
//	TargetSnapshotDataRoot   the host's DefaultExternalDataRoot
//	TargetVhdDataRoot        the host's DefaultVirtualHardDiskPath
//	SecurityScope            NULL
//	CurrentResourcePaths     every disk file as the export recorded it
//	                         (absolute paths of the exporting host; v1Resources)
//	SourceResourcePaths      SourceVhdDataRoot\<file name>, per entry
//	TargetResourcePaths      NULL: each resource goes to TargetVhdDataRoot
//	                         (TargetVhdDataRoot\<file name> per entry with
//	                         Options.V1.FillTargetResourcePaths)
//	SourceNetworkConnections per network adapter of the VM, its switch's
//	                         ElementName ("" when disconnected; the GUID with
//	                         Options.V1.SwitchConnectionsByName)
//	TargetNetworkConnections the same as SourceNetworkConnections
//
// TargetResourcePaths is NULL because a per-resource path wins over
// TargetVhdDataRoot (docs/HYPERV.md#v1-import-settings) and Microsoft's ImportVirtualSystemEx sample
// moves the disks by setting only the three Target*DataRoot — which filled
// entries would defeat — and because the blog's dump shows it empty ("If
// upon import you want all the VHDs to reside in a single folder, just
// specify the TargetVhdDataRoot ... You do not need to specify each of the
// TargetResourcePaths"). The same dump shows the Source*/Target* data
// roots empty too: whether a real host fills them is UNCERTAIN; the
// simulator fills them, and ImportVirtualSystemEx reads NULL or "" data
// roots as these defaults, so both give the same import.

const (
	importSettingsCaption     = "Virtual System Import Setting Data"
	importSettingsDescription = "Microsoft Virtual System Import Setting Data"
	importSettingsJobCaption  = "Get Import Setting Data" // INFERRED
)

func (h *Host) v1GetVirtualSystemImportSettingData(call *methodCall) (*wmi.Object, error) {
	exp, code, reason := readV1Export(call.in["ImportDirectory"])
	id, name := "", ""
	if exp != nil {
		id, name = exp.vm.ID, exp.vm.Name
	}
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		return outParams(h.rejectCall(call, code, reason), importSettingsProp(nil), jobOutParam("")), nil
	}
	h.mu.Lock()
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		h.mu.Unlock()
		return reject(f.ReturnValue, "fault rule")
	}
	if code != 0 {
		h.mu.Unlock()
		return reject(code, reason)
	}
	if h.closed {
		h.mu.Unlock()
		return nil, closedError(call)
	}
	settings := h.v1DefaultImportSettingsLocked(exp)
	if !h.opts.V1.ImportSettingDataJob {
		h.mu.Unlock()
		return outParams(wmi.ReturnOK, importSettingsProp(settings), jobOutParam("")), nil
	}
	fault := h.takeFaultLocked(call.method, id, name, false)
	summary := fmt.Sprintf("Failed to read the import settings of virtual machine '%s'.", name)
	spec := jobSpec{systemName: name, jobType: wmi.JobTypeGetImportData, caption: importSettingsJobCaption,
		description: "Reading Import Setting Data", namespace: wmi.NamespaceV1}
	j := h.startJobLocked(spec, func(ctx context.Context, j *job) error {
		if err := faultAtStart(fault, summary); err != nil {
			return err
		}
		return h.completeJob(ctx, j)
	})
	path, done := h.jobPathOf(j), j.done
	h.mu.Unlock()
	select {
	case <-done:
	case <-call.ctx.Done():
		return nil, &wmi.Error{Op: "ExecMethod", Path: call.target.Path, HResult: wmi.WBEMCallCancelled, Err: call.ctx.Err()}
	}
	h.mu.Lock()
	completed := j.state == wmi.JobCompleted
	h.mu.Unlock()
	if !completed {
		settings = nil
	}
	return outParams(wmi.ReturnJobStarted, importSettingsProp(settings), jobOutParam(path)), nil
}

// importSettingsProp is the ImportSettingData out-parameter: an embedded
// object, NULL when o is nil.
func importSettingsProp(o *wmi.Object) wmi.Property {
	p := wmi.Property{Name: "ImportSettingData", Type: wmi.CIMObject}
	if o != nil {
		p.Value = o
	}
	return p
}

// v1DefaultImportSettingsLocked builds the import setting data of an
// export with the defaults above.
func (h *Host) v1DefaultImportSettingsLocked(exp *v1Export) *wmi.Object {
	vhdRoot := filepath.Join(exp.dir, dirVirtualHardDisks)
	targetVhd := h.settings.DefaultVirtualHardDiskPath
	resources := v1Resources(exp.vm, exp.snapshotsIn(exp.dir))
	sources := make([]string, len(resources))
	var targets []string // NULL
	if h.opts.V1.FillTargetResourcePaths {
		targets = make([]string, len(resources))
	}
	for i, r := range resources {
		sources[i] = filepath.Join(vhdRoot, fileBase(r))
		if targets != nil {
			targets[i] = filepath.Join(targetVhd, fileBase(r))
		}
	}
	conns := make([]string, len(exp.vm.NetworkAdapters))
	for i, n := range exp.vm.NetworkAdapters {
		conns[i] = h.v1Connection(n)
	}
	copyDefault := h.opts.V1.ImportCopyByDefault
	v := values{
		"InstanceID":               settingInstanceID(exp.vm.ID),
		"Caption":                  importSettingsCaption,
		"Description":              importSettingsDescription,
		"ElementName":              importSettingsDescription,
		"GenerateNewId":            copyDefault,
		"CreateCopy":               copyDefault,
		"Name":                     exp.vm.Name,
		"SourceVmDataRoot":         exp.dir,
		"SourceSnapshotDataRoot":   exp.dir,
		"SourceVhdDataRoot":        vhdRoot,
		"TargetVmDataRoot":         h.settings.DefaultExternalDataRoot,
		"TargetSnapshotDataRoot":   h.settings.DefaultExternalDataRoot,
		"TargetVhdDataRoot":        targetVhd,
		"CurrentResourcePaths":     resources,
		"SourceResourcePaths":      sources,
		"SourceNetworkConnections": conns,
		"TargetNetworkConnections": slices.Clone(conns),
	}
	if targets != nil {
		v["TargetResourcePaths"] = targets
	}
	o := newEmbeddedInstance(classV1ImportSettingData)
	for name, x := range v {
		o.MustSet(name, x)
	}
	return o
}
