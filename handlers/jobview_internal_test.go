package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
)

func marshal(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The registry's rate and time left reach the job and its summary; null
// when the registry knows none.
func TestJobShowsRate(t *testing.T) {
	bps, eta := int64(50<<20), int64(42)
	s := jobs.Snapshot{ID: "j", Kind: jobs.KindImport, State: jobs.Running, Phase: "copying", BytesDone: 1, BytesTotal: 2,
		BytesPerSecond: &bps, ETASeconds: &eta, CreatedAt: time.Now()}
	for name, v := range map[string]any{"job": toJob(s), "summary": toJobSummary(s)} {
		m := marshal(t, v)
		if m["bytesPerSecond"] != float64(bps) || m["etaSeconds"] != float64(eta) {
			t.Errorf("%s: bytesPerSecond %v, etaSeconds %v", name, m["bytesPerSecond"], m["etaSeconds"])
		}
	}
	s.BytesPerSecond, s.ETASeconds = nil, nil
	for name, v := range map[string]any{"job": toJob(s), "summary": toJobSummary(s)} {
		m := marshal(t, v)
		if b, ok := m["bytesPerSecond"]; !ok || b != nil || m["etaSeconds"] != nil {
			t.Errorf("%s: unknown rate is %v/%v, want null", name, b, m["etaSeconds"])
		}
	}
}

// An import's vm is the VM it created, from its result as the work
// reported it or as the store gives it back after a restart; null before.
func TestImportJobVMs(t *testing.T) {
	s := jobs.Snapshot{ID: "j", Kind: jobs.KindImport, State: jobs.Running, VM: jobs.VMRef{ID: "SRC", Name: "web-01"}}
	if j := toJob(s); j.VM != nil || j.Source == nil || j.Source.Name != "web-01" {
		t.Fatalf("running import: vm %v, source %v", j.VM, j.Source)
	}
	for name, res := range map[string]any{
		"live":     imports.Result{VM: imports.VMRef{ID: "NEW", Name: "copy"}, Mode: "copy"},
		"restored": json.RawMessage(`{"vm":{"id":"NEW","name":"copy"},"mode":"copy"}`),
	} {
		s.State, s.Result = jobs.Completed, res
		j := toJob(s)
		if j.VM == nil || j.VM.ID != "NEW" || j.VM.Name != "copy" || j.Source.ID != "SRC" {
			t.Errorf("%s: vm %v, source %v", name, j.VM, j.Source)
		}
		if sum := toJobSummary(s); sum.VM == nil || sum.VM.ID != "NEW" || sum.Source.ID != "SRC" {
			t.Errorf("%s summary: vm %v, source %v", name, sum.VM, sum.Source)
		}
	}
	x := toJob(jobs.Snapshot{Kind: jobs.KindExport, VM: jobs.VMRef{ID: "V", Name: "web-01"}})
	if x.VM == nil || x.VM.ID != "V" || x.Source != nil {
		t.Errorf("export: vm %v, source %v", x.VM, x.Source)
	}
}

// An export job recorded before the result took the export resource's
// names reads with the new ones.
func TestRecordedExportResultIsRenamed(t *testing.T) {
	s := jobs.Snapshot{Kind: jobs.KindExport, State: jobs.Completed,
		Result: json.RawMessage(`{"exportId":"x","directory":"D:\\e","export":"/v1/exports/x","files":7,"bytes":1024}`)}
	r := marshal(t, toJob(s))["result"].(map[string]any)
	if r["fileCount"] != float64(7) || r["totalBytes"] != float64(1024) || r["files"] != nil || r["bytes"] != nil || r["exportId"] != "x" {
		t.Errorf("old result reads as %v", r)
	}
	s.Result = json.RawMessage(`{"exportId":"x","directory":"D:\\e","export":"/v1/exports/x","fileCount":7,"totalBytes":1024}`)
	if r := marshal(t, toJob(s))["result"].(map[string]any); r["fileCount"] != float64(7) || len(r) != 5 {
		t.Errorf("new result reads as %v", r)
	}
}

func TestHypervJobID(t *testing.T) {
	for path, want := range map[string]string{
		`\\HOST\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="5C0A0AE4-1B41-4D3C-8B0B-63E4C1F6A3E9"`:   "5C0A0AE4-1B41-4D3C-8B0B-63E4C1F6A3E9",
		`root\virtualization:Msvm_ConcreteJob.InstanceID="1b2c"`:                                             "1b2c",
		`Msvm_StorageJob.InstanceID="A\\B"`:                                                                  `A\B`,
		`\\HOST\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="x"`: "",
		`not a path`: "",
		"":           "",
	} {
		if got := hypervJobID(path); got != want {
			t.Errorf("hypervJobID(%s) = %q, want %q", path, got, want)
		}
		j := toJob(jobs.Snapshot{WMIJob: path})
		if (j.HypervJob == nil) != (want == "") || (j.HypervJob != nil && *j.HypervJob != want) {
			t.Errorf("job of %s: hypervJob %v", path, j.HypervJob)
		}
		if path != "" && (j.WMIJob == nil || !strings.EqualFold(*j.WMIJob, path)) {
			t.Errorf("job of %s: wmiJob %v", path, j.WMIJob)
		}
	}
}
