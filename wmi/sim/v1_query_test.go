package sim_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestV1Classes reads the demo host through root\virtualization: v1's
// classes, numbers and paths over the same VMs and switches as v2.
func TestV1Classes(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	v1 := f.v1
	if v1.svc.Namespace() != wmi.NamespaceV1 {
		t.Fatalf("Namespace() = %q", v1.svc.Namespace())
	}

	systems := v1.query(t, "SELECT * FROM Msvm_ComputerSystem")
	if got := join(names(systems, "ElementName")); got != "HVSIM, web-01, db-01, build-agent" {
		t.Fatalf("v1 systems %s", got)
	}
	want := map[string]uint16{"web-01": wmi.EnabledDisabled, "db-01": wmi.EnabledV1Suspended, "build-agent": wmi.EnabledEnabled}
	for _, vm := range systems[1:] {
		name := vm.String("ElementName")
		if got, ok := vm.Get("EnabledState").(uint16); !ok || got != want[name] {
			t.Errorf("%s: v1 EnabledState %#v, want %d", name, vm.Get("EnabledState"), want[name])
		}
		if !strings.HasPrefix(vm.Path, `\\HVSIM\root\virtualization:Msvm_ComputerSystem.`) ||
			vm.String("Description") != "Microsoft Virtual Computer System" || vm.Has("ReplicationState") {
			t.Errorf("%s: %s %q", name, vm.Path, vm.String("Description"))
		}
	}
	// The same VM, v2's numbers there.
	if got := f.get(t, vmPath(sim.DemoDB01ID)).Uint("EnabledState"); got != uint64(wmi.EnabledOffline) {
		t.Errorf("v2 db-01 EnabledState %d", got)
	}
	if got := v1.get(t, v1VMPath(sim.DemoDB01ID)); got.String("ElementName") != "db-01" {
		t.Errorf("Get v1 db-01: %q", got.String("ElementName"))
	}
	_, err := v1.svc.Get(context.Background(), vmPath(sim.DemoDB01ID))
	wantHResult(t, err, wmi.WBEMInvalidNamespace)

	switches := v1.query(t, "SELECT * FROM Msvm_VirtualSwitch")
	if len(switches) != 2 || switches[0].String("ElementName") != "External" || switches[0].String("Name") != sim.DemoExternalSwitchID ||
		switches[0].Uint("EnabledState") != uint64(wmi.EnabledNotApplicable) || !switches[0].Has("ScopeOfResidence") {
		t.Errorf("v1 switches %v", names(switches, "ElementName"))
	}
	// v2-only classes do not exist in v1.
	for _, c := range []string{"Msvm_VirtualEthernetSwitch", "Msvm_StorageAllocationSettingData",
		"Msvm_EthernetPortAllocationSettingData", "Msvm_PlannedComputerSystem"} {
		_, err := v1.svc.ExecQuery(context.Background(), "SELECT * FROM "+c)
		wantHResult(t, err, wmi.WBEMInvalidClass)
	}
	if got := v1.query(t, "SELECT * FROM Msvm_VirtualSystemImportSettingData"); len(got) != 0 {
		t.Errorf("import setting data has %d instances", len(got))
	}

	// Settings: SettingType 3/5, VirtualSystemType 301 (uint16), SystemName.
	settings := v1.query(t, "ASSOCIATORS OF {"+v1VMPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_VirtualSystemSettingData")
	if got := join(names(settings, "ElementName")); got != "web-01, Before update, After update" {
		t.Fatalf("v1 settings %s", got)
	}
	for i, s := range settings {
		wantType := wmi.SettingTypeSnapshotV1
		if i == 0 {
			wantType = wmi.SettingTypeCurrentV1
		}
		if s.Get("SettingType") != wantType || s.Get("VirtualSystemType") != wmi.VirtualSystemTypeHyperVV1 ||
			s.String("SystemName") != sim.DemoWeb01ID || s.Has("VirtualSystemSubType") || s.Has("Version") ||
			s.Has("ConfigurationDataRoot") {
			t.Errorf("v1 VSSD %s: SettingType %v VirtualSystemType %#v SystemName %q", s.String("ElementName"),
				s.Get("SettingType"), s.Get("VirtualSystemType"), s.String("SystemName"))
		}
	}
	if settings[0].Path != v1VSSDPath(sim.DemoWeb01ID) || !wmi.SamePath(settings[0].String("Parent"), settings[2].Path) ||
		!strings.HasPrefix(settings[0].String("Parent"), `\\HVSIM\root\virtualization:`) {
		t.Errorf("v1 VSSD path %s, Parent %s", settings[0].Path, settings[0].String("Parent"))
	}
	global := v1.query(t, "ASSOCIATORS OF {"+v1VMPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_VirtualSystemGlobalSettingData")
	if len(global) != 1 || global[0].String("InstanceID") != `Microsoft:`+sim.DemoWeb01ID+`\Global` ||
		global[0].String("ExternalDataRoot") != filepath.Join(f.host.DataDir(), "Hyper-V") ||
		global[0].Get("ScopeOfResidence") != "" || global[0].Get("SettingType") != wmi.SettingTypeGlobalV1 {
		t.Fatalf("global settings %v", global)
	}

	// Disks: Msvm_ResourceAllocationSettingData, the path in Connection.
	rasd := v1.query(t, "ASSOCIATORS OF {"+settings[0].Path+"} WHERE ResultClass = Msvm_ResourceAllocationSettingData")
	var vhds []string
	for _, r := range rasd {
		switch r.String("ResourceSubType") {
		case wmi.ResourceSubTypeVHDV1:
			if r.Uint("ResourceType") != 21 || len(r.Strings("Connection")) != 1 || !r.IsNull("HostResource") {
				t.Errorf("VHD %s: %d %v", r.String("InstanceID"), r.Uint("ResourceType"), r.Strings("Connection"))
			}
			vhds = append(vhds, filepath.Base(r.Strings("Connection")[0]))
			if drive := v1.get(t, r.String("Parent")); drive.String("ResourceSubType") != wmi.ResourceSubTypeDiskDriveV1 {
				t.Errorf("the VHD's Parent is %q", drive.String("ResourceSubType"))
			}
		case wmi.ResourceSubTypeDiskDriveV1:
		default:
			t.Errorf("unexpected %q", r.String("ResourceSubType"))
		}
	}
	if got := join(vhds); got != "web-01_"+sim.DemoWeb01Checkpoint2+".avhdx, web-01-data_"+sim.DemoWeb01Checkpoint2+".avhdx" {
		t.Errorf("web-01's VHDs %s", got)
	}
	if got := v1.query(t, "SELECT * FROM Msvm_ResourceAllocationSettingData WHERE ResourceSubType = 'Microsoft Virtual Hard Disk'"); len(got) != 2+2+2+1+1 {
		t.Errorf("%d VHD settings on the host", len(got))
	}
	// Network: Connection names a switch port of the switch.
	ports := v1.query(t, "ASSOCIATORS OF {"+settings[0].Path+"} WHERE ResultClass = Msvm_SyntheticEthernetPortSettingData")
	if len(ports) != 1 || len(ports[0].Strings("Connection")) != 1 {
		t.Fatalf("ports %v", ports)
	}
	if p, err := wmi.ParsePath(ports[0].Strings("Connection")[0]); err != nil || p.Key("SystemName") != sim.DemoExternalSwitchID {
		t.Errorf("port connection %q", ports[0].Strings("Connection")[0])
	}

	svcs := v1.query(t, "SELECT * FROM Msvm_VirtualSystemManagementService")
	if len(svcs) != 1 || svcs[0].Path != v1VsmsPath || svcs[0].String("ElementName") != "Virtual System Management Service" {
		t.Fatalf("VMMS %v", svcs)
	}
	ss := v1.query(t, "ASSOCIATORS OF {"+v1VsmsPath+"} WHERE ResultClass = Msvm_VirtualSystemManagementServiceSettingData")
	if len(ss) != 1 || ss[0].String("DefaultVirtualHardDiskPath") != filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks") {
		t.Errorf("VMMS settings %v", ss)
	}
	// v2's methods are not v1's; v1's unmodelled ones say so.
	_, err = v1.svc.ExecMethod(context.Background(), v1VsmsPath, "ExportSystemDefinition", nil)
	wantHResult(t, err, wmi.WBEMInvalidMethod)
	_, err = v1.svc.ExecMethod(context.Background(), v1VsmsPath, "DestroyVirtualSystem", nil)
	wantHResult(t, err, wmi.WBEMNotSupported)
	_, err = f.svc.ExecMethod(context.Background(), vsmsPath, "ExportVirtualSystemEx", nil)
	wantHResult(t, err, wmi.WBEMInvalidMethod)
}

// TestV1ExportSettingDataDefaults: the default instance has exactly v1's
// properties and the values of the 2009 blog's dump.
func TestV1ExportSettingDataDefaults(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	objs := f.v1.query(t, "ASSOCIATORS OF {"+v1VMPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	if len(objs) != 1 {
		t.Fatalf("%d export setting data", len(objs))
	}
	o := objs[0]
	var props []string
	for _, p := range o.Props {
		props = append(props, p.Name)
	}
	if got := join(props); got != "Caption, CopySnapshotConfiguration, CopyVmRuntimeInformation, CopyVmStorage, "+
		"CreateVmExportSubdirectory, Description, ElementName, InstanceID, SnapshotVirtualSystem" {
		t.Errorf("v1 export setting data properties: %s", got)
	}
	if o.Get("CopySnapshotConfiguration") != wmi.ExportAllSnapshots || !o.Bool("CopyVmRuntimeInformation") || !o.Bool("CopyVmStorage") ||
		o.Bool("CreateVmExportSubdirectory") || !o.IsNull("SnapshotVirtualSystem") ||
		o.String("Caption") != "Virtual System Export Setting Data" ||
		o.String("ElementName") != "Microsoft Virtual System Export Setting Data" ||
		o.String("InstanceID") != "Microsoft:"+sim.DemoWeb01ID ||
		!strings.HasPrefix(o.Path, `\\HVSIM\root\virtualization:Msvm_VirtualSystemExportSettingData.`) {
		t.Errorf("defaults %+v", o)
	}
}
