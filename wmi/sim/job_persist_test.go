package sim_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// A Hyper-V job belongs to VMMS, not to its client: an export job started
// before the client's process stopped runs on when a host is opened again
// on the same DataDir, under the same path, and completes the export.
func TestExportJobOutlivesItsClient(t *testing.T) {
	data := t.TempDir()
	a := newFixture(t, sim.Options{DataDir: data, CopyBytesPerSecond: 8 << 20})
	dir := filepath.Join(t.TempDir(), "out")
	job := a.mustExport(t, sim.DemoWeb01ID, dir, nil)
	a.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") > 0 })
	if err := a.host.Close(); err != nil {
		t.Fatal(err)
	}

	b := newFixture(t, sim.Options{DataDir: data})
	o := b.waitJob(t, job)
	if o.Uint("JobState") != uint64(wmi.JobCompleted) || o.Uint("ErrorCode") != 0 {
		t.Fatalf("resumed job ended in state %d, error %d: %s", o.Uint("JobState"), o.Uint("ErrorCode"), o.String("ErrorDescription"))
	}
	if _, err := os.Stat(filepath.Join(dir, "Virtual Machines", sim.DemoWeb01ID+".vmcx")); err != nil {
		t.Fatalf("the resumed export did not write the configuration: %v", err)
	}
	for _, f := range webAllDisks {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			t.Errorf("missing %s after the resumed export: %v", f, err)
		}
	}
}

// A job that ended is known to a host opened again until
// TimeBeforeRemoval after it ended, then gone, as on a real host.
func TestEndedExportJobIsKnownUntilItsRemoval(t *testing.T) {
	data := t.TempDir()
	a := newFixture(t, sim.Options{DataDir: data})
	job := a.mustExport(t, sim.DemoWeb01ID, filepath.Join(t.TempDir(), "out"), nil)
	a.waitJob(t, job)
	a.host.Close()

	b := newFixture(t, sim.Options{DataDir: data})
	if o := b.get(t, job); o.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Fatalf("ended job after reopening: state %d", o.Uint("JobState"))
	}
	b.clock.Advance(5*time.Minute + time.Second)
	if _, err := b.svc.Get(t.Context(), job); !wmi.IsNotFound(err) {
		t.Fatalf("job still known after TimeBeforeRemoval: %v", err)
	}
}

// InterruptedJobsForgotten: the client comes back after Hyper-V ran the
// job to its end and removed it — the export is on disk, the job unknown.
func TestForgottenExportJobLeavesItsOutput(t *testing.T) {
	data := t.TempDir()
	a := newFixture(t, sim.Options{DataDir: data, CopyBytesPerSecond: 8 << 20})
	dir := filepath.Join(t.TempDir(), "out")
	job := a.mustExport(t, sim.DemoWeb01ID, dir, nil)
	a.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") > 0 })
	a.host.Close()

	b := newFixture(t, sim.Options{DataDir: data, InterruptedJobs: sim.InterruptedJobsForgotten})
	if _, err := b.svc.Get(t.Context(), job); !wmi.IsNotFound(err) {
		t.Fatalf("a forgotten job is still known: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Virtual Machines", sim.DemoWeb01ID+".vmcx")); err != nil {
		t.Fatalf("the forgotten job did not finish the export: %v", err)
	}
	if _, err := sim.New(sim.Options{DataDir: t.TempDir(), InterruptedJobs: "later"}); err == nil {
		t.Fatal("an unknown InterruptedJobs value was accepted")
	}
}

// A planned VM's record that host.json does not name (the process
// stopped between the two writes) is gone when the host is opened again:
// VMMS has no such half-made planned VM.
func TestOrphanPlannedRecordIsForgotten(t *testing.T) {
	data := t.TempDir()
	a := newFixture(t, sim.Options{DataDir: data})
	a.host.Close()
	dir := filepath.Join(data, "Hyper-V", "Planned Virtual Machines")
	os.MkdirAll(dir, 0o755)
	orphan := filepath.Join(dir, "EB85F512-2C6C-4943-9C6D-D4F451BC22B2.vmcx")
	if err := os.WriteFile(orphan, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newFixture(t, sim.Options{DataDir: data})
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("the orphan record is still there: %v", err)
	}
	if got := b.query(t, "SELECT * FROM Msvm_PlannedComputerSystem"); len(got) != 0 {
		t.Fatalf("planned VMs: %d", len(got))
	}
}
