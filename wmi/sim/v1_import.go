package sim

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ImportVirtualSystemEx
// (docs/HYPERV.md#v1-methods, #v1-import-settings):
//
//	uint32 ImportVirtualSystemEx([in] string ImportDirectory,
//	    [in] string ImportSettingData, [out] CIM_ConcreteJob REF Job)
//
// ImportSettingData is a Msvm_VirtualSystemImportSettingData as CIM-XML
// (GetVirtualSystemImportSettingData's object, edited and encoded with
// GetText_(1)). The call checks, in order, and returns the first failure
// synchronously with a NULL Job:
//
//  1. a synchronous fault rule (VM = the exported VM, by its GUID in the
//     export or its name);
//  2. ImportDirectory is not a v1 export → 32773 (v1_import_source.go);
//  3. ImportSettingData is NULL, not CIM-XML, another class, or has a
//     property the class does not declare or a value of the wrong type →
//     32773;
//  4. a data root that is used (Source* always, Target* with CreateCopy)
//     and set but not absolute, a SourceResourcePaths or
//     TargetResourcePaths entry that is set but not absolute, one of those
//     arrays or TargetNetworkConnections with another number of entries
//     than CurrentResourcePaths or the VM's network adapters, or with
//     CreateCopy two resources copied to the same file → 32773.
//
// Then it returns 4096 and a Job in root\virtualization (no JobType); the
// job is v1_import_job.go. There is no synchronous variant
// (Options.ImportSynchronous is v2's).
//
// NULL or "" means the default for every setting: data roots as
// GetVirtualSystemImportSettingData gives them, a NULL or empty
// SourceResourcePaths/TargetResourcePaths (or an "" entry) the data root
// plus the file name, a NULL or empty TargetNetworkConnections the source
// switches, a NULL or "" Name the VM's name, NULL SecurityScope none.
// CurrentResourcePaths and SourceNetworkConnections are read-only: the
// call uses the export's, whatever the instance says.

// v1Import is one accepted ImportVirtualSystemEx, everything resolved to
// absolute paths, so the job does not need the call's parameters.
type v1Import struct {
	exp        *v1Export
	newID      string // the imported VM's GUID
	keepID     bool   // GenerateNewId FALSE
	createCopy bool
	name       string
	scope      string // SecurityScope → ScopeOfResidence
	vmRoot     string // where the configuration and saved state go
	snapRoot   string // where the snapshots' configurations go
	snapshots  []*vmConfig
	resources  []string // CurrentResourcePaths
	sources    []string // where each resource is now
	targets    []string // where the VM will use it: the copy, or sources
	sourceConn []string // per VM network adapter
	targetConn []string
	stateSrc   string // the .bin to turn into the VM's .vmrs, "" for none
	fault      *FaultRule
	summary    string
}

func (h *Host) v1ImportVirtualSystemEx(call *methodCall) (*wmi.Object, error) {
	exp, code, reason := readV1Export(call.in["ImportDirectory"])
	id, name := "", ""
	if exp != nil {
		id, name = exp.vm.ID, exp.vm.Name
	}
	h.mu.Lock()
	reject := func(code uint32, reason string) (*wmi.Object, error) {
		h.mu.Unlock()
		return outParams(h.rejectCall(call, code, reason), jobOutParam("")), nil
	}
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		return reject(f.ReturnValue, "fault rule")
	}
	if code != 0 {
		return reject(code, reason)
	}
	imp, err := h.planV1ImportLocked(exp, call.in["ImportSettingData"])
	if err != nil {
		return reject(wmi.ReturnInvalidParameter, err.Error())
	}
	if h.closed {
		h.mu.Unlock()
		return nil, closedError(call)
	}
	imp.fault = h.takeFaultLocked(call.method, id, name, false)
	imp.summary = fmt.Sprintf("Failed to import virtual machine '%s'.", imp.name)
	spec := jobSpec{systemID: imp.newID, systemName: imp.name, jobType: wmi.JobTypeImportVM,
		caption: importJobCaption, description: importJobDescription, namespace: wmi.NamespaceV1}
	j := h.startJobLocked(spec, h.v1ImportWork(imp))
	path := h.jobPathOf(j)
	h.mu.Unlock()
	return outParams(wmi.ReturnJobStarted, jobOutParam(path)), nil
}

// planV1ImportLocked decodes ImportSettingData and resolves the import
// (steps 3 and 4 above).
func (h *Host) planV1ImportLocked(exp *v1Export, v any) (*v1Import, error) {
	text, _ := v.(string)
	if text == "" {
		return nil, fmt.Errorf("ImportSettingData is NULL or empty")
	}
	o, err := wmi.DecodeInstance(text)
	if err != nil {
		return nil, fmt.Errorf("ImportSettingData is not a CIM-XML instance: %w", err)
	}
	if !strings.EqualFold(o.Class, wmi.ClassImportSettingData) {
		return nil, fmt.Errorf("ImportSettingData is a %s, not a %s", o.Class, wmi.ClassImportSettingData)
	}
	got, err := declaredValues(o, classV1ImportSettingData, "ImportSettingData")
	if err != nil {
		return nil, err
	}
	str := func(name string) string { s, _ := got[name].(string); return s }
	flag := func(name string) bool { b, _ := got[name].(bool); return b }
	root := func(name, def string) (string, error) {
		s := str(name)
		if s == "" {
			return def, nil
		}
		if !filepath.IsAbs(s) {
			return "", fmt.Errorf("%s %q is not a fully qualified path", name, s)
		}
		return filepath.Clean(s), nil
	}

	imp := &v1Import{exp: exp, keepID: !flag("GenerateNewId"), createCopy: flag("CreateCopy"),
		name: str("Name"), scope: str("SecurityScope")}
	if imp.name == "" {
		imp.name = exp.vm.Name
	}
	imp.newID = exp.vm.ID
	if !imp.keepID {
		imp.newID = newGUID()
	}
	sourceVM, err := root("SourceVmDataRoot", exp.dir)
	if err != nil {
		return nil, err
	}
	sourceSnap, err := root("SourceSnapshotDataRoot", exp.dir)
	if err != nil {
		return nil, err
	}
	sourceVhd, err := root("SourceVhdDataRoot", filepath.Join(exp.dir, dirVirtualHardDisks))
	if err != nil {
		return nil, err
	}
	imp.vmRoot, imp.snapRoot = sourceVM, sourceSnap
	imp.snapshots = exp.snapshotsIn(sourceSnap)
	imp.stateSrc = exp.savedStateIn(sourceVM)
	imp.resources = v1Resources(exp.vm, imp.snapshots)
	if imp.sources, err = perResource(got, "SourceResourcePaths", imp.resources, sourceVhd); err != nil {
		return nil, err
	}
	imp.targets = imp.sources
	if imp.createCopy {
		if imp.vmRoot, err = root("TargetVmDataRoot", h.settings.DefaultExternalDataRoot); err != nil {
			return nil, err
		}
		if imp.snapRoot, err = root("TargetSnapshotDataRoot", h.settings.DefaultExternalDataRoot); err != nil {
			return nil, err
		}
		targetVhd, err := root("TargetVhdDataRoot", h.settings.DefaultVirtualHardDiskPath)
		if err != nil {
			return nil, err
		}
		if imp.targets, err = perResource(got, "TargetResourcePaths", imp.resources, targetVhd); err != nil {
			return nil, err
		}
		seen := map[string]int{}
		for i, t := range imp.targets {
			if k, dup := seen[strings.ToLower(t)]; dup {
				return nil, fmt.Errorf("resources %d and %d would both be copied to %s", k, i, t)
			}
			seen[strings.ToLower(t)] = i
		}
	}
	for _, n := range exp.vm.NetworkAdapters {
		imp.sourceConn = append(imp.sourceConn, h.v1Connection(n))
	}
	imp.targetConn = imp.sourceConn
	if conns, _ := got["TargetNetworkConnections"].([]string); len(conns) > 0 {
		if len(conns) != len(imp.sourceConn) {
			return nil, fmt.Errorf("TargetNetworkConnections has %d entries for %d network adapters", len(conns), len(imp.sourceConn))
		}
		imp.targetConn = conns
	}
	return imp, nil
}

// perResource resolves SourceResourcePaths or TargetResourcePaths: entry
// i, or root\<file name of resource i> where it is "" or the array is NULL
// or empty.
func perResource(got map[string]any, name string, resources []string, root string) ([]string, error) {
	given, _ := got[name].([]string)
	if len(given) > 0 && len(given) != len(resources) {
		return nil, fmt.Errorf("%s has %d entries for %d CurrentResourcePaths", name, len(given), len(resources))
	}
	out := make([]string, len(resources))
	for i, r := range resources {
		p := ""
		if len(given) > 0 {
			p = given[i]
		}
		switch {
		case p == "":
			out[i] = filepath.Join(root, fileBase(r))
		case !filepath.IsAbs(p):
			return nil, fmt.Errorf("%s[%d] %q is not a fully qualified path", name, i, p)
		default:
			out[i] = filepath.Clean(p)
		}
	}
	return out, nil
}
