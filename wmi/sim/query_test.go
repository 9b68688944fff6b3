package sim_test

import (
	"context"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func TestServicesNamespaces(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	for _, ns := range []string{`root\virtualization\v2`, `ROOT\Virtualization\V2`, "root/virtualization/v2"} {
		svc, err := f.host.Services(ns)
		if err != nil {
			t.Fatalf("%s: %v", ns, err)
		}
		if svc.Namespace() != wmi.NamespaceV2 {
			t.Errorf("Namespace() = %q", svc.Namespace())
		}
	}
	// v1 is served too (v1_test.go), unless Options.V1.Unavailable.
	for _, ns := range []string{`root\virtualization`, "ROOT/Virtualization"} {
		svc, err := f.host.Services(ns)
		if err != nil || svc.Namespace() != wmi.NamespaceV1 {
			t.Fatalf("%s: %v", ns, err)
		}
	}
	for _, ns := range []string{`root\cimv2`, "", `root\virtualization\v1`} {
		_, err := f.host.Services(ns)
		wantHResult(t, err, wmi.WBEMInvalidNamespace)
	}
	g := newFixture(t, sim.Options{V1: sim.V1Options{Unavailable: true}})
	_, err := g.host.Services(wmi.NamespaceV1)
	wantHResult(t, err, wmi.WBEMInvalidNamespace)
}

func TestComputerSystems(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	objs := f.query(t, "SELECT * FROM Msvm_ComputerSystem")
	if got := join(names(objs, "ElementName")); got != "HVSIM, web-01, db-01, build-agent" {
		t.Fatalf("ElementNames = %s", got)
	}
	host := objs[0]
	if host.String("Caption") != "Hosting Computer System" || host.String("Name") != "HVSIM" ||
		host.Path != `\\HVSIM\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="HVSIM"` {
		t.Errorf("host: Caption %q Name %q Path %q", host.String("Caption"), host.String("Name"), host.Path)
	}
	want := map[string]struct {
		id      string
		enabled uint16
		running bool
	}{
		"web-01":      {sim.DemoWeb01ID, wmi.EnabledDisabled, false},
		"db-01":       {sim.DemoDB01ID, wmi.EnabledOffline, false},
		"build-agent": {sim.DemoBuildAgentID, wmi.EnabledEnabled, true},
	}
	for _, vm := range objs[1:] {
		w := want[vm.String("ElementName")]
		if vm.Path != vmPath(w.id) || vm.String("Name") != w.id {
			t.Errorf("%s: Path %q", vm.String("ElementName"), vm.Path)
		}
		if got, ok := vm.Get("EnabledState").(uint16); !ok || got != w.enabled {
			t.Errorf("%s: EnabledState %#v, want uint16 %d", vm.String("ElementName"), vm.Get("EnabledState"), w.enabled)
		}
		if vm.String("Caption") != "Virtual Machine" || vm.String("Description") != "Microsoft Virtual Machine" ||
			vm.Uint("HealthState") != 5 || vm.String("CreationClassName") != wmi.ClassComputerSystem {
			t.Errorf("%s: Caption %q Description %q HealthState %d", vm.String("ElementName"),
				vm.String("Caption"), vm.String("Description"), vm.Uint("HealthState"))
		}
		if vm.IsNull("ProcessID") == w.running {
			t.Errorf("%s: ProcessID %v", vm.String("ElementName"), vm.Get("ProcessID"))
		}
		p := vm.Prop("OnTimeInMilliseconds")
		if p.Type != wmi.CIMUint64 || p.Origin != wmi.ClassComputerSystem {
			t.Errorf("OnTimeInMilliseconds: type %v origin %q", p.Type, p.Origin)
		}
		if p := vm.Prop("EnabledState"); p.Origin != "CIM_EnabledLogicalElement" {
			t.Errorf("EnabledState origin %q", p.Origin)
		}
		if vm.SuperClass != "CIM_ComputerSystem" || vm.Derivation[len(vm.Derivation)-1] != "CIM_ManagedElement" {
			t.Errorf("derivation %v", vm.Derivation)
		}
	}

	// A running VM's on-time follows the host's clock.
	f.clock.Advance(90_000_000_000) // 90 s
	agent := f.get(t, vmPath(sim.DemoBuildAgentID))
	if got := agent.Uint("OnTimeInMilliseconds"); got != 90_000 {
		t.Errorf("OnTimeInMilliseconds = %d, want 90000", got)
	}
}

func TestSelectWhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	for _, tc := range []struct {
		wql  string
		want string
	}{
		{"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'WEB-01'", "web-01"},
		{`select * from msvm_computersystem where elementname = "db-01"`, "db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine' AND EnabledState = 2", "build-agent"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE EnabledState <> 2", "web-01, db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE EnabledState != 2 AND NOT ElementName = 'db-01'", "web-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE EnabledState = 6 OR ElementName = 'web-01'", "web-01, db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE (EnabledState = 6 OR EnabledState = 3) AND Caption = 'Virtual Machine'", "web-01, db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE EnabledState >= 3", "web-01, db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE ProcessID IS NOT NULL", "build-agent"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE ProcessID IS NULL AND Caption <> 'Hosting Computer System'", "web-01, db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE ElementName LIKE 'B%'", "build-agent"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE ElementName LIKE '_b-0[0-9]'", "db-01"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE Name = '" + sim.DemoWeb01ID + "'", "web-01"},
		{"SELECT * FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemType = 'Microsoft:Hyper-V:System:Realized' AND IsSaved = TRUE", "db-01"},
		{"SELECT * FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'", "Before update, After update"},
		{"SELECT * FROM Msvm_VirtualEthernetSwitch WHERE ElementName = 'Internal'", "Internal"},
		{"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'nobody'", ""},
		// Superclass queries return the subclasses' instances, switches included.
		{"SELECT * FROM CIM_ComputerSystem", "HVSIM, web-01, db-01, build-agent, External, Internal"},
	} {
		if got := join(names(f.query(t, tc.wql), "ElementName")); got != tc.want {
			t.Errorf("%s\n got %q\nwant %q", tc.wql, got, tc.want)
		}
	}
	// A backslash in a WQL string literal is escaped with a backslash.
	disks := f.query(t, "SELECT * FROM Msvm_StorageAllocationSettingData")
	id := disks[0].String("InstanceID")
	wql := "SELECT * FROM Msvm_StorageAllocationSettingData WHERE InstanceID = '" +
		replaceAll(id, `\`, `\\`) + "'"
	if got := f.query(t, wql); len(got) != 1 || got[0].String("InstanceID") != id {
		t.Errorf("%s: %d results", wql, len(got))
	}
}

func replaceAll(s, old, new string) string {
	out := ""
	for i := 0; i < len(s); i++ {
		if s[i:min(i+len(old), len(s))] == old {
			out += new
			i += len(old) - 1
			continue
		}
		out += string(s[i])
	}
	return out
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	for _, tc := range []struct {
		wql string
		hr  uint32
	}{
		{"", wmi.WBEMInvalidQuery},
		{"SELEC * FROM Msvm_ComputerSystem", wmi.WBEMInvalidQuery},
		{"SELECT Name FROM Msvm_ComputerSystem", wmi.WBEMInvalidQuery},
		{"SELECT * FROM", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE Name = ", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE Name = 'x", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE (Name = 'x'", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE NoSuchProperty = 1", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE OperationalStatus = 2", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WITHIN 5", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_ComputerSystem WHERE Name ISA 'x'", wmi.WBEMInvalidQuery},
		{"REFERENCES OF {" + vmPath(sim.DemoWeb01ID) + "}", wmi.WBEMInvalidQuery},
		{"ASSOCIATORS OF " + vmPath(sim.DemoWeb01ID), wmi.WBEMInvalidQuery},
		{"ASSOCIATORS OF {" + vmPath(sim.DemoWeb01ID) + "} WHERE ResultClass = Msvm_VirtualSystemSettingData AND AssocClass = Msvm_SettingsDefineState", wmi.WBEMInvalidQuery},
		{"ASSOCIATORS OF {" + vmPath(sim.DemoWeb01ID) + "} WHERE KeysOnly", wmi.WBEMInvalidQuery},
		{"ASSOCIATORS OF {" + vmPath(sim.DemoWeb01ID) + "} WHERE ResultClass = 'Msvm_X'", wmi.WBEMInvalidQuery},
		{"SELECT * FROM Msvm_NoSuchClass", wmi.WBEMInvalidClass},
		{"SELECT * FROM Msvm_SystemExportSettingData", wmi.WBEMNotSupported},
		{"ASSOCIATORS OF {" + vmPath("00000000-0000-0000-0000-000000000000") + "}", wmi.WBEMNotFound},
		{"ASSOCIATORS OF {Msvm_NoSuchClass.Name=\"x\"}", wmi.WBEMInvalidClass},
	} {
		_, err := f.svc.ExecQuery(context.Background(), tc.wql)
		var e *wmi.Error
		if !asWMIError(err, &e) || e.HResult != tc.hr {
			t.Errorf("%q: got %v, want 0x%08X", tc.wql, err, tc.hr)
		}
	}
}

func asWMIError(err error, target **wmi.Error) bool {
	e, ok := err.(*wmi.Error)
	*target = e
	return ok
}

func TestAssociators(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	web := vmPath(sim.DemoWeb01ID)

	// The VM's settings and its snapshots' (docs/HYPERV.md#import-sequence).
	settings := f.query(t, "ASSOCIATORS OF {"+web+"} WHERE ResultClass = Msvm_VirtualSystemSettingData")
	if got := join(names(settings, "ElementName")); got != "web-01, Before update, After update" {
		t.Fatalf("settings = %s", got)
	}
	current, snap1, snap2 := settings[0], settings[1], settings[2]
	if current.String("InstanceID") != "Microsoft:"+sim.DemoWeb01ID || current.Path != vssdPath(sim.DemoWeb01ID) ||
		current.String("VirtualSystemType") != wmi.SystemTypeRealized ||
		current.String("VirtualSystemSubType") != "Microsoft:Hyper-V:SubType:2" || current.String("Version") != "9.0" {
		t.Errorf("current settings: %s %s %s %s", current.String("InstanceID"), current.String("VirtualSystemType"),
			current.String("VirtualSystemSubType"), current.String("Version"))
	}
	if !wmi.SamePath(current.String("Parent"), snap2.Path) || !wmi.SamePath(snap2.String("Parent"), snap1.Path) || !snap1.IsNull("Parent") {
		t.Errorf("Parent chain: %q → %q → %q", current.String("Parent"), snap2.String("Parent"), snap1.String("Parent"))
	}
	if snap1.String("VirtualSystemType") != wmi.SnapshotTypeRealized || snap1.String("InstanceID") != "Microsoft:"+sim.DemoWeb01Checkpoint1 {
		t.Errorf("snapshot: %s %s", snap1.String("VirtualSystemType"), snap1.String("InstanceID"))
	}
	if current.IsNull("CreationTime") || current.Prop("CreationTime").Type != wmi.CIMDatetime {
		t.Errorf("CreationTime %v", current.Get("CreationTime"))
	}

	// Narrowed by association class and roles.
	for _, tc := range []struct{ where, want string }{
		{"AssocClass = Msvm_SettingsDefineState", "web-01"},
		{"ResultClass = Msvm_VirtualSystemSettingData AssocClass = Msvm_MostCurrentSnapshotInBranch", "After update"},
		{"AssocClass = Msvm_SnapshotOfVirtualSystem Role = Antecedent", "Before update, After update"},
		{"AssocClass = Msvm_SnapshotOfVirtualSystem Role = Dependent", ""},
		{"ResultClass = CIM_SettingData ResultRole = Dependent", "Before update, After update"},
		{"ResultClass = Msvm_NoSuchClass", ""},
	} {
		got := join(names(f.query(t, "ASSOCIATORS OF {"+web+"} WHERE "+tc.where), "ElementName"))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.where, got, tc.want)
		}
	}

	// Disks of the current settings are the newest differencing disks;
	// the first snapshot's are the base disks.
	disks := f.query(t, "ASSOCIATORS OF {"+current.Path+"} WHERE ResultClass = Msvm_StorageAllocationSettingData")
	if len(disks) != 2 {
		t.Fatalf("%d disks", len(disks))
	}
	d := disks[0]
	if hr := d.Strings("HostResource"); len(hr) != 1 || !hasSuffix(hr[0], "web-01_"+sim.DemoWeb01Checkpoint2+".avhdx") {
		t.Errorf("HostResource %v", hr)
	}
	if d.Uint("ResourceType") != 31 || d.String("ResourceSubType") != "Microsoft:Hyper-V:Virtual Hard Disk" ||
		!hasPrefix(d.String("InstanceID"), "Microsoft:"+sim.DemoWeb01ID+`\`) || !hasSuffix(d.String("InstanceID"), `\L`) {
		t.Errorf("disk: %d %q %q", d.Uint("ResourceType"), d.String("ResourceSubType"), d.String("InstanceID"))
	}
	base := f.query(t, "ASSOCIATORS OF {"+snap1.Path+"} WHERE ResultClass = Msvm_StorageAllocationSettingData")
	if hr := base[0].Strings("HostResource"); !hasSuffix(hr[0], "web-01.vhdx") {
		t.Errorf("snapshot 1 disk %v", hr)
	}
	// A generation 1 VM's first disk is on IDE controller 0.
	db := f.query(t, "ASSOCIATORS OF {"+vssdPath(sim.DemoDB01ID)+"} WHERE ResultClass = Msvm_StorageAllocationSettingData")
	if id := db[0].String("InstanceID"); id != "Microsoft:"+sim.DemoDB01ID+`\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\L` {
		t.Errorf("db-01 disk InstanceID %q", id)
	}

	// Network connections point at the switch.
	ports := f.query(t, "ASSOCIATORS OF {"+vssdPath(sim.DemoBuildAgentID)+"} WHERE ResultClass = Msvm_EthernetPortAllocationSettingData")
	if len(ports) != 2 {
		t.Fatalf("%d ports", len(ports))
	}
	sw := f.get(t, ports[0].Strings("HostResource")[0])
	if sw.Class != wmi.ClassVirtualEthernetSwitch || sw.String("ElementName") != "External" || sw.String("Name") != sim.DemoExternalSwitchID ||
		ports[0].Uint("EnabledState") != 2 {
		t.Errorf("switch %s %q %q, port EnabledState %d", sw.Class, sw.String("ElementName"), sw.String("Name"), ports[0].Uint("EnabledState"))
	}

	// The management service, its settings and the host.
	vsms := f.query(t, "ASSOCIATORS OF {"+vmPath("HVSIM")+"} WHERE ResultClass = Msvm_VirtualSystemManagementService")
	if len(vsms) != 1 || vsms[0].Path != vsmsPath || vsms[0].String("Name") != "vmms" {
		t.Fatalf("VMMS %v", names(vsms, "Name"))
	}
	sd := f.query(t, "ASSOCIATORS OF {"+vsmsPath+"} WHERE ResultClass = Msvm_VirtualSystemManagementServiceSettingData")
	if len(sd) != 1 || !hasSuffix(sd[0].String("DefaultVirtualHardDiskPath"), "Virtual Hard Disks") ||
		sd[0].String("DefaultExternalDataRoot") == "" || sd[0].String("InstanceID") != "Microsoft:HVSIM" {
		t.Errorf("VMMS settings %v", sd)
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
func hasSuffix(s, p string) bool { return len(s) >= len(p) && s[len(s)-len(p):] == p }

func TestExportSettingDataDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	assoc := f.query(t, "ASSOCIATORS OF {"+vmPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	viaAssocClass := f.query(t, "ASSOCIATORS OF {"+vmPath(sim.DemoWeb01ID)+"} WHERE AssocClass = Msvm_SystemExportSettingData")
	selected := f.query(t, "SELECT * FROM Msvm_VirtualSystemExportSettingData WHERE InstanceID = 'Microsoft:"+sim.DemoWeb01ID+"'")
	if len(assoc) != 1 || len(viaAssocClass) != 1 || len(selected) != 1 ||
		assoc[0].Path != selected[0].Path || assoc[0].Path != viaAssocClass[0].Path {
		t.Fatalf("associators %d, by assoc class %d, select %d", len(assoc), len(viaAssocClass), len(selected))
	}
	o := assoc[0]
	for name, want := range map[string]any{
		"InstanceID":                          "Microsoft:" + sim.DemoWeb01ID,
		"Caption":                             "Virtual System Export Setting Data",
		"CopySnapshotConfiguration":           uint8(0),
		"CopyVmRuntimeInformation":            true,
		"CopyVmStorage":                       true,
		"CreateVmExportSubdirectory":          false,
		"CaptureLiveState":                    uint8(1),
		"BackupIntent":                        uint8(0),
		"ExportForLiveMigration":              false,
		"DisableDifferentialOfIgnoredStorage": false,
		"SnapshotVirtualSystem":               nil,
		"ExcludedVirtualHardDisks":            nil,
		"DifferentialBackupBase":              nil,
	} {
		if got := o.Get(name); !equalValue(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	if p := o.Prop("ExcludedVirtualHardDisks"); !p.Array || p.Type != wmi.CIMString {
		t.Errorf("ExcludedVirtualHardDisks declared %v array %v", p.Type, p.Array)
	}

	// The CaptureLiveState default is a host setting.
	zero := uint8(0)
	seed := sim.DemoSeed()
	seed.ExportCaptureLiveState = &zero
	g := newFixture(t, sim.Options{Seed: seed})
	o = g.query(t, "ASSOCIATORS OF {"+vmPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")[0]
	if o.Get("CaptureLiveState") != uint8(0) {
		t.Errorf("seeded CaptureLiveState = %v", o.Get("CaptureLiveState"))
	}
}

func equalValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a == b
}
