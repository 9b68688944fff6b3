package handlers_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/wmi/sim"
)

func TestRunningVMCaptureLiveState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, c := range []struct {
		state   string
		runtime bool
	}{{"captureSavedState", true}, {"captureCrashConsistentState", false}} {
		dir := filepath.Join(e.root, c.state)
		exportResult(t, finalJob(e, e.startExport("build-agent", fmt.Sprintf(`{"directory": %q, "settings": {"captureLiveState": %q}}`, dir, c.state)).ID))
		has := false
		for name := range tree(t, dir) {
			if strings.HasSuffix(name, ".vmrs") {
				has = true
			}
		}
		if has != c.runtime {
			t.Errorf("%s: runtime state exported = %v, want %v: %v", c.state, has, c.runtime, keys(tree(t, dir)))
		}
	}
}

// A volume that fills up mid-copy: the job fails with Hyper-V's disk-full
// error, nothing of the export is left, the server stays healthy and the
// next export succeeds once there is room.
func TestDiskFullMidCopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.host.SetDiskQuota(3 << 20)
	dir := filepath.Join(e.root, "full")
	j := finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir)).ID)
	// 507 insufficient-storage naming the volume (issue #10, point 9: it
	// was 502 hyperv-failed).
	if j.State != "failed" || j.Error == nil || !strings.Contains(j.Error.Detail, "not enough space") ||
		j.Error.Type != "urn:hvport:problem:insufficient-storage" || j.Error.Status != 507 ||
		!strings.Contains(j.Error.Detail, "volume that holds "+e.root) || !strings.Contains(j.Error.Detail, "needs about") {
		t.Fatalf("job error = %+v", j.Error)
	}
	if left, _ := filepath.Glob(filepath.Join(e.root, "*")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	if hidden, _ := filepath.Glob(filepath.Join(e.root, ".hvport-*")); len(hidden) != 0 {
		t.Fatalf("staging left behind: %v", hidden)
	}
	var h map[string]string
	e.getJSON("/v1/health", 200, &h)
	e.host.SetDiskQuota(0)
	exportResult(t, finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir)).ID))
}

func TestV1RestoreAndRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{v1: true, copyRate: 2 << 20})
	dir := exportVM(t, e, "web-01", "web")
	destroyVMv2(t, e, sim.DemoWeb01ID)

	// A fault in Hyper-V's copy: the job fails and no copied file stays.
	vhds := filepath.Join(e.root, "..", "v1-restore")
	e.host.AddFault(sim.FaultRule{Method: "ImportVirtualSystemEx", JobErrorCode: 32768, JobErrorDescription: "injected", AtPercent: 50, Count: 1})
	j := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"createCopy": true, "targetVhdDataRoot": %q}}`, dir, vhds)).ID)
	if j.State != "failed" {
		t.Fatalf("job = %+v", j)
	}
	if files, _ := filepath.Glob(filepath.Join(vhds, "*")); len(files) != 0 {
		t.Fatalf("copied files left: %v", files)
	}

	// Cancelled mid-copy: same.
	j = startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"createCopy": true, "targetVhdDataRoot": %q}}`, dir, vhds))
	for {
		var g api.Job
		e.getJSON("/v1/jobs/"+j.ID, 200, &g)
		if g.State == "running" && g.PercentComplete > 0 {
			break
		}
		if g.State == "completed" || g.State == "failed" {
			t.Fatalf("never caught the import mid-copy: %+v", g)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.postJSON("/v1/jobs/"+j.ID+"/cancel", "", 200, nil)
	if f := finalJob(e, j.ID); f.State != "cancelled" {
		t.Fatalf("job = %+v", f)
	}
	if files, _ := filepath.Glob(filepath.Join(vhds, "*")); len(files) != 0 {
		t.Fatalf("copied files left after cancel: %v", files)
	}

	// Restore for real: same id, disks copied.
	res := importResult(t, finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"createCopy": true, "targetVhdDataRoot": %q}}`, dir, vhds)).ID))
	if res["mode"] != "restore" || !strings.EqualFold(res["vm"].(map[string]any)["id"].(string), sim.DemoWeb01ID) {
		t.Fatalf("restore = %v", res)
	}
	var vm api.VMDetail
	e.getJSON("/v1/vms/"+sim.DemoWeb01ID, 200, &vm)
	for _, d := range vm.Disks {
		if !strings.HasPrefix(d.Path, filepath.Clean(vhds)) {
			t.Errorf("restored disk %s not under %s", d.Path, vhds)
		}
	}
}
