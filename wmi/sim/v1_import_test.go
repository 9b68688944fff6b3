package sim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hvport/hvport/vhdx"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestV1ImportRegisterInPlace: the defaults (GenerateNewId FALSE,
// CreateCopy FALSE) register the export where it is — once the original
// VM is gone; while it is registered the job fails with 32779.
func TestV1ImportRegisterInPlace(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoWeb01ID, nil)
	settings := f.importSettings1(t, root)
	before := snapshotFiles(t, root)

	job := f.startImport1(t, root, settings)
	j := f.v1.finish(t, job)
	if j.Uint("JobState") != uint64(wmi.JobException) || j.Uint("ErrorCode") != uint64(wmi.ReturnFileInUse) {
		t.Fatalf("keep-ID import of a registered VM: state %d error %d", j.Uint("JobState"), j.Uint("ErrorCode"))
	}
	if errs := f.v1.jobErrors(t, job); len(errs) != 1 || errs[0].String("MessageID") != "32779" {
		t.Errorf("errors %v", errs)
	}
	sameSnapshot(t, "the export after a failed import", before, snapshotFiles(t, root))

	f.destroy(t, vmPath(sim.DemoWeb01ID)) // through v2: v1's DestroyVirtualSystem is not modelled
	vm := f.import1(t, root, settings)
	if vm.Path != v1VMPath(sim.DemoWeb01ID) || vm.String("ElementName") != "web-01" || vm.Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
		t.Fatalf("imported %s %q %d", vm.Path, vm.String("ElementName"), vm.Uint("EnabledState"))
	}
	// In place: configuration next to the .exp, disks in the export.
	for _, p := range []string{
		exported(root, "Virtual Machines", sim.DemoWeb01ID+".vmcx"),
		exported(root, "Snapshots", sim.DemoWeb01Checkpoint1+".vmcx"),
		exported(root, "Snapshots", sim.DemoWeb01Checkpoint2+".vmcx"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	// The same VM in v2.
	v2 := f.settingsOf(t, vmPath(sim.DemoWeb01ID))
	if got := join(names(v2, "ElementName")); got != "web-01, Before update, After update" || v2[0].String("ConfigurationDataRoot") != root {
		t.Fatalf("v2 settings %s, root %q", got, v2[0].String("ConfigurationDataRoot"))
	}
	if d := f.disksOf(t, v2[0].Path); len(d) != 2 ||
		d[0].Strings("HostResource")[0] != exported(root, "Virtual Hard Disks", "web-01_"+sim.DemoWeb01Checkpoint2+".avhdx") {
		t.Errorf("disks %v", d)
	}
	if ports := f.portsOf(t, v2[0].Path); len(ports) != 1 || ports[0].String("LastKnownSwitchName") != "External" {
		t.Errorf("ports %v", ports)
	}
}

// TestV1ImportRestore: CreateCopy TRUE with the same ID restores a saved
// VM into new data roots: Hyper-V copies the disks and the saved state.
func TestV1ImportRestore(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoDB01ID, nil)
	f.destroy(t, vmPath(sim.DemoDB01ID))
	exportedFiles := snapshotFiles(t, root)
	target := t.TempDir()
	settings := f.importSettings1(t, root)
	set(t, settings, map[string]any{"CreateCopy": true, "TargetVmDataRoot": target, "TargetSnapshotDataRoot": target,
		"TargetVhdDataRoot": filepath.Join(target, "Virtual Hard Disks")})
	vm := f.import1(t, root, settings)
	id := sim.DemoDB01ID
	if vm.String("Name") != id || vm.Uint("EnabledState") != uint64(wmi.EnabledV1Suspended) {
		t.Fatalf("restored %s in state %d", vm.String("Name"), vm.Uint("EnabledState"))
	}
	if got := join(files(t, target)); got != "Virtual Hard Disks/, Virtual Hard Disks/db-01.vhdx, Virtual Machines/, "+
		"Virtual Machines/"+id+".vmcx, Virtual Machines/"+id+".vmrs" {
		t.Errorf("target files %s", got)
	}
	sameFile(t, exported(root, "Virtual Machines", id, id+".bin"), exported(target, "Virtual Machines", id+".vmrs"))
	sameFile(t, exported(root, "Virtual Hard Disks", "db-01.vhdx"), exported(target, "Virtual Hard Disks", "db-01.vhdx"))
	sameSnapshot(t, "the export", exportedFiles, snapshotFiles(t, root))
	if got := f.get(t, vmPath(id)).Uint("EnabledState"); got != uint64(wmi.EnabledOffline) {
		t.Errorf("v2 state %d", got)
	}
	v2 := f.settingsOf(t, vmPath(id))
	if v2[0].String("ConfigurationDataRoot") != target || !v2[0].Bool("IsSaved") {
		t.Errorf("v2 settings root %q saved %v", v2[0].String("ConfigurationDataRoot"), v2[0].Get("IsSaved"))
	}
}

// TestV1ImportCopy: GenerateNewId and CreateCopy TRUE import a copy beside
// the original, with renamed disks, another switch, a new name and a
// security scope.
func TestV1ImportCopy(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoWeb01ID, nil)
	settings := f.importSettings1(t, root)
	vmRoot, disks := t.TempDir(), t.TempDir()
	var targets []string
	for _, c := range settings.Strings("CurrentResourcePaths") {
		targets = append(targets, filepath.Join(disks, "copy-"+filepath.Base(c)))
	}
	set(t, settings, map[string]any{"GenerateNewId": true, "CreateCopy": true, "Name": "web-01-copy",
		"TargetVmDataRoot": vmRoot, "TargetSnapshotDataRoot": vmRoot, "TargetResourcePaths": targets,
		"TargetNetworkConnections": []string{"Internal"}, "SecurityScope": "Contoso:Web"})
	vm := f.import1(t, root, settings)
	id := vm.String("Name")
	if id == sim.DemoWeb01ID || strings.ToUpper(id) != id || len(id) != 36 || vm.String("ElementName") != "web-01-copy" {
		t.Fatalf("copy %q %q", id, vm.String("ElementName"))
	}
	f.get(t, vmPath(sim.DemoWeb01ID)) // the original is still there
	if got := len(f.v1.query(t, "SELECT * FROM Msvm_ComputerSystem")); got != 5 {
		t.Errorf("v1 sees %d systems", got)
	}
	global := f.v1.query(t, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = Msvm_VirtualSystemGlobalSettingData")
	if len(global) != 1 || global[0].String("ScopeOfResidence") != "Contoso:Web" || global[0].String("ExternalDataRoot") != vmRoot {
		t.Errorf("global settings %v", global)
	}
	v2 := f.settingsOf(t, vmPath(id))
	if len(v2) != 3 || v2[0].String("ElementName") != "web-01-copy" {
		t.Fatalf("v2 settings %v", names(v2, "ElementName"))
	}
	for _, s := range v2[1:] {
		if sid := strings.TrimPrefix(s.String("InstanceID"), "Microsoft:"); sid == sim.DemoWeb01Checkpoint1 || sid == sim.DemoWeb01Checkpoint2 {
			t.Errorf("the copy kept snapshot GUID %s", sid)
		}
	}
	if d := f.disksOf(t, v2[0].Path); len(d) != 2 || d[0].Strings("HostResource")[0] != targets[0] {
		t.Errorf("disks %v", d)
	}
	var cfg struct {
		Disks []struct {
			ParentPaths []string `json:"parentPaths"`
		} `json:"disks"`
	}
	b, err := os.ReadFile(filepath.Join(vmRoot, "Virtual Machines", id+".vmcx"))
	if err != nil || json.Unmarshal(b, &cfg) != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Disks[0].ParentPaths, targets[1:3]) {
		t.Errorf("differencing parents %q, want %q", cfg.Disks[0].ParentPaths, targets[1:3])
	}
	// The copies are renamed: the base disks are byte-identical, the
	// differencing disks re-pointed at their renamed parents (their
	// relative parent locator named the old names) and reading what the
	// sources read.
	for i, c := range settings.Strings("SourceResourcePaths") {
		if !strings.HasSuffix(c, ".avhdx") {
			sameFile(t, c, targets[i])
			continue
		}
		sameContent(t, targets[i], c)
		info, err := vhdx.Stat(targets[i])
		if err != nil {
			t.Fatal(err)
		}
		if rel, _ := info.Parent.Get(vhdx.KeyRelativePath); !strings.HasPrefix(rel, `.\copy-`) {
			t.Errorf("%s: relative parent path %q", targets[i], rel)
		}
	}
	ports := f.v1.query(t, "ASSOCIATORS OF {"+v1VSSDPath(id)+"} WHERE ResultClass = Msvm_SyntheticEthernetPortSettingData")
	if p, err := wmi.ParsePath(ports[0].Strings("Connection")[0]); len(ports) != 1 || err != nil || p.Key("SystemName") != sim.DemoInternalSwitchID {
		t.Errorf("ports %v", ports)
	}
}

// TestV1ImportNetworkAndDisks: a TargetNetworkConnections entry naming no
// switch and a missing source disk fail the job with Msvm_Errors and
// write nothing; "" leaves the adapter disconnected.
func TestV1ImportNetworkAndDisks(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoDB01ID, nil)
	target := t.TempDir()
	settings := f.importSettings1(t, root)
	set(t, settings, map[string]any{"GenerateNewId": true, "CreateCopy": true, "TargetVmDataRoot": target,
		"TargetSnapshotDataRoot": target, "TargetVhdDataRoot": target, "TargetNetworkConnections": []string{"Nope"}})
	job := f.startImport1(t, root, settings)
	j := f.v1.finish(t, job)
	errs := f.v1.jobErrors(t, job)
	if j.Uint("JobState") != uint64(wmi.JobException) || j.Uint("ErrorCode") != uint64(wmi.ReturnInvalidParameter) ||
		len(errs) != 1 || errs[0].String("MessageID") != wmi.MessageIDSwitchNotFound ||
		errs[0].String("Message") != "Could not find Ethernet switch 'Nope'." {
		t.Fatalf("missing switch: state %d error %d, errors %v", j.Uint("JobState"), j.Uint("ErrorCode"), errs)
	}
	if got := files(t, target); len(got) != 0 {
		t.Errorf("a failed import left %v", got)
	}

	set(t, settings, map[string]any{"TargetNetworkConnections": []string{""},
		"SourceResourcePaths": []string{filepath.Join(root, "missing.vhdx")}})
	job = f.startImport1(t, root, settings)
	j = f.v1.finish(t, job)
	if errs := f.v1.jobErrors(t, job); j.Uint("ErrorCode") != uint64(wmi.ReturnInvalidParameter) || len(errs) != 1 ||
		errs[0].String("MessageID") != sim.MessageIDVirtualHardDiskNotFound {
		t.Fatalf("missing disk: error %d, errors %v", j.Uint("ErrorCode"), errs)
	}

	set(t, settings, map[string]any{"SourceResourcePaths": nil})
	vm := f.import1(t, root, settings)
	ports := f.v1.query(t, "ASSOCIATORS OF {"+v1VSSDPath(vm.String("Name"))+"} WHERE ResultClass = Msvm_SyntheticEthernetPortSettingData")
	if len(ports) != 1 || !ports[0].IsNull("Connection") {
		t.Errorf("disconnected adapter %v", ports)
	}
	v2ports := f.portsOf(t, vssdPath(vm.String("Name")))
	if len(v2ports) != 1 || v2ports[0].Uint("EnabledState") != uint64(wmi.EnabledDisabled) {
		t.Errorf("v2 ports %v", v2ports)
	}
}

// TestV1ImportCallErrors: the synchronous failures, each with a NULL Job.
func TestV1ImportCallErrors(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoDB01ID, nil)
	good := f.importSettings1(t, root)
	encode := func(edit func(o *wmi.Object)) string {
		o := good.Clone()
		edit(o)
		s, err := wmi.EncodeInstance(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := map[string]wmi.Params{
		"missing directory": {"ImportDirectory": filepath.Join(root, "x"), "ImportSettingData": encode(func(*wmi.Object) {})},
		"NULL settings":     {"ImportDirectory": root},
		"another class":     {"ImportDirectory": root, "ImportSettingData": f.v1ExportSettings(t, sim.DemoDB01ID, nil)},
		"undeclared property": {"ImportDirectory": root, "ImportSettingData": encode(func(o *wmi.Object) {
			o.MustAdd("CaptureLiveState", wmi.CIMUint8, false, uint8(1))
		})},
		"resource paths length": {"ImportDirectory": root, "ImportSettingData": encode(func(o *wmi.Object) {
			set(t, o, map[string]any{"SourceResourcePaths": []string{"C:\\a.vhdx", "C:\\b.vhdx"}})
		})},
		"relative source path": {"ImportDirectory": root, "ImportSettingData": encode(func(o *wmi.Object) {
			set(t, o, map[string]any{"SourceResourcePaths": []string{"a.vhdx"}})
		})},
		"relative target root": {"ImportDirectory": root, "ImportSettingData": encode(func(o *wmi.Object) {
			set(t, o, map[string]any{"CreateCopy": true, "TargetVmDataRoot": "copies"})
		})},
		"network connections length": {"ImportDirectory": root, "ImportSettingData": encode(func(o *wmi.Object) {
			set(t, o, map[string]any{"TargetNetworkConnections": []string{"External", "Internal"}})
		})},
	}
	for name, in := range cases {
		out := f.call1(t, "ImportVirtualSystemEx", in)
		if wmi.ReturnValue(out) != wmi.ReturnInvalidParameter || !out.IsNull("Job") {
			t.Errorf("%s: %d, job %v", name, wmi.ReturnValue(out), out.Get("Job"))
		}
	}
	// Without CreateCopy the Target* settings are ignored, even invalid.
	out := f.call1(t, "ImportVirtualSystemEx", wmi.Params{"ImportDirectory": root, "ImportSettingData": encode(func(o *wmi.Object) {
		set(t, o, map[string]any{"TargetVmDataRoot": "copies", "GenerateNewId": true})
	})})
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted {
		t.Fatalf("Target* without CreateCopy: %d", wmi.ReturnValue(out))
	}
	wantCompleted(t, f.v1.finish(t, out.String("Job")))
}

// TestV1ImportCancel: killing a copying import removes every file it
// copied, partial ones included.
func TestV1ImportCancel(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{CopyBytesPerSecond: slow})
	root := f.exportTo1(t, sim.DemoDB01ID, nil)
	target := t.TempDir()
	settings := f.importSettings1(t, root)
	set(t, settings, map[string]any{"GenerateNewId": true, "CreateCopy": true, "TargetVmDataRoot": target,
		"TargetSnapshotDataRoot": target, "TargetVhdDataRoot": filepath.Join(target, "Virtual Hard Disks")})
	job := f.startImport1(t, root, settings)
	f.v1.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") > 0 })
	if got := files(t, target); len(got) == 0 {
		t.Fatal("nothing copied yet")
	}
	if got := f.v1.requestStateChange(t, job, wmi.JobRequestKill); got != wmi.RSCCompleted {
		t.Fatalf("RequestStateChange: %d", got)
	}
	j := f.v1.get(t, job)
	if j.Uint("JobState") != uint64(wmi.JobKilled) {
		t.Errorf("state %d", j.Uint("JobState"))
	}
	if got := files(t, target); len(got) != 0 {
		t.Errorf("a killed import left %v", got)
	}
	if got := len(f.v1.query(t, "SELECT * FROM Msvm_ComputerSystem")); got != 4 {
		t.Errorf("%d systems after a killed import", got)
	}
}
