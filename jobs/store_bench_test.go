package jobs

// The job store's benchmarks (docs/BENCHMARKS.md, "Job store"): a
// registry over 100,000 stored jobs of realistic size, against the issue's
// targets — start-up under 2 s, a list page's p99 under 20 ms, submit p99
// unaffected by the number stored. They measure; they assert nothing about
// time. scripts/bench-jobstore.sh runs them as documented, e.g.
//
//	go test ./jobs/ -run '^$' -bench 'StoreOpen$' -benchtime 5x -timeout 30m
//
// (HVPORT_BENCH_JOBS changes the number of stored jobs).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
)

// benchJobs is how many jobs the benchmarks store.
func benchJobs(b *testing.B) int {
	if s := os.Getenv("HVPORT_BENCH_JOBS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("HVPORT_BENCH_JOBS=%q", s)
		}
		return n
	}
	return 100_000
}

// benchNow is the benchmarks' "now": every stored job is younger than the
// default MaxAge, so none is pruned at Open.
var benchNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// benchRecord is job i as a server that ran for weeks stores it: a mix of
// exports (60 %), imports (35 %) and verifies, mostly completed, some
// failed or cancelled, over 200 VMs and the last 20 days. An import's
// record is about 3 KB (its effective settings name every disk twice).
func benchRecord(i int) record {
	created := benchNow.Add(-20 * 24 * time.Hour).Add(time.Duration(i) * (20 * 24 * time.Hour) / time.Duration(benchJobs0))
	started, finished := created.Add(time.Second), created.Add(37*time.Minute)
	vm := VMRef{ID: fmt.Sprintf("%08X-1D2C-4C4B-9A3E-%012X", i%200, i%200), Name: fmt.Sprintf("web-%03d", i%200)}
	wmi := fmt.Sprintf(`\\HV-HOST-07\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="%08X-77A1-4F27-B5B5-0D7C2D%06X"`, i, i)
	rec := record{ID: fmt.Sprintf("%08x-5b0c-4c3e-9f0a-%012x", i, i), State: Completed, PercentComplete: 100, Phase: "completed",
		VM: vm, Submitter: &Submitter{Kind: "token", ID: "token:3f9a1c0d", Name: "backup-portal"}, WMIJob: wmi,
		CreatedAt: created, StartedAt: &started, FinishedAt: &finished, Rev: 6}
	switch i % 20 {
	case 0, 1:
		rec.State, rec.Phase, rec.PercentComplete = Failed, "failed", 41
		rec.Err = &errRecord{Kind: int(errs.HostFailed), Msg: "Hyper-V could not export the VM: the disk is full (32768, Failed)",
			Extra: map[string]any{"hyperv": map[string]any{"returnValue": 32768, "errorCode": 32768}}}
	case 2:
		rec.State, rec.Phase, rec.PercentComplete = Cancelled, "cancelled", 12
		rec.Err = &errRecord{Kind: int(errs.Cancelled), Msg: "the job was cancelled by request"}
	}
	switch k := i % 20; {
	case k < 12:
		rec.Kind, rec.Directory = KindExport, `E:\exports\`+vm.Name+`\2026-11-`+strconv.Itoa(10+i%20)
		rec.Settings = json.RawMessage(`{"copyVmStorage":true,"copyVmRuntimeInformation":false,"createVmExportSubdirectory":true,"copySnapshotConfiguration":"exportAllSnapshots","snapshot":null,"captureLiveState":"captureSavedState","overwrite":false}`)
		rec.Result = json.RawMessage(fmt.Sprintf(`{"exportId":"%s","directory":%q,"fileCount":9,"totalBytes":%d,"manifest":"hvport-manifest.json"}`, rec.ID, rec.Directory, 42<<30+i))
		rec.BytesDone, rec.BytesTotal = 42<<30, 42<<30
	case k < 19:
		rec.Kind, rec.Directory = KindImport, `E:\exports\`+vm.Name+`\2026-11-02`
		var disks, targets []string
		for d := 0; d < 5; d++ {
			disks = append(disks, fmt.Sprintf(`E:\exports\%s\2026-11-02\%s\Virtual Hard Disks\%s-disk%d.vhdx`, vm.Name, vm.Name, vm.Name, d))
			targets = append(targets, fmt.Sprintf(`D:\Hyper-V\Virtual Hard Disks\%s-restored\%s-disk%d.vhdx`, vm.Name, vm.Name, d))
		}
		st, _ := json.Marshal(map[string]any{"name": vm.Name + "-restored", "generateNewId": true, "createCopy": true, "securityScope": nil,
			"currentResourcePaths": disks, "sourceResourcePaths": disks, "targetResourcePaths": targets,
			"sourceNetworkConnections": []string{"Production", "Backup", "Management"}, "targetNetworkConnections": []string{"Production", "", "Management"},
			"sourceVmDataRoot": `E:\exports\` + vm.Name + `\2026-11-02\` + vm.Name, "sourceSnapshotDataRoot": `E:\exports\` + vm.Name + `\2026-11-02\` + vm.Name + `\Snapshots`,
			"sourceVhdDataRoot": `E:\exports\` + vm.Name + `\2026-11-02\` + vm.Name + `\Virtual Hard Disks`, "targetVmDataRoot": `D:\Hyper-V\` + vm.Name + `-restored`,
			"targetSnapshotDataRoot": `D:\Hyper-V\` + vm.Name + `-restored\Snapshots`, "targetVhdDataRoot": `D:\Hyper-V\Virtual Hard Disks\` + vm.Name + `-restored`})
		rec.Settings = st
		rec.Result = json.RawMessage(fmt.Sprintf(`{"vm":{"id":"%s","name":"%s-restored"},"mode":"copy","copiedFiles":4,"copiedBytes":%d,"configurationDataRoot":"D:\\Hyper-V\\%s-restored","vmLocation":"/v1/vms/%s"}`, vm.ID, vm.Name, 42<<30, vm.Name, vm.ID))
		rec.Warnings = []string{"network adapter 2 (Backup) is left disconnected: no switch named \"Backup\" on this host",
			"the VM's configuration version 9.0 is older than the host's default 12.0; upgrade it with Update-VMVersion when no older host needs it"}
		rec.BytesDone, rec.BytesTotal = 42<<30, 42<<30
	default:
		rec.Kind, rec.Directory = KindVerify, `E:\exports\`+vm.Name+`\2026-11-02`
		rec.Result = json.RawMessage(`{"ok":true,"checkedFiles":9,"checkedBytes":45097156608}`)
	}
	if rec.IdempotencyKey = ""; i%3 == 0 {
		rec.IdempotencyKey, rec.Fingerprint = "token:3f9a1c0d "+rec.ID, strings.Repeat("ab", 32)
	}
	return rec
}

// benchJobs0 spreads creation times; it is the default count so that a
// smaller HVPORT_BENCH_JOBS keeps the same spacing.
const benchJobs0 = 100_000

// fillStore writes n records into a store directory the way the registry
// leaves them, without a sync per record (that is the writes' cost, not
// what is measured here).
func fillStore(b *testing.B, dir string, n int) {
	b.Helper()
	st, err := openStore(dir, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.fill(func(yield func(record) bool) {
		for i := 0; i < n; i++ {
			if !yield(benchRecord(i)) {
				return
			}
		}
	}); err != nil {
		b.Fatal(err)
	}
	if err := st.close(); err != nil {
		b.Fatal(err)
	}
}

func benchOptions(n int) Options {
	return Options{Retain: n + 1000, MaxQueued: 1 << 20, Now: func() time.Time { return benchNow }}
}

func openBench(b *testing.B, dir string, n int) *Registry {
	b.Helper()
	r, err := Open(benchOptions(n), dir)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func closeBench(b *testing.B, r *Registry) {
	b.Helper()
	if err := r.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStoreOpen is start-up: Open of a registry over the stored jobs.
func BenchmarkStoreOpen(b *testing.B) {
	n := benchJobs(b)
	dir := b.TempDir()
	fillStore(b, dir, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := openBench(b, dir, n)
		b.StopTimer()
		if got := len(r.List()); got != n {
			b.Fatalf("opened %d jobs, stored %d", got, n)
		}
		closeBench(b, r)
		b.StartTimer()
	}
}

// benchPage is one page of GET /v1/jobs as handlers/jobs.go builds it: the
// registry's List, newest first, the query's filters, limit items.
func benchPage(r *Registry, match func(Snapshot) bool, limit int) []Snapshot {
	var out []Snapshot
	for _, s := range r.List() {
		if !match(s) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, s)
	}
	return out
}

// benchScanPage is the same page through Scan.
func benchScanPage(r *Registry, match func(Snapshot) bool, limit int) []Snapshot {
	var out []Snapshot
	r.Scan("", func(s Snapshot) bool {
		if !match(s) {
			return true
		}
		if len(out) == limit {
			return false
		}
		out = append(out, s)
		return true
	})
	return out
}

// BenchmarkStoreList is a list page's latency over the stored jobs, with
// and without filters (p50 and p99 of b.N pages): the registry's part of
// GET /v1/jobs. handlers' BenchmarkJobListPage measures the whole handler.
func BenchmarkStoreList(b *testing.B) {
	n := benchJobs(b)
	dir := b.TempDir()
	fillStore(b, dir, n)
	r := openBench(b, dir, n)
	defer closeBench(b, r)
	since := benchNow.Add(-24 * time.Hour)
	for _, c := range []struct {
		name  string
		match func(Snapshot) bool
	}{
		{"all", func(Snapshot) bool { return true }},
		{"state=failed", func(s Snapshot) bool { return s.State == Failed }},
		{"kind=import&vm=web-042", func(s Snapshot) bool {
			return s.Kind == KindImport && (strings.EqualFold(s.VM.Name, "web-042") || strings.EqualFold(s.VM.ID, "web-042"))
		}},
		{"since=24h&state=cancelled", func(s Snapshot) bool { return s.State == Cancelled && !s.CreatedAt.Before(since) }},
	} {
		for _, page := range []struct {
			name string
			f    func(*Registry, func(Snapshot) bool, int) []Snapshot
		}{{"List", benchPage}, {"Scan", benchScanPage}} {
			b.Run(page.name+"/"+c.name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					page.f(r, c.match, defaultPage)
					lat = append(lat, time.Since(t0))
				}
				reportPercentiles(b, lat)
			})
		}
	}
}

// BenchmarkStoreMigrate is the one-time move of a one-file-per-job
// directory into the database (the first Open after the upgrade).
func BenchmarkStoreMigrate(b *testing.B) {
	n := benchJobs(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		for j := 0; j < n; j++ {
			rec := benchRecord(j)
			data, err := json.Marshal(rec)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, rec.ID+".json"), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		st, err := openStore(dir, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.close()
		b.StartTimer()
	}
}

// defaultPage is GET /v1/jobs's default limit.
const defaultPage = 100

// BenchmarkStoreSubmit is Submit's latency (p50, p99) with no jobs stored
// and with benchJobs stored: the store's write (fsync) before Submit
// returns, and the registry's bookkeeping (pruning) under its lock.
func BenchmarkStoreSubmit(b *testing.B) {
	n := benchJobs(b)
	for _, c := range []struct {
		name           string
		stored, retain int
	}{
		{"stored=0", 0, 0},
		{"stored=" + strconv.Itoa(n), n, 0},
		// Retain reached: each Submit prunes the oldest job (the pruner
		// deletes it from the store, in its own transaction).
		{"stored=" + strconv.Itoa(n) + ",retain=" + strconv.Itoa(n), n, n},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			fillStore(b, dir, c.stored)
			opts := benchOptions(c.stored + b.N)
			if c.retain > 0 {
				opts.Retain = c.retain
			}
			r, err := Open(opts, dir)
			if err != nil {
				b.Fatal(err)
			}
			defer closeBench(b, r)
			block := make(chan struct{})
			defer close(block)
			// The work waits, so every job stays queued: only Submit is timed.
			r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { <-block; return nil })
			r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { <-block; return nil })
			rec := benchRecord(7) // an import's settings
			var settings any = rec.Settings
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				_, err := r.Submit(Spec{Kind: KindImport, VM: rec.VM, Submitter: rec.Submitter, Directory: rec.Directory, Settings: settings,
					IdempotencyKey: "token:3f9a1c0d bench-" + strconv.Itoa(i), Fingerprint: rec.Fingerprint}, func(ctx context.Context, rep Reporter) error { return nil })
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
