package handlers_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/wmi/sim"
)

func TestProgressRisesMonotonicallyWhileCopying(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 8 << 20})
	dir := filepath.Join(e.root, "slow")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	seen := e.waitJob(j.ID)
	last, intermediate, exportingBytes := 0, false, false
	var lastExported int64
	for _, s := range seen {
		// While Hyper-V exports, bytes are estimated from its percentage
		// (issue #10, point 10: they stayed 0 until hashing).
		if s.Phase == "exporting" && s.BytesTotal > 0 && s.BytesDone > 0 && s.BytesDone < s.BytesTotal {
			exportingBytes = true
			if s.BytesDone < lastExported {
				t.Fatalf("bytesDone went back while exporting: %d → %d", lastExported, s.BytesDone)
			}
			lastExported = s.BytesDone
		}
		if s.PercentComplete < last {
			t.Fatalf("percentComplete went back from %d to %d", last, s.PercentComplete)
		}
		last = s.PercentComplete
		if s.State == "running" && s.PercentComplete > 0 && s.PercentComplete < 100 {
			intermediate = true
		}
		if s.State != "completed" && s.PercentComplete == 100 {
			t.Fatalf("100%% reported before completion: %+v", s)
		}
	}
	if !intermediate {
		t.Errorf("never saw a running job between 0 and 100%% in %d polls", len(seen))
	}
	if !exportingBytes {
		t.Errorf("never saw bytes counted while exporting in %d polls", len(seen))
	}
	if f := seen[len(seen)-1]; f.State != "completed" || f.StartedAt == nil || f.FinishedAt == nil {
		t.Fatalf("final = %+v", f)
	} else if f.BytesTotal == 0 || f.BytesDone != f.BytesTotal {
		t.Fatalf("bytes done/total of the last counted phase = %d/%d", f.BytesDone, f.BytesTotal)
	}
}

func TestCancelMidCopyRemovesPartialOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 2 << 20})
	dir := filepath.Join(e.root, "new", "export")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	// Wait until files are really being copied (the copy is throttled;
	// the deadline only guards against a hang).
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var g api.Job
		e.getJSON("/v1/jobs/"+j.ID, 200, &g)
		if g.State == "running" && g.PercentComplete > 0 {
			break
		}
		if time.Now().After(deadline) || g.State == "completed" {
			t.Fatalf("never caught the export mid-copy: %+v", g)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var c api.Job
	e.postJSON("/v1/jobs/"+j.ID+"/cancel", "", http.StatusOK, &c)
	if c.State != "cancelling" && c.State != "cancelled" {
		t.Fatalf("after cancel: %s", c.State)
	}
	seen := e.waitJob(j.ID)
	f := seen[len(seen)-1]
	if f.State != "cancelled" || f.Error == nil || f.Error.Type != "urn:hvport:problem:cancelled" {
		t.Fatalf("final = %+v", f)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("partial export left behind at %s: %v", dir, tree(t, filepath.Dir(dir)))
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("the directory the export created (%s) was left behind", filepath.Dir(dir))
	}
	// Finished: cancelling again is a conflict.
	status, h, body := e.do("POST", "/v1/jobs/"+j.ID+"/cancel", "", "")
	if status != 409 || problem(t, h, body)["type"] != "urn:hvport:problem:conflict" {
		t.Fatalf("cancel of a finished job: %d %s", status, body)
	}
	// And the VM is free for the next export.
	j2 := e.startExport("web-01", fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}}`, dir))
	if s := e.waitJob(j2.ID); s[len(s)-1].State != "completed" {
		t.Fatalf("next export: %+v", s[len(s)-1])
	}
}

func TestHyperVJobFailureFailsJobAndCleansUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 8 << 20})
	e.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", VM: "web-01", JobErrorCode: 32768,
		JobErrorDescription: "The device is not ready.", AtPercent: 40, Count: 1})
	dir := filepath.Join(e.root, "full")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	seen := e.waitJob(j.ID)
	f := seen[len(seen)-1]
	if f.State != "failed" || f.Error == nil || f.Error.Type != "urn:hvport:problem:hyperv-failed" {
		t.Fatalf("final = %+v", f)
	}
	if f.PercentComplete >= 100 {
		t.Errorf("failed job at %d%%", f.PercentComplete)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("failed export left output: %v", tree(t, dir))
	}
	if left, _ := filepath.Glob(filepath.Join(e.root, ".hvport-*")); len(left) > 0 {
		t.Fatalf("failed export left its staging directory: %v", left)
	}
	var health map[string]string
	e.getJSON("/v1/health", 200, &health)
	// The fault fired once; the next export succeeds.
	j2 := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	if s := e.waitJob(j2.ID); s[len(s)-1].State != "completed" {
		t.Fatalf("next export: %+v", s[len(s)-1])
	}
}

func TestHyperVMethodErrorFailsJobWithKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", ReturnValue: 32775, Count: 1})
	dir := filepath.Join(e.root, "x")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	seen := e.waitJob(j.ID)
	f := seen[len(seen)-1]
	if f.State != "failed" || f.Error == nil || f.Error.Type != "urn:hvport:problem:invalid-state" {
		t.Fatalf("final = %+v", f)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("the directory created for a refused export was left behind")
	}
}

func TestJobListNewestFirstAndUnknownJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.startExport("web-01", fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}}`, filepath.Join(e.root, "a")))
	e.waitJob(a.ID)
	b := e.startExport("db-01", fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}}`, filepath.Join(e.root, "b")))
	e.waitJob(b.ID)
	var l api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &l)
	if len(l.Items) != 2 || l.Items[0].ID != b.ID || l.Items[1].ID != a.ID {
		t.Fatalf("list = %+v", l.Items)
	}
	for _, path := range []string{"/v1/jobs/nope"} {
		status, h, body := e.do("GET", path, "", "")
		if status != 404 || problem(t, h, body)["type"] != "urn:hvport:problem:not-found" {
			t.Fatalf("GET %s = %d %s", path, status, body)
		}
	}
	status, _, body := e.do("POST", "/v1/jobs/nope/cancel", "", "")
	if status != 404 {
		t.Fatalf("cancel unknown = %d %s", status, body)
	}
}

func TestQueuedJobCanBeCancelledBeforeItStarts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 1 << 20, workers: 1})
	first := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "first")))
	secondDir := filepath.Join(e.root, "second")
	second := e.startExport("db-01", fmt.Sprintf(`{"directory": %q}`, secondDir))
	var c api.Job
	e.postJSON("/v1/jobs/"+second.ID+"/cancel", "", 200, &c)
	if c.State != "cancelled" || c.StartedAt != nil {
		t.Fatalf("queued job after cancel = %+v", c)
	}
	e.postJSON("/v1/jobs/"+first.ID+"/cancel", "", 200, nil)
	e.waitJob(first.ID)
	if _, err := os.Stat(secondDir); !os.IsNotExist(err) {
		t.Fatal("a job cancelled while queued wrote output")
	}
}

// Exports of one VM submitted back to back all complete: the registry runs
// them one after the other instead of letting Hyper-V refuse the second
// with 32774 (issue #10, point 8).
func TestBackToBackExportsOfOneVMAllComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 64 << 20, workers: 2})
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, fmt.Sprintf("b2b-%d", i)))).ID)
	}
	sawWaiting := false
	for _, id := range ids {
		for _, s := range e.waitJob(id) {
			sawWaiting = sawWaiting || s.Phase == "waiting for VM"
		}
		if s := e.waitJob(id); s[len(s)-1].State != "completed" {
			t.Fatalf("export %s ended %s: %+v", id, s[len(s)-1].State, s[len(s)-1].Error)
		}
	}
	if !sawWaiting {
		t.Log("no snapshot caught a job waiting for the VM (the exports were quick)")
	}
}
