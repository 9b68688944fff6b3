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

// TestImportRegisterInPlace walks the v2 import flow of
// docs/HYPERV.md#import-sequence on an export of web-01 (two checkpoints,
// two disks): a keep-ID import while web-01 is registered fails with 32779; a new-ID import
// gives a planned VM that realizes in place next to the original; after
// DestroySystem of the original a keep-ID import registers it in place
// again with its own GUID.
func TestImportRegisterInPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root1 := f.exportTo(t, sim.DemoWeb01ID, nil)
	root2 := f.exportTo(t, sim.DemoWeb01ID, nil)
	exported := snapshotFiles(t, root1)

	// The original is registered: its GUID is in use.
	out := f.importDef(t, definitionFile(root1, sim.DemoWeb01ID), filepath.Join(root1, "Snapshots"), false)
	if wmi.ReturnValue(out) != wmi.ReturnFileInUse || !out.IsNull("ImportedSystem") || !out.IsNull("Job") {
		t.Fatalf("keep-ID import of a registered VM: %d, %v, %v", wmi.ReturnValue(out), out.Get("ImportedSystem"), out.Get("Job"))
	}

	// A new ID: a planned VM beside the original.
	planned := f.mustImport(t, root1, sim.DemoWeb01ID, true)
	newID := planned.String("Name")
	if newID == sim.DemoWeb01ID || len(newID) != 36 || strings.ToUpper(newID) != newID {
		t.Fatalf("planned VM GUID %q", newID)
	}
	if planned.Path != plannedPath(newID) || planned.Class != wmi.ClassPlannedComputerSystem ||
		planned.String("Caption") != "Planned Virtual Machine" || planned.String("ElementName") != "web-01" ||
		planned.String("Description") != "Microsoft Planned Virtual Machine" {
		t.Errorf("planned VM %s %q %q", planned.Path, planned.String("Caption"), planned.String("ElementName"))
	}
	if got := f.query(t, "SELECT * FROM Msvm_PlannedComputerSystem WHERE ElementName = 'web-01'"); len(got) != 1 || got[0].Path != planned.Path {
		t.Errorf("planned VMs named web-01: %d", len(got))
	}
	if got := join(names(f.query(t, "SELECT * FROM Msvm_ComputerSystem"), "ElementName")); got != "HVSIM, web-01, db-01, build-agent" {
		t.Errorf("Msvm_ComputerSystem returns %s", got)
	}
	if got := len(f.query(t, "SELECT * FROM CIM_ComputerSystem")); got != 7 {
		t.Errorf("CIM_ComputerSystem returns %d instances, want host, 3 VMs, the planned VM and 2 switches", got)
	}
	_, err := f.svc.Get(context.Background(), vmPath(newID))
	wantHResult(t, err, wmi.WBEMNotFound)

	// Its settings: planned, with new GUIDs, data roots at the export root,
	// disks resolved into the export.
	settings := f.settingsOf(t, planned.Path)
	if got := join(names(settings, "ElementName")); got != "web-01, Before update, After update" {
		t.Fatalf("planned settings %s", got)
	}
	vssd, snap1, snap2 := settings[0], settings[1], settings[2]
	if vssd.String("VirtualSystemType") != wmi.SystemTypePlanned || snap1.String("VirtualSystemType") != wmi.SnapshotTypePlanned ||
		vssd.String("InstanceID") != "Microsoft:"+newID || vssd.String("VirtualSystemIdentifier") != newID {
		t.Errorf("planned VSSD %s %s, snapshot %s", vssd.String("InstanceID"), vssd.String("VirtualSystemType"), snap1.String("VirtualSystemType"))
	}
	for _, s := range settings[1:] {
		if id := strings.TrimPrefix(s.String("InstanceID"), "Microsoft:"); id == sim.DemoWeb01Checkpoint1 || id == sim.DemoWeb01Checkpoint2 {
			t.Errorf("a new-ID import kept snapshot GUID %s", id)
		}
	}
	if !wmi.SamePath(vssd.String("Parent"), snap2.Path) || !wmi.SamePath(snap2.String("Parent"), snap1.Path) {
		t.Errorf("planned Parent chain %q %q", vssd.String("Parent"), snap2.String("Parent"))
	}
	for _, prop := range []string{"ConfigurationDataRoot", "SnapshotDataRoot", "SwapFileDataRoot"} {
		if vssd.String(prop) != root1 {
			t.Errorf("%s = %q, want the export root %q", prop, vssd.String(prop), root1)
		}
	}
	vhd := filepath.Join(root1, "Virtual Hard Disks")
	disks := f.disksOf(t, vssd.Path)
	if len(disks) != 2 || disks[0].Strings("HostResource")[0] != filepath.Join(vhd, "web-01_"+s2+".avhdx") ||
		!strings.HasPrefix(disks[0].String("InstanceID"), "Microsoft:"+newID+`\`) {
		t.Errorf("planned disks %v", names(disks, "InstanceID"))
	}
	if d := f.disksOf(t, snap1.Path); len(d) != 2 || d[0].Strings("HostResource")[0] != filepath.Join(vhd, "web-01.vhdx") {
		t.Errorf("first snapshot's disks %v", d)
	}
	ports := f.portsOf(t, vssd.Path)
	if len(ports) != 1 || !wmi.SamePath(ports[0].Strings("HostResource")[0], switchPath(sim.DemoExternalSwitchID)) {
		t.Errorf("planned ports %v", ports)
	}
	if job, errs := f.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) || len(errs) != 0 {
		t.Fatalf("validation: state %d, %d errors", job.Uint("JobState"), len(errs))
	}

	vm := f.realize(t, planned.Path)
	if vm.String("Name") != newID || vm.String("ElementName") != "web-01" || vm.Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
		t.Errorf("realized VM %s %q state %d", vm.String("Name"), vm.String("ElementName"), vm.Uint("EnabledState"))
	}
	_, err = f.svc.Get(context.Background(), planned.Path)
	wantHResult(t, err, wmi.WBEMNotFound)
	if n := len(f.query(t, "SELECT * FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemType = 'Microsoft:Hyper-V:System:Planned'")); n != 0 {
		t.Errorf("%d planned settings left", n)
	}
	settings = f.settingsOf(t, vm.Path)
	if got := join(names(settings, "VirtualSystemType")); got != wmi.SystemTypeRealized+", "+wmi.SnapshotTypeRealized+", "+wmi.SnapshotTypeRealized {
		t.Errorf("realized settings: %s", got)
	}
	if d := f.disksOf(t, settings[0].Path); d[0].Strings("HostResource")[0] != filepath.Join(vhd, "web-01_"+s2+".avhdx") {
		t.Errorf("realized disk %v", d[0].Strings("HostResource"))
	}
	// The new configuration files sit beside the export's, which are
	// untouched; no disk was copied.
	if !isFile(definitionFile(root1, newID)) || !isFile(filepath.Join(root1, "Snapshots", strings.TrimPrefix(settings[1].String("InstanceID"), "Microsoft:")+".vmcx")) {
		t.Errorf("realized configuration files missing: %v", files(t, root1))
	}
	after := snapshotFiles(t, root1)
	for rel := range after {
		if _, ok := exported[rel]; !ok && !strings.Contains(rel, newID) && !strings.HasPrefix(rel, "Snapshots/") {
			t.Errorf("realize wrote %s", rel)
		}
	}
	for rel, content := range exported {
		if after[rel] != content {
			t.Errorf("realize changed the export's %s", rel)
		}
	}

	// Destroy the original: its configuration goes, its disks stay.
	dataVMs := filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Machines")
	f.destroy(t, vmPath(sim.DemoWeb01ID))
	_, err = f.svc.Get(context.Background(), vmPath(sim.DemoWeb01ID))
	wantHResult(t, err, wmi.WBEMNotFound)
	if isFile(filepath.Join(dataVMs, sim.DemoWeb01ID+".vmcx")) || isFile(filepath.Join(f.host.DataDir(), "Hyper-V", "Snapshots", s1+".vmcx")) {
		t.Error("the destroyed VM's configuration files are still there")
	}
	if !isFile(filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks", "web-01_"+s2+".avhdx")) {
		t.Error("DestroySystem deleted a virtual hard disk")
	}

	// Now the original GUID is free: register the other export in place.
	planned = f.mustImport(t, root2, sim.DemoWeb01ID, false)
	if planned.String("Name") != sim.DemoWeb01ID {
		t.Fatalf("keep-ID planned VM %s", planned.String("Name"))
	}
	vm = f.realize(t, planned.Path)
	settings = f.settingsOf(t, vm.Path)
	if vm.String("Name") != sim.DemoWeb01ID || join(names(settings, "InstanceID")) !=
		"Microsoft:"+sim.DemoWeb01ID+", Microsoft:"+s1+", Microsoft:"+s2 || settings[0].String("ConfigurationDataRoot") != root2 {
		t.Errorf("registered in place: %s %s %s", vm.String("Name"), join(names(settings, "InstanceID")), settings[0].String("ConfigurationDataRoot"))
	}
	// In place: the export's configuration became the VM's, and the VM's
	// checkpoints still export.
	if b, _ := os.ReadFile(definitionFile(root2, sim.DemoWeb01ID)); !strings.Contains(string(b), `"configurationDataRoot"`) {
		t.Errorf("the export's configuration was not rewritten in place")
	}
	if got := files(t, filepath.Join(root2, "Virtual Machines")); !slices.Equal(got, []string{sim.DemoWeb01ID + ".vmcx"}) {
		t.Errorf("Virtual Machines: %v", got)
	}
	f.exportTo(t, sim.DemoWeb01ID, nil)
	// Its own configuration file is in use now.
	if ret := wmi.ReturnValue(f.importDef(t, definitionFile(root2, sim.DemoWeb01ID), "", true)); ret != wmi.ReturnFileInUse {
		t.Errorf("importing a registered VM's configuration: %d", ret)
	}
}

func switchPath(id string) string {
	return `\\HVSIM\root\virtualization\v2:Msvm_VirtualEthernetSwitch.CreationClassName="Msvm_VirtualEthernetSwitch",Name="` + id + `"`
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// TestImportSavedVM: a saved VM's runtime state is imported and realize
// copies it to the (modified) data root, where the VM comes up Saved.
// Changing the data roots and the disk paths is the "Restore" import of
// docs/HYPERV.md#import-modes, with the caller copying the disks.
func TestImportSavedVM(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoDB01ID, nil)
	planned := f.mustImport(t, root, sim.DemoDB01ID, true)
	vssd := f.settingsOf(t, planned.Path)[0]
	if !vssd.Bool("IsSaved") || vssd.String("Version") != "8.0" {
		t.Errorf("planned IsSaved %v, Version %q", vssd.Get("IsSaved"), vssd.String("Version"))
	}
	// The caller copies the disk and points the planned VM at its copy.
	home := filepath.Join(t.TempDir(), "db-copy")
	disks := filepath.Join(home, "Disks")
	if err := os.MkdirAll(disks, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, "Virtual Hard Disks", "db-01.vhdx"), filepath.Join(disks, "db-01.vhdx"))
	disk := f.disksOf(t, vssd.Path)[0]
	disk.MustSet("HostResource", []string{filepath.Join(disks, "db-01.vhdx")})
	if out := f.modifyResources(t, disk); wmi.ReturnValue(out) != 0 || !slices.Equal(out.Strings("ResultingResourceSettings"), []string{disk.Path}) {
		t.Fatalf("ModifyResourceSettings: %d %v", wmi.ReturnValue(out), out.Get("ResultingResourceSettings"))
	}
	for _, prop := range []string{"ConfigurationDataRoot", "SnapshotDataRoot", "SwapFileDataRoot"} {
		vssd.MustSet(prop, home)
	}
	vssd.MustSet("ElementName", "db-02")
	if ret := f.modifySystem(t, vssd); ret != 0 {
		t.Fatalf("ModifySystemSettings: %d", ret)
	}
	if got := f.get(t, planned.Path).String("ElementName"); got != "db-02" {
		t.Errorf("planned VM renamed to %q", got)
	}
	before := snapshotFiles(t, root)
	vm := f.realize(t, planned.Path)
	id := vm.String("Name")
	if vm.String("ElementName") != "db-02" || vm.Uint("EnabledState") != uint64(wmi.EnabledOffline) {
		t.Errorf("realized %q in state %d, want db-02 Saved", vm.String("ElementName"), vm.Uint("EnabledState"))
	}
	want := []string{"Disks/", "Disks/db-01.vhdx", "Virtual Machines/", "Virtual Machines/" + id + ".vmcx", "Virtual Machines/" + id + ".vmrs"}
	if got := files(t, home); !slices.Equal(got, want) {
		t.Errorf("the VM's folder holds %v, want %v", got, want)
	}
	sameFile(t, filepath.Join(root, "Virtual Machines", sim.DemoDB01ID+".vmrs"), filepath.Join(home, "Virtual Machines", id+".vmrs"))
	sameSnapshot(t, "the export", before, snapshotFiles(t, root))
	realized := f.settingsOf(t, vm.Path)[0]
	if realized.String("ConfigurationDataRoot") != home || !realized.Bool("IsSaved") ||
		f.disksOf(t, realized.Path)[0].Strings("HostResource")[0] != filepath.Join(disks, "db-01.vhdx") {
		t.Errorf("realized settings: root %q, IsSaved %v", realized.String("ConfigurationDataRoot"), realized.Get("IsSaved"))
	}
	// The realized VM behaves like any other: it exports with its state.
	out := f.exportTo(t, id, nil)
	if !isFile(filepath.Join(out, "Virtual Machines", id+".vmrs")) {
		t.Errorf("the realized VM's export: %v", files(t, out))
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImportSynchronous: with Options.ImportSynchronous the methods return
// 0 and fill their object out-parameters; ValidatePlannedSystem still
// starts a job.
func TestImportSynchronous(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{ImportSynchronous: true})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	out := f.importDef(t, definitionFile(root, sim.DemoWeb01ID), "", true)
	planned := out.String("ImportedSystem")
	if wmi.ReturnValue(out) != 0 || !out.IsNull("Job") || f.get(t, planned).Class != wmi.ClassPlannedComputerSystem {
		t.Fatalf("ImportSystemDefinition: %d, %v, %q", wmi.ReturnValue(out), out.Get("Job"), planned)
	}
	if n := len(f.query(t, "SELECT * FROM Msvm_ConcreteJob")); n != 1 {
		t.Errorf("%d jobs: an inline method showed a job", n)
	}
	out = f.call(t, "ImportSnapshotDefinitions", wmi.Params{"PlannedSystem": planned, "SnapshotFolder": filepath.Join(root, "Snapshots")})
	snaps := out.Strings("ImportedSnapshots")
	if wmi.ReturnValue(out) != 0 || len(snaps) != 2 || f.get(t, snaps[0]).String("ElementName") != "Before update" {
		t.Fatalf("ImportSnapshotDefinitions: %d %v", wmi.ReturnValue(out), snaps)
	}
	out = f.call(t, "ImportSnapshotDefinitions", wmi.Params{"PlannedSystem": planned, "SnapshotFolder": filepath.Join(root, "Snapshots")})
	if wmi.ReturnValue(out) != 0 || out.IsNull("ImportedSnapshots") || len(out.Strings("ImportedSnapshots")) != 0 {
		t.Errorf("importing the snapshots again: %d %v", wmi.ReturnValue(out), out.Get("ImportedSnapshots"))
	}
	if job, errs := f.validate(t, planned); job.Uint("JobState") != uint64(wmi.JobCompleted) || len(errs) != 0 {
		t.Errorf("validation %d, %d errors", job.Uint("JobState"), len(errs))
	}
	out = f.call(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned})
	vm := out.String("ResultingSystem")
	if wmi.ReturnValue(out) != 0 || !out.IsNull("Job") || f.get(t, vm).String("ElementName") != "web-01" {
		t.Fatalf("RealizePlannedSystem: %d %q", wmi.ReturnValue(out), vm)
	}
	out = f.call(t, "DestroySystem", wmi.Params{"AffectedSystem": vm})
	if wmi.ReturnValue(out) != 0 || !out.IsNull("Job") {
		t.Fatalf("DestroySystem: %d", wmi.ReturnValue(out))
	}
	_, err := f.svc.Get(context.Background(), vm)
	wantHResult(t, err, wmi.WBEMNotFound)
	// A failure comes back as the return value.
	out = f.importDef(t, definitionFile(root, sim.DemoWeb01ID), "", false)
	if wmi.ReturnValue(out) != wmi.ReturnFileInUse {
		t.Errorf("keep-ID import: %d", wmi.ReturnValue(out))
	}
	f.host.AddFault(sim.FaultRule{Method: "ImportSystemDefinition", JobErrorCode: uint16(wmi.ReturnOutOfMemory)})
	if out = f.importDef(t, definitionFile(root, sim.DemoWeb01ID), "", true); wmi.ReturnValue(out) != wmi.ReturnOutOfMemory || !out.IsNull("ImportedSystem") {
		t.Errorf("import with a job fault: %d %v", wmi.ReturnValue(out), out.Get("ImportedSystem"))
	}
}
