package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
)

func TestDefaultExportSettingsAreHyperVs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var s api.ExportSettings
	e.getJSON("/v1/vms/web-01/export-settings", http.StatusOK, &s)
	if !s.CopyVmStorage || !s.CopyVmRuntimeInformation || s.CopySnapshotConfiguration != "exportAllSnapshots" ||
		s.CreateVmExportSubdirectory || s.SnapshotVirtualSystem != nil {
		t.Fatalf("defaults = %+v", s)
	}
	if s.CaptureLiveState == nil || *s.CaptureLiveState != "captureSavedState" {
		t.Fatalf("captureLiveState = %v, want the simulator's default captureSavedState", s.CaptureLiveState)
	}
}

// tree lists the files under dir as slash paths with their sizes.
func tree(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = 0
			return nil
		}
		fi, _ := d.Info()
		out[filepath.ToSlash(rel)] = fi.Size()
		return nil
	})
	return out
}

func keys(m map[string]int64) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

func TestFullExportWritesHyperVLayoutWithIdenticalDisks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var vm api.VMDetail
	e.getJSON("/v1/vms/web-01", http.StatusOK, &vm)
	dir := filepath.Join(e.root, "exports", "web")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	if j.State != "queued" || j.Kind != "export" || j.VM.Name != "web-01" || j.Directory != dir {
		t.Fatalf("queued job = %+v", j)
	}
	seen := e.waitJob(j.ID)
	final := seen[len(seen)-1]
	if final.State != "completed" || final.PercentComplete != 100 || final.Error != nil || final.WMIJob == nil {
		t.Fatalf("final job = %+v", final)
	}
	settings, _ := json.Marshal(final.Settings)
	if !strings.Contains(string(settings), `"copySnapshotConfiguration":"exportAllSnapshots"`) {
		t.Errorf("job does not record the effective settings: %s", settings)
	}

	files := tree(t, dir)
	if _, ok := files["Virtual Machines/"+vm.ID+".vmcx"]; !ok {
		t.Fatalf("no VM configuration in export: %v", keys(files))
	}
	for _, s := range vm.Snapshots {
		if _, ok := files["Snapshots/"+s.ID+".vmcx"]; !ok {
			t.Errorf("checkpoint %s missing from export: %v", s.ID, keys(files))
		}
	}
	// Every exported disk is byte-identical to the VM's own disk.
	var disks int
	for name := range files {
		if !strings.HasPrefix(name, "Virtual Hard Disks/") || strings.HasSuffix(name, "/") {
			continue
		}
		disks++
		src := findSourceDisk(t, e.dataDir, filepath.Base(name))
		if !sameFile(t, src, filepath.Join(dir, filepath.FromSlash(name))) {
			t.Errorf("exported %s differs from %s", name, src)
		}
	}
	if disks < 2 {
		t.Errorf("export has %d disk files, want the VM's two disks and their checkpoint chain: %v", disks, keys(files))
	}
}

func findSourceDisk(t *testing.T, root, base string) string {
	t.Helper()
	var found string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == base && strings.Contains(p, "Virtual Hard Disks") && found == "" {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no source disk %s under %s", base, root)
	}
	return found
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

func TestConfigOnlyExportInSubdirectory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := filepath.Join(e.root, "shared-exports")
	j := e.startExport("db-01", fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false, "createVmExportSubdirectory": true, "copySnapshotConfiguration": "exportNoSnapshots"}}`, dir))
	seen := e.waitJob(j.ID)
	if f := seen[len(seen)-1]; f.State != "completed" {
		t.Fatalf("job = %+v", f)
	}
	files := tree(t, filepath.Join(dir, "db-01"))
	for name, size := range files {
		if strings.HasPrefix(name, "Virtual Hard Disks/") && !strings.HasSuffix(name, "/") {
			t.Errorf("config-only export copied disk %s (%d bytes)", name, size)
		}
		if strings.HasPrefix(name, "Snapshots/") && !strings.HasSuffix(name, "/") {
			t.Errorf("exportNoSnapshots exported %s", name)
		}
	}
	var haveRuntime bool
	for name := range files {
		if strings.HasPrefix(name, "Virtual Machines/") && strings.HasSuffix(name, ".vmrs") {
			haveRuntime = true
		}
	}
	if !haveRuntime {
		t.Errorf("saved VM exported with copyVmRuntimeInformation has no .vmrs: %v", keys(files))
	}
	for _, sub := range []string{"Virtual Machines/", "Snapshots/", "Virtual Hard Disks/"} {
		if _, ok := files[sub]; !ok {
			t.Errorf("layout folder %s missing: %v", sub, keys(files))
		}
	}
}

func TestExportOneSnapshotNeedsACheckpointOfThisVM(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var web api.VMDetail
	e.getJSON("/v1/vms/web-01", http.StatusOK, &web)
	dir := filepath.Join(e.root, "x")

	status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json",
		fmt.Sprintf(`{"directory": %q, "settings": {"copySnapshotConfiguration": "exportOneSnapshot"}}`, dir))
	p := problem(t, h, body)
	if status != 422 || !strings.Contains(string(body), "settings.snapshotVirtualSystem") {
		t.Fatalf("missing snapshot: %d %v", status, p)
	}
	status, _, body = e.do("POST", "/v1/vms/web-01/exports", "application/json",
		fmt.Sprintf(`{"directory": %q, "settings": {"copySnapshotConfiguration": "exportOneSnapshot", "snapshotVirtualSystem": "11111111-2222-3333-4444-555555555555"}}`, dir))
	if status != 422 || !strings.Contains(string(body), web.Snapshots[0].ID) {
		t.Fatalf("foreign snapshot: %d %s (want the VM's checkpoint ids listed)", status, body)
	}
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q, "settings": {"copySnapshotConfiguration": "exportOneSnapshot", "snapshotVirtualSystem": %q}}`,
		dir, strings.ToLower(web.Snapshots[1].ID)))
	seen := e.waitJob(j.ID)
	if f := seen[len(seen)-1]; f.State != "completed" {
		t.Fatalf("job = %+v", f)
	}
}

func TestExportBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	abs := filepath.Join(e.root, "out")
	cases := []struct {
		name, ct, body string
		status         int
		kind, mention  string
	}{
		{"malformed JSON", "application/json", `{"directory": `, 400, "bad-request", "malformed"},
		{"empty body", "application/json", ``, 400, "bad-request", "empty"},
		{"two values", "application/json", fmt.Sprintf(`{"directory": %q} {}`, abs), 400, "bad-request", "one JSON value"},
		{"unknown field", "application/json", fmt.Sprintf(`{"directory": %q, "bogus": 1}`, abs), 400, "bad-request", "bogus"},
		{"unknown settings field", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"copyVMStorage": true}}`, abs), 400, "bad-request", "copyVMStorage"},
		{"wrong type", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": "yes"}}`, abs), 422, "invalid", "settings.copyVmStorage"},
		{"directory not a string", "application/json", `{"directory": 7}`, 422, "invalid", "directory"},
		{"bad enum", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"copySnapshotConfiguration": "all"}}`, abs), 422, "invalid", "exportNoSnapshots"},
		{"bad live state", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"captureLiveState": "hot"}}`, abs), 422, "invalid", "captureAppConsistentState"},
		{"blank directory", "application/json", `{"directory": " "}`, 403, "path-forbidden", "directory"},
		{"relative directory", "application/json", `{"directory": "exports/web"}`, 403, "path-forbidden", "absolute"},
		{"snapshot without one-snapshot mode", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"snapshotVirtualSystem": "x"}}`, abs), 422, "invalid", "settings.snapshotVirtualSystem"},
		{"not JSON", "text/plain", `directory=/x`, 415, "unsupported-media-type", "application/json"},
		{"array body", "application/json", `[]`, 422, "invalid", "(body)"},
		{"case-mismatched settings field", "application/json", fmt.Sprintf(`{"directory": %q, "settings": {"copysnapshotconfiguration": "exportNoSnapshots"}}`, abs), 400, "bad-request", "did you mean"},
		{"too large", "application/json", fmt.Sprintf(`{"directory": %q, "pad": "%s"}`, abs, strings.Repeat("x", 2<<20)), 413, "too-large", "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := e.do("POST", "/v1/vms/web-01/exports", c.ct, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			p := problem(t, h, body)
			if p["type"] != "urn:hvport:problem:"+c.kind || !strings.Contains(string(body), c.mention) {
				t.Fatalf("problem %v does not say %q", p, c.mention)
			}
		})
	}
	t.Run("unknown VM", func(t *testing.T) {
		status, _, body := e.do("POST", "/v1/vms/ghost/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, abs))
		if status != 404 {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	if _, err := os.Stat(abs); !os.IsNotExist(err) {
		t.Errorf("a refused request created %s", abs)
	}
	var l api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &l)
	if len(l.Items) != 0 {
		t.Errorf("refused requests created jobs: %+v", l.Items)
	}
}

func TestExportTargetConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 1 << 20})
	dir := filepath.Join(e.root, "occupied")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "someone-elses.txt"), []byte("keep me"), 0o644)
	status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, dir))
	if status != 409 || problem(t, h, body)["type"] != "urn:hvport:problem:conflict" {
		t.Fatalf("non-empty target: %d %s", status, body)
	}
	// Two exports into the same fresh place: the second is refused while
	// the first runs.
	fresh := filepath.Join(e.root, "same")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, fresh))
	status, _, body = e.do("POST", "/v1/vms/db-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, fresh))
	if status != 409 {
		t.Fatalf("second export into a busy target: %d %s", status, body)
	}
	e.postJSON("/v1/jobs/"+j.ID+"/cancel", "", 200, nil)
	e.waitJob(j.ID)
	if b, err := os.ReadFile(filepath.Join(dir, "someone-elses.txt")); err != nil || string(b) != "keep me" {
		t.Fatal("a refused export touched existing files")
	}
}
