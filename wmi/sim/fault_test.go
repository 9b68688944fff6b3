package sim_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func TestFaultReturnValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", VM: "db-01", ReturnValue: wmi.ReturnOutOfMemory})
	f.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", VM: sim.DemoWeb01ID, ReturnValue: wmi.ReturnFailed, Count: 1})

	// The rule fires before the method's own checks, even for a bad call.
	ret, _ := f.export(t, sim.DemoWeb01ID, "relative", f.exportSettings(t, sim.DemoWeb01ID, nil))
	if ret != wmi.ReturnFailed {
		t.Errorf("first call: %d", ret)
	}
	// Count 1: the rule is used up.
	ret, job := f.export(t, sim.DemoWeb01ID, t.TempDir(), f.exportSettings(t, sim.DemoWeb01ID, nil))
	if ret != wmi.ReturnJobStarted {
		t.Errorf("second call: %d", ret)
	}
	f.waitJob(t, job)
	// Count 0: forever, and only for its VM.
	for i := 0; i < 2; i++ {
		if ret, _ := f.export(t, sim.DemoDB01ID, t.TempDir(), f.exportSettings(t, sim.DemoDB01ID, nil)); ret != wmi.ReturnOutOfMemory {
			t.Errorf("db-01 call %d: %d", i, ret)
		}
	}
	f.host.ClearFaults()
	ret, job = f.export(t, sim.DemoDB01ID, t.TempDir(), f.exportSettings(t, sim.DemoDB01ID, nil))
	if ret != wmi.ReturnJobStarted {
		t.Errorf("after ClearFaults: %d", ret)
	}
	f.waitJob(t, job)

	// Job methods take rules too.
	f.host.AddFault(sim.FaultRule{Method: "RequestStateChange", ReturnValue: wmi.RSCFailed})
	if got := f.requestStateChange(t, job, wmi.JobRequestKill); got != wmi.RSCFailed {
		t.Errorf("RequestStateChange: %d", got)
	}
}

// TestFaultJobErrorAtPercent: a job fault fails the export when the copy
// reaches the rule's percentage, with the rule's code, and cleans up.
func TestFaultJobErrorAtPercent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow})
	f.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", JobErrorCode: uint16(wmi.ReturnOutOfMemory),
		JobErrorDescription: "simulated disk trouble", AtPercent: 50})
	parent := t.TempDir()
	job := f.mustExport(t, sim.DemoWeb01ID, filepath.Join(parent, "export"), nil)
	var before []uint64
	o := f.stepUntil(t, job, func(o *wmi.Object) bool {
		before = append(before, o.Uint("PercentComplete"))
		return wmi.JobStateTerminal(uint16(o.Uint("JobState")))
	})
	if o.Uint("JobState") != uint64(wmi.JobException) || o.Uint("ErrorCode") != uint64(wmi.ReturnOutOfMemory) ||
		o.String("ErrorDescription") != "simulated disk trouble" {
		t.Errorf("state %d, error %d %q", o.Uint("JobState"), o.Uint("ErrorCode"), o.String("ErrorDescription"))
	}
	if p := o.Uint("PercentComplete"); p < 50 || p > 60 {
		t.Errorf("failed at %d%% (seen %v)", p, before)
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("partial output left: %v", got)
	}
	out, err := f.svc.ExecMethod(context.Background(), job, "GetError", nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := wmi.DecodeInstance(out.String("Error"))
	if err != nil || e.String("Message") != "simulated disk trouble" || e.String("MessageID") != "32778" ||
		e.Uint("CIMStatusCode") != 1 {
		t.Errorf("Msvm_Error %v %v", e, err)
	}

	// The rule fires forever; at 0% the job fails before writing anything.
	f.host.ClearFaults()
	f.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", VM: "db-01", JobErrorCode: 32768})
	dir := t.TempDir()
	o = f.waitJob(t, f.mustExport(t, sim.DemoDB01ID, dir, nil))
	if o.Uint("JobState") != uint64(wmi.JobException) || o.Uint("ErrorCode") != 32768 || o.String("ErrorDescription") == "" {
		t.Errorf("state %d, error %d %q", o.Uint("JobState"), o.Uint("ErrorCode"), o.String("ErrorDescription"))
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("wrote %v", got)
	}
}
