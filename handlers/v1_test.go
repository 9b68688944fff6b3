package handlers_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/wmi/sim"
)

// The same REST API on a v1 host (Windows Server 2008 R2 / 2012).

func TestV1ExportSettingsHaveNoV2Fields(t *testing.T) {
	e := newEnv(t, envOptions{v1: true})
	var h map[string]string
	e.getJSON("/v1/health", 200, &h)
	if h["apiVersion"] != "v1" {
		t.Fatalf("health = %v", h)
	}
	var s api.ExportSettings
	e.getJSON("/v1/vms/web-01/export-settings", http.StatusOK, &s)
	if s.CaptureLiveState != nil || s.BackupIntent != nil || s.ExcludedVirtualHardDisks != nil || s.ExportForLiveMigration != nil ||
		!s.CopyVmStorage || s.CopySnapshotConfiguration != "exportAllSnapshots" {
		t.Fatalf("v1 defaults = %+v", s)
	}
	dir := filepath.Join(e.root, "x")
	for _, c := range []struct{ settings, mention string }{
		{`{"captureLiveState": "captureSavedState"}`, "settings.captureLiveState"},
		{`{"backupIntent": "merge"}`, "settings.backupIntent"},
		{`{"copySnapshotConfiguration": "exportOneSnapshotForBackup"}`, "v2"},
	} {
		status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q, "settings": %s}`, dir, c.settings))
		if status != 422 || problem(t, h, body)["type"] != "urn:hvport:problem:invalid" || !strings.Contains(string(body), c.mention) {
			t.Fatalf("%s: %d %s", c.settings, status, body)
		}
	}
}

func TestV1ExportAndStateRules(t *testing.T) {
	e := newEnv(t, envOptions{v1: true})
	dir := filepath.Join(e.root, "db")
	j := finalJob(e, e.startExport("db-01", fmt.Sprintf(`{"directory": %q}`, dir)).ID)
	exportResult(t, j)
	if _, ok := tree(t, dir)["Virtual Machines/"+sim.DemoDB01ID+".exp"]; !ok {
		t.Fatalf("v1 export lacks the .exp definition: %v", keys(tree(t, dir)))
	}
	// v1 hosts export only Off or Saved VMs.
	j = finalJob(e, e.startExport("build-agent", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "running"))).ID)
	if j.State != "failed" || j.Error == nil || j.Error.Type != "urn:hvport:problem:invalid-state" {
		t.Fatalf("export of a running VM on v1 = %+v", j)
	}
}

func TestV1ImportModes(t *testing.T) {
	e := newEnv(t, envOptions{v1: true})
	dir := exportVM(t, e, "web-01", "web")
	r := e.importSettings(dir)
	if r.Settings.Name != "web-01" || len(r.Settings.CurrentResourcePaths) == 0 || r.Settings.SourceNetworkConnections[0] != "External" {
		t.Fatalf("v1 defaults = %+v", r)
	}
	// Copy: Hyper-V (v1) copies the files itself.
	vhds := filepath.Join(e.root, "..", "v1-vhds")
	res := importResult(t, finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "web-copy", "targetVhdDataRoot": %q}}`, dir, vhds)).ID))
	var vm api.VMDetail
	e.getJSON("/v1/vms/"+res["vm"].(map[string]any)["id"].(string), 200, &vm)
	if vm.Name != "web-copy" || strings.EqualFold(vm.ID, sim.DemoWeb01ID) {
		t.Fatalf("copied VM = %+v", vm)
	}
	for _, d := range vm.Disks {
		if !strings.HasPrefix(d.Path, filepath.Clean(vhds)) {
			t.Errorf("disk %s not under %s", d.Path, vhds)
		}
	}
	// Register in place after removing the original.
	dbDir := exportVM(t, e, "db-01", "db")
	destroyVMv2(t, e, sim.DemoDB01ID)
	res = importResult(t, finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q}`, dbDir)).ID))
	if !strings.EqualFold(res["vm"].(map[string]any)["id"].(string), sim.DemoDB01ID) || res["mode"] != "register" {
		t.Fatalf("register = %v", res)
	}
}
