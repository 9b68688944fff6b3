package sim_test

import (
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
	"github.com/hvport/hvport/wmi/wmitest"
)

// TestConformance runs the seam's conformance suite against the simulator,
// in both namespaces; wmi/com runs the same suite against a real host.
func TestConformance(t *testing.T) {
	h, err := sim.New(sim.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, ns := range []string{wmi.NamespaceV2, wmi.NamespaceV1} {
		t.Run(ns, func(t *testing.T) {
			svc, err := h.Services(ns)
			if err != nil {
				t.Fatal(err)
			}
			wmitest.Run(t, svc)
		})
	}
}

// TestConformanceValidation runs the validation part of the suite on both
// of the simulator's variants: a real host's (the job completes with the
// incompatibilities on it, the default) and the failing one.
func TestConformanceValidation(t *testing.T) {
	t.Parallel()
	src := newFixture(t, sim.Options{})
	root := src.exportTo(t, sim.DemoWeb01ID, nil)
	for _, c := range []struct {
		name      string
		failsJob  bool
		wantState uint16
	}{{"completes", false, wmi.JobCompleted}, {"fails", true, wmi.JobException}} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{Seed: switchesSeed("LAN"), ValidationFailsJob: c.failsJob})
			planned := f.mustImport(t, root, sim.DemoWeb01ID, false)
			if got := wmitest.RunValidation(t, f.svc, vsmsPath, planned.Path, "External"); got != c.wantState {
				t.Errorf("validation job state %d, want %d", got, c.wantState)
			}
		})
	}
}

// TestConformanceJobErrors checks GetErrorEx on a completed and a failed
// job in each namespace (v1 has no ValidatePlannedSystem: its import
// reports through the job, docs/HYPERV.md#v1-methods).
func TestConformanceJobErrors(t *testing.T) {
	t.Parallel()
	t.Run(wmi.NamespaceV2, func(t *testing.T) {
		f := newFixture(t, sim.Options{Faults: []sim.FaultRule{{Method: "ExportSystemDefinition", VM: "db-01", JobErrorCode: uint16(wmi.ReturnFailed)}}})
		_, done := f.export(t, sim.DemoWeb01ID, filepath.Join(t.TempDir(), "web"), f.exportSettings(t, sim.DemoWeb01ID, nil))
		f.waitJob(t, done)
		_, failed := f.export(t, sim.DemoDB01ID, filepath.Join(t.TempDir(), "db"), f.exportSettings(t, sim.DemoDB01ID, nil))
		f.waitJob(t, failed)
		wmitest.RunJobErrors(t, f.svc, done, failed)
	})
	t.Run(wmi.NamespaceV1, func(t *testing.T) {
		f := newV1Fixture(t, sim.Options{Faults: []sim.FaultRule{{Method: "ExportVirtualSystemEx", VM: "db-01", JobErrorCode: uint16(wmi.ReturnFailed)}}})
		_, done := f.export1(t, sim.DemoWeb01ID, filepath.Join(t.TempDir(), "web"), f.v1ExportSettings(t, sim.DemoWeb01ID, nil))
		f.v1.waitJob(t, done)
		_, failed := f.export1(t, sim.DemoDB01ID, filepath.Join(t.TempDir(), "db"), f.v1ExportSettings(t, sim.DemoDB01ID, nil))
		f.v1.waitJob(t, failed)
		wmitest.RunJobErrors(t, f.v1.svc, done, failed)
	})
}
