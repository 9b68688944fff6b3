package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
)

// exportResult reads a completed export job's result.
func exportResult(t *testing.T, j api.Job) map[string]any {
	t.Helper()
	if j.State != "completed" {
		t.Fatalf("job %s: %+v", j.State, j)
	}
	r, ok := j.Result.(map[string]any)
	if !ok || r["exportId"] == "" {
		t.Fatalf("completed export job has no result: %+v", j)
	}
	return r
}

func finalJob(e *env, id string) api.Job {
	seen := e.waitJob(id)
	return seen[len(seen)-1]
}

func TestPublishedExportHasManifestAndIsAResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := filepath.Join(e.root, "web")
	j := finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir)).ID)
	res := exportResult(t, j)
	if res["directory"] != dir || res["export"] != "/v1/exports/"+res["exportId"].(string) {
		t.Fatalf("result = %v", res)
	}
	// The manifest lists every file with its size and SHA-256.
	var m struct {
		ID    string
		Files []struct {
			Path   string
			Size   int64
			SHA256 string
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "hvport-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &m)
	files := tree(t, dir)
	var onDisk int
	for name, size := range files {
		if strings.HasSuffix(name, "/") || name == "hvport-manifest.json" {
			continue
		}
		onDisk++
		found := false
		for _, f := range m.Files {
			if f.Path == name && f.Size == size && len(f.SHA256) == 64 {
				found = true
			}
		}
		if !found {
			t.Errorf("%s (%d bytes) is not in the manifest", name, size)
		}
	}
	if onDisk != len(m.Files) || m.ID != res["exportId"] {
		t.Fatalf("manifest has %d files for %d on disk, id %s", len(m.Files), onDisk, m.ID)
	}
	if left, _ := filepath.Glob(filepath.Join(e.root, ".hvport-*")); len(left) > 0 {
		t.Fatalf("staging left behind: %v", left)
	}

	var l api.List[api.Export]
	e.getJSON("/v1/exports", 200, &l)
	if len(l.Items) != 1 || l.Items[0].ID != m.ID || l.Items[0].Directory != dir || l.Items[0].VM.Name != "web-01" {
		t.Fatalf("exports = %+v", l.Items)
	}
	var d api.ExportDetail
	e.getJSON("/v1/exports/"+m.ID, 200, &d)
	if len(d.Files) != len(m.Files) || d.FileCount != len(m.Files) {
		t.Fatalf("detail = %+v", d)
	}

	// Verify: valid, then tampered.
	var vj api.Job
	e.postJSON("/v1/exports/"+m.ID+"/verify", "", http.StatusAccepted, &vj)
	v := finalJob(e, vj.ID)
	if r, _ := v.Result.(map[string]any); v.State != "completed" || r["valid"] != true || r["checked"] != float64(len(m.Files)) {
		t.Fatalf("verify of a good export = %+v", v)
	}
	disk := filepath.Join(dir, filepath.FromSlash(m.Files[len(m.Files)-1].Path))
	f, _ := os.OpenFile(disk, os.O_WRONLY, 0)
	f.WriteAt([]byte("tampered"), 100)
	f.Close()
	os.WriteFile(filepath.Join(dir, "Virtual Machines", "extra.txt"), []byte("x"), 0o644)
	e.postJSON("/v1/exports/"+m.ID+"/verify", "", http.StatusAccepted, &vj)
	v = finalJob(e, vj.ID)
	r, _ := v.Result.(map[string]any)
	probs, _ := r["problems"].([]any)
	if r["valid"] != false || len(probs) != 2 || len(v.Warnings) == 0 {
		t.Fatalf("verify of a tampered export = %+v", v)
	}

	// Delete: gone from disk and from the list.
	e.do("DELETE", "/v1/exports/"+m.ID, "", "")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("deleted export still on disk: %v", err)
	}
	status, h, body := e.do("GET", "/v1/exports/"+m.ID, "", "")
	if status != 404 || problem(t, h, body)["type"] != "urn:hvport:problem:not-found" {
		t.Fatalf("deleted export: %d %s", status, body)
	}
}

func TestExistingExportNeedsOverwrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := filepath.Join(e.root, "web")
	body := fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}}`, dir)
	first := exportResult(t, finalJob(e, e.startExport("web-01", body).ID))

	status, h, b := e.do("POST", "/v1/vms/web-01/exports", "application/json", body)
	if status != 409 || !strings.Contains(string(b), "overwrite") || problem(t, h, b)["type"] != "urn:hvport:problem:conflict" {
		t.Fatalf("second export without overwrite: %d %s", status, b)
	}
	second := exportResult(t, finalJob(e, e.startExport("web-01",
		fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}, "overwrite": true}`, dir)).ID))
	if second["exportId"] == first["exportId"] {
		t.Fatal("overwrite kept the old export id")
	}
	var l api.List[api.Export]
	e.getJSON("/v1/exports", 200, &l)
	if len(l.Items) != 1 || l.Items[0].ID != second["exportId"] {
		t.Fatalf("after overwrite: %+v", l.Items)
	}
	if left, _ := filepath.Glob(filepath.Join(e.root, ".hvport-*")); len(left) > 0 {
		t.Fatalf("retired/staging left behind: %v", left)
	}
}

// Outside the export roots is 403 path-forbidden naming the field, the
// same answer whether the path exists or not, before any VM lookup.
func TestExportOutsideRootsIs403WithoutOracle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	existing := t.TempDir()
	var first []byte
	for _, dir := range []string{existing, filepath.Join(existing, "missing"), filepath.Join(e.root, "..", "escape"), e.root + "-sibling", "/etc"} {
		for _, vm := range []string{"web-01", "no-such-vm"} {
			status, h, body := e.do("POST", "/v1/vms/"+vm+"/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, dir))
			p := problem(t, h, body)
			errs, _ := p["errors"].([]any)
			if status != 403 || p["type"] != "urn:hvport:problem:path-forbidden" || len(errs) != 1 || errs[0].(map[string]any)["field"] != "directory" {
				t.Fatalf("%s: %d %s", dir, status, body)
			}
			if dir == existing && vm == "web-01" {
				first = body
			}
			if dir == filepath.Join(existing, "missing") && vm == "web-01" && !bytes.Equal(body, first) {
				t.Fatalf("an existing and a missing directory outside the roots answer differently:\n%s\n%s", first, body)
			}
		}
	}
	// Links inside the root are refused before the 202: one out of the
	// root, and a dangling one.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(e.root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "gone"), filepath.Join(e.root, "dangling")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(e.root, "link", "x"), filepath.Join(e.root, "dangling")} {
		status, _, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, dir))
		if status != 403 {
			t.Fatalf("%s: %d %s", dir, status, body)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("refused exports wrote outside the root: %v", entries)
	}
	// The root itself would be staged in its parent: refused with 422.
	status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, e.root))
	if status != 422 || problem(t, h, body)["type"] != "urn:hvport:problem:invalid" {
		t.Fatalf("export into the root itself: %d %s", status, body)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(e.root), ".hvport-*")); len(left) > 0 {
		t.Fatalf("staging outside the root: %v", left)
	}
}

func TestExportThatCannotFitIs507BeforeHyperV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{freeSpace: func(string) (uint64, error) { return 10 << 20, nil }})
	dir := filepath.Join(e.root, "big")
	status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, dir))
	p := problem(t, h, body)
	if status != 507 || p["type"] != "urn:hvport:problem:insufficient-storage" || p["requiredBytes"] == nil || p["availableBytes"] != float64(10<<20) {
		t.Fatalf("%d %v", status, p)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("a refused export created its directory")
	}
	var l api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &l)
	if len(l.Items) != 0 {
		t.Fatal("a refused export created a job")
	}
}

func TestCrashBeforeManifestLeavesNothingThatLooksComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := filepath.Join(e.root, "web")
	exportResult(t, finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}}`, dir)).ID))
	// What a crash between Hyper-V's copy and the manifest leaves: a
	// staging directory with the whole layout but no manifest, and (for a
	// crash in the middle of an old-style export) a bare layout.
	staging := filepath.Join(e.root, ".hvport-staging-crashed")
	bare := filepath.Join(e.root, "bare")
	for _, d := range []string{staging, bare} {
		os.MkdirAll(filepath.Join(d, "Virtual Machines"), 0o755)
		os.WriteFile(filepath.Join(d, "Virtual Machines", "x.vmcx"), []byte("{}"), 0o644)
	}
	// A corrupt manifest does not count either.
	os.MkdirAll(filepath.Join(e.root, "corrupt"), 0o755)
	os.WriteFile(filepath.Join(e.root, "corrupt", "hvport-manifest.json"), []byte(`{"format": 1, "id": ""}`), 0o644)

	var l api.List[api.Export]
	e.getJSON("/v1/exports", 200, &l)
	if len(l.Items) != 1 || l.Items[0].Directory != dir {
		t.Fatalf("exports = %+v", l.Items)
	}
	e.store.SweepStaging() // what start-up does
	if _, err := os.Stat(staging); !os.IsNotExist(err) {
		t.Fatal("start-up sweep left the staging directory")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal("start-up sweep removed a complete export")
	}
}

// A disk Hyper-V wrote damaged is a failed export, never a published one.
func TestDamagedExportedDiskIsNotPublished(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 4 << 20})
	dir := filepath.Join(e.root, "web")
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, dir))
	// Damage a disk in the staging directory once Hyper-V has written it,
	// before hvport publishes: the header signature of the first .vhdx.
	deadline := time.Now().Add(20 * time.Second)
	damaged := false
	for !damaged && time.Now().Before(deadline) {
		disks, _ := filepath.Glob(filepath.Join(e.root, ".hvport-staging-*", "Virtual Hard Disks", "web-01.vhdx"))
		for _, d := range disks {
			if fi, err := os.Stat(d); err == nil && fi.Size() > 1<<20 {
				f, err := os.OpenFile(d, os.O_WRONLY, 0)
				if err == nil {
					f.WriteAt([]byte("garbage!"), 0)
					f.Close()
					damaged = true
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	if !damaged {
		t.Skip("the export finished before the disk could be damaged")
	}
	f := finalJob(e, j.ID)
	if f.State != "failed" || f.Error == nil || !strings.Contains(f.Error.Detail, "not a valid VHDX") {
		t.Fatalf("job = %+v", f)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("a damaged export was published")
	}
}
