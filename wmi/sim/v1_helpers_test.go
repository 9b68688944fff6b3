package sim_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// Helpers for tests of root\virtualization (v1) through wmi.Services.

const v1VsmsPath = `\\HVSIM\root\virtualization:Msvm_VirtualSystemManagementService.CreationClassName="Msvm_VirtualSystemManagementService",Name="vmms",SystemCreationClassName="Msvm_ComputerSystem",SystemName="HVSIM"`

func v1VMPath(id string) string {
	return `\\HVSIM\root\virtualization:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="` + id + `"`
}

func v1VSSDPath(id string) string {
	return `\\HVSIM\root\virtualization:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:` + id + `"`
}

// v1fixture is a host with a connection to each namespace: v2 is the
// fixture's own (f.svc), v1 a fixture on the same host (its svc in
// root\virtualization), so every helper of fixture works on either.
type v1fixture struct {
	*fixture
	v1 *fixture
}

func newV1Fixture(t *testing.T, opts sim.Options) *v1fixture {
	t.Helper()
	f := newFixture(t, opts)
	svc, err := f.host.Services(wmi.NamespaceV1)
	if err != nil {
		t.Fatal(err)
	}
	return &v1fixture{fixture: f, v1: &fixture{host: f.host, svc: svc, clock: f.clock}}
}

// call1 runs a method of v1's management service.
func (f *v1fixture) call1(t *testing.T, method string, in wmi.Params) *wmi.Object {
	t.Helper()
	out, err := f.v1.svc.ExecMethod(context.Background(), v1VsmsPath, method, in)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return out
}

// v1ExportSettings reads the VM's v1 export setting data, lets edit change
// it and encodes it.
func (f *v1fixture) v1ExportSettings(t *testing.T, vmID string, edit func(o *wmi.Object)) string {
	t.Helper()
	objs := f.v1.query(t, "ASSOCIATORS OF {"+v1VMPath(vmID)+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	if len(objs) != 1 {
		t.Fatalf("want one v1 export setting data for %s, got %d", vmID, len(objs))
	}
	if edit != nil {
		edit(objs[0])
	}
	s, err := wmi.EncodeInstance(objs[0])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// export1 calls ExportVirtualSystemEx and returns its return value and job.
func (f *v1fixture) export1(t *testing.T, vmID, dir, settings string) (uint32, string) {
	t.Helper()
	out := f.call1(t, "ExportVirtualSystemEx", wmi.Params{
		"ComputerSystem": v1VMPath(vmID), "ExportDirectory": dir, "ExportSettingData": settings,
	})
	return wmi.ReturnValue(out), out.String("Job")
}

// exportTo1 exports a VM through v1 into a fresh folder and returns it.
func (f *v1fixture) exportTo1(t *testing.T, vmID string, edit func(o *wmi.Object)) string {
	t.Helper()
	dir := t.TempDir()
	ret, job := f.export1(t, vmID, dir, f.v1ExportSettings(t, vmID, edit))
	if ret != wmi.ReturnJobStarted {
		t.Fatalf("ExportVirtualSystemEx returned %d", ret)
	}
	wantCompleted(t, f.v1.finish(t, job))
	return dir
}

// importSettings1 calls GetVirtualSystemImportSettingData, which must
// return 0 and the embedded object.
func (f *v1fixture) importSettings1(t *testing.T, dir string) *wmi.Object {
	t.Helper()
	out := f.call1(t, "GetVirtualSystemImportSettingData", wmi.Params{"ImportDirectory": dir})
	o, ok := out.Get("ImportSettingData").(*wmi.Object)
	if wmi.ReturnValue(out) != wmi.ReturnOK || !ok {
		t.Fatalf("GetVirtualSystemImportSettingData returned %d, %T", wmi.ReturnValue(out), out.Get("ImportSettingData"))
	}
	return o
}

// startImport1 calls ImportVirtualSystemEx with settings encoded and
// returns its job, which must have started.
func (f *v1fixture) startImport1(t *testing.T, dir string, settings *wmi.Object) string {
	t.Helper()
	text, err := wmi.EncodeInstance(settings)
	if err != nil {
		t.Fatal(err)
	}
	out := f.call1(t, "ImportVirtualSystemEx", wmi.Params{"ImportDirectory": dir, "ImportSettingData": text})
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted || out.String("Job") == "" {
		t.Fatalf("ImportVirtualSystemEx returned %d, job %q", wmi.ReturnValue(out), out.String("Job"))
	}
	return out.String("Job")
}

// import1 runs an import to completion and returns the new VM as v1 shows
// it, found through the job's Msvm_AffectedJobElement.
func (f *v1fixture) import1(t *testing.T, dir string, settings *wmi.Object) *wmi.Object {
	t.Helper()
	job := f.startImport1(t, dir, settings)
	wantCompleted(t, f.v1.finish(t, job))
	vms := f.v1.query(t, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement ResultClass = Msvm_ComputerSystem")
	if len(vms) != 1 {
		t.Fatalf("the import job is associated with %d VMs", len(vms))
	}
	return vms[0]
}

// set assigns properties of an instance the test built or read.
func set(t *testing.T, o *wmi.Object, kv map[string]any) {
	t.Helper()
	for k, v := range kv {
		if err := o.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
}

// exported names a file of an export root.
func exported(root string, parts ...string) string {
	return filepath.Join(append([]string{root}, parts...)...)
}
