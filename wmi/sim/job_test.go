package sim_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// slow makes an export of web-01 (about 1 MiB in the small seed) take
// about 10 s of FakeClock time, so tests can step through it.
const slow = 100 << 10

func TestJobProgressToCompletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	dir := t.TempDir()
	job := f.mustExport(t, sim.DemoWeb01ID, dir, nil)

	o := f.get(t, job)
	id := o.String("InstanceID")
	if o.Path != `\\HVSIM\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="`+id+`"` || job != o.Path {
		t.Errorf("job path %q, object path %q", job, o.Path)
	}
	for name, want := range map[string]any{
		"JobType": wmi.JobTypeExportVM, "Cancellable": true, "DeleteOnCompletion": false,
		"TimeBeforeRemoval": "00000000000500.000000:000", "Caption": "Export Virtual Machine",
		"ErrorCode": uint16(0), "TimeSubmitted": "20250304100000.000000+000",
	} {
		if got := o.Get(name); got != want {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	// The job is associated with its VM (docs/HYPERV.md#import-sequence).
	vms := f.query(t, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement ResultClass = Msvm_ComputerSystem")
	if len(vms) != 1 || vms[0].Path != vmPath(sim.DemoWeb01ID) {
		t.Errorf("affected elements %v", names(vms, "ElementName"))
	}
	jobs := f.query(t, "ASSOCIATORS OF {"+vmPath(sim.DemoWeb01ID)+"} WHERE ResultClass = Msvm_ConcreteJob")
	if len(jobs) != 1 || jobs[0].Path != job {
		t.Errorf("the VM's jobs: %d", len(jobs))
	}

	// PercentComplete rises monotonically to 100: seen collects it at
	// every step of the clock, from the start.
	var seen []uint64
	// While the job runs, the VM is busy but its state does not change.
	f.stepUntil(t, job, func(o *wmi.Object) bool {
		seen = append(seen, o.Uint("PercentComplete"))
		return o.Uint("PercentComplete") > 0
	})
	if ret, _ := f.export(t, sim.DemoWeb01ID, t.TempDir(), f.exportSettings(t, sim.DemoWeb01ID, nil)); ret != wmi.ReturnSystemInUse {
		t.Errorf("second export returned %d, want 32774", ret)
	}
	if got := f.get(t, vmPath(sim.DemoWeb01ID)).Uint("EnabledState"); got != uint64(wmi.EnabledDisabled) {
		t.Errorf("EnabledState %d during export", got)
	}
	// Another VM is not busy.
	if ret, other := f.export(t, sim.DemoDB01ID, t.TempDir(), f.exportSettings(t, sim.DemoDB01ID, nil)); ret != wmi.ReturnJobStarted {
		t.Errorf("export of db-01 returned %d", ret)
	} else {
		f.stepUntil(t, other, func(o *wmi.Object) bool {
			seen = append(seen, f.get(t, job).Uint("PercentComplete"))
			return o.Uint("JobState") == uint64(wmi.JobCompleted)
		})
	}

	last := f.stepUntil(t, job, func(o *wmi.Object) bool {
		seen = append(seen, o.Uint("PercentComplete"))
		return wmi.JobStateTerminal(uint16(o.Uint("JobState")))
	})
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("PercentComplete went down: %v", seen)
		}
	}
	// Holes are jumped over at once (SEEK_DATA), so progress moves in
	// steps as large as a hole; the data between them still moves it
	// chunk by chunk.
	if distinct := countDistinct(seen); distinct < 5 {
		t.Errorf("only %d distinct progress values: %v", distinct, seen)
	}
	if last.Uint("JobState") != uint64(wmi.JobCompleted) || last.Uint("PercentComplete") != 100 || last.Uint("ErrorCode") != 0 {
		t.Errorf("ended in %d at %d%%, error %d", last.Uint("JobState"), last.Uint("PercentComplete"), last.Uint("ErrorCode"))
	}
	if last.String("ElapsedTime") == "00000000000000.000000:000" || last.IsNull("StartTime") {
		t.Errorf("ElapsedTime %q StartTime %v", last.String("ElapsedTime"), last.Get("StartTime"))
	}
	if ret := f.requestStateChange(t, job, wmi.JobRequestKill); ret != wmi.RSCInvalidStateTransition {
		t.Errorf("Kill of a completed job returned %d, want 4097", ret)
	}
	// A completed job has no error.
	out, err := f.svc.ExecMethod(context.Background(), job, "GetErrorEx", nil)
	if err != nil || !out.IsNull("Errors") || wmi.ReturnValue(out) != 0 {
		t.Errorf("GetErrorEx: %v, Errors %v", err, out.Get("Errors"))
	}
	// And the VM is free again.
	ret, again := f.export(t, sim.DemoWeb01ID, t.TempDir(), f.exportSettings(t, sim.DemoWeb01ID, nil))
	if ret != wmi.ReturnJobStarted {
		t.Fatalf("export after completion returned %d", ret)
	}
	f.requestStateChange(t, again, wmi.JobRequestKill)
}

func countDistinct(v []uint64) int {
	m := map[uint64]bool{}
	for _, x := range v {
		m[x] = true
	}
	return len(m)
}

// TestKillMidCopy: Kill really stops the copy and removes the partial
// export, including the folders the job created.
func TestKillMidCopy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		request uint16
		end     uint16
	}{
		{wmi.JobRequestKill, wmi.JobKilled},
		{wmi.JobRequestTerminate, wmi.JobTerminated},
	} {
		f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
		parent := t.TempDir()
		dir := filepath.Join(parent, "export")
		job := f.mustExport(t, sim.DemoWeb01ID, dir, func(o *wmi.Object) { o.MustSet("CreateVmExportSubdirectory", true) })
		o := f.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") >= 30 })
		if len(files(t, parent)) == 0 {
			t.Fatal("nothing written at 30%")
		}
		if ret := f.requestStateChange(t, job, tc.request); ret != wmi.RSCCompleted {
			t.Fatalf("RequestStateChange(%d) returned %d", tc.request, ret)
		}
		o = f.get(t, job)
		if o.Uint("JobState") != uint64(tc.end) || o.Uint("PercentComplete") < 30 || o.Uint("PercentComplete") == 100 {
			t.Errorf("after %d: state %d at %d%%", tc.request, o.Uint("JobState"), o.Uint("PercentComplete"))
		}
		if got := files(t, parent); len(got) != 0 {
			t.Errorf("partial output left: %v", got)
		}
		if ret := f.requestStateChange(t, job, wmi.JobRequestKill); ret != wmi.RSCInvalidStateTransition {
			t.Errorf("second Kill returned %d", ret)
		}
		// GetError and GetErrorEx explain the stop with a Msvm_Error.
		out, err := f.svc.ExecMethod(context.Background(), job, "GetErrorEx", nil)
		if err != nil || len(out.Strings("Errors")) != 1 {
			t.Fatalf("GetErrorEx: %v %v", err, out)
		}
		e, err := wmi.DecodeInstance(out.Strings("Errors")[0])
		if err != nil || e.Class != wmi.ClassError || !strings.Contains(e.String("Message"), "canceled") ||
			!wmi.SamePath(e.String("ErrorSource"), vmPath(sim.DemoWeb01ID)) {
			t.Errorf("Msvm_Error %v: %v", e, err)
		}
		out, err = f.svc.ExecMethod(context.Background(), job, "GetError", nil)
		if err != nil || out.IsNull("Error") {
			t.Errorf("GetError: %v %v", err, out)
		}
	}
}

func TestRequestStateChangeCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	job := f.mustExport(t, sim.DemoWeb01ID, t.TempDir(), nil)
	for _, tc := range []struct {
		state any
		want  uint32
	}{
		{nil, wmi.RSCInvalidParameter},
		{0, wmi.RSCInvalidParameter},
		{7, wmi.RSCInvalidParameter},
		{32768, wmi.RSCInvalidParameter},
		{wmi.JobRequestStart, wmi.RSCNotSupported},
		{wmi.JobRequestSuspend, wmi.RSCNotSupported},
		{6, wmi.RSCNotSupported},
	} {
		if got := f.requestStateChange(t, job, tc.state); got != tc.want {
			t.Errorf("RequestStateChange(%v) = %d, want %d", tc.state, got, tc.want)
		}
	}
	if s := f.get(t, job).Uint("JobState"); wmi.JobStateTerminal(uint16(s)) {
		t.Fatalf("the job ended: %d", s)
	}
	_, err := f.svc.ExecMethod(context.Background(), job, "RequestStateChange", wmi.Params{"RequestedState": 5, "Timeout": 0})
	wantHResult(t, err, wmi.WBEMInvalidMethodParam)
	_, err = f.svc.ExecMethod(context.Background(), job, "KillJob", nil)
	wantHResult(t, err, wmi.WBEMNotSupported)
	out, err := f.svc.ExecMethod(context.Background(), job, "RequestStateChange",
		wmi.Params{"RequestedState": 5, "TimeoutPeriod": "00000000000010.000000:000"})
	if err != nil || wmi.ReturnValue(out) != 0 {
		t.Errorf("Kill with a timeout: %v %v", out, err)
	}
}

// TestJobRemoval: a finished job disappears TimeBeforeRemoval (5 minutes)
// after it ends (docs/HYPERV.md#pitfall-jobs).
func TestJobRemoval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	job := f.mustExport(t, sim.DemoDB01ID, t.TempDir(), nil)
	f.waitJob(t, job)
	f.clock.Advance(5*time.Minute - time.Second)
	f.get(t, job)
	if n := len(f.query(t, "SELECT * FROM Msvm_ConcreteJob")); n != 1 {
		t.Errorf("%d jobs", n)
	}
	f.clock.Advance(time.Second)
	_, err := f.svc.Get(context.Background(), job)
	wantHResult(t, err, wmi.WBEMNotFound)
	if n := len(f.query(t, "SELECT * FROM Msvm_ConcreteJob")); n != 0 {
		t.Errorf("%d jobs after removal", n)
	}
	_, err = f.svc.ExecMethod(context.Background(), job, "GetErrorEx", nil)
	wantHResult(t, err, wmi.WBEMNotFound)
}

// TestCloseKillsJobs: closing the host kills running jobs, removes their
// partial output and leaves no goroutine behind (TestMain checks leaks).
func TestCloseKillsJobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	parent := t.TempDir()
	job := f.mustExport(t, sim.DemoWeb01ID, filepath.Join(parent, "export"), nil)
	f.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") >= 10 })
	if err := f.host.Close(); err != nil {
		t.Fatal(err)
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("partial output left: %v", got)
	}
	_, err := f.svc.Get(context.Background(), job)
	wantHResult(t, err, wmi.WBEMTransportFailure)
}
