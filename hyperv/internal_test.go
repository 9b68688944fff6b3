package hyperv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/wmi"
)

func TestPrepareTargetUndoRemovesOnlyWhatTheExportAdded(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "unrelated.txt"), []byte("x"), 0o644)

	// A fresh nested directory: everything created is removed, the
	// pre-existing parent and its files stay.
	dir := filepath.Join(root, "a", "b", "c")
	undo, err := prepareTarget(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "Virtual Machines"), 0o755)
	os.WriteFile(filepath.Join(dir, "Virtual Machines", "x.vmcx"), []byte("partial"), 0o644)
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Fatalf("created directories left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "unrelated.txt")); err != nil {
		t.Fatal("pre-existing file removed")
	}

	// An existing empty target: its contents go, the directory stays.
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	undo, err = prepareTarget(empty, empty)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(empty, "f"), []byte("partial"), 0o644)
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Fatalf("existing target after undo: %v %v", entries, err)
	}

	// Subdirectory mode: the export directory is shared and stays; the
	// VM's subdirectory goes.
	shared := filepath.Join(root, "shared")
	os.Mkdir(shared, 0o755)
	os.WriteFile(filepath.Join(shared, "other-vm.txt"), []byte("x"), 0o644)
	undo, _ = prepareTarget(shared, filepath.Join(shared, "vm1"))
	os.MkdirAll(filepath.Join(shared, "vm1", "Snapshots"), 0o755)
	undo()
	if _, err := os.Stat(filepath.Join(shared, "vm1")); !os.IsNotExist(err) {
		t.Fatal("subdirectory left behind")
	}
	if _, err := os.Stat(filepath.Join(shared, "other-vm.txt")); err != nil {
		t.Fatal("a neighbour's file was removed")
	}
}

func TestCheckTargetEmpty(t *testing.T) {
	root := t.TempDir()
	if err := checkTargetEmpty(filepath.Join(root, "missing")); err != nil {
		t.Fatalf("missing target: %v", err)
	}
	if err := checkTargetEmpty(root); err != nil {
		t.Fatalf("empty target: %v", err)
	}
	os.WriteFile(filepath.Join(root, "f"), nil, 0o644)
	if err := checkTargetEmpty(root); !errs.Is(err, errs.Conflict) {
		t.Fatalf("non-empty target: %v", err)
	}
	if err := checkTargetEmpty(filepath.Join(root, "f")); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a file as target: %v", err)
	}
}

func TestFromWMIClassifiesOnce(t *testing.T) {
	cases := []struct {
		err  error
		want errs.Kind
	}{
		{&wmi.MethodError{Method: "ExportSystemDefinition", Code: wmi.ReturnInvalidParameter}, errs.Invalid},
		{&wmi.MethodError{Method: "ExportSystemDefinition", Code: wmi.ReturnSystemInUse}, errs.Busy},
		{&wmi.MethodError{Method: "ExportSystemDefinition", Code: wmi.ReturnInvalidState}, errs.InvalidState},
		{&wmi.MethodError{Method: "ImportSystemDefinition", Code: wmi.ReturnFileInUse}, errs.Conflict},
		{&wmi.MethodError{Method: "ExportSystemDefinition", Code: wmi.ReturnAccessDenied}, errs.HostFailed},
		{&wmi.MethodError{Method: "DestroySystem", Code: wmi.CIMReturnInvalidState, CIMStyle: true}, errs.InvalidState},
		{&wmi.MethodError{Method: "DestroySystem", Code: wmi.CIMReturnInvalidParameter, CIMStyle: true}, errs.Invalid},
		// Hyper-V's own codes from CIM-style methods classify as Hyper-V's.
		{&wmi.MethodError{Method: "DestroySystem", Code: wmi.ReturnInvalidState, CIMStyle: true}, errs.InvalidState},
		{&wmi.MethodError{Method: "ModifyResourceSettings", Code: wmi.ReturnFileInUse, CIMStyle: true}, errs.Conflict},
		{&wmi.JobError{JobState: wmi.JobException, ErrorCode: 32768}, errs.HostFailed},
		{&wmi.JobError{JobState: wmi.JobKilled}, errs.Cancelled},
		{&wmi.Error{HResult: wmi.WBEMNotFound}, errs.NotFound},
		{&wmi.Error{HResult: wmi.WBEMTransportFailure}, errs.Unavailable},
		{fmt.Errorf("wrapped: %w", &wmi.Error{HResult: wmi.WBEMAccessDenied}), errs.HostFailed},
		{context.DeadlineExceeded, errs.Unavailable},
		{errors.New("?"), errs.Internal},
	}
	for _, c := range cases {
		if got := errs.KindOf(fromWMI("op", c.err)); got != c.want {
			t.Errorf("%v → %s, want %s", c.err, got, c.want)
		}
	}
	e := fromWMI("export", &wmi.MethodError{Method: "ExportSystemDefinition", Code: 32775})
	var de *errs.Error
	if !errors.As(e, &de) || de.Extra["hyperv"].(map[string]any)["returnValue"] != uint32(32775) {
		t.Fatalf("Hyper-V's number is not kept: %#v", e)
	}
}

func TestEnumNamesRoundTrip(t *testing.T) {
	for i, n := range SnapshotModeNames() {
		m, ok := ParseSnapshotMode(n)
		if !ok || int(m) != i || m.String() != n {
			t.Errorf("%s → %d %v", n, m, ok)
		}
	}
	for i, n := range LiveStateNames() {
		l, ok := ParseLiveState(n)
		if !ok || int(l) != i || l.String() != n {
			t.Errorf("%s → %d %v", n, l, ok)
		}
	}
	if _, ok := ParseSnapshotMode("ExportAllSnapshots"); ok {
		t.Error("names are case-sensitive")
	}
}

// Vendor codes of CIM-style methods have names (issue #10, point 5): they
// read "unknown return code" before.
func TestCIMStyleVendorCodesAreNamed(t *testing.T) {
	for code, want := range map[uint32]string{32775: "Invalid state for this operation", 32779: "File in Use", 4: "Invalid Parameter", 32800: "unknown return code 32800"} {
		me := &wmi.MethodError{Method: "DestroySystem", Code: code, CIMStyle: true}
		if got := me.Meaning(); got != want {
			t.Errorf("CIM-style %d = %q, want %q", code, got, want)
		}
	}
}

// Every EnabledState value of v2's RequestStateChange page has a name
// (issue #10, point 3: 32779-32787 read "unknown" before).
func TestEveryDocumentedEnabledStateIsNamed(t *testing.T) {
	want := map[uint16]string{32779: "fastSaved", 32780: "fastSaving", 32781: "runningCritical", 32782: "offCritical",
		32783: "stoppingCritical", 32784: "savedCritical", 32785: "pausedCritical", 32786: "startingCritical", 32787: "resetCritical",
		2: "running", 3: "off", 6: "saved", 9: "paused"}
	for v, name := range want {
		if got := StateName(v); got != name {
			t.Errorf("EnabledState %d = %q, want %q", v, got, name)
		}
	}
	if StateName(32799) != "unknown" {
		t.Error("an undocumented value has a name")
	}
}

// jobStates answers Get on a job path with JobState values in turn (the
// last one repeats) and counts the polls.
type jobStates struct {
	wmi.Services
	states []uint16
	polls  int
}

func (j *jobStates) Namespace() string { return wmi.NamespaceV2 }

func (j *jobStates) Get(ctx context.Context, path string) (*wmi.Object, error) {
	s := j.states[min(j.polls, len(j.states)-1)]
	j.polls++
	o := &wmi.Object{Class: wmi.ClassConcreteJob, Path: path}
	o.MustAdd("JobState", wmi.CIMUint16, false, s).MustAdd("ErrorCode", wmi.CIMUint16, false, uint16(0)).
		MustAdd("PercentComplete", wmi.CIMUint16, false, uint16(50))
	return o, nil
}

// A job in 11 Service or 12 Query Pending is followed on until it ends
// (issue #10, point 2: waitJob stopped at 11 and reported a failure).
func TestWaitJobPollsThroughServiceAndQueryPending(t *testing.T) {
	svc := &jobStates{states: []uint16{wmi.JobRunning, wmi.JobService, wmi.JobQueryPending, wmi.JobCompleted}}
	d, err := New(svc, Options{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.waitJob(context.Background(), "op", `\\H\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="x"`, progress.Discard, d.log); err != nil {
		t.Fatalf("waitJob = %v", err)
	}
	if svc.polls != 4 {
		t.Fatalf("%d polls, want 4 (running, service, query pending, completed)", svc.polls)
	}
}
