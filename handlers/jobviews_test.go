package handlers_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/wmi/sim"
)

// summaryKeys are every member a listed job has (issue #12: "items are a
// summary"); settings, result, warnings and the problem's details are the
// whole job's (GET /v1/jobs/{id}).
var summaryKeys = []string{"id", "kind", "state", "phase", "percentComplete", "bytesPerSecond", "etaSeconds",
	"vm", "source", "createdAt", "startedAt", "finishedAt", "error"}

// An import job lists in a few hundred bytes (its whole job was 3.3 KB),
// names the exported VM as source and the VM it created as vm, and the
// list's vm filter finds it under either.
func TestJobListItemsAreSummaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "web-01", "web")
	vhds := filepath.Join(e.root, "..", "vhds")
	imp := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "web-01-copy", "targetVhdDataRoot": %q}}`,
		dir, vhds)).ID)
	if imp.State != "completed" {
		t.Fatalf("import: %s", imp.State)
	}

	status, _, body := e.do("GET", "/v1/jobs", "", "")
	var raw struct{ Items []json.RawMessage }
	if err := json.Unmarshal(body, &raw); status != http.StatusOK || err != nil || len(raw.Items) != 2 {
		t.Fatalf("GET /v1/jobs = %d %v: %s", status, err, body)
	}
	item := raw.Items[0] // newest first: the import
	if len(item) > 512 {
		t.Errorf("an import's summary is %d bytes, want at most 512: %s", len(item), item)
	}
	var members map[string]any
	if err := json.Unmarshal(item, &members); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(members)); !slices.Equal(got, slices.Sorted(slices.Values(summaryKeys))) {
		t.Errorf("summary members %v, want %v", got, summaryKeys)
	}
	var s api.JobSummary
	if err := json.Unmarshal(item, &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != imp.ID || s.Kind != "import" || s.State != "completed" || s.PercentComplete != 100 || s.FinishedAt == nil {
		t.Errorf("summary = %s", item)
	}
	if s.Source == nil || !strings.EqualFold(s.Source.ID, sim.DemoWeb01ID) || s.Source.Name != "web-01" ||
		s.VM == nil || s.VM.Name != "web-01-copy" || strings.EqualFold(s.VM.ID, sim.DemoWeb01ID) {
		t.Errorf("an import's source is the exported VM and vm the one it created: %s", item)
	}
	if s.BytesPerSecond != nil || s.ETASeconds != nil || s.Error != nil {
		t.Errorf("a completed job has no rate and no error: %s", item)
	}
	// The export lists with its VM and no source.
	var x api.JobSummary
	if err := json.Unmarshal(raw.Items[1], &x); err != nil || x.Kind != "export" || x.VM == nil || x.VM.Name != "web-01" || x.Source != nil {
		t.Errorf("export summary = %s", raw.Items[1])
	}

	// The whole job is one GET away, with the same VMs.
	var whole map[string]any
	e.getJSON("/v1/jobs/"+imp.ID, http.StatusOK, &whole)
	for _, k := range []string{"settings", "result", "warnings", "directory", "submittedBy"} {
		if _, ok := whole[k]; !ok {
			t.Errorf("GET /v1/jobs/{id} lacks %s", k)
		}
	}
	if vm, _ := whole["vm"].(map[string]any); vm["name"] != "web-01-copy" || whole["source"].(map[string]any)["name"] != "web-01" {
		t.Errorf("whole import job: vm %v, source %v", whole["vm"], whole["source"])
	}

	// ?vm= finds the import under the VM it created and the exported VM.
	for q, want := range map[string]int{"web-01-copy": 1, s.VM.ID: 1, "web-01": 2} {
		var p api.Page[api.JobSummary]
		e.getJSON("/v1/jobs?vm="+q, http.StatusOK, &p)
		if len(p.Items) != want {
			t.Errorf("?vm=%s: %d jobs, want %d", q, len(p.Items), want)
		}
	}
}

// A listed job that failed says why in its problem's type and title; the
// details stay in the whole job.
func TestJobSummaryOfAFailedJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 64 << 10})
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "slow")))
	e.do("POST", "/v1/jobs/"+j.ID+"/cancel", "", "")
	if f := finalJob(e, j.ID); f.State != "cancelled" || f.Error == nil {
		t.Fatalf("cancelled job = %s, %+v", f.State, f.Error)
	}
	_, _, body := e.do("GET", "/v1/jobs", "", "")
	var p struct {
		Items []struct {
			Error map[string]any `json:"error"`
		}
	}
	if err := json.Unmarshal(body, &p); err != nil || len(p.Items) != 1 {
		t.Fatalf("%v: %s", err, body)
	}
	if got := p.Items[0].Error; len(got) != 2 || got["type"] != "urn:hvport:problem:cancelled" || got["title"] == "" {
		t.Errorf("summary error = %v, want its type and title only", got)
	}
}

// An export job's result counts with the export resource's names, and
// the same numbers; the job names its Hyper-V job by the InstanceID of its
// WMI path.
func TestExportJobSpeaksTheExportsVocabulary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	j := finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "web"))).ID)
	res := exportResult(t, j)
	for _, old := range []string{"files", "bytes"} {
		if _, ok := res[old]; ok {
			t.Errorf("the result still has %q: %v", old, res)
		}
	}
	var x api.Export
	e.getJSON(res["export"].(string), http.StatusOK, &x)
	if res["fileCount"] != float64(x.FileCount) || res["totalBytes"] != float64(x.TotalBytes) || x.FileCount == 0 {
		t.Errorf("result %v, export resource fileCount %d totalBytes %d", res, x.FileCount, x.TotalBytes)
	}

	if j.WMIJob == nil || j.HypervJob == nil {
		t.Fatalf("wmiJob %v, hypervJob %v", j.WMIJob, j.HypervJob)
	}
	guid := regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	if !guid.MatchString(*j.HypervJob) || !strings.HasSuffix(*j.WMIJob, `Msvm_ConcreteJob.InstanceID="`+*j.HypervJob+`"`) {
		t.Errorf("hypervJob %q is not the InstanceID of %s", *j.HypervJob, *j.WMIJob)
	}
}
