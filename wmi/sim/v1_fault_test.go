package sim_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// TestV1Faults: fault rules (Skip included) and MethodDelay work for the v1
// methods as for v2's.
func TestV1Faults(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{CopyBytesPerSecond: slow})
	good := f.v1ExportSettings(t, sim.DemoDB01ID, nil)
	f.host.AddFault(sim.FaultRule{Method: "ExportVirtualSystemEx", VM: "db-01", ReturnValue: wmi.ReturnOutOfMemory, Count: 1})
	// The rule fires before the method's own checks.
	if ret, job := f.export1(t, sim.DemoDB01ID, "relative", good); ret != wmi.ReturnOutOfMemory || job != "" {
		t.Errorf("export with a rule: %d %q", ret, job)
	}
	root := f.exportTo1(t, sim.DemoDB01ID, nil)

	f.host.AddFault(sim.FaultRule{Method: "GetVirtualSystemImportSettingData", VM: sim.DemoDB01ID, ReturnValue: wmi.ReturnNotAvailable, Count: 1})
	out := f.call1(t, "GetVirtualSystemImportSettingData", wmi.Params{"ImportDirectory": root})
	if wmi.ReturnValue(out) != wmi.ReturnNotAvailable || !out.IsNull("ImportSettingData") {
		t.Errorf("GetVirtualSystemImportSettingData with a rule: %d", wmi.ReturnValue(out))
	}

	// A job rule with Skip 1: the second import fails at 50% and cleans up.
	f.host.AddFault(sim.FaultRule{Method: "ImportVirtualSystemEx", JobErrorCode: uint16(wmi.ReturnOutOfMemory),
		JobErrorDescription: "simulated trouble", AtPercent: 50, Skip: 1})
	settings := func(target string) *wmi.Object {
		s := f.importSettings1(t, root)
		set(t, s, map[string]any{"GenerateNewId": true, "CreateCopy": true, "TargetVmDataRoot": target,
			"TargetSnapshotDataRoot": target, "TargetVhdDataRoot": filepath.Join(target, "Virtual Hard Disks")})
		return s
	}
	f.import1(t, root, settings(t.TempDir()))
	target := t.TempDir()
	job := f.startImport1(t, root, settings(target))
	j := f.v1.finish(t, job)
	if j.Uint("JobState") != uint64(wmi.JobException) || j.Uint("ErrorCode") != uint64(wmi.ReturnOutOfMemory) ||
		j.String("ErrorDescription") != "simulated trouble" || j.Uint("PercentComplete") < 50 {
		t.Errorf("job with a rule: state %d error %d %q at %d%%", j.Uint("JobState"), j.Uint("ErrorCode"),
			j.String("ErrorDescription"), j.Uint("PercentComplete"))
	}
	if got := files(t, target); len(got) != 0 {
		t.Errorf("the failed import left %v", got)
	}
}

func TestV1MethodDelay(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{MethodDelay: map[string]time.Duration{"GetVirtualSystemImportSettingData": time.Hour}})
	done := make(chan error, 1)
	go func() {
		_, err := f.v1.svc.ExecMethod(context.Background(), v1VsmsPath, "GetVirtualSystemImportSettingData",
			wmi.Params{"ImportDirectory": t.TempDir()})
		done <- err
	}()
	for f.clock.Timers() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the call did not wait: %v", err)
	default:
	}
	f.clock.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestV1Persistence: a v1 import survives Close and New, scope and
// snapshots included, in both namespaces.
func TestV1Persistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := newV1Fixture(t, sim.Options{DataDir: dir})
	root := f.exportTo1(t, sim.DemoWeb01ID, nil)
	s := f.importSettings1(t, root)
	vmRoot := t.TempDir()
	set(t, s, map[string]any{"GenerateNewId": true, "CreateCopy": true, "Name": "kept", "SecurityScope": "scope-1",
		"TargetVmDataRoot": vmRoot, "TargetSnapshotDataRoot": vmRoot, "TargetVhdDataRoot": filepath.Join(vmRoot, "Virtual Hard Disks")})
	id := f.import1(t, root, s).String("Name")
	if err := f.host.Close(); err != nil {
		t.Fatal(err)
	}

	h, err := sim.New(sim.Options{DataDir: dir, Clock: f.clock, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	svc, err := h.Services(wmi.NamespaceV1)
	if err != nil {
		t.Fatal(err)
	}
	g := &fixture{host: h, svc: svc, clock: f.clock}
	if vm := g.get(t, v1VMPath(id)); vm.String("ElementName") != "kept" {
		t.Errorf("after New: %q", vm.String("ElementName"))
	}
	if got := g.query(t, "ASSOCIATORS OF {"+v1VMPath(id)+"} WHERE ResultClass = Msvm_VirtualSystemGlobalSettingData"); len(got) != 1 ||
		got[0].String("ScopeOfResidence") != "scope-1" {
		t.Errorf("global settings after New: %v", got)
	}
	if got := g.query(t, "ASSOCIATORS OF {"+v1VMPath(id)+"} WHERE ResultClass = Msvm_VirtualSystemSettingData"); len(got) != 3 {
		t.Errorf("%d settings after New", len(got))
	}
}
