package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestPersistence: the host survives Close and New on the same DataDir,
// and the seed is then ignored.
func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seed := &sim.Seed{
		Switches: []sim.SeedSwitch{{Name: "LAN"}},
		VMs: []sim.SeedVM{{
			Name: "app", State: "saved", Generation: 1, Version: "8.0",
			Disks:           []sim.SeedDisk{{File: "app.vhdx", SizeBytes: 64 << 10}},
			Checkpoints:     []sim.SeedCheckpoint{{Name: "base", DifferencingBytes: 4 << 10}},
			NetworkAdapters: []sim.SeedNetworkAdapter{{Switch: "LAN"}},
		}},
	}
	f := newFixture(t, sim.Options{DataDir: dir, Seed: seed})
	before := map[string][]*wmi.Object{}
	classes := []string{"Msvm_ComputerSystem", "Msvm_VirtualSystemSettingData", "Msvm_StorageAllocationSettingData",
		"Msvm_EthernetPortAllocationSettingData", "Msvm_VirtualEthernetSwitch", "Msvm_VirtualSystemManagementServiceSettingData"}
	for _, c := range classes {
		before[c] = f.query(t, "SELECT * FROM "+c)
	}
	if err := f.host.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"Hyper-V/host.json", "Hyper-V/Virtual Hard Disks/app.vhdx"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}

	h, err := sim.New(sim.Options{DataDir: dir, Seed: sim.DemoSeed(), Clock: f.clock, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	svc, _ := h.Services(wmi.NamespaceV2)
	for _, c := range classes {
		after, err := svc.ExecQuery(context.Background(), "SELECT * FROM "+c)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before[c]) {
			t.Errorf("%s: %d instances, was %d", c, len(after), len(before[c]))
			continue
		}
		for i := range after {
			a, b := after[i], before[c][i]
			if a.Path != b.Path {
				t.Errorf("%s: %s, was %s", c, a.Path, b.Path)
			}
			for _, p := range b.Props {
				if p.Name == "OnTimeInMilliseconds" {
					continue
				}
				if x, y := a.Get(p.Name), p.Value; !sameValue(x, y) {
					t.Errorf("%s.%s = %v, was %v", a.Path, p.Name, x, y)
				}
			}
		}
	}
	// The restarted host exports as before.
	g := &fixture{host: h, svc: svc, clock: f.clock}
	vm := before["Msvm_ComputerSystem"][1].String("Name")
	job := g.waitJob(t, g.mustExport(t, vm, t.TempDir(), nil))
	if job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Errorf("export after restart: %d %s", job.Uint("JobState"), job.String("ErrorDescription"))
	}
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []string:
		y, _ := b.([]string)
		return strings.Join(x, "\x00") == strings.Join(y, "\x00") && (x == nil) == (y == nil)
	case []uint16:
		y, _ := b.([]uint16)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestSeedValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		seed sim.Seed
		want string
	}{
		{"unnamed VM", sim.Seed{VMs: []sim.SeedVM{{}}}, "no name"},
		{"bad GUID", sim.Seed{VMs: []sim.SeedVM{{Name: "a", ID: "nope"}}}, "not a GUID"},
		{"duplicate GUID", sim.Seed{VMs: []sim.SeedVM{{Name: "a", ID: sim.DemoWeb01ID}, {Name: "b", ID: strings.ToLower(sim.DemoWeb01ID)}}}, "already used"},
		{"bad state", sim.Seed{VMs: []sim.SeedVM{{Name: "a", State: "asleep"}}}, "unknown state"},
		{"bad generation", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Generation: 3}}}, "generation"},
		{"disk path", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "../x.vhdx"}}}}}, "plain"},
		{"disk extension", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.img"}}}}}, "plain"},
		{"shared disk", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.vhdx"}}}, {Name: "b", Disks: []sim.SeedDisk{{File: "X.vhdx"}}}}}, "already used"},
		{"a .vhd disk", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.vhd"}}}}}, "plain .vhdx"},
		{"virtual size not in sectors", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.vhdx", VirtualSizeBytes: 1000}}}}}, "virtualSizeBytes 1000"},
		{"virtual size too large", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.vhdx", VirtualSizeBytes: 65 << 40}}}}}, "64 TiB"},
		{"data larger than the disk", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.vhdx", SizeBytes: 4 << 20, VirtualSizeBytes: 8 << 20}}}}}, "need a virtual size"},
		{"checkpoint data larger than the disk", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Disks: []sim.SeedDisk{{File: "x.vhdx", VirtualSizeBytes: 4 << 20}},
			Checkpoints: []sim.SeedCheckpoint{{Name: "c", DifferencingBytes: 2 << 20}}}}}, "differencingBytes"},
		{"missing switch", sim.Seed{VMs: []sim.SeedVM{{Name: "a", NetworkAdapters: []sim.SeedNetworkAdapter{{Switch: "nope"}}}}}, "no switch"},
		{"first checkpoint with parent", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Checkpoints: []sim.SeedCheckpoint{{Name: "c", Parent: "x"}}}}}, "first checkpoint"},
		{"checkpoint tree", sim.Seed{VMs: []sim.SeedVM{{Name: "a", Checkpoints: []sim.SeedCheckpoint{{Name: "c1"}, {Name: "c2", Parent: "c1"}, {Name: "c3", Parent: "c1"}}}}}, "trees"},
		{"duplicate switch", sim.Seed{Switches: []sim.SeedSwitch{{Name: "s"}, {Name: "S"}}}, "twice"},
	} {
		_, err := sim.New(sim.Options{DataDir: t.TempDir(), Seed: &tc.seed})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := sim.New(sim.Options{}); err == nil {
		t.Error("New without DataDir succeeded")
	}
}

// TestDemoSeed: the demo host is small and its files are real.
func TestDemoSeed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h, err := sim.New(sim.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var total int64
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
		}
		return err
	})
	if total < 8<<20 || total > 64<<20 {
		t.Errorf("demo host holds %d bytes", total)
	}
	want := []string{
		"Hyper-V/Virtual Machines/" + sim.DemoWeb01ID + ".vmcx",
		"Hyper-V/Virtual Machines/" + sim.DemoDB01ID + ".vmrs",
		"Hyper-V/Snapshots/" + sim.DemoWeb01Checkpoint2 + ".vmcx",
		"Hyper-V/Virtual Hard Disks/web-01_" + sim.DemoWeb01Checkpoint1 + ".avhdx",
	}
	for _, p := range want {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
}

// TestSeedFromYAML: a seed can live in a YAML config file.
func TestSeedFromYAML(t *testing.T) {
	t.Parallel()
	const doc = `
switches:
  - name: LAN
exportCaptureLiveState: 0
vms:
  - name: svc
    id: 1a2b3c4d-0000-4000-8000-000000000001
    state: running
    generation: 2
    disks:
      - file: svc.vhdx
        sizeBytes: 4096
    checkpoints:
      - name: first
    networkAdapters:
      - switch: LAN
`
	var seed sim.Seed
	if err := yaml.Unmarshal([]byte(doc), &seed); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, sim.Options{Seed: &seed})
	vm := f.get(t, vmPath("1A2B3C4D-0000-4000-8000-000000000001"))
	if vm.String("ElementName") != "svc" || vm.Uint("EnabledState") != uint64(wmi.EnabledEnabled) {
		t.Errorf("VM %q in state %d", vm.String("ElementName"), vm.Uint("EnabledState"))
	}
	esd := f.query(t, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")[0]
	if esd.Get("CaptureLiveState") != uint8(0) {
		t.Errorf("CaptureLiveState %v", esd.Get("CaptureLiveState"))
	}
	if n := len(f.query(t, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = Msvm_VirtualSystemSettingData")); n != 2 {
		t.Errorf("%d settings", n)
	}
}
