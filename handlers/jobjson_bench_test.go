package handlers

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
)

// BenchmarkJobJSON times turning a finished import job into its JSON
// (toJob and encoding): what every GET /v1/jobs/{id} and event costs.
func BenchmarkJobJSON(b *testing.B) {
	now := time.Now()
	s := jobs.Snapshot{ID: "0e109ce0-1e13-43d1-9afc-cb2068d81156", Kind: jobs.KindImport, State: jobs.Completed, PercentComplete: 100,
		Phase: "completed", VM: jobs.VMRef{ID: "C0FFEE01-0000-4000-8000-000000000001", Name: "web-01"},
		Submitter: &jobs.Submitter{Kind: "token", ID: "token:3f9a1c0d", Name: "portal"}, Directory: `E:\exports\web-01`,
		Settings: imports.Settings{Name: "web-01-copy", GenerateNewID: true, CreateCopy: true,
			CurrentResourcePaths: []string{`E:\exports\web-01\Virtual Hard Disks\web-01.vhdx`, `E:\exports\web-01\Virtual Hard Disks\web-01-data.vhdx`},
			TargetResourcePaths:  []string{`D:\Hyper-V\Virtual Hard Disks\web-01.vhdx`, `D:\Hyper-V\Virtual Hard Disks\web-01-data.vhdx`}},
		Result:    imports.Result{VM: imports.VMRef{ID: "7D1C4E8A-0000-4000-8000-000000000001", Name: "web-01-copy"}, Mode: "copy", CopiedFiles: 2, CopiedBytes: 6 << 20},
		Warnings:  []string{"cleaned up: nothing"},
		CreatedAt: now, StartedAt: &now, FinishedAt: &now}
	enc := json.NewEncoder(io.Discard)
	for b.Loop() {
		if err := enc.Encode(toJob(s)); err != nil {
			b.Fatal(err)
		}
	}
}
