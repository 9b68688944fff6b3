package sim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestPlannedPersistence: planned VMs, their modifications and their
// snapshots survive Close and New, and realize afterwards; a VM
// registered in place outside DataDir survives too.
func TestPlannedPersistence(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	vssd := f.settingsOf(t, planned.Path)[0]
	vssd.MustSet("ElementName", "web-copy")
	if ret := f.modifySystem(t, vssd); ret != 0 {
		t.Fatal(ret)
	}
	port := f.portsOf(t, vssd.Path)[0]
	port.MustSet("EnabledState", wmi.EnabledDisabled)
	if ret := wmi.ReturnValue(f.modifyResources(t, port)); ret != 0 {
		t.Fatal(ret)
	}
	// A second planned VM without its snapshots.
	bare := f.plannedOfJob(t, f.importDef(t, definitionFile(root, sim.DemoWeb01ID), "", true))

	classes := []string{"Msvm_PlannedComputerSystem", "Msvm_VirtualSystemSettingData", "Msvm_StorageAllocationSettingData",
		"Msvm_EthernetPortAllocationSettingData"}
	before := map[string][]*wmi.Object{}
	for _, c := range classes {
		before[c] = f.query(t, "SELECT * FROM "+c)
	}
	if err := f.host.Close(); err != nil {
		t.Fatal(err)
	}
	var hf struct {
		Planned []struct{ ID, RecordFile string } `json:"plannedVirtualMachines"`
	}
	b, err := os.ReadFile(filepath.Join(f.host.DataDir(), "Hyper-V", "host.json"))
	if err != nil || json.Unmarshal(b, &hf) != nil || len(hf.Planned) != 2 {
		t.Fatalf("host.json: %v %s", err, b)
	}

	g := reopen(t, f)
	for _, c := range classes {
		after := g.query(t, "SELECT * FROM "+c)
		if len(after) != len(before[c]) {
			t.Errorf("%s: %d instances, were %d", c, len(after), len(before[c]))
			continue
		}
		for i := range after {
			a, b := after[i], before[c][i]
			for _, p := range b.Props {
				if !sameValue(a.Get(p.Name), p.Value) {
					t.Errorf("%s.%s = %v, was %v", a.Path, p.Name, a.Get(p.Name), p.Value)
				}
			}
		}
	}
	if _, errs := g.validate(t, bare.Path); messageIDs(errs) != sim.MessageIDSnapshotNotFound+", "+sim.MessageIDSnapshotNotFound {
		t.Errorf("the snapshot-less planned VM: %s", messageIDs(errs))
	}
	g.destroy(t, bare.Path)
	vm := g.realize(t, planned.Path)
	if vm.String("ElementName") != "web-copy" {
		t.Errorf("realized after a restart: %q", vm.String("ElementName"))
	}

	// The VM lives in the export folder, outside DataDir.
	id := vm.String("Name")
	if err := g.host.Close(); err != nil {
		t.Fatal(err)
	}
	h := reopen(t, g)
	settings := h.settingsOf(t, vmPath(id))
	if len(settings) != 3 || settings[0].String("ConfigurationDataRoot") != root || settings[0].String("ElementName") != "web-copy" {
		t.Fatalf("after a second restart: %v", names(settings, "ElementName"))
	}
	if n := len(h.query(t, "SELECT * FROM Msvm_PlannedComputerSystem")); n != 0 {
		t.Errorf("%d planned VMs", n)
	}
	if got := files(t, filepath.Join(h.host.DataDir(), "Hyper-V", "Planned Virtual Machines")); len(got) != 0 {
		t.Errorf("planned records left: %v", got)
	}
}
