package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// wantFailed checks a validation (or realize) job that found
// incompatibilities.
func wantFailed(t *testing.T, job *wmi.Object, code uint32) {
	t.Helper()
	if job.Uint("JobState") != uint64(wmi.JobException) || job.Uint("ErrorCode") != uint64(code) || job.String("ErrorDescription") == "" {
		t.Fatalf("job state %d, error %d %q; want 10 and %d", job.Uint("JobState"), job.Uint("ErrorCode"), job.String("ErrorDescription"), code)
	}
}

// wantValidated checks a validation job that ran to its end: on a real
// host (the simulator's default) it completes even when it found
// incompatibilities, which GetErrorEx then lists (docs/HYPERV.md#validation).
func wantValidated(t *testing.T, job *wmi.Object) {
	t.Helper()
	if job.Uint("JobState") != uint64(wmi.JobCompleted) || job.Uint("ErrorCode") != 0 {
		t.Fatalf("job state %d, error %d %q; want 7 and 0", job.Uint("JobState"), job.Uint("ErrorCode"), job.String("ErrorDescription"))
	}
}

func messageIDs(errs []*wmi.Object) string { return join(names(errs, "MessageID")) }

// TestValidateMissingSwitch moves web-01 to a host without its switch:
// validation reports MessageID 33012 for the adapter
// (docs/HYPERV.md#validation), and reconnecting or disconnecting the
// adapter fixes it (docs/HYPERV.md#pitfall-missing-switch-disk).
func TestValidateMissingSwitch(t *testing.T) {
	t.Parallel()
	src := newFixture(t, sim.Options{})
	root := src.exportTo(t, sim.DemoWeb01ID, nil)
	f := newFixture(t, sim.Options{Seed: switchesSeed("LAN")})
	planned := f.mustImport(t, root, sim.DemoWeb01ID, false)
	if planned.String("Name") != sim.DemoWeb01ID {
		t.Fatalf("planned VM %s", planned.String("Name"))
	}
	vssd := f.settingsOf(t, planned.Path)[0]
	port := f.portsOf(t, vssd.Path)[0]
	if port.String("LastKnownSwitchName") != "External" || port.Uint("EnabledState") != uint64(wmi.EnabledEnabled) {
		t.Errorf("port of a missing switch: %q %d", port.String("LastKnownSwitchName"), port.Uint("EnabledState"))
	}

	job, errs := f.validate(t, planned.Path)
	wantValidated(t, job)
	if len(errs) != 1 {
		t.Fatalf("%d errors: %s", len(errs), messageIDs(errs))
	}
	e := errs[0]
	if e.Class != wmi.ClassError || e.String("MessageID") != "33012" || e.String("Message") != "Could not find Ethernet switch 'External'." ||
		!wmi.SamePath(e.String("ErrorSource"), port.Path) || !slices.Equal(e.Strings("MessageArguments"), []string{"External"}) {
		t.Errorf("Msvm_Error %s %q %q", e.String("MessageID"), e.String("Message"), e.String("ErrorSource"))
	}
	out, err := f.svc.ExecMethod(context.Background(), job.Path, "GetError", nil)
	if first, _ := wmi.DecodeInstance(out.String("Error")); err != nil || first == nil || first.String("MessageID") != "33012" {
		t.Errorf("GetError: %v %v", out, err)
	}
	// Realizing re-validates and fails the same way.
	rj := f.waitJob(t, f.startJob(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned.Path}))
	wantFailed(t, rj, wmi.ReturnFailed)
	if got := messageIDs(f.jobErrors(t, rj.Path)); got != "33012" {
		t.Errorf("realize errors %s", got)
	}
	f.get(t, planned.Path) // still planned

	// Fix 1: connect the adapter to LAN.
	lan := f.query(t, "SELECT * FROM Msvm_VirtualEthernetSwitch WHERE ElementName = 'LAN'")[0]
	port.MustSet("HostResource", []string{lan.Path})
	if out := f.modifyResources(t, port); wmi.ReturnValue(out) != 0 || !slices.Equal(out.Strings("ResultingResourceSettings"), []string{port.Path}) {
		t.Fatalf("connect: %d %v", wmi.ReturnValue(out), out.Get("ResultingResourceSettings"))
	}
	if p := f.get(t, port.Path); !wmi.SamePath(p.Strings("HostResource")[0], lan.Path) || p.String("LastKnownSwitchName") != "LAN" {
		t.Errorf("after connecting: %v %q", p.Strings("HostResource"), p.String("LastKnownSwitchName"))
	}
	if job, errs := f.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) || len(errs) != 0 {
		t.Fatalf("after connecting: state %d, %s", job.Uint("JobState"), messageIDs(errs))
	}

	// Fix 2: disconnect it (EnabledState 3, as Disconnect-VMNetworkAdapter).
	port = f.get(t, port.Path)
	port.MustSet("EnabledState", wmi.EnabledDisabled)
	if out := f.modifyResources(t, port); wmi.ReturnValue(out) != 0 {
		t.Fatalf("disconnect: %d", wmi.ReturnValue(out))
	}
	if p := f.get(t, port.Path); !p.IsNull("HostResource") || p.Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
		t.Errorf("after disconnecting: %v %d", p.Get("HostResource"), p.Uint("EnabledState"))
	}
	vm := f.realize(t, planned.Path)
	if p := f.portsOf(t, f.settingsOf(t, vm.Path)[0].Path)[0]; p.Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
		t.Errorf("the realized adapter is in state %d", p.Uint("EnabledState"))
	}
}

// TestImportSwitchByName: on another host a switch of the same name is
// used (the GUIDs differ).
func TestImportSwitchByName(t *testing.T) {
	t.Parallel()
	src := newFixture(t, sim.Options{})
	root := src.exportTo(t, sim.DemoWeb01ID, nil)
	f := newFixture(t, sim.Options{Seed: switchesSeed("external")})
	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	sw := f.query(t, "SELECT * FROM Msvm_VirtualEthernetSwitch")[0]
	port := f.portsOf(t, f.settingsOf(t, planned.Path)[0].Path)[0]
	if !wmi.SamePath(port.Strings("HostResource")[0], sw.Path) {
		t.Errorf("port connected to %v, want %s", port.Strings("HostResource"), sw.Path)
	}
	if job, errs := f.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Errorf("validation: %s", messageIDs(errs))
	}
}

// TestValidateMissingVirtualHardDisk: a disk path that names no file is an
// incompatibility on that disk's settings; the caller copies the disks
// elsewhere and points the planned VM at them (the parents of a
// differencing disk are found next to it).
func TestValidateMissingVirtualHardDisk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	settings := f.settingsOf(t, planned.Path)
	disk := f.disksOf(t, settings[0].Path)[0]
	original := disk.Strings("HostResource")[0]
	missing := filepath.Join(root, "nowhere.vhdx")
	disk.MustSet("HostResource", []string{missing})
	if ret := wmi.ReturnValue(f.modifyResources(t, disk)); ret != 0 {
		t.Fatalf("ModifyResourceSettings: %d", ret)
	}
	job, errs := f.validate(t, planned.Path)
	wantValidated(t, job)
	if len(errs) != 1 || errs[0].String("MessageID") != sim.MessageIDVirtualHardDiskNotFound ||
		!wmi.SamePath(errs[0].String("ErrorSource"), disk.Path) || !slices.Equal(errs[0].Strings("MessageArguments"), []string{missing}) ||
		!strings.Contains(errs[0].String("Message"), missing) {
		t.Fatalf("errors %s: %v", messageIDs(errs), errs)
	}

	// A missing parent counts too: remove the export's base data disk.
	if err := os.Remove(filepath.Join(root, "Virtual Hard Disks", "web-01-data.vhdx")); err != nil {
		t.Fatal(err)
	}
	_, errs = f.validate(t, planned.Path)
	// The VM's two disks, and the data disk of each snapshot.
	if got := messageIDs(errs); got != strings.Repeat(sim.MessageIDVirtualHardDiskNotFound+", ", 3)+sim.MessageIDVirtualHardDiskNotFound {
		t.Fatalf("errors %s", got)
	}

	// The caller copies the whole disk folder (the source was restored)
	// and points every disk at its copy.
	src := newFixture(t, sim.Options{})
	fresh := src.exportTo(t, sim.DemoWeb01ID, nil)
	moved := filepath.Join(t.TempDir(), "disks")
	if err := os.Rename(filepath.Join(fresh, "Virtual Hard Disks"), moved); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		for _, d := range f.disksOf(t, s.Path) {
			name := filepath.Base(d.Strings("HostResource")[0])
			if d.Path == disk.Path {
				name = filepath.Base(original)
			}
			d.MustSet("HostResource", []string{filepath.Join(moved, name)})
			if ret := wmi.ReturnValue(f.modifyResources(t, d)); ret != 0 {
				t.Fatalf("ModifyResourceSettings %s: %d", d.String("InstanceID"), ret)
			}
		}
	}
	if job, errs := f.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Fatalf("after moving the disks: %s", messageIDs(errs))
	}
	vm := f.realize(t, planned.Path)
	for _, s := range f.settingsOf(t, vm.Path) {
		for _, d := range f.disksOf(t, s.Path) {
			if filepath.Dir(d.Strings("HostResource")[0]) != moved {
				t.Errorf("%s: disk %v", s.String("ElementName"), d.Strings("HostResource"))
			}
		}
	}
}

// TestValidateConfigurationVersion moves a version 9.0 VM to a Windows
// Server 2016 host (5.0-8.0, docs/HYPERV.md#config-versions): the job's
// ErrorCode is 32784, and the version comes first among several
// incompatibilities.
func TestValidateConfigurationVersion(t *testing.T) {
	t.Parallel()
	src := newFixture(t, sim.Options{})
	root := src.exportTo(t, sim.DemoWeb01ID, nil)
	old := newFixture(t, sim.Options{HostRelease: "2016", Seed: switchesSeed("External")})
	planned := old.mustImport(t, root, sim.DemoWeb01ID, false)
	job, errs := old.validate(t, planned.Path)
	wantValidated(t, job)
	if len(errs) != 1 || errs[0].String("MessageID") != sim.MessageIDUnsupportedVersion ||
		!wmi.SamePath(errs[0].String("ErrorSource"), planned.Path) || !strings.Contains(errs[0].String("Message"), "9.0") {
		t.Fatalf("errors %s", messageIDs(errs))
	}
	rj := old.waitJob(t, old.startJob(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned.Path}))
	wantFailed(t, rj, wmi.ReturnUnsupportedVersion)
	if n := len(old.query(t, "SELECT * FROM Msvm_ComputerSystem")); n != 1 {
		t.Errorf("%d computer systems after a failed realize", n)
	}

	// A 2016 host without the switch: two incompatibilities, version first.
	bare := newFixture(t, sim.Options{HostRelease: "2016", Seed: switchesSeed()})
	planned = bare.mustImport(t, root, sim.DemoWeb01ID, false)
	job, errs = bare.validate(t, planned.Path)
	wantValidated(t, job)
	if got := messageIDs(errs); got != sim.MessageIDUnsupportedVersion+", 33012" {
		t.Errorf("errors %s", got)
	}

	// 2019 takes 9.0; 2022 and 2025 do not take 5.0.
	newer := newFixture(t, sim.Options{HostRelease: "2019", Seed: switchesSeed("External")})
	planned = newer.mustImport(t, root, sim.DemoWeb01ID, false)
	if job, errs := newer.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Errorf("2019: %s", messageIDs(errs))
	}
	if _, err := sim.New(sim.Options{DataDir: t.TempDir(), HostRelease: "2012R2"}); err == nil {
		t.Error("HostRelease 2012R2 accepted")
	}
}

// TestImportSnapshotDefinitions: without a SnapshotFolder the checkpoints
// are missing (an incompatibility each) until ImportSnapshotDefinitions
// imports them from the export's Snapshots folder.
func TestImportSnapshotDefinitions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	planned := f.plannedOfJob(t, f.importDef(t, definitionFile(root, sim.DemoWeb01ID), "", true))
	if got := join(names(f.settingsOf(t, planned.Path), "ElementName")); got != "web-01" {
		t.Fatalf("settings without snapshots: %s", got)
	}
	job, errs := f.validate(t, planned.Path)
	wantValidated(t, job)
	if got := messageIDs(errs); got != sim.MessageIDSnapshotNotFound+", "+sim.MessageIDSnapshotNotFound {
		t.Fatalf("errors %s", got)
	}

	// Not in this folder: none found, no error.
	other := t.TempDir()
	j := f.waitJob(t, f.startJob(t, "ImportSnapshotDefinitions", wmi.Params{"PlannedSystem": planned.Path, "SnapshotFolder": other}))
	wantCompleted(t, j)
	if n := len(f.settingsOf(t, planned.Path)); n != 1 {
		t.Errorf("%d settings after an empty folder", n)
	}
	out := f.call(t, "ImportSnapshotDefinitions", wmi.Params{"PlannedSystem": planned.Path, "SnapshotFolder": filepath.Join(root, "Snapshots")})
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted || !out.IsNull("ImportedSnapshots") {
		t.Fatalf("ImportSnapshotDefinitions: %d %v", wmi.ReturnValue(out), out.Get("ImportedSnapshots"))
	}
	wantCompleted(t, f.waitJob(t, out.String("Job")))
	settings := f.settingsOf(t, planned.Path)
	if got := join(names(settings, "ElementName")); got != "web-01, Before update, After update" ||
		settings[1].String("VirtualSystemType") != wmi.SnapshotTypePlanned || !wmi.SamePath(settings[0].String("Parent"), settings[2].Path) {
		t.Fatalf("settings %s", got)
	}
	if job, errs := f.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Fatalf("after importing the snapshots: %s", messageIDs(errs))
	}
	vm := f.realize(t, planned.Path)
	current := f.query(t, "ASSOCIATORS OF {"+vm.Path+"} WHERE AssocClass = Msvm_MostCurrentSnapshotInBranch")
	if len(current) != 1 || current[0].String("ElementName") != "After update" {
		t.Errorf("most current snapshot %v", names(current, "ElementName"))
	}
}

// TestValidationFailingVariant: with Options.ValidationFailsJob the
// validation job ends in 10 Exception instead, carrying the same
// Msvm_Error list, its ErrorCode (32784 for an unsupported version, else
// 32768) and a description naming the first incompatibility. hvport's
// driver reads the list either way.
func TestValidationFailingVariant(t *testing.T) {
	t.Parallel()
	src := newFixture(t, sim.Options{})
	root := src.exportTo(t, sim.DemoWeb01ID, nil)
	for _, c := range []struct {
		release string
		code    uint32
		ids     string
	}{
		{"2022", wmi.ReturnFailed, "33012"},
		{"2016", wmi.ReturnUnsupportedVersion, sim.MessageIDUnsupportedVersion + ", 33012"},
	} {
		f := newFixture(t, sim.Options{HostRelease: c.release, Seed: switchesSeed("LAN"), ValidationFailsJob: true})
		planned := f.mustImport(t, root, sim.DemoWeb01ID, false)
		job, errs := f.validate(t, planned.Path)
		wantFailed(t, job, c.code)
		if got := messageIDs(errs); got != c.ids {
			t.Errorf("%s: errors %s, want %s", c.release, got, c.ids)
		}
		if !strings.Contains(job.String("ErrorDescription"), errs[0].String("Message")) {
			t.Errorf("%s: ErrorDescription %q", c.release, job.String("ErrorDescription"))
		}
	}
}
