package sim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestV1ExportLayout exports web-01 (Off, two checkpoints) through v1 into
// a subfolder: .exp definitions, the disks, the job in root\virtualization.
func TestV1ExportLayout(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	dir := t.TempDir()
	ret, job := f.export1(t, sim.DemoWeb01ID, dir, f.v1ExportSettings(t, sim.DemoWeb01ID, func(o *wmi.Object) {
		set(t, o, map[string]any{"CreateVmExportSubdirectory": true})
	}))
	if ret != wmi.ReturnJobStarted || !strings.HasPrefix(job, `\\HVSIM\root\virtualization:Msvm_ConcreteJob.InstanceID="`) {
		t.Fatalf("ExportVirtualSystemEx: %d, job %q", ret, job)
	}
	j := f.v1.finish(t, job)
	wantCompleted(t, j)
	if j.Has("JobType") || j.String("Name") != "Export Virtual Machine" {
		t.Errorf("v1 job: JobType declared %v, Name %q", j.Has("JobType"), j.String("Name"))
	}
	if got := f.v1.query(t, "ASSOCIATORS OF {"+job+"} WHERE ResultClass = Msvm_ComputerSystem"); len(got) != 1 || got[0].Path != v1VMPath(sim.DemoWeb01ID) {
		t.Errorf("the job's affected element: %v", got)
	}
	// The v1 job is not a v2 job.
	if got := f.query(t, "SELECT * FROM Msvm_ConcreteJob"); len(got) != 0 {
		t.Errorf("v2 sees %d jobs", len(got))
	}
	s1, s2 := sim.DemoWeb01Checkpoint1, sim.DemoWeb01Checkpoint2
	want := []string{
		"web-01/", "web-01/Snapshots/", "web-01/Snapshots/" + s1 + ".exp", "web-01/Snapshots/" + s2 + ".exp",
		"web-01/Virtual Hard Disks/",
		"web-01/Virtual Hard Disks/web-01-data.vhdx",
		"web-01/Virtual Hard Disks/web-01-data_" + s1 + ".avhdx",
		"web-01/Virtual Hard Disks/web-01-data_" + s2 + ".avhdx",
		"web-01/Virtual Hard Disks/web-01.vhdx",
		"web-01/Virtual Hard Disks/web-01_" + s1 + ".avhdx",
		"web-01/Virtual Hard Disks/web-01_" + s2 + ".avhdx",
		"web-01/Virtual Machines/", "web-01/Virtual Machines/" + sim.DemoWeb01ID + ".exp",
	}
	if got := files(t, dir); join(got) != join(want) {
		t.Fatalf("export files:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	hostDisks := filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks")
	sameFile(t, filepath.Join(hostDisks, "web-01.vhdx"), exported(dir, "web-01", "Virtual Hard Disks", "web-01.vhdx"))
	// The definition records the disks at their host paths.
	var def struct {
		Kind  string `json:"kind"`
		Disks []struct {
			Path        string   `json:"path"`
			ParentPaths []string `json:"parentPaths"`
		} `json:"disks"`
	}
	b, err := os.ReadFile(exported(dir, "web-01", "Virtual Machines", sim.DemoWeb01ID+".exp"))
	if err != nil || json.Unmarshal(b, &def) != nil {
		t.Fatal(err)
	}
	if def.Kind != "virtualMachine" || len(def.Disks) != 2 ||
		def.Disks[0].Path != filepath.Join(hostDisks, "web-01_"+s2+".avhdx") ||
		def.Disks[0].ParentPaths[1] != filepath.Join(hostDisks, "web-01.vhdx") {
		t.Errorf("definition %+v", def)
	}
}

// TestV1ExportSavedState: a Saved VM's saved state is the <GUID>\ folder
// with .bin and .vsv, not a .vmrs; config.xml only with the option.
func TestV1ExportSavedState(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{V1: sim.V1Options{ExportConfigXML: true}})
	dir := f.exportTo1(t, sim.DemoDB01ID, nil)
	id := sim.DemoDB01ID
	want := []string{
		"Snapshots/", "Virtual Hard Disks/", "Virtual Hard Disks/db-01.vhdx",
		"Virtual Machines/", "Virtual Machines/" + id + ".exp", "Virtual Machines/" + id + "/",
		"Virtual Machines/" + id + "/" + id + ".bin", "Virtual Machines/" + id + "/" + id + ".vsv", "config.xml",
	}
	if got := files(t, dir); join(got) != join(want) {
		t.Fatalf("export files:\n%s", strings.Join(got, "\n"))
	}
	sameFile(t, filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Machines", id+".vmrs"), exported(dir, "Virtual Machines", id, id+".bin"))
	if b, _ := os.ReadFile(exported(dir, "config.xml")); !strings.Contains(string(b), "<configuration") || !strings.Contains(string(b), id) {
		t.Errorf("config.xml: %s", b)
	}

	// Without the runtime information: no saved state folder, no
	// config.xml by default.
	g := newV1Fixture(t, sim.Options{})
	dir = g.exportTo1(t, sim.DemoDB01ID, func(o *wmi.Object) { set(t, o, map[string]any{"CopyVmRuntimeInformation": false}) })
	if got := join(files(t, dir)); got != "Snapshots/, Virtual Hard Disks/, Virtual Hard Disks/db-01.vhdx, Virtual Machines/, Virtual Machines/"+id+".exp" {
		t.Errorf("export without runtime information: %s", got)
	}
}

// TestV1ExportOneSnapshot: CopySnapshotConfiguration 2 with a v1 snapshot
// path exports that snapshot as a VM.
func TestV1ExportOneSnapshot(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	dir := f.exportTo1(t, sim.DemoWeb01ID, func(o *wmi.Object) {
		set(t, o, map[string]any{"CopySnapshotConfiguration": wmi.ExportOneSnapshot, "SnapshotVirtualSystem": v1VSSDPath(sim.DemoWeb01Checkpoint1)})
	})
	if _, err := os.Stat(exported(dir, "Virtual Machines", sim.DemoWeb01Checkpoint1+".exp")); err != nil {
		t.Error(err)
	}
}

// TestV1ExportErrors: the synchronous failures, in ExportSystemDefinition's
// order, with v1's rules.
func TestV1ExportErrors(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{CopyBytesPerSecond: slow})
	good := f.v1ExportSettings(t, sim.DemoWeb01ID, nil)
	// v2's default instance has CaptureLiveState & co.: not a v1 instance.
	v2Settings := f.exportSettings(t, sim.DemoWeb01ID, nil)
	cases := []struct {
		name     string
		vm, dir  string
		settings string
		want     uint32
	}{
		{"no such VM", "C0FFEE01-0000-4000-8000-0000000000FF", t.TempDir(), good, wmi.ReturnInvalidParameter},
		{"relative directory", sim.DemoWeb01ID, "exports", good, wmi.ReturnInvalidParameter},
		{"NULL settings", sim.DemoWeb01ID, t.TempDir(), "", wmi.ReturnInvalidParameter},
		{"v2 properties", sim.DemoWeb01ID, t.TempDir(), v2Settings, wmi.ReturnInvalidParameter},
		{"CopySnapshotConfiguration 3", sim.DemoWeb01ID, t.TempDir(), f.v1ExportSettings(t, sim.DemoWeb01ID, func(o *wmi.Object) {
			set(t, o, map[string]any{"CopySnapshotConfiguration": wmi.ExportOneSnapshotForBackup,
				"SnapshotVirtualSystem": v1VSSDPath(sim.DemoWeb01Checkpoint1)})
		}), wmi.ReturnInvalidParameter},
		{"snapshot of another VM", sim.DemoWeb01ID, t.TempDir(), f.v1ExportSettings(t, sim.DemoWeb01ID, func(o *wmi.Object) {
			set(t, o, map[string]any{"CopySnapshotConfiguration": wmi.ExportOneSnapshot, "SnapshotVirtualSystem": v1VSSDPath(sim.DemoDB01ID)})
		}), wmi.ReturnInvalidParameter},
		{"running", sim.DemoBuildAgentID, t.TempDir(), f.v1ExportSettings(t, sim.DemoBuildAgentID, nil), wmi.ReturnInvalidState},
	}
	for _, c := range cases {
		ret, job := f.export1(t, c.vm, c.dir, c.settings)
		if ret != c.want || job != "" {
			t.Errorf("%s: %d, job %q; want %d", c.name, ret, job, c.want)
		}
	}
	// A v2 job makes the VM busy for v1, and a v1 job for v2.
	v2job := f.mustExport(t, sim.DemoWeb01ID, t.TempDir(), nil)
	if ret, _ := f.export1(t, sim.DemoWeb01ID, t.TempDir(), good); ret != wmi.ReturnSystemInUse {
		t.Errorf("v1 export of a VM busy with a v2 export: %d", ret)
	}
	if got := f.requestStateChange(t, v2job, wmi.JobRequestKill); got != 0 {
		t.Fatalf("kill: %d", got)
	}
	ret, v1job := f.export1(t, sim.DemoDB01ID, t.TempDir(), f.v1ExportSettings(t, sim.DemoDB01ID, nil))
	if ret != wmi.ReturnJobStarted {
		t.Fatalf("v1 export of db-01: %d", ret)
	}
	if ret, _ := f.export(t, sim.DemoDB01ID, t.TempDir(), f.exportSettings(t, sim.DemoDB01ID, nil)); ret != wmi.ReturnSystemInUse {
		t.Errorf("v2 export of a VM busy with a v1 export: %d", ret)
	}
	// The v1 job is killed through v1, and is not reachable through v2.
	if _, err := f.svc.Get(t.Context(), v1job); err == nil {
		t.Error("v2 reads a v1 job")
	}
	if got := f.v1.requestStateChange(t, v1job, wmi.JobRequestKill); got != 0 {
		t.Fatalf("kill v1 job: %d", got)
	}
	if j := f.v1.finish(t, v1job); j.Uint("JobState") != uint64(wmi.JobKilled) {
		t.Errorf("v1 job state %d", j.Uint("JobState"))
	}
}
