package sim_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestV1ImportSettingData: GetVirtualSystemImportSettingData returns 0 and
// an embedded Msvm_VirtualSystemImportSettingData object with every
// default of docs/HYPERV.md#v1-import-settings.
func TestV1ImportSettingData(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoWeb01ID, nil)
	out := f.call1(t, "GetVirtualSystemImportSettingData", wmi.Params{"ImportDirectory": root})
	p := out.Prop("ImportSettingData")
	if wmi.ReturnValue(out) != wmi.ReturnOK || !out.IsNull("Job") || p == nil || p.Type != wmi.CIMObject || p.Array {
		t.Fatalf("out-parameters %+v", out)
	}
	o, ok := p.Value.(*wmi.Object)
	if !ok || o.Class != wmi.ClassImportSettingData || o.Path != "" {
		t.Fatalf("ImportSettingData %#v", p.Value)
	}
	hyperV := filepath.Join(f.host.DataDir(), "Hyper-V")
	hostVHD := filepath.Join(hyperV, "Virtual Hard Disks")
	exportVHD := filepath.Join(root, "Virtual Hard Disks")
	s1, s2 := sim.DemoWeb01Checkpoint1, sim.DemoWeb01Checkpoint2
	files := []string{"web-01_" + s2 + ".avhdx", "web-01_" + s1 + ".avhdx", "web-01.vhdx",
		"web-01-data_" + s2 + ".avhdx", "web-01-data_" + s1 + ".avhdx", "web-01-data.vhdx"}
	in := func(dir string) []string {
		out := make([]string, len(files))
		for i, f := range files {
			out[i] = filepath.Join(dir, f)
		}
		return out
	}
	wantStrings := map[string]string{
		"InstanceID": "Microsoft:" + sim.DemoWeb01ID, "Caption": "Virtual System Import Setting Data",
		"Description": "Microsoft Virtual System Import Setting Data", "ElementName": "Microsoft Virtual System Import Setting Data",
		"Name": "web-01", "SourceVmDataRoot": root, "SourceSnapshotDataRoot": root, "SourceVhdDataRoot": exportVHD,
		"TargetVmDataRoot": hyperV, "TargetSnapshotDataRoot": hyperV, "TargetVhdDataRoot": hostVHD,
	}
	for name, want := range wantStrings {
		if got := o.Get(name); got != want {
			t.Errorf("%s = %#v, want %q", name, got, want)
		}
	}
	wantArrays := map[string][]string{
		"CurrentResourcePaths": in(hostVHD), "SourceResourcePaths": in(exportVHD),
		"SourceNetworkConnections": {"External"}, "TargetNetworkConnections": {"External"},
	}
	for name, want := range wantArrays {
		if got := o.Strings(name); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if o.Get("GenerateNewId") != false || o.Get("CreateCopy") != false || !o.IsNull("SecurityScope") || !o.IsNull("TargetResourcePaths") {
		t.Errorf("GenerateNewId %#v CreateCopy %#v SecurityScope %#v", o.Get("GenerateNewId"), o.Get("CreateCopy"), o.Get("SecurityScope"))
	}
	if len(o.Props) != 19 {
		t.Errorf("%d properties", len(o.Props))
	}

	// Not a v1 export: 32773 and NULL out-parameters.
	v2root := f.exportTo(t, sim.DemoDB01ID, nil)
	for _, dir := range []string{filepath.Join(root, "missing"), "relative", v2root, filepath.Join(root, "Virtual Machines")} {
		out := f.call1(t, "GetVirtualSystemImportSettingData", wmi.Params{"ImportDirectory": dir})
		if wmi.ReturnValue(out) != wmi.ReturnInvalidParameter || !out.IsNull("ImportSettingData") || !out.IsNull("Job") {
			t.Errorf("%s: %d %v", dir, wmi.ReturnValue(out), out.Get("ImportSettingData"))
		}
	}
}

// TestV1ImportSettingDataOptions: the UNCERTAIN points' other answers.
func TestV1ImportSettingDataOptions(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{V1: sim.V1Options{ImportSettingDataJob: true, SwitchConnectionsByName: true,
		ImportCopyByDefault: true, FillTargetResourcePaths: true}})
	root := f.exportTo1(t, sim.DemoDB01ID, nil)
	out := f.call1(t, "GetVirtualSystemImportSettingData", wmi.Params{"ImportDirectory": root})
	o, ok := out.Get("ImportSettingData").(*wmi.Object)
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted || !ok {
		t.Fatalf("with a job: %d %T", wmi.ReturnValue(out), out.Get("ImportSettingData"))
	}
	wantCompleted(t, f.v1.get(t, out.String("Job")))
	hostVHD := filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks")
	if !slices.Equal(o.Strings("TargetResourcePaths"), []string{filepath.Join(hostVHD, "db-01.vhdx")}) {
		t.Errorf("filled TargetResourcePaths %q", o.Strings("TargetResourcePaths"))
	}
	if !o.Bool("GenerateNewId") || !o.Bool("CreateCopy") ||
		!slices.Equal(o.Strings("SourceNetworkConnections"), []string{sim.DemoInternalSwitchID}) {
		t.Errorf("GenerateNewId %v CreateCopy %v SourceNetworkConnections %q", o.Get("GenerateNewId"), o.Get("CreateCopy"), o.Strings("SourceNetworkConnections"))
	}
	// By Name, a switch's GUID connects and its friendly name does not.
	target := t.TempDir()
	set(t, o, map[string]any{"TargetVmDataRoot": target, "TargetSnapshotDataRoot": target, "TargetVhdDataRoot": target,
		"TargetResourcePaths": nil, "TargetNetworkConnections": []string{"Internal"}})
	j := f.v1.finish(t, f.startImport1(t, root, o))
	if j.Uint("JobState") != uint64(wmi.JobException) || j.Uint("ErrorCode") != uint64(wmi.ReturnInvalidParameter) {
		t.Errorf("friendly name with SwitchConnectionsByName: state %d error %d", j.Uint("JobState"), j.Uint("ErrorCode"))
	}
	set(t, o, map[string]any{"TargetNetworkConnections": []string{sim.DemoExternalSwitchID}})
	vm := f.import1(t, root, o)
	v2 := f.settingsOf(t, vmPath(vm.String("Name")))
	if ports := f.portsOf(t, v2[0].Path); len(ports) != 1 || ports[0].String("LastKnownSwitchName") != "External" {
		t.Errorf("ports %v", ports)
	}
}
