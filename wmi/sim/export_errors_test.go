package sim_test

import (
	"context"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestExportValidation checks each synchronous return code of
// ExportSystemDefinition, in the documented order of the checks.
func TestExportValidation(t *testing.T) {
	t.Parallel()
	seed := smallDemoSeed()
	seed.VMs = append(seed.VMs,
		sim.SeedVM{Name: "paused", State: "paused", ID: "C0FFEE01-0000-4000-8000-0000000000A1"},
		sim.SeedVM{Name: "saving", State: "saving", ID: "C0FFEE01-0000-4000-8000-0000000000A2"},
		sim.SeedVM{Name: "starting", State: "starting", ID: "C0FFEE01-0000-4000-8000-0000000000A3"},
	)
	f := newFixture(t, sim.Options{Seed: seed})
	dir := t.TempDir()
	good := f.exportSettings(t, sim.DemoWeb01ID, nil)
	with := func(vm string, edit func(o *wmi.Object)) string { return f.exportSettings(t, vm, edit) }
	set := func(name string, v any) func(o *wmi.Object) { return func(o *wmi.Object) { o.MustSet(name, v) } }
	vssd, err := wmi.EncodeInstance(f.get(t, vssdPath(sim.DemoWeb01ID)))
	if err != nil {
		t.Fatal(err)
	}
	webDisk := f.query(t, "ASSOCIATORS OF {"+vssdPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_StorageAllocationSettingData")[0].String("InstanceID")

	for _, tc := range []struct {
		name     string
		system   string
		dir      string
		settings string
		want     uint32
	}{
		{"the host is not a VM", vmPath("HVSIM"), dir, good, wmi.ReturnInvalidParameter},
		{"no such VM", vmPath("00000000-0000-0000-0000-000000000000"), dir, good, wmi.ReturnInvalidParameter},
		{"not a path", "web-01", dir, good, wmi.ReturnInvalidParameter},
		{"a switch", f.query(t, "SELECT * FROM Msvm_VirtualEthernetSwitch")[0].Path, dir, good, wmi.ReturnInvalidParameter},
		{"empty directory", vmPath(sim.DemoWeb01ID), "", good, wmi.ReturnInvalidParameter},
		{"relative directory", vmPath(sim.DemoWeb01ID), "exports/web", good, wmi.ReturnInvalidParameter},
		{"no setting data", vmPath(sim.DemoWeb01ID), dir, "", wmi.ReturnInvalidParameter},
		{"setting data not CIM-XML", vmPath(sim.DemoWeb01ID), dir, "<INSTANCE", wmi.ReturnInvalidParameter},
		{"setting data of another class", vmPath(sim.DemoWeb01ID), dir, vssd, wmi.ReturnInvalidParameter},
		{"CopySnapshotConfiguration out of range", vmPath(sim.DemoWeb01ID), dir, with(sim.DemoWeb01ID, set("CopySnapshotConfiguration", 4)), wmi.ReturnInvalidParameter},
		{"CaptureLiveState out of range", vmPath(sim.DemoWeb01ID), dir, with(sim.DemoWeb01ID, set("CaptureLiveState", 3)), wmi.ReturnInvalidParameter},
		{"one snapshot without a snapshot", vmPath(sim.DemoWeb01ID), dir, with(sim.DemoWeb01ID, set("CopySnapshotConfiguration", 2)), wmi.ReturnInvalidParameter},
		{"one snapshot: the VM's own settings", vmPath(sim.DemoWeb01ID), dir, with(sim.DemoWeb01ID, func(o *wmi.Object) {
			o.MustSet("CopySnapshotConfiguration", 2)
			o.MustSet("SnapshotVirtualSystem", vssdPath(sim.DemoWeb01ID))
		}), wmi.ReturnInvalidParameter},
		{"one snapshot of another VM", vmPath(sim.DemoDB01ID), dir, with(sim.DemoDB01ID, func(o *wmi.Object) {
			o.MustSet("CopySnapshotConfiguration", 3)
			o.MustSet("SnapshotVirtualSystem", vssdPath(sim.DemoWeb01Checkpoint1))
		}), wmi.ReturnInvalidParameter},
		{"excluded disks with all snapshots", vmPath(sim.DemoWeb01ID), dir, with(sim.DemoWeb01ID, set("ExcludedVirtualHardDisks", []string{webDisk})), wmi.ReturnInvalidParameter},
		{"excluded disk unknown", vmPath(sim.DemoWeb01ID), dir, with(sim.DemoWeb01ID, func(o *wmi.Object) {
			o.MustSet("CopySnapshotConfiguration", 1)
			o.MustSet("ExcludedVirtualHardDisks", []string{"Microsoft:nope"})
		}), wmi.ReturnInvalidParameter},
		{"paused", vmPath("C0FFEE01-0000-4000-8000-0000000000A1"), dir, good, wmi.ReturnInvalidState},
		{"saving", vmPath("C0FFEE01-0000-4000-8000-0000000000A2"), dir, good, wmi.ReturnInvalidState},
		{"starting", vmPath("C0FFEE01-0000-4000-8000-0000000000A3"), dir, good, wmi.ReturnInvalidState},
		// Parameters are checked before the VM's state.
		{"paused, relative directory", vmPath("C0FFEE01-0000-4000-8000-0000000000A1"), "x", good, wmi.ReturnInvalidParameter},
	} {
		out, err := f.svc.ExecMethod(context.Background(), vsmsPath, "ExportSystemDefinition", wmi.Params{
			"ComputerSystem": tc.system, "ExportDirectory": tc.dir, "ExportSettingData": tc.settings,
		})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := wmi.ReturnValue(out); got != tc.want || !out.IsNull("Job") {
			t.Errorf("%s: returned %d, Job %v; want %d and no job", tc.name, got, out.Get("Job"), tc.want)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("a rejected export wrote %v", got)
	}
	if n := len(f.query(t, "SELECT * FROM Msvm_ConcreteJob")); n != 0 {
		t.Errorf("%d jobs after rejected exports", n)
	}

	// ComputerSystem may also name the VM's settings, as os-win passes it.
	out, err := f.svc.ExecMethod(context.Background(), vsmsPath, "ExportSystemDefinition", wmi.Params{
		"ComputerSystem": vssdPath(sim.DemoDB01ID), "ExportDirectory": t.TempDir(), "ExportSettingData": good,
	})
	if err != nil || wmi.ReturnValue(out) != wmi.ReturnJobStarted {
		t.Fatalf("export by VSSD path: %v %v", out, err)
	}
	f.waitJob(t, out.String("Job"))

	// A spawned instance (no InstanceID, unset properties NULL) is
	// accepted: NULL booleans count as FALSE.
	spawned := &wmi.Object{Class: wmi.ClassExportSettingData}
	spawned.MustAdd("CopySnapshotConfiguration", wmi.CIMUint8, false, wmi.ExportNoSnapshots)
	text, err := wmi.EncodeInstance(spawned)
	if err != nil {
		t.Fatal(err)
	}
	exportDir := t.TempDir()
	ret, job := f.export(t, sim.DemoDB01ID, exportDir, text)
	if ret != wmi.ReturnJobStarted {
		t.Fatalf("spawned setting data: %d", ret)
	}
	f.waitJob(t, job)
	if got := join(files(t, exportDir)); got != join([]string{snapDir, vhdDir, vmDir, vmDir + sim.DemoDB01ID + ".vmcx"}) {
		t.Errorf("files %s", got)
	}
}
