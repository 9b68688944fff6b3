package wmitest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/wmi"
)

// The suites below mutate the host (they need jobs that ran), so they are
// separate from Run: a caller gives them jobs it made, and on a real host
// only deliberately (docs/WINDOWS.md).

// JobErrors lists a job's Msvm_Error instances through GetErrorEx, as the
// driver reads them (docs/HYPERV.md#jobs).
func JobErrors(t *testing.T, svc wmi.Services, job string) []*wmi.Object {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := svc.ExecMethod(ctx, job, "GetErrorEx", nil)
	if err != nil {
		t.Fatalf("GetErrorEx on %s: %v", job, err)
	}
	if rv := wmi.ReturnValue(out); rv != 0 {
		t.Fatalf("GetErrorEx on %s returned %d", job, rv)
	}
	var list []*wmi.Object
	for _, s := range out.Strings("Errors") {
		e, err := wmi.DecodeInstance(s)
		if err != nil {
			t.Fatalf("GetErrorEx on %s: an error that does not decode: %v\n%s", job, err, s)
		}
		if e.String("Message") == "" {
			t.Errorf("GetErrorEx on %s: an Msvm_Error without a Message: %s", job, s)
		}
		list = append(list, e)
	}
	return list
}

// RunJobErrors checks GetErrorEx on two finished jobs of the namespace (v1
// or v2): one that completed (no error) and one that failed (at least one
// Msvm_Error, the job's ErrorCode non-zero).
func RunJobErrors(t *testing.T, svc wmi.Services, completed, failed string) {
	t.Helper()
	ctx := context.Background()
	done, err := svc.Get(ctx, completed)
	if err != nil {
		t.Fatal(err)
	}
	if s := uint16(done.Uint("JobState")); s != wmi.JobCompleted && s != wmi.JobCompletedWithWarnings {
		t.Fatalf("the completed job is in state %d", s)
	}
	if errs := JobErrors(t, svc, completed); len(errs) != 0 {
		t.Errorf("a completed job lists %d errors", len(errs))
	}
	bad, err := svc.Get(ctx, failed)
	if err != nil {
		t.Fatal(err)
	}
	if s := uint16(bad.Uint("JobState")); !wmi.JobStateTerminal(s) || s == wmi.JobCompleted || bad.Uint("ErrorCode") == 0 {
		t.Fatalf("the failed job is in state %d with ErrorCode %d", s, bad.Uint("ErrorCode"))
	}
	if errs := JobErrors(t, svc, failed); len(errs) == 0 {
		t.Error("a failed job lists no error")
	}
}

// RunValidation runs ValidatePlannedSystem (v2) on a planned VM whose
// network adapter names a switch the host does not have, and checks what
// the driver relies on: the job ends — completed on a real host (JobState 7
// or 32768), or failed on a host that reports it that way — and GetErrorEx
// lists MessageID 33012 naming the switch either way (docs/HYPERV.md#validation). It returns the job's final state for the caller to
// check which variant it saw.
func RunValidation(t *testing.T, svc wmi.Services, vsms, planned, missingSwitch string) uint16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := svc.ExecMethod(ctx, vsms, "ValidatePlannedSystem", wmi.Params{"PlannedSystem": planned})
	if err != nil {
		t.Fatal(err)
	}
	job := out.String("Job")
	if wmi.ReturnValue(out) != wmi.ReturnJobStarted || job == "" {
		t.Fatalf("ValidatePlannedSystem returned %d, job %q; want 4096 and a job", wmi.ReturnValue(out), job)
	}
	var state uint16
	for {
		j, err := svc.Get(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if state = uint16(j.Uint("JobState")); wmi.JobStateTerminal(state) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the validation job is still in state %d", state)
		case <-time.After(10 * time.Millisecond):
		}
	}
	found := false
	for _, e := range JobErrors(t, svc, job) {
		if e.String("MessageID") == "33012" && containsFold(e.String("Message"), missingSwitch) {
			found = true
		}
	}
	if !found {
		t.Errorf("the validation job (state %d) does not list MessageID 33012 for switch %q", state, missingSwitch)
	}
	return state
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
