package handlers_test

import (
	"encoding/json"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

func TestV1CopyWithDefaultTargetsAndMissingSwitchFix(t *testing.T) {
	t.Parallel()
	seed := &sim.Seed{
		Switches: []sim.SeedSwitch{{Name: "Production"}},
		VMs: []sim.SeedVM{{Name: "app", State: "off", Disks: []sim.SeedDisk{{File: "app.vhdx", SizeBytes: 1 << 20}},
			NetworkAdapters: []sim.SeedNetworkAdapter{{Switch: "Production"}}}},
	}
	a := newEnv(t, envOptions{seed: seed, v1: true})
	dir := exportVM(t, a, "app", "app")
	b := newEnv(t, envOptions{v1: true, importRoots: []string{a.root}})
	r := b.importSettings(dir)
	var fix map[string]any
	for _, inc := range r.Incompatibilities {
		if inc.MessageID == "33012" && inc.Fix != nil {
			fix = inc.Fix.Settings
		}
	}
	if fix == nil {
		t.Fatalf("no missing-switch fix on v1: %+v", r.Incompatibilities)
	}
	fix["generateNewId"], fix["createCopy"] = true, true
	body, _ := json.Marshal(map[string]any{"directory": dir, "settings": fix})
	res := importResult(t, finalJob(b, startImport(t, b, string(body)).ID))
	var vm api.VMDetail
	b.getJSON("/v1/vms/"+res["vm"].(map[string]any)["id"].(string), 200, &vm)
	if len(vm.Disks) != 1 || !strings.HasPrefix(vm.Disks[0].Path, r.Settings.TargetVhdDataRoot) {
		t.Fatalf("copied disk %+v not under the default target %s", vm.Disks, r.Settings.TargetVhdDataRoot)
	}
	want := fix["targetNetworkConnections"].([]any)[0].(string)
	if len(vm.NetworkAdapters) != 1 || vm.NetworkAdapters[0].Switch == nil || *vm.NetworkAdapters[0].Switch != want {
		t.Fatalf("adapter = %+v, want connected to %s", vm.NetworkAdapters, want)
	}
}
