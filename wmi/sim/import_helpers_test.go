package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func plannedPath(id string) string {
	return `\\HVSIM\root\virtualization\v2:Msvm_PlannedComputerSystem.CreationClassName="Msvm_PlannedComputerSystem",Name="` + id + `"`
}

// definitionFile is the VM configuration of an export root.
func definitionFile(root, vmID string) string {
	return filepath.Join(root, "Virtual Machines", vmID+".vmcx")
}

// exportTo exports a VM into a fresh folder (edit changes the export
// settings) and returns the export root.
func (f *fixture) exportTo(t *testing.T, vmID string, edit func(o *wmi.Object)) string {
	t.Helper()
	root := t.TempDir()
	if j := f.finish(t, f.mustExport(t, vmID, root, edit)); j.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Fatalf("export of %s: state %d: %s", vmID, j.Uint("JobState"), j.String("ErrorDescription"))
	}
	return root
}

// call runs a method of the management service.
func (f *fixture) call(t *testing.T, method string, in wmi.Params) *wmi.Object {
	t.Helper()
	out, err := f.svc.ExecMethod(context.Background(), vsmsPath, method, in)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return out
}

// importDef calls ImportSystemDefinition; folder "" leaves SnapshotFolder
// NULL.
func (f *fixture) importDef(t *testing.T, file, folder string, newID bool) *wmi.Object {
	t.Helper()
	in := wmi.Params{"SystemDefinitionFile": file, "GenerateNewSystemIdentifier": newID}
	if folder != "" {
		in["SnapshotFolder"] = folder
	}
	return f.call(t, "ImportSystemDefinition", in)
}

// mustImport imports an export root's VM with its snapshots as a job and
// returns the planned VM, found through the job as the Windows samples do
// (docs/HYPERV.md#import-sequence).
func (f *fixture) mustImport(t *testing.T, root, vmID string, newID bool) *wmi.Object {
	t.Helper()
	out := f.importDef(t, definitionFile(root, vmID), filepath.Join(root, "Snapshots"), newID)
	return f.plannedOfJob(t, out)
}

// plannedOfJob waits for an import's job and returns its planned VM.
func (f *fixture) plannedOfJob(t *testing.T, out *wmi.Object) *wmi.Object {
	t.Helper()
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted || !out.IsNull("ImportedSystem") {
		t.Fatalf("ImportSystemDefinition returned %d, ImportedSystem %v; want 4096 and NULL", wmi.ReturnValue(out), out.Get("ImportedSystem"))
	}
	job := out.String("Job")
	wantCompleted(t, f.finish(t, job))
	if got := f.get(t, job).Uint("JobType"); got != uint64(wmi.JobTypeImportVM) {
		t.Errorf("import job type %d", got)
	}
	planned := f.query(t, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement ResultClass = Msvm_PlannedComputerSystem")
	if len(planned) != 1 {
		t.Fatalf("the import job is associated with %d planned VMs", len(planned))
	}
	return planned[0]
}

// startJob calls a method that must start a job and returns the job path.
func (f *fixture) startJob(t *testing.T, method string, in wmi.Params) string {
	t.Helper()
	out := f.call(t, method, in)
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted || out.String("Job") == "" {
		t.Fatalf("%s returned %d, job %q; want 4096 and a job", method, wmi.ReturnValue(out), out.String("Job"))
	}
	return out.String("Job")
}

// validate runs ValidatePlannedSystem and returns the ended job and its
// Msvm_Error list.
func (f *fixture) validate(t *testing.T, planned string) (*wmi.Object, []*wmi.Object) {
	t.Helper()
	job := f.finish(t, f.startJob(t, "ValidatePlannedSystem", wmi.Params{"PlannedSystem": planned}))
	return job, f.jobErrors(t, job.Path)
}

// jobErrors decodes a job's GetErrorEx list.
func (f *fixture) jobErrors(t *testing.T, job string) []*wmi.Object {
	t.Helper()
	out, err := f.svc.ExecMethod(context.Background(), job, "GetErrorEx", nil)
	if err != nil || wmi.ReturnValue(out) != 0 {
		t.Fatalf("GetErrorEx: %v %v", out, err)
	}
	var list []*wmi.Object
	for _, s := range out.Strings("Errors") {
		e, err := wmi.DecodeInstance(s)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, e)
	}
	return list
}

// realize runs RealizePlannedSystem as a job and returns the new VM,
// found through the job (docs/HYPERV.md#import-sequence).
func (f *fixture) realize(t *testing.T, planned string) *wmi.Object {
	t.Helper()
	job := f.startJob(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned})
	wantCompleted(t, f.finish(t, job))
	vms := f.query(t, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement ResultClass = Msvm_ComputerSystem")
	if len(vms) != 1 {
		t.Fatalf("the realize job is associated with %d VMs", len(vms))
	}
	return vms[0]
}

// destroy runs DestroySystem as a job to completion.
func (f *fixture) destroy(t *testing.T, system string) {
	t.Helper()
	job := f.finish(t, f.startJob(t, "DestroySystem", wmi.Params{"AffectedSystem": system}))
	wantCompleted(t, job)
	if job.Uint("JobType") != uint64(wmi.JobTypeDestroyVM) {
		t.Errorf("destroy job type %d", job.Uint("JobType"))
	}
}

// finish waits for a job to end, advancing the FakeClock while a throttled
// copy waits on it.
func (f *fixture) finish(t *testing.T, job string) *wmi.Object {
	t.Helper()
	return f.stepUntil(t, job, func(o *wmi.Object) bool { return wmi.JobStateTerminal(uint16(o.Uint("JobState"))) })
}

func wantCompleted(t *testing.T, job *wmi.Object) {
	t.Helper()
	if job.Uint("JobState") != uint64(wmi.JobCompleted) || job.Uint("ErrorCode") != 0 {
		t.Fatalf("job %s ended in state %d, error %d: %s", job.String("Caption"), job.Uint("JobState"),
			job.Uint("ErrorCode"), job.String("ErrorDescription"))
	}
}

// settingsOf returns the settings of a VM or planned VM: its own first,
// then its snapshots'.
func (f *fixture) settingsOf(t *testing.T, system string) []*wmi.Object {
	t.Helper()
	return f.query(t, "ASSOCIATORS OF {"+system+"} WHERE ResultClass = Msvm_VirtualSystemSettingData")
}

// disksOf returns the disk settings of a VSSD.
func (f *fixture) disksOf(t *testing.T, vssd string) []*wmi.Object {
	t.Helper()
	return f.query(t, "ASSOCIATORS OF {"+vssd+"} WHERE ResultClass = Msvm_StorageAllocationSettingData")
}

// portsOf returns the network connections of a VSSD.
func (f *fixture) portsOf(t *testing.T, vssd string) []*wmi.Object {
	t.Helper()
	return f.query(t, "ASSOCIATORS OF {"+vssd+"} WHERE ResultClass = Msvm_EthernetPortAllocationSettingData")
}

// modifyResources calls ModifyResourceSettings with the objects encoded.
func (f *fixture) modifyResources(t *testing.T, objs ...*wmi.Object) *wmi.Object {
	t.Helper()
	var texts []string
	for _, o := range objs {
		s, err := wmi.EncodeInstance(o)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, s)
	}
	return f.call(t, "ModifyResourceSettings", wmi.Params{"ResourceSettings": texts})
}

// modifySystem calls ModifySystemSettings with the object encoded.
func (f *fixture) modifySystem(t *testing.T, o *wmi.Object) uint32 {
	t.Helper()
	s, err := wmi.EncodeInstance(o)
	if err != nil {
		t.Fatal(err)
	}
	return wmi.ReturnValue(f.call(t, "ModifySystemSettings", wmi.Params{"SystemSettings": s}))
}

// snapshotFiles reads every file under dir, so a test can check that an
// operation left them as they were.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rel := range files(t, dir) {
		if b, err := os.ReadFile(filepath.Join(dir, rel)); err == nil {
			out[rel] = string(b)
		} else {
			out[rel] = "<dir>"
		}
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: %d files, were %d", what, len(after), len(before))
	}
	for rel, content := range before {
		if after[rel] != content {
			t.Errorf("%s: %s changed", what, rel)
		}
	}
}

// switchesSeed is a host with switches and no VMs.
func switchesSeed(names ...string) *sim.Seed {
	s := &sim.Seed{}
	for _, n := range names {
		s.Switches = append(s.Switches, sim.SeedSwitch{Name: n})
	}
	return s
}
