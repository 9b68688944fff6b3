package sim_test

import (
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestImportFaults: fault rules work for the import methods — a
// synchronous ReturnValue before the checks, a job error at the start of
// jobs that copy nothing and at a percentage of a realize's copy.
func TestImportFaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	root := f.exportTo(t, sim.DemoDB01ID, nil)
	def := definitionFile(root, sim.DemoDB01ID)

	// Synchronous, matched by the VM in the definition file, before the
	// checks (this import keeps a GUID in use).
	f.host.AddFault(sim.FaultRule{Method: "ImportSystemDefinition", VM: "db-01", ReturnValue: wmi.ReturnAccessDenied, Count: 1})
	if got := wmi.ReturnValue(f.importDef(t, def, "", false)); got != wmi.ReturnAccessDenied {
		t.Errorf("sync fault: %d", got)
	}
	// A job fault on import: no planned VM.
	f.host.AddFault(sim.FaultRule{Method: "ImportSystemDefinition", JobErrorCode: uint16(wmi.ReturnOutOfMemory), Count: 1})
	job := f.finish(t, f.startJob(t, "ImportSystemDefinition", wmi.Params{"SystemDefinitionFile": def, "GenerateNewSystemIdentifier": true}))
	wantFailed(t, job, wmi.ReturnOutOfMemory)
	if n := len(f.query(t, "SELECT * FROM Msvm_PlannedComputerSystem")); n != 0 {
		t.Errorf("a failed import left %d planned VMs", n)
	}
	planned := f.mustImport(t, root, sim.DemoDB01ID, true).Path

	for _, m := range []string{"ValidatePlannedSystem", "DestroySystem", "ImportSnapshotDefinitions", "RealizePlannedSystem"} {
		f.host.AddFault(sim.FaultRule{Method: m, ReturnValue: wmi.ReturnNotAvailable, Count: 1})
		in := wmi.Params{"PlannedSystem": planned, "SnapshotFolder": filepath.Join(root, "Snapshots")}
		if m == "DestroySystem" {
			in = wmi.Params{"AffectedSystem": planned}
		} else if m != "ImportSnapshotDefinitions" {
			delete(in, "SnapshotFolder")
		}
		if got := wmi.ReturnValue(f.call(t, m, in)); got != wmi.ReturnNotAvailable {
			t.Errorf("%s sync fault: %d", m, got)
		}
		f.host.AddFault(sim.FaultRule{Method: m, VM: "db-01", JobErrorCode: uint16(wmi.ReturnTimeout), JobErrorDescription: "simulated", Count: 1})
		job := f.finish(t, f.startJob(t, m, in))
		wantFailed(t, job, wmi.ReturnTimeout)
		if errs := f.jobErrors(t, job.Path); len(errs) != 1 || errs[0].String("Message") != "simulated" ||
			!wmi.SamePath(errs[0].String("ErrorSource"), planned) {
			t.Errorf("%s job fault: errors %v", m, errs)
		}
		f.get(t, planned) // still there
	}
	for _, m := range []string{"ModifySystemSettings", "ModifyResourceSettings", "GetDefinitionFileSummaryInformation"} {
		f.host.AddFault(sim.FaultRule{Method: m, ReturnValue: wmi.CIMReturnFailed, Count: 1})
		if got := wmi.ReturnValue(f.call(t, m, nil)); got != wmi.CIMReturnFailed {
			t.Errorf("%s sync fault: %d", m, got)
		}
	}

	// Realize fails when its copy of the runtime state reaches 50%, and
	// removes what it wrote.
	home := filepath.Join(t.TempDir(), "home")
	vssd := f.settingsOf(t, planned)[0]
	vssd.MustSet("ConfigurationDataRoot", home)
	if ret := f.modifySystem(t, vssd); ret != 0 {
		t.Fatal(ret)
	}
	f.host.AddFault(sim.FaultRule{Method: "RealizePlannedSystem", JobErrorCode: uint16(wmi.ReturnFailed), AtPercent: 50})
	j := f.startJob(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned})
	var seen []uint64
	o := f.stepUntil(t, j, func(o *wmi.Object) bool {
		seen = append(seen, o.Uint("PercentComplete"))
		return wmi.JobStateTerminal(uint16(o.Uint("JobState")))
	})
	wantFailed(t, o, wmi.ReturnFailed)
	if p := o.Uint("PercentComplete"); p < 50 || p >= 100 {
		t.Errorf("failed at %d%% (%v)", p, seen)
	}
	if got := files(t, filepath.Dir(home)); len(got) != 0 {
		t.Errorf("partial realization left: %v", got)
	}
	f.get(t, planned)
	f.host.ClearFaults()
	vm := f.realize(t, planned)
	if !isFile(filepath.Join(home, "Virtual Machines", vm.String("Name")+".vmrs")) {
		t.Errorf("realized: %v", files(t, home))
	}
}

// TestRealizeKilled: killing a realize mid-copy removes its output and
// leaves the planned VM.
func TestRealizeKilled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	root := f.exportTo(t, sim.DemoDB01ID, nil)
	planned := f.mustImport(t, root, sim.DemoDB01ID, true)
	home := filepath.Join(t.TempDir(), "home")
	vssd := f.settingsOf(t, planned.Path)[0]
	vssd.MustSet("ConfigurationDataRoot", home)
	if ret := f.modifySystem(t, vssd); ret != 0 {
		t.Fatal(ret)
	}
	job := f.startJob(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned.Path})
	f.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") >= 20 })
	if ret := f.requestStateChange(t, job, wmi.JobRequestKill); ret != wmi.RSCCompleted {
		t.Fatalf("kill: %d", ret)
	}
	if o := f.get(t, job); o.Uint("JobState") != uint64(wmi.JobKilled) {
		t.Errorf("state %d", o.Uint("JobState"))
	}
	if got := files(t, filepath.Dir(home)); len(got) != 0 {
		t.Errorf("partial realization left: %v", got)
	}
	if n := len(f.query(t, "SELECT * FROM Msvm_ComputerSystem")); n != 4 {
		t.Errorf("%d computer systems", n)
	}
	f.get(t, planned.Path)
}
