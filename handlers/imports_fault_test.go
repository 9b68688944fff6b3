package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/internal/fcopy"
	"github.com/hvport/hvport/wmi/sim"
)

// A fault injected in each phase of a copy-mode import leaves no planned VM
// and no copied file behind, and the job says what was cleaned up.
func TestImportFaultInEachPhaseRollsBack(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"ImportSystemDefinition", "ModifySystemSettings", "ModifyResourceSettings", "ValidatePlannedSystem", "RealizePlannedSystem"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			dir := exportVM(t, e, "web-01", "web")
			vhds := filepath.Join(e.root, "..", "vhds")
			rule := sim.FaultRule{Method: method, Count: 1}
			if method == "ImportSystemDefinition" || method == "ValidatePlannedSystem" {
				rule.Skip = 1 // the first call reads the import settings for the request
			}
			if strings.HasSuffix(method, "Settings") {
				rule.ReturnValue = 2 // CIM "Failed"
			} else {
				rule.JobErrorCode = 32768
				rule.JobErrorDescription = "injected failure"
			}
			e.host.AddFault(rule)
			j := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "clone", "targetVhdDataRoot": %q}}`, dir, vhds)).ID)
			if j.State != "failed" || j.Error == nil {
				t.Fatalf("job = %+v", j)
			}
			if e.plannedVMs() != 0 {
				t.Fatal("planned VM left behind")
			}
			if files, _ := os.ReadDir(vhds); len(files) != 0 {
				t.Fatalf("copied files left behind: %v", files)
			}
			var l api.List[api.VM]
			e.getJSON("/v1/vms", 200, &l)
			for _, vm := range l.Items {
				if vm.Name == "clone" {
					t.Fatal("a failed import registered a VM")
				}
			}
			if method != "ImportSystemDefinition" && !strings.Contains(strings.Join(j.Warnings, " "), "cleaned up") {
				t.Errorf("the job does not say what was cleaned up: %v", j.Warnings)
			}
		})
	}
}

func TestImportCancelledMidCopyCleansUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	inCopy, release := make(chan struct{}), make(chan struct{})
	var once bool
	e.imports.CopyFile = func(ctx context.Context, src, dst string, progress func(int64)) error {
		if err := fcopy.Copy(ctx, src, dst, progress); err != nil {
			return err
		}
		if !once {
			once = true
			close(inCopy)
			select { // hold the copy after its first file until cancelled
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-release:
			}
		}
		return nil
	}
	defer close(release)
	dir := exportVM(t, e, "web-01", "web")
	vhds := filepath.Join(e.root, "..", "vhds")
	j := startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "targetVhdDataRoot": %q}}`, dir, vhds))
	select {
	case <-inCopy:
	case <-time.After(5 * time.Minute):
		t.Fatal("the import never reached the copy")
	}
	var c api.Job
	e.postJSON("/v1/jobs/"+j.ID+"/cancel", "", 200, &c)
	f := finalJob(e, j.ID)
	if f.State != "cancelled" {
		t.Fatalf("job = %+v", f)
	}
	if files, _ := os.ReadDir(vhds); len(files) != 0 {
		t.Fatalf("copied files left behind: %v", files)
	}
	if e.plannedVMs() != 0 {
		t.Fatal("planned VM left behind")
	}
}
