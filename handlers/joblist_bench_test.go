package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/jobs"
)

// BenchmarkJobListPage is GET /v1/jobs over 100,000 jobs (docs/BENCHMARKS.md,
// "Job store"): the handler as routed — query, registry list, filters,
// summaries, JSON — for an admin, p50/p99 of b.N pages, with and without
// filters. It measures; it asserts nothing about time. Run it with
//
//	go test ./handlers/ -run '^$' -bench JobListPage -benchtime 200x
//
// (HVPORT_BENCH_JOBS changes the number of jobs).
func BenchmarkJobListPage(b *testing.B) {
	n := 100_000
	if s := os.Getenv("HVPORT_BENCH_JOBS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	reg := benchRegistry(b, n)
	defer reg.Shutdown(context.Background())
	h := adapter{log: zap.NewNop()}.wrap(jobsResource{jobs: reg}.list)
	admin := &auth.Identity{Kind: auth.KindToken, TokenID: "bench", Name: "bench", Role: auth.Admin}
	for _, q := range []string{"", "?state=failed", "?kind=import&vm=web-042", "?since=2026-12-05T12:00:00Z&state=failed", "?limit=1000"} {
		b.Run("query="+q, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				r := httptest.NewRequest("GET", "/v1/jobs"+q, nil)
				r = r.WithContext(auth.WithIdentity(r.Context(), admin))
				w := httptest.NewRecorder()
				t0 := time.Now()
				h(w, r)
				lat = append(lat, time.Since(t0))
				if w.Code != 200 {
					b.Fatalf("%s: %d %s", q, w.Code, w.Body)
				}
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		})
	}
}

// benchRegistry runs n jobs to their end in an in-memory registry: the
// list's cost does not depend on the store. Exports, imports (with
// effective settings of about 2 KB and a result naming the VM created)
// and verifies over 200 VMs, created over the last 20 days; one in ten
// failed.
func benchRegistry(b *testing.B, n int) *jobs.Registry {
	b.Helper()
	end := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var submitted atomic.Int64 // the clock moves with each submission
	now := func() time.Time {
		return end.Add(-time.Duration(int64(n)-submitted.Load()) * (20 * 24 * time.Hour) / time.Duration(n))
	}
	reg := jobs.New(jobs.Options{Retain: n + 1, MaxQueued: n + 1, Now: now, Logger: zap.NewNop()})
	for i := 0; i < n; i++ {
		submitted.Store(int64(i))
		vm := jobs.VMRef{ID: fmt.Sprintf("%08X-1D2C-4C4B-9A3E-%012X", i%200, i%200), Name: fmt.Sprintf("web-%03d", i%200)}
		spec := jobs.Spec{Kind: jobs.KindExport, VM: vm, Directory: `E:\exports\` + vm.Name,
			Submitter: &jobs.Submitter{Kind: "token", ID: "token:3f9a1c0d", Name: "backup-portal"}}
		var result json.RawMessage
		switch {
		case i%20 < 12:
			spec.Settings = json.RawMessage(`{"copyVmStorage":true,"copyVmRuntimeInformation":false,"createVmExportSubdirectory":true,"copySnapshotConfiguration":"exportAllSnapshots","snapshot":null,"captureLiveState":"captureSavedState","overwrite":false}`)
			result = json.RawMessage(`{"exportId":"e","fileCount":9,"totalBytes":45097156608}`)
		case i%20 < 19:
			spec.Kind = jobs.KindImport
			var disks []string
			for d := 0; d < 5; d++ {
				disks = append(disks, fmt.Sprintf(`E:\exports\%s\2026-11-02\%s\Virtual Hard Disks\%s-disk%d.vhdx`, vm.Name, vm.Name, vm.Name, d))
			}
			st, _ := json.Marshal(map[string]any{"name": vm.Name + "-restored", "generateNewId": true, "createCopy": true,
				"currentResourcePaths": disks, "sourceResourcePaths": disks, "targetResourcePaths": disks,
				"sourceNetworkConnections": []string{"Production", "Backup"}, "targetNetworkConnections": []string{"Production", ""}})
			spec.Settings = json.RawMessage(st)
			result = json.RawMessage(fmt.Sprintf(`{"vm":{"id":"%s","name":"%s-restored"},"mode":"copy","copiedFiles":5,"copiedBytes":45097156608}`, vm.ID, vm.Name))
		default:
			spec.Kind = jobs.KindVerify
			result = json.RawMessage(`{"ok":true}`)
		}
		fail := i%10 == 0
		_, err := reg.Submit(spec, func(ctx context.Context, rep jobs.Reporter) error {
			rep.Warn("network adapter 2 (Backup) is left disconnected")
			if fail {
				return errors.New("disk full")
			}
			rep.Result(result)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range reg.List() {
		if _, err := reg.Wait(context.Background(), s.ID); err != nil {
			b.Fatal(err)
		}
	}
	return reg
}
