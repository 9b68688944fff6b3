package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestImportSystemDefinitionCodes checks each synchronous return code of
// ImportSystemDefinition, in the order of its checks.
func TestImportSystemDefinitionCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	def := definitionFile(root, sim.DemoWeb01ID)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	live := filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Machines", sim.DemoWeb01ID+".vmcx")
	liveSnapshot := filepath.Join(f.host.DataDir(), "Hyper-V", "Snapshots", sim.DemoWeb01Checkpoint1+".vmcx")
	for _, tc := range []struct {
		name   string
		file   string
		folder string
		newID  bool
		want   uint32
	}{
		{"empty path", "", "", true, wmi.ReturnInvalidParameter},
		{"relative path", filepath.Join("Virtual Machines", sim.DemoWeb01ID+".vmcx"), "", true, wmi.ReturnInvalidParameter},
		{"a 2012 R2 .xml", write("old.xml", "<configuration/>"), "", true, wmi.ReturnInvalidParameter},
		{"a 2008 R2 .exp", write("old.exp", "x"), "", true, wmi.ReturnInvalidParameter},
		{"another extension", write("vm.json", "{}"), "", true, wmi.ReturnInvalidParameter},
		{"no such file", filepath.Join(dir, "missing.vmcx"), "", true, wmi.ReturnInvalidParameter},
		{"a folder", mkdir(t, filepath.Join(dir, "folder.vmcx")), "", true, wmi.ReturnInvalidParameter},
		{"not a configuration", write("garbage.vmcx", "\x00\x01binary"), "", true, wmi.ReturnInvalidParameter},
		{"another format", write("other.vmcx", `{"format":"other/1"}`), "", true, wmi.ReturnInvalidParameter},
		{"a snapshot's configuration", filepath.Join(root, "Snapshots", sim.DemoWeb01Checkpoint1+".vmcx"), "", true, wmi.ReturnInvalidParameter},
		{"relative snapshot folder", def, "Snapshots", true, wmi.ReturnInvalidParameter},
		{"a registered VM's configuration", live, "", true, wmi.ReturnFileInUse},
		{"a registered snapshot's configuration", liveSnapshot, "", true, wmi.ReturnInvalidParameter},
		{"keep the ID of a registered VM", def, "", false, wmi.ReturnFileInUse},
	} {
		in := wmi.Params{"SystemDefinitionFile": tc.file, "GenerateNewSystemIdentifier": tc.newID}
		if tc.folder != "" {
			in["SnapshotFolder"] = tc.folder
		}
		out := f.call(t, "ImportSystemDefinition", in)
		if got := wmi.ReturnValue(out); got != tc.want || !out.IsNull("Job") || !out.IsNull("ImportedSystem") {
			t.Errorf("%s: %d (job %v), want %d", tc.name, got, out.Get("Job"), tc.want)
		}
	}
	// NULL parameters: no file.
	if got := wmi.ReturnValue(f.call(t, "ImportSystemDefinition", nil)); got != wmi.ReturnInvalidParameter {
		t.Errorf("no parameters: %d", got)
	}
	// A snapshot folder that does not exist is searched as an empty one.
	planned := f.plannedOfJob(t, f.importDef(t, def, filepath.Join(dir, "no-such-folder"), true))
	if n := len(f.settingsOf(t, planned.Path)); n != 1 {
		t.Errorf("%d settings", n)
	}
	// A planned VM holds its GUID too.
	f.destroy(t, vmPath(sim.DemoWeb01ID))
	keep := f.plannedOfJob(t, f.importDef(t, def, "", false))
	if out := f.importDef(t, def, "", false); wmi.ReturnValue(out) != wmi.ReturnFileInUse {
		t.Errorf("keep-ID import while a planned VM has the GUID: %d", wmi.ReturnValue(out))
	}
	f.destroy(t, keep.Path)
	f.plannedOfJob(t, f.importDef(t, def, "", false))
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPlannedMethodCodes checks the synchronous return codes of the
// methods that take a planned VM.
func TestPlannedMethodCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	root := f.exportTo(t, sim.DemoDB01ID, nil)
	planned := f.mustImport(t, root, sim.DemoDB01ID, true).Path
	snapshots := filepath.Join(root, "Snapshots")
	bad := []string{"", "not a path", vmPath(sim.DemoDB01ID), plannedPath("00000000-0000-0000-0000-000000000000"),
		vssdPath(sim.DemoDB01ID), `Msvm_PlannedComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="x"`}
	for _, ref := range bad {
		for _, method := range []string{"ValidatePlannedSystem", "RealizePlannedSystem", "ImportSnapshotDefinitions"} {
			in := wmi.Params{"PlannedSystem": ref}
			if method == "ImportSnapshotDefinitions" {
				in["SnapshotFolder"] = snapshots
			}
			if got := wmi.ReturnValue(f.call(t, method, in)); got != wmi.ReturnInvalidParameter {
				t.Errorf("%s(%q) = %d, want 32773", method, ref, got)
			}
		}
	}
	for _, folder := range []any{nil, "", "Snapshots", filepath.Join(root, "missing"), definitionFile(root, sim.DemoDB01ID)} {
		in := wmi.Params{"PlannedSystem": planned}
		if folder != nil {
			in["SnapshotFolder"] = folder
		}
		if got := wmi.ReturnValue(f.call(t, "ImportSnapshotDefinitions", in)); got != wmi.ReturnInvalidParameter {
			t.Errorf("ImportSnapshotDefinitions(%v) = %d, want 32773", folder, got)
		}
	}

	// While a slow realize copies the runtime state, the planned VM is
	// busy: 32774 for the Hyper-V-style methods, 5 for the CIM-style ones.
	job := f.startJob(t, "RealizePlannedSystem", wmi.Params{"PlannedSystem": planned})
	f.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") > 0 })
	for _, method := range []string{"ValidatePlannedSystem", "RealizePlannedSystem", "ImportSnapshotDefinitions"} {
		in := wmi.Params{"PlannedSystem": planned}
		if method == "ImportSnapshotDefinitions" {
			in["SnapshotFolder"] = snapshots
		}
		if got := wmi.ReturnValue(f.call(t, method, in)); got != wmi.ReturnSystemInUse {
			t.Errorf("%s while realizing: %d, want 32774", method, got)
		}
	}
	if got := wmi.ReturnValue(f.call(t, "DestroySystem", wmi.Params{"AffectedSystem": planned})); got != wmi.CIMReturnInvalidState {
		t.Errorf("DestroySystem while realizing: %d, want 5", got)
	}
	vssd := f.settingsOf(t, planned)[0]
	vssd.MustSet("ElementName", "renamed")
	if got := f.modifySystem(t, vssd); got != wmi.CIMReturnInvalidState {
		t.Errorf("ModifySystemSettings while realizing: %d, want 5", got)
	}
	port := f.portsOf(t, vssd.Path)[0]
	port.MustSet("EnabledState", wmi.EnabledDisabled)
	if got := wmi.ReturnValue(f.modifyResources(t, port)); got != wmi.CIMReturnInvalidState {
		t.Errorf("ModifyResourceSettings while realizing: %d, want 5", got)
	}
	// The realize job is associated with the planned VM while it runs.
	if got := f.query(t, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement"); len(got) != 1 || got[0].Path != planned {
		t.Errorf("the running realize job's affected element: %v", names(got, "Name"))
	}
	f.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("JobState") == uint64(wmi.JobCompleted) })

	// Planned VMs do not change state (docs/HYPERV.md#planned-vm) and do
	// not export.
	other := f.mustImport(t, root, sim.DemoDB01ID, true)
	_, err := f.svc.ExecMethod(context.Background(), other.Path, "RequestStateChange", wmi.Params{"RequestedState": 2})
	wantHResult(t, err, wmi.WBEMNotSupported)
	for _, system := range []string{other.Path, vssdPath(other.String("Name"))} {
		out := f.call(t, "ExportSystemDefinition", wmi.Params{"ComputerSystem": system, "ExportDirectory": t.TempDir(),
			"ExportSettingData": f.exportSettings(t, sim.DemoDB01ID, nil)})
		if ret := wmi.ReturnValue(out); ret != wmi.ReturnInvalidParameter {
			t.Errorf("exporting planned VM %s: %d", system, ret)
		}
	}
}

// TestDestroySystemCodes checks DestroySystem's CIM-style codes and that
// destroying a planned VM leaves nothing behind but the import source.
func TestDestroySystemCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	for _, tc := range []struct {
		system any
		want   uint32
	}{
		{nil, wmi.CIMReturnInvalidParameter},
		{"not a path", wmi.CIMReturnInvalidParameter},
		{vmPath("HVSIM"), wmi.CIMReturnInvalidParameter},
		{vmPath("00000000-0000-0000-0000-000000000000"), wmi.CIMReturnInvalidParameter},
		{plannedPath(sim.DemoWeb01ID), wmi.CIMReturnInvalidParameter},
		{switchPath(sim.DemoExternalSwitchID), wmi.CIMReturnInvalidParameter},
		{vmPath(sim.DemoBuildAgentID), wmi.CIMReturnInvalidState}, // Running
	} {
		in := wmi.Params{}
		if tc.system != nil {
			in["AffectedSystem"] = tc.system
		}
		if got := wmi.ReturnValue(f.call(t, "DestroySystem", in)); got != tc.want {
			t.Errorf("DestroySystem(%v) = %d, want %d", tc.system, got, tc.want)
		}
	}
	// A VM that is exporting is busy.
	job := f.mustExport(t, sim.DemoWeb01ID, t.TempDir(), nil)
	if got := wmi.ReturnValue(f.call(t, "DestroySystem", wmi.Params{"AffectedSystem": vmPath(sim.DemoWeb01ID)})); got != wmi.CIMReturnInvalidState {
		t.Errorf("DestroySystem of an exporting VM: %d", got)
	}
	f.requestStateChange(t, job, wmi.JobRequestKill)

	// A planned VM: its records go, the import source stays as it was.
	f.clock.Advance(0)
	g := newFixture(t, sim.Options{})
	root := g.exportTo(t, sim.DemoDB01ID, nil)
	source := snapshotFiles(t, root)
	plannedDir := filepath.Join(g.host.DataDir(), "Hyper-V", "Planned Virtual Machines")
	planned := g.mustImport(t, root, sim.DemoDB01ID, true)
	if len(files(t, plannedDir)) == 0 {
		t.Fatal("no planned VM records")
	}
	instances := func() map[string]int {
		m := map[string]int{}
		for _, c := range []string{"CIM_ComputerSystem", "Msvm_VirtualSystemSettingData", "Msvm_StorageAllocationSettingData",
			"Msvm_EthernetPortAllocationSettingData"} {
			m[c] = len(g.query(t, "SELECT * FROM "+c))
		}
		return m
	}
	with := instances()
	g.destroy(t, planned.Path)
	without := instances()
	for c, n := range with {
		if without[c] != n-1 {
			t.Errorf("%s: %d instances with the planned VM, %d after destroying it", c, n, without[c])
		}
	}
	if got := files(t, plannedDir); len(got) != 0 {
		t.Errorf("planned VM records left: %v", got)
	}
	sameSnapshot(t, "the import source", source, snapshotFiles(t, root))
	// Destroying a saved VM deletes its configuration and saved state.
	vmFiles := filepath.Join(g.host.DataDir(), "Hyper-V", "Virtual Machines")
	g.destroy(t, vmPath(sim.DemoDB01ID))
	for _, name := range []string{sim.DemoDB01ID + ".vmcx", sim.DemoDB01ID + ".vmrs"} {
		if isFile(filepath.Join(vmFiles, name)) {
			t.Errorf("%s is still there", name)
		}
	}
	if !isFile(filepath.Join(g.host.DataDir(), "Hyper-V", "Virtual Hard Disks", "db-01.vhdx")) {
		t.Error("the disk was deleted")
	}
	if got := wmi.ReturnValue(g.call(t, "DestroySystem", wmi.Params{"AffectedSystem": vmPath(sim.DemoDB01ID)})); got != wmi.CIMReturnInvalidParameter {
		t.Errorf("destroying it twice: %d", got)
	}
}

// TestModifySystemSettingsCodes checks ModifySystemSettings's codes.
func TestModifySystemSettingsCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	settings := f.settingsOf(t, planned.Path)
	code := func(text any) uint32 {
		in := wmi.Params{}
		if text != nil {
			in["SystemSettings"] = text
		}
		return wmi.ReturnValue(f.call(t, "ModifySystemSettings", in))
	}
	disk, _ := wmi.EncodeInstance(f.disksOf(t, settings[0].Path)[0])
	unknown := settings[0].Clone()
	unknown.MustSet("InstanceID", "Microsoft:00000000-0000-0000-0000-000000000000")
	unknownText, _ := wmi.EncodeInstance(unknown)
	for name, tc := range map[string]struct {
		text any
		want uint32
	}{
		"NULL":          {nil, wmi.CIMReturnInvalidParameter},
		"empty":         {"", wmi.CIMReturnInvalidParameter},
		"not CIM-XML":   {"<INSTANCE", wmi.CIMReturnInvalidParameter},
		"another class": {disk, wmi.CIMReturnInvalidParameter},
		"unknown ID":    {unknownText, wmi.CIMReturnInvalidParameter},
	} {
		if got := code(tc.text); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	set := func(o *wmi.Object, prop string, v any) *wmi.Object {
		c := o.Clone()
		c.MustSet(prop, v)
		return c
	}
	web := f.get(t, vssdPath(sim.DemoWeb01ID))
	snap := f.get(t, vssdPath(sim.DemoWeb01Checkpoint1))
	for _, tc := range []struct {
		name string
		o    *wmi.Object
		want uint32
	}{
		{"relative data root", set(settings[0], "ConfigurationDataRoot", "vms"), wmi.CIMReturnInvalidParameter},
		{"empty data root", set(settings[0], "SnapshotDataRoot", ""), wmi.CIMReturnInvalidParameter},
		{"a planned snapshot's data root", set(settings[1], "SwapFileDataRoot", t.TempDir()), wmi.CIMReturnInvalidState},
		{"a realized VM's data root", set(web, "ConfigurationDataRoot", t.TempDir()), wmi.CIMReturnInvalidState},
		{"a planned VM unchanged", settings[0], wmi.CIMReturnOK},
		{"a planned snapshot's name", set(settings[1], "ElementName", "first"), wmi.CIMReturnOK},
		{"a realized VM's name and notes", set(set(web, "ElementName", "web-01b"), "Notes", []string{"moved", "twice"}), wmi.CIMReturnOK},
		{"a realized checkpoint's name", set(snap, "ElementName", "base"), wmi.CIMReturnOK},
		{"NULL data roots", set(set(settings[0], "ConfigurationDataRoot", nil), "ElementName", "p"), wmi.CIMReturnOK},
	} {
		if got := f.modifySystem(t, tc.o); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := f.get(t, vssdPath(sim.DemoWeb01ID)); got.String("ElementName") != "web-01b" || join(got.Strings("Notes")) != "moved, twice" ||
		f.get(t, vmPath(sim.DemoWeb01ID)).String("ElementName") != "web-01b" || f.get(t, vssdPath(sim.DemoWeb01Checkpoint1)).String("ElementName") != "base" {
		t.Errorf("realized names: %q %v", got.String("ElementName"), got.Get("Notes"))
	}
	if got := f.get(t, settings[0].Path); got.String("ElementName") != "p" || got.String("ConfigurationDataRoot") != root {
		t.Errorf("planned: %q %q", got.String("ElementName"), got.String("ConfigurationDataRoot"))
	}
	if got := f.get(t, settings[1].Path).String("ElementName"); got != "first" {
		t.Errorf("planned snapshot name %q", got)
	}
	// Renames of a realized VM are in its configuration (they survive a restart).
	if err := f.host.Close(); err != nil {
		t.Fatal(err)
	}
	g := reopen(t, f)
	if got := g.get(t, vmPath(sim.DemoWeb01ID)).String("ElementName"); got != "web-01b" {
		t.Errorf("after a restart: %q", got)
	}
}

// reopen opens the host of a closed fixture again.
func reopen(t *testing.T, f *fixture) *fixture {
	t.Helper()
	return newFixture(t, sim.Options{DataDir: f.host.DataDir()})
}

// TestModifyResourceSettingsCodes checks ModifyResourceSettings's codes
// and that a failing call changes nothing.
func TestModifyResourceSettingsCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	vssd := f.settingsOf(t, planned.Path)[0]
	disk := f.disksOf(t, vssd.Path)[0]
	port := f.portsOf(t, vssd.Path)[0]
	realizedDisk := f.disksOf(t, vssdPath(sim.DemoWeb01ID))[0]
	set := func(o *wmi.Object, edits ...any) *wmi.Object {
		c := o.Clone()
		for i := 0; i < len(edits); i += 2 {
			c.MustSet(edits[i].(string), edits[i+1])
		}
		return c
	}
	other := filepath.Join(root, "other.vhdx")
	internal := switchPath(sim.DemoInternalSwitchID)
	portAsDisk := set(disk, "InstanceID", port.String("InstanceID"))
	for _, tc := range []struct {
		name string
		objs []*wmi.Object
		want uint32
	}{
		{"unknown InstanceID", []*wmi.Object{set(disk, "InstanceID", `Microsoft:nope\0\0\L`)}, wmi.CIMReturnInvalidParameter},
		{"a system's settings", []*wmi.Object{vssd}, wmi.CIMReturnInvalidParameter},
		{"a relative disk path", []*wmi.Object{set(disk, "HostResource", []string{"x.vhdx"})}, wmi.CIMReturnInvalidParameter},
		{"no media", []*wmi.Object{set(disk, "HostResource", []string{})}, wmi.CIMReturnInvalidParameter},
		{"two disk paths", []*wmi.Object{set(disk, "HostResource", []string{other, other})}, wmi.CIMReturnIncompatibleParameters},
		{"disk settings for a port", []*wmi.Object{portAsDisk}, wmi.CIMReturnIncompatibleParameters},
		{"not a switch", []*wmi.Object{set(port, "HostResource", []string{vmPath(sim.DemoWeb01ID)})}, wmi.CIMReturnInvalidParameter},
		{"no such switch", []*wmi.Object{set(port, "HostResource", []string{switchPath("00000000-0000-0000-0000-000000000000")})}, wmi.CIMReturnInvalidParameter},
		{"enabled without a switch", []*wmi.Object{set(port, "HostResource", []string{})}, wmi.CIMReturnIncompatibleParameters},
		{"a realized VM's disk", []*wmi.Object{set(realizedDisk, "HostResource", []string{other})}, wmi.CIMReturnInvalidState},
		{"atomic: a good change, then a bad one", []*wmi.Object{set(disk, "HostResource", []string{other}), set(port, "HostResource", []string{"x"})}, wmi.CIMReturnInvalidParameter},
		{"a realized VM's disk unchanged", []*wmi.Object{realizedDisk}, wmi.CIMReturnOK},
		{"unchanged", []*wmi.Object{disk, port}, wmi.CIMReturnOK},
	} {
		out := f.modifyResources(t, tc.objs...)
		if got := wmi.ReturnValue(out); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
		if tc.want != 0 && !out.IsNull("ResultingResourceSettings") {
			t.Errorf("%s: ResultingResourceSettings %v", tc.name, out.Get("ResultingResourceSettings"))
		}
	}
	if got := f.get(t, disk.Path).Strings("HostResource"); got[0] != disk.Strings("HostResource")[0] {
		t.Errorf("a failed call changed the disk to %v", got)
	}
	for name, text := range map[string]any{"NULL": nil, "empty": []string{}, "not CIM-XML": []string{"<INSTANCE"}} {
		in := wmi.Params{}
		if text != nil {
			in["ResourceSettings"] = text
		}
		if got := wmi.ReturnValue(f.call(t, "ModifyResourceSettings", in)); got != wmi.CIMReturnInvalidParameter {
			t.Errorf("%s: %d", name, got)
		}
	}
	// Several settings at once, each reported.
	out := f.modifyResources(t, set(disk, "HostResource", []string{other}), set(port, "HostResource", []string{internal}))
	if wmi.ReturnValue(out) != 0 || join(out.Strings("ResultingResourceSettings")) != disk.Path+", "+port.Path {
		t.Fatalf("two changes: %d %v", wmi.ReturnValue(out), out.Get("ResultingResourceSettings"))
	}
	if !wmi.SamePath(f.get(t, port.Path).Strings("HostResource")[0], internal) || f.get(t, disk.Path).Strings("HostResource")[0] != other {
		t.Error("the changes were not applied")
	}
	// A disconnected adapter is connected with HostResource and EnabledState 2.
	disconnected := set(port, "EnabledState", wmi.EnabledDisabled)
	if got := wmi.ReturnValue(f.modifyResources(t, disconnected)); got != 0 {
		t.Fatalf("disconnect: %d", got)
	}
	reconnect := set(f.get(t, port.Path), "HostResource", []string{internal})
	if got := wmi.ReturnValue(f.modifyResources(t, reconnect)); got != 0 || !f.get(t, port.Path).IsNull("HostResource") {
		t.Errorf("HostResource with EnabledState 3 stays disconnected: %d", got)
	}
	reconnect.MustSet("EnabledState", wmi.EnabledEnabled)
	if got := wmi.ReturnValue(f.modifyResources(t, reconnect)); got != 0 || f.get(t, port.Path).Uint("EnabledState") != uint64(wmi.EnabledEnabled) {
		t.Errorf("reconnect: %d", got)
	}
}

// TestDefinitionFileSummaryInformation peeks at an export without
// importing it.
func TestDefinitionFileSummaryInformation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	web := f.get(t, vssdPath(sim.DemoWeb01ID))
	web.MustSet("Notes", []string{"first line", "second line"})
	if ret := f.modifySystem(t, web); ret != 0 {
		t.Fatal(ret)
	}
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	files := []string{definitionFile(root, sim.DemoWeb01ID), filepath.Join(root, "Snapshots", sim.DemoWeb01Checkpoint1+".vmcx")}
	out := f.call(t, "GetDefinitionFileSummaryInformation", wmi.Params{"DefinitionFiles": files})
	list, _ := out.Get("SummaryInformation").([]*wmi.Object)
	if wmi.ReturnValue(out) != 0 || len(list) != 2 || out.Prop("SummaryInformation").Type != wmi.CIMObject {
		t.Fatalf("%d, %v", wmi.ReturnValue(out), out.Get("SummaryInformation"))
	}
	vm, snap := list[0], list[1]
	if vm.Class != wmi.ClassSummaryInformation || vm.Path != "" || vm.String("Name") != sim.DemoWeb01ID || vm.String("ElementName") != "web-01" ||
		vm.String("Notes") != "first line\nsecond line" || vm.IsNull("CreationTime") || vm.SuperClass != wmi.ClassSummaryInformationBase {
		t.Errorf("summary %s %q %q %q", vm.Class, vm.String("Name"), vm.String("ElementName"), vm.String("Notes"))
	}
	for _, p := range []string{"EnabledState", "HealthState", "Version", "InstanceID", "UpTime", "NumberOfProcessors"} {
		if !vm.IsNull(p) {
			t.Errorf("%s = %v, want NULL", p, vm.Get(p))
		}
	}
	if snap.String("Name") != sim.DemoWeb01Checkpoint1 || snap.String("ElementName") != "Before update" || snap.String("Notes") != "" {
		t.Errorf("snapshot summary %q %q", snap.String("Name"), snap.String("ElementName"))
	}
	// Nothing was imported.
	if n := len(f.query(t, "SELECT * FROM Msvm_PlannedComputerSystem")); n != 0 {
		t.Errorf("%d planned VMs", n)
	}
	if out := f.call(t, "GetDefinitionFileSummaryInformation", wmi.Params{"DefinitionFiles": []string{}}); wmi.ReturnValue(out) != 0 ||
		out.IsNull("SummaryInformation") || len(out.Get("SummaryInformation").([]*wmi.Object)) != 0 {
		t.Errorf("no files: %d %v", wmi.ReturnValue(out), out.Get("SummaryInformation"))
	}
	for name, in := range map[string]wmi.Params{
		"NULL":      {},
		"relative":  {"DefinitionFiles": []string{"x.vmcx"}},
		"one bad":   {"DefinitionFiles": []string{files[0], filepath.Join(root, "missing.vmcx")}},
		"a folder":  {"DefinitionFiles": []string{root}},
		"an export": {"DefinitionFiles": []string{filepath.Join(root, "Virtual Hard Disks", "web-01.vhdx")}},
	} {
		if out := f.call(t, "GetDefinitionFileSummaryInformation", in); wmi.ReturnValue(out) != wmi.ReturnInvalidParameter || !out.IsNull("SummaryInformation") {
			t.Errorf("%s: %d", name, wmi.ReturnValue(out))
		}
	}
}
