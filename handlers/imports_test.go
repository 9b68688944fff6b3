package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/vhdx"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// importReport mirrors imports.Report for tests.
type importReport struct {
	Directory string
	VM        api.VMRef
	Settings  struct {
		Name                                                           string
		GenerateNewID                                                  bool `json:"generateNewId"`
		CreateCopy                                                     bool
		SecurityScope                                                  *string
		CurrentResourcePaths, SourceResourcePaths, TargetResourcePaths []string
		SourceNetworkConnections, TargetNetworkConnections             []string
		SourceVhdDataRoot, TargetVhdDataRoot, TargetVmDataRoot         string
	}
	Incompatibilities []struct {
		MessageID, Message, Source string
		Fix                        *struct {
			Description string
			Settings    map[string]any
		}
	}
}

// exportVM exports a VM (full) and returns the export's directory.
func exportVM(t *testing.T, e *env, vm, name string) string {
	t.Helper()
	dir := filepath.Join(e.root, name)
	exportResult(t, finalJob(e, e.startExport(vm, fmt.Sprintf(`{"directory": %q}`, dir)).ID))
	return dir
}

// destroyVM removes a VM from the simulated host through the WMI seam, as
// an operator would with Remove-VM, so an import can keep its id.
func destroyVM(t *testing.T, e *env, id string) { destroyVMv2(t, e, id) }

// destroyVMv2 uses the v2 namespace even when the service under test talks
// v1: the simulated host is one host behind both.
func destroyVMv2(t *testing.T, e *env, id string) {
	t.Helper()
	svc, err := e.host.Services(wmi.NamespaceV2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	vsms, err := svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassManagementService)
	if err != nil || len(vsms) == 0 {
		t.Fatalf("management service: %v", err)
	}
	vms, err := svc.ExecQuery(ctx, "SELECT * FROM Msvm_ComputerSystem WHERE Name = '"+id+"'")
	if err != nil || len(vms) != 1 {
		t.Fatalf("VM %s: %v %d", id, err, len(vms))
	}
	out, err := svc.ExecMethod(ctx, vsms[0].Path, "DestroySystem", wmi.Params{"AffectedSystem": vms[0].Path})
	if err != nil {
		t.Fatal(err)
	}
	if rv := wmi.ReturnValue(out); rv == wmi.ReturnJobStarted {
		job := out.String("Job")
		for {
			j, err := svc.Get(ctx, job)
			if err != nil {
				t.Fatal(err)
			}
			if wmi.JobStateTerminal(uint16(j.Uint("JobState"))) {
				break
			}
		}
	} else if rv != 0 {
		t.Fatalf("DestroySystem returned %d", rv)
	}
}

func (e *env) importSettings(dir string) importReport {
	e.t.Helper()
	var r importReport
	e.getJSON("/v1/import-settings?directory="+url.QueryEscape(dir), 200, &r)
	return r
}

func (e *env) plannedVMs() int {
	svc, _ := e.host.Services(wmi.NamespaceV2)
	objs, err := svc.ExecQuery(context.Background(), "SELECT * FROM "+wmi.ClassPlannedComputerSystem)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(objs)
}

func TestImportSettingsDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "web-01", "web")
	r := e.importSettings(dir)
	if r.VM.ID != sim.DemoWeb01ID || r.Settings.Name != "web-01" || r.Settings.CreateCopy || r.Settings.GenerateNewID || r.Settings.SecurityScope != nil {
		t.Fatalf("defaults = %+v", r)
	}
	n := len(r.Settings.CurrentResourcePaths)
	if n < 2 || len(r.Settings.SourceResourcePaths) != n || len(r.Settings.TargetResourcePaths) != n {
		t.Fatalf("resource paths not index-aligned: %+v", r.Settings)
	}
	for i, p := range r.Settings.SourceResourcePaths {
		if !strings.HasPrefix(p, dir) {
			t.Errorf("sourceResourcePaths[%d] = %s, want a file of the export", i, p)
		}
	}
	if len(r.Settings.SourceNetworkConnections) != 1 || r.Settings.SourceNetworkConnections[0] != "External" {
		t.Errorf("network connections = %v", r.Settings.SourceNetworkConnections)
	}
	// web-01 is still registered: the report says so and proposes a new id.
	var found bool
	for _, inc := range r.Incompatibilities {
		if inc.Source == "settings.generateNewId" && inc.Fix != nil && inc.Fix.Settings["generateNewId"] == true {
			found = true
		}
	}
	if !found {
		t.Fatalf("no id-in-use incompatibility with a fix: %+v", r.Incompatibilities)
	}
	if e.plannedVMs() != 0 {
		t.Fatal("reading import settings left a planned VM")
	}
	var byPost importReport
	e.postJSON("/v1/import-settings", fmt.Sprintf(`{"directory": %q}`, dir), 200, &byPost)
	if byPost.VM.ID != r.VM.ID {
		t.Fatal("POST and GET differ")
	}
}

func TestImportSettingsBadSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	status, h, body := e.do("GET", "/v1/import-settings?directory="+url.QueryEscape(filepath.Join(e.root, "nope")), "", "")
	if status != 404 || problem(t, h, body)["type"] != "urn:hvport:problem:not-found" {
		t.Fatalf("missing directory: %d %s", status, body)
	}
	empty := filepath.Join(e.root, "empty")
	os.MkdirAll(empty, 0o755)
	status, _, body = e.do("GET", "/v1/import-settings?directory="+url.QueryEscape(empty), "", "")
	if status != 422 || !strings.Contains(string(body), "Virtual Machines") {
		t.Fatalf("not an export: %d %s", status, body)
	}
	status, _, body = e.do("GET", "/v1/import-settings?directory=relative/dir", "", "")
	if status != 403 || !strings.Contains(string(body), "absolute") {
		t.Fatalf("relative: %d %s", status, body)
	}
	status, _, body = e.do("GET", "/v1/import-settings", "", "")
	if status != 422 || !strings.Contains(string(body), "directory") {
		t.Fatalf("no source: %d %s", status, body)
	}
}

func startImport(t *testing.T, e *env, body string) api.Job {
	t.Helper()
	var j api.Job
	h := e.postJSON("/v1/imports", body, http.StatusAccepted, &j)
	if h.Get("Location") != "/v1/jobs/"+j.ID || j.Kind != "import" {
		t.Fatalf("import job = %+v", j)
	}
	return j
}

func importResult(t *testing.T, j api.Job) map[string]any {
	t.Helper()
	if j.State != "completed" {
		b, _ := json.Marshal(j)
		t.Fatalf("import job %s: %s", j.State, b)
	}
	r, _ := j.Result.(map[string]any)
	return r
}

func TestImportCopyModeGetsNewIDAndCopiedDisks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "web-01", "web")
	vmRoot, vhdRoot := filepath.Join(e.root, "..", "vms"), filepath.Join(e.root, "..", "vhds")
	j := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "web-01-copy", "targetVmDataRoot": %q, "targetSnapshotDataRoot": %q, "targetVhdDataRoot": %q}}`,
		dir, vmRoot, vmRoot, vhdRoot)).ID)
	r := importResult(t, j)
	if j.BytesTotal == 0 || j.BytesDone != j.BytesTotal || int64(r["copiedBytes"].(float64)) != j.BytesTotal {
		t.Fatalf("copy bytes: job %d/%d, result %v", j.BytesDone, j.BytesTotal, r["copiedBytes"])
	}
	vm := r["vm"].(map[string]any)
	if vm["name"] != "web-01-copy" || strings.EqualFold(vm["id"].(string), sim.DemoWeb01ID) || r["mode"] != "copy" {
		t.Fatalf("result = %v", r)
	}
	var d api.VMDetail
	e.getJSON("/v1/vms/"+vm["id"].(string), 200, &d)
	if d.Name != "web-01-copy" || len(d.Disks) != 2 || len(d.Snapshots) != 2 {
		t.Fatalf("imported VM = %+v", d)
	}
	for _, disk := range d.Disks {
		if !strings.HasPrefix(disk.Path, filepath.Clean(vhdRoot)) {
			t.Errorf("disk %s is not under the target %s", disk.Path, vhdRoot)
		}
		if _, err := os.Stat(disk.Path); err != nil {
			t.Errorf("copied disk missing: %v", err)
		}
	}
	// The original is untouched and the export can be imported again.
	var orig api.VMDetail
	e.getJSON("/v1/vms/"+sim.DemoWeb01ID, 200, &orig)
	if e.plannedVMs() != 0 {
		t.Fatal("planned VM left behind")
	}
}

func TestImportRegisterInPlaceAndRestoreKeepID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dbDir := exportVM(t, e, "db-01", "db")
	webDir := exportVM(t, e, "web-01", "web")
	destroyVM(t, e, sim.DemoDB01ID)
	destroyVM(t, e, sim.DemoWeb01ID)

	// Register in place: files used where they are.
	r := importResult(t, finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q}`, dbDir)).ID))
	if r["mode"] != "register" || !strings.EqualFold(r["vm"].(map[string]any)["id"].(string), sim.DemoDB01ID) {
		t.Fatalf("register result = %v", r)
	}
	var db api.VMDetail
	e.getJSON("/v1/vms/"+sim.DemoDB01ID, 200, &db)
	for _, d := range db.Disks {
		if !strings.HasPrefix(d.Path, dbDir) {
			t.Errorf("registered disk %s is not in the export %s", d.Path, dbDir)
		}
	}

	// Restore: copy, keep the id; Target* with createCopy false would warn.
	vhd := filepath.Join(e.root, "..", "restored-vhds")
	r = importResult(t, finalJob(e, startImport(t, e, fmt.Sprintf(`{"exportId": %q, "settings": {"createCopy": true, "targetVhdDataRoot": %q, "targetVmDataRoot": %q, "targetSnapshotDataRoot": %q}}`,
		exportIDOf(t, e, webDir), vhd, filepath.Join(e.root, "..", "restored"), filepath.Join(e.root, "..", "restored"))).ID))
	if r["mode"] != "restore" || !strings.EqualFold(r["vm"].(map[string]any)["id"].(string), sim.DemoWeb01ID) {
		t.Fatalf("restore result = %v", r)
	}
}

func exportIDOf(t *testing.T, e *env, dir string) string {
	var l api.List[api.Export]
	e.getJSON("/v1/exports", 200, &l)
	for _, x := range l.Items {
		if x.Directory == dir {
			return x.ID
		}
	}
	t.Fatalf("no export at %s", dir)
	return ""
}

func TestImportRulesAndConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "web-01", "web")
	cases := []struct {
		name, settings string
		status         int
		mention        string
	}{
		{"id in use", `{}`, 409, "generateNewId"},
		{"unknown switch", `{"generateNewId": true, "targetNetworkConnections": ["Nowhere"]}`, 422, "External"},
		{"index out of range", `{"generateNewId": true, "sourceResourcePaths": [null, null, null, null, null, null, null, null, "/x"]}`, 422, "sourceResourcePaths[8]"},
		{"adapter index out of range", `{"generateNewId": true, "targetNetworkConnections": ["External", "Internal"]}`, 422, "targetNetworkConnections[1]"},
		{"read-only field changed", `{"generateNewId": true, "currentResourcePaths": ["/x"]}`, 422, "read-only"},
		{"security scope on v2", `{"generateNewId": true, "securityScope": "x"}`, 422, "v1"},
		{"relative root", `{"generateNewId": true, "createCopy": true, "targetVhdDataRoot": "vhds"}`, 422, "targetVhdDataRoot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := e.do("POST", "/v1/imports", "application/json", fmt.Sprintf(`{"directory": %q, "settings": %s}`, dir, c.settings))
			problem(t, h, body)
			if status != c.status || !strings.Contains(string(body), c.mention) {
				t.Fatalf("%d %s (want %d mentioning %q)", status, body, c.status, c.mention)
			}
		})
	}
	// Copy target not empty.
	r := e.importSettings(dir)
	target := r.Settings.TargetResourcePaths[0]
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("someone's disk"), 0o644)
	status, _, body := e.do("POST", "/v1/imports", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "targetResourcePaths": [%q]}}`, dir, target))
	if status != 409 || !strings.Contains(string(body), target) {
		t.Fatalf("copy target exists: %d %s", status, body)
	}
	if b, _ := os.ReadFile(target); string(b) != "someone's disk" {
		t.Fatal("existing file touched")
	}
	var l api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &l)
	for _, j := range l.Items {
		if j.Kind == "import" {
			t.Fatalf("a refused import created a job: %+v", j)
		}
	}
}

func TestImportWarnsWhenTargetsIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "db-01", "db")
	destroyVM(t, e, sim.DemoDB01ID)
	// Ignored or not, a path the client sends is confined to the roots.
	if s, _, b := e.do("POST", "/v1/imports", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"targetVhdDataRoot": "/elsewhere"}}`, dir)); s != 403 {
		t.Fatalf("an ignored target outside the roots = %d %s", s, b)
	}
	j := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"targetVhdDataRoot": %q}}`, dir, filepath.Join(e.root, "..", "elsewhere"))).ID)
	importResult(t, j)
	if len(j.Warnings) == 0 || !strings.Contains(j.Warnings[0], "createCopy") {
		t.Fatalf("warnings = %v", j.Warnings)
	}
}

func TestMissingSwitchFixedThroughTheReport(t *testing.T) {
	t.Parallel()
	// Host A has a "Production" switch; host B (the demo) does not.
	seed := &sim.Seed{
		Switches: []sim.SeedSwitch{{Name: "Production"}},
		VMs: []sim.SeedVM{{Name: "app", State: "off", Disks: []sim.SeedDisk{{File: "app.vhdx", SizeBytes: 1 << 20}},
			NetworkAdapters: []sim.SeedNetworkAdapter{{Switch: "Production"}}}},
	}
	a := newEnv(t, envOptions{seed: seed})
	dir := exportVM(t, a, "app", "app")
	// Hyper-V reports the missing switch on a validation job that
	// completed (a real host) or failed (the other variant): both show it.
	failing := newEnv(t, envOptions{importRoots: []string{a.root}, validationFailsJob: true})
	if r := failing.importSettings(dir); len(r.Incompatibilities) != 1 || r.Incompatibilities[0].MessageID != "33012" {
		t.Fatalf("with a failing validation job: %+v", r.Incompatibilities)
	}
	b := newEnv(t, envOptions{importRoots: []string{a.root}})
	r := b.importSettings(dir)
	var fix map[string]any
	for _, inc := range r.Incompatibilities {
		if inc.MessageID == "33012" && strings.Contains(inc.Message, "Production") && inc.Fix != nil {
			fix = inc.Fix.Settings
		}
	}
	if fix == nil || r.Settings.SourceNetworkConnections[0] != "Production" {
		t.Fatalf("no missing-switch incompatibility with a fix: %+v", r)
	}
	// Without the fix the import is refused; with it, it succeeds.
	status, _, body := b.do("POST", "/v1/imports", "application/json", fmt.Sprintf(`{"directory": %q}`, dir))
	if status != 422 || !strings.Contains(string(body), "Production") {
		t.Fatalf("import without fix: %d %s", status, body)
	}
	fixJSON, _ := json.Marshal(fix)
	res := importResult(t, finalJob(b, startImport(t, b, fmt.Sprintf(`{"directory": %q, "settings": %s}`, dir, fixJSON)).ID))
	var vm api.VMDetail
	b.getJSON("/v1/vms/"+res["vm"].(map[string]any)["id"].(string), 200, &vm)
	if len(vm.NetworkAdapters) != 1 || vm.NetworkAdapters[0].Switch == nil || *vm.NetworkAdapters[0].Switch != fix["targetNetworkConnections"].([]any)[0] {
		t.Fatalf("adapter after import = %+v", vm.NetworkAdapters)
	}
}

// Copies spread over several folders: every copied child still opens
// through its copied parent, and Hyper-V's validation (which checks the
// chains) accepts the import.
func TestImportCopyToScatteredFoldersRepointsChains(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "web-01", "web")
	r := e.importSettings(dir)
	targets := make([]string, len(r.Settings.CurrentResourcePaths))
	for i, p := range r.Settings.CurrentResourcePaths {
		targets[i] = filepath.Join(e.root, "..", fmt.Sprintf("disk%d", i), filepath.Base(p))
	}
	b, _ := json.Marshal(map[string]any{"directory": dir, "settings": map[string]any{"generateNewId": true, "createCopy": true, "targetResourcePaths": targets}})
	res := importResult(t, finalJob(e, startImport(t, e, string(b)).ID))
	var vm api.VMDetail
	e.getJSON("/v1/vms/"+res["vm"].(map[string]any)["id"].(string), 200, &vm)
	for _, d := range vm.Disks {
		disk, err := vhdx.Open(d.Path, nil)
		if err != nil {
			t.Fatalf("copied disk %s does not open through its chain: %v", d.Path, err)
		}
		for p := disk.Parent(); p != nil; p = p.Parent() {
			mine := false
			for _, tgt := range targets {
				if filepath.Clean(tgt) == filepath.Clean(p.Info().Path) {
					mine = true
				}
			}
			if !mine {
				t.Errorf("%s reads its parent from %s, not from the copies", d.Path, p.Info().Path)
			}
		}
		disk.Close()
	}
}

// Concurrent reads of the same export's import settings each build a
// planned VM with the export's id; they are serialized, not refused.
func TestConcurrentImportSettingsReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "db-01", "db")
	destroyVMv2(t, e, sim.DemoDB01ID) // keep-id reads now create planned VMs with the same GUID
	errc := make(chan string, 4)
	for i := 0; i < 4; i++ {
		go func() {
			resp, err := e.plain().Get(e.srv.URL + "/v1/import-settings?directory=" + url.QueryEscape(dir))
			if err != nil {
				errc <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errc <- resp.Status
				return
			}
			errc <- ""
		}()
	}
	for i := 0; i < 4; i++ {
		if msg := <-errc; msg != "" {
			t.Errorf("concurrent read: %s", msg)
		}
	}
	if e.plannedVMs() != 0 {
		t.Fatal("planned VMs left behind")
	}
}

// A host whose jobs name nothing through Msvm_AffectedJobElement but whose
// methods fill ImportedSystem / ResultingSystem: the driver falls back to
// the out-parameters (issue #10, point 4; the import failed with "its job
// names no planned VM" before).
func TestImportWithResultsOnlyInOutParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{outParametersWithJobs: true})
	dir := exportVM(t, e, "web-01", "web")
	if r := e.importSettings(dir); r.VM.Name != "web-01" {
		t.Fatalf("import settings = %+v", r)
	}
	res := importResult(t, finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "from-out-params"}}`, dir)).ID))
	var vm api.VMDetail
	e.getJSON("/v1/vms/"+res["vm"].(map[string]any)["id"].(string), 200, &vm)
	if vm.Name != "from-out-params" {
		t.Fatalf("imported VM = %+v", vm.VM)
	}
}
