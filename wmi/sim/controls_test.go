package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// delayOf runs call and steps the fixture's FakeClock a millisecond at a
// time while the call waits on it; it returns the time the call waited,
// rounded up to the millisecond (0 for a call that did not wait).
func delayOf(t *testing.T, f *fixture, call func() error) time.Duration {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	var waited time.Duration
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return waited
		default:
		}
		if waiting, added := f.clock.Waiting(); waiting > 0 {
			f.clock.Advance(time.Millisecond)
			waited += time.Millisecond
		} else {
			// Wait for the call to end or to block on the clock.
			select {
			case err := <-done:
				done <- err // for the check above
			case <-added:
			case <-guard.C:
				t.Fatalf("call still waiting after %v of clock time", waited)
			}
		}
	}
}

// TestMethodJitter: a delayed call waits its MethodDelay plus a draw in
// [0, jitter); two hosts with the same RandomSeed draw the same delays.
func TestMethodJitter(t *testing.T) {
	t.Parallel()
	const (
		delay  = 100 * time.Millisecond
		jitter = 400 * time.Millisecond
		calls  = 6
	)
	run := func(seed int64) []time.Duration {
		f := newFixture(t, sim.Options{
			RandomSeed:   seed,
			MethodDelay:  map[string]time.Duration{"ExecQuery": delay},
			MethodJitter: map[string]time.Duration{"execquery": jitter, "Get": 50 * time.Millisecond},
		})
		if f.host.RandomSeed() != seed {
			t.Errorf("RandomSeed() = %d, want %d", f.host.RandomSeed(), seed)
		}
		var got []time.Duration
		for i := 0; i < calls; i++ {
			d := delayOf(t, f, func() error {
				_, err := f.svc.ExecQuery(context.Background(), "SELECT * FROM Msvm_VirtualEthernetSwitch")
				return err
			})
			if d < delay || d > delay+jitter {
				t.Errorf("seed %d call %d waited %v, want [%v, %v]", seed, i, d, delay, delay+jitter)
			}
			got = append(got, d)
		}
		// Jitter without a fixed delay: Get waits less than 50ms.
		if d := delayOf(t, f, func() error { _, err := f.svc.Get(context.Background(), vsmsPath); return err }); d > 50*time.Millisecond {
			t.Errorf("Get waited %v", d)
		}
		return got
	}
	a, b := run(42), run(42)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different delays:\n%v\n%v", a, b)
	}
	distinct := map[time.Duration]bool{}
	for _, d := range a {
		distinct[d] = true
	}
	if len(distinct) < 2 {
		t.Errorf("the jitter does not vary: %v", a)
	}
	if c := run(43); reflect.DeepEqual(a, c) {
		t.Errorf("seeds 42 and 43 drew the same delays %v", a)
	}
}

// TestRandomSeedChosen: RandomSeed 0 takes one from the time of day and
// reports it.
func TestRandomSeedChosen(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	if f.host.RandomSeed() == 0 {
		t.Error("no seed chosen")
	}
}

// firePattern calls ExportSystemDefinition n times with an export folder
// that is refused (32773) unless a synchronous rule fires first, and
// reports which calls the rule fired on.
func firePattern(t *testing.T, f *fixture, n int) []bool {
	t.Helper()
	settings := f.exportSettings(t, sim.DemoWeb01ID, nil)
	var fired []bool
	for i := 0; i < n; i++ {
		ret, _ := f.export(t, sim.DemoWeb01ID, "relative", settings)
		switch ret {
		case wmi.ReturnOutOfMemory:
			fired = append(fired, true)
		case wmi.ReturnInvalidParameter:
			fired = append(fired, false)
		default:
			t.Fatalf("call %d returned %d", i, ret)
		}
	}
	return fired
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// TestFaultProbability: a rule with a Probability fires on the calls its
// seeded stream picks — the same calls on two hosts with the same seed,
// whether the rule comes from Options.Faults or AddFault; Skip passes
// calls before the draws start and Count counts firings.
func TestFaultProbability(t *testing.T) {
	t.Parallel()
	const n = 40
	rule := sim.FaultRule{Method: "ExportSystemDefinition", ReturnValue: wmi.ReturnOutOfMemory, Probability: 0.3}

	a := newFixture(t, sim.Options{RandomSeed: 7})
	a.host.AddFault(rule)
	want := firePattern(t, a, n)
	if c := countTrue(want); c == 0 || c == n {
		t.Fatalf("fired %d of %d calls", c, n)
	}

	b := newFixture(t, sim.Options{RandomSeed: 7, Faults: []sim.FaultRule{rule}})
	if got := firePattern(t, b, n); !reflect.DeepEqual(got, want) {
		t.Errorf("same seed, different calls:\n got %v\nwant %v", got, want)
	}

	c := newFixture(t, sim.Options{RandomSeed: 8, Faults: []sim.FaultRule{rule}})
	if got := firePattern(t, c, n); reflect.DeepEqual(got, want) {
		t.Errorf("seeds 7 and 8 fired on the same calls %v", got)
	}

	skipped := rule
	skipped.Skip = 3
	d := newFixture(t, sim.Options{RandomSeed: 7, Faults: []sim.FaultRule{skipped}})
	got := firePattern(t, d, n+3)
	if countTrue(got[:3]) != 0 || !reflect.DeepEqual(got[3:], want) {
		t.Errorf("Skip 3:\n got %v\nwant 3 x false, then %v", got, want)
	}

	counted := rule
	counted.Count = 2
	e := newFixture(t, sim.Options{RandomSeed: 7, Faults: []sim.FaultRule{counted}})
	got = firePattern(t, e, n)
	var wantCounted []bool
	fired := 0
	for _, v := range want {
		wantCounted = append(wantCounted, v && fired < 2)
		if v {
			fired++
		}
	}
	if !reflect.DeepEqual(got, wantCounted) {
		t.Errorf("Count 2:\n got %v\nwant %v", got, wantCounted)
	}

	// Probability 1 and 0 both always fire.
	for _, p := range []float64{0, 1} {
		always := rule
		always.Probability = p
		g := newFixture(t, sim.Options{Faults: []sim.FaultRule{always}})
		if got := firePattern(t, g, 5); countTrue(got) != 5 {
			t.Errorf("probability %v fired %v", p, got)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AddFault accepted probability 1.5")
		}
	}()
	a.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", ReturnValue: 1, Probability: 1.5})
}

// TestOptionsFaultsOrder: Options.Faults come before rules added later,
// and ClearFaults removes them too.
func TestOptionsFaultsOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{Faults: []sim.FaultRule{
		{Method: "ExportSystemDefinition", ReturnValue: wmi.ReturnOutOfMemory, Count: 1},
	}})
	f.host.AddFault(sim.FaultRule{Method: "ExportSystemDefinition", ReturnValue: wmi.ReturnAccessDenied})
	settings := f.exportSettings(t, sim.DemoWeb01ID, nil)
	for i, want := range []uint32{wmi.ReturnOutOfMemory, wmi.ReturnAccessDenied} {
		if ret, _ := f.export(t, sim.DemoWeb01ID, "relative", settings); ret != want {
			t.Errorf("call %d: %d, want %d", i, ret, want)
		}
	}
	f.host.ClearFaults()
	if ret, _ := f.export(t, sim.DemoWeb01ID, "relative", settings); ret != wmi.ReturnInvalidParameter {
		t.Errorf("after ClearFaults: %d", ret)
	}
}

// TestOptionsControlsChecked: New refuses controls it cannot honour.
func TestOptionsControlsChecked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		opts sim.Options
		want string
	}{
		{sim.Options{MethodJitter: map[string]time.Duration{"Get": -time.Second}}, "Get: -1s is negative"},
		{sim.Options{DiskQuotaBytes: -1}, "DiskQuotaBytes"},
		{sim.Options{DiskFullAfterBytes: -1}, "DiskFullAfterBytes"},
		{sim.Options{FullVolumes: []string{" "}}, "FullVolumes[0]"},
		{sim.Options{Faults: []sim.FaultRule{{Method: "Get"}}}, "would never fire"},
		{sim.Options{Faults: []sim.FaultRule{{Method: "X", ReturnValue: 1, Probability: -0.5}}}, "probability -0.5"},
		{sim.Options{Faults: []sim.FaultRule{{Method: "X", JobErrorCode: 1, AtPercent: 101}}}, "at-percent 101"},
	} {
		c.opts.DataDir = t.TempDir()
		_, err := sim.New(c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.opts, err, c.want)
		}
	}
}

// exportCharges measures what a default export of web-01 and of db-01
// of smallDemoSeed counts against the simulated disk: the data of the
// files copied (web-01: 512 KiB + 256 KiB of base disks, 4 x 32 KiB of
// differencing disks; db-01: a 512 KiB disk, 128 KiB of saved state) and
// the VHDX files' headers, metadata and BATs, but none of their zeros.
func exportCharges(t *testing.T) (web, db int64) {
	t.Helper()
	f := newFixture(t, sim.Options{DiskQuotaBytes: 1 << 40})
	wantCompleted(t, f.exportEnd(t, sim.DemoWeb01ID, t.TempDir()))
	web = f.host.DiskUsedBytes()
	wantCompleted(t, f.exportEnd(t, sim.DemoDB01ID, t.TempDir()))
	db = f.host.DiskUsedBytes() - web
	const webData, dbData = 896 << 10, 640 << 10
	if web < webData || web > webData+512<<10 || db < dbData || db > dbData+128<<10 {
		t.Fatalf("exports count web-01 %d bytes, db-01 %d; want their data (%d, %d) and a little more", web, db, webData, dbData)
	}
	return web, db
}

// exportEnd exports a VM into dir and waits for the job to end.
func (f *fixture) exportEnd(t *testing.T, vmID, dir string) *wmi.Object {
	t.Helper()
	return f.waitJob(t, f.mustExport(t, vmID, dir, nil))
}

func wantDiskFull(t *testing.T, o *wmi.Object) {
	t.Helper()
	if o.Uint("JobState") != uint64(wmi.JobException) || o.Uint("ErrorCode") != uint64(wmi.ReturnFailed) ||
		o.String("ErrorDescription") != sim.DiskFullDescription {
		t.Errorf("job state %d, error %d %q; want 10, 32768 %q", o.Uint("JobState"), o.Uint("ErrorCode"),
			o.String("ErrorDescription"), sim.DiskFullDescription)
	}
	if sim.DiskFullDescription != "There is not enough space on the disk. (0x80070070)" {
		t.Errorf("DiskFullDescription %q", sim.DiskFullDescription)
	}
}

// TestDiskQuota: an export that would write past DiskQuotaBytes fails as
// a full disk, leaving nothing behind and giving its bytes back, so the
// next export within the quota succeeds; SetDiskQuota changes the quota
// at run time.
func TestDiskQuota(t *testing.T) {
	t.Parallel()
	web, db := exportCharges(t)
	f := newFixture(t, sim.Options{DiskQuotaBytes: web + db + 100<<10})
	parent := t.TempDir()
	wantCompleted(t, f.exportEnd(t, sim.DemoWeb01ID, filepath.Join(parent, "1")))
	if got := f.host.DiskUsedBytes(); got != web {
		t.Fatalf("the export counts %d bytes, want %d", got, web)
	}

	second := filepath.Join(parent, "2")
	wantDiskFull(t, f.exportEnd(t, sim.DemoWeb01ID, second))
	if pathExists(second) {
		t.Errorf("partial output left: %v", files(t, second))
	}
	if got := f.host.DiskUsedBytes(); got != web {
		t.Errorf("after the failure %d bytes are used, want %d", got, web)
	}
	// The failed export gave its bytes back: db-01 fits.
	wantCompleted(t, f.exportEnd(t, sim.DemoDB01ID, second))
	if got := f.host.DiskUsedBytes(); got != web+db {
		t.Errorf("%d bytes used, want %d", got, web+db)
	}

	// Deleting or moving an export does not free space (the volume only
	// fills); the quota can grow, and 0 removes it.
	if err := os.RemoveAll(second); err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(parent, "3")
	wantDiskFull(t, f.exportEnd(t, sim.DemoDB01ID, third))
	f.host.SetDiskQuota(f.host.DiskUsedBytes() + db)
	wantCompleted(t, f.exportEnd(t, sim.DemoDB01ID, third))
	f.host.SetDiskQuota(0)
	wantCompleted(t, f.exportEnd(t, sim.DemoWeb01ID, filepath.Join(parent, "4")))
	// A quota below what is used fails the next copy at its first chunk.
	f.host.SetDiskQuota(1)
	fifth := filepath.Join(parent, "5")
	wantDiskFull(t, f.exportEnd(t, sim.DemoBuildAgentID, fifth))
	if pathExists(fifth) {
		t.Errorf("%s left behind", fifth)
	}
}

// TestDiskFullMidCopy: with a throttled copy the job reports progress,
// then fails where the quota runs out, not before.
func TestDiskFullMidCopy(t *testing.T) {
	t.Parallel()
	web, _ := exportCharges(t)
	f := newFixture(t, sim.Options{CopyBytesPerSecond: slow, DiskQuotaBytes: web * 2 / 3})
	dir := filepath.Join(t.TempDir(), "export")
	job := f.mustExport(t, sim.DemoWeb01ID, dir, nil)
	o := f.stepUntil(t, job, func(o *wmi.Object) bool { return wmi.JobStateTerminal(uint16(o.Uint("JobState"))) })
	wantDiskFull(t, o)
	// Two thirds of the data: the job got well into the copy (progress
	// counts the files' bytes, zeros included, the quota their data).
	if p := o.Uint("PercentComplete"); p < 30 || p >= 100 {
		t.Errorf("failed at %d%%", p)
	}
	if pathExists(dir) {
		t.Errorf("%s left behind: %v", dir, files(t, dir))
	}
	if got := f.host.DiskUsedBytes(); got != 0 {
		t.Errorf("%d bytes still counted", got)
	}
}

// TestFullVolumes: copies under a listed folder fail once they would pass
// DiskFullAfterBytes there; copies elsewhere are not limited.
func TestFullVolumes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	full, half := filepath.Join(root, "full"), filepath.Join(root, "half")
	f := newFixture(t, sim.Options{FullVolumes: []string{full}})
	dir := filepath.Join(full, "exports", "web")
	wantDiskFull(t, f.exportEnd(t, sim.DemoWeb01ID, dir))
	if pathExists(full) {
		t.Errorf("%s left behind: %v", full, files(t, full))
	}
	// A sibling whose name starts the same is another folder.
	wantCompleted(t, f.exportEnd(t, sim.DemoWeb01ID, full+"-not"))
	wantCompleted(t, f.exportEnd(t, sim.DemoWeb01ID, filepath.Join(root, "elsewhere")))

	// Room for one and a half exports of db-01: it fits once, not twice;
	// each listed folder has its own space.
	_, db := exportCharges(t)
	g := newFixture(t, sim.Options{FullVolumes: []string{half, full}, DiskFullAfterBytes: db * 3 / 2})
	wantCompleted(t, g.exportEnd(t, sim.DemoDB01ID, filepath.Join(half, "1")))
	wantDiskFull(t, g.exportEnd(t, sim.DemoDB01ID, filepath.Join(half, "2")))
	wantCompleted(t, g.exportEnd(t, sim.DemoDB01ID, filepath.Join(full, "1")))
	if pathExists(filepath.Join(half, "2")) {
		t.Error("partial output left")
	}
}

func pathExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeTemp writes a file into a fresh folder and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadControls: a controls file in YAML or JSON, strictly checked,
// applied over Options.
func TestLoadControls(t *testing.T) {
	t.Parallel()
	yamlDoc := `
random-seed: 42
method-delay: {ExportSystemDefinition: 250ms}
method-jitter:
  ExportSystemDefinition: 1m30s
copy-bytes-per-second: 1048576
disk-quota-bytes: 52428800
full-volumes: [/mnt/full]
disk-full-after-bytes: 1024
export-directory-must-exist: true
faults:
  - method: ExportSystemDefinition
    vm: web-01
    job-error-code: 32768
    job-error-description: boom
    at-percent: 40
    count: 2
    skip: 1
    probability: 0.3
  - {method: RequestStateChange, return-value: 32768}
`
	want := sim.Controls{
		RandomSeed:               42,
		MethodDelay:              map[string]time.Duration{"ExportSystemDefinition": 250 * time.Millisecond},
		MethodJitter:             map[string]time.Duration{"ExportSystemDefinition": 90 * time.Second},
		CopyBytesPerSecond:       1 << 20,
		DiskQuotaBytes:           50 << 20,
		FullVolumes:              []string{"/mnt/full"},
		DiskFullAfterBytes:       1024,
		ExportDirectoryMustExist: true,
		Faults: []sim.FaultRule{
			{Method: "ExportSystemDefinition", VM: "web-01", JobErrorCode: 32768, JobErrorDescription: "boom",
				AtPercent: 40, Count: 2, Skip: 1, Probability: 0.3},
			{Method: "RequestStateChange", ReturnValue: 32768},
		},
	}
	got, err := sim.LoadControls(writeTemp(t, "c.yaml", yamlDoc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("YAML:\n got %+v\nwant %+v", got, want)
	}
	jsonDoc := `{"random-seed": 42, "method-delay": {"ExportSystemDefinition": "250ms"},
	  "method-jitter": {"ExportSystemDefinition": "1m30s"}, "copy-bytes-per-second": 1048576,
	  "disk-quota-bytes": 52428800, "full-volumes": ["/mnt/full"], "disk-full-after-bytes": 1024,
	  "export-directory-must-exist": true,
	  "faults": [{"method": "ExportSystemDefinition", "vm": "web-01", "job-error-code": 32768,
	    "job-error-description": "boom", "at-percent": 40, "count": 2, "skip": 1, "probability": 0.3},
	    {"method": "RequestStateChange", "return-value": 32768}]}`
	got, err = sim.LoadControls(writeTemp(t, "c.json", jsonDoc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON:\n got %+v\nwant %+v", got, want)
	}

	// Apply: non-zero fields replace, maps merge by method, faults append.
	opts := sim.Options{
		CopyBytesPerSecond: 4 << 20,
		MethodDelay:        map[string]time.Duration{"exportsystemdefinition": time.Second, "Get": time.Second},
		Faults:             []sim.FaultRule{{Method: "DestroySystem", ReturnValue: 1}},
		HostRelease:        "2019",
	}
	got.Apply(&opts)
	wantOpts := sim.Options{
		CopyBytesPerSecond:       1 << 20,
		MethodDelay:              map[string]time.Duration{"ExportSystemDefinition": 250 * time.Millisecond, "Get": time.Second},
		MethodJitter:             map[string]time.Duration{"ExportSystemDefinition": 90 * time.Second},
		RandomSeed:               42,
		DiskQuotaBytes:           50 << 20,
		FullVolumes:              []string{"/mnt/full"},
		DiskFullAfterBytes:       1024,
		ExportDirectoryMustExist: true,
		Faults:                   append([]sim.FaultRule{{Method: "DestroySystem", ReturnValue: 1}}, want.Faults...),
		HostRelease:              "2019",
	}
	if !reflect.DeepEqual(opts, wantOpts) {
		t.Errorf("Apply:\n got %+v\nwant %+v", opts, wantOpts)
	}
	var zero sim.Options
	sim.Controls{}.Apply(&zero)
	if !reflect.DeepEqual(zero, sim.Options{}) {
		t.Errorf("empty controls changed options: %+v", zero)
	}
}

// TestLoadControlsErrors: each error names the key or value at fault.
func TestLoadControlsErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"c.yaml", "method-delay: {ExportSystemDefinition: 1s}\nmethod-dealy: {Get: 1s}\n", []string{"line 2", "method-dealy"}},
		{"c.yaml", "faults:\n  - method: Get\n    return-value: 1\n    propability: 0.5\n", []string{"line 4", "propability"}},
		{"c.yaml", "method-jitter: {Get: fast}\n", []string{"fast", "time.Duration"}},
		{"c.yaml", "method-delay: {Get: 250}\n", []string{"250", "time.Duration"}},
		{"c.yaml", "method-delay: {Get: -1s}\n", []string{"method-delay", "Get", "negative"}},
		{"c.yaml", "disk-quota-bytes: lots\n", []string{"lots", "int64"}},
		{"c.yaml", "disk-quota-bytes: -5\n", []string{"disk-quota-bytes -5"}},
		{"c.yaml", "faults: [{method: Get, return-value: 1, probability: 1.5}]\n", []string{"faults[0]", "probability 1.5"}},
		{"c.yaml", "faults: [{method: Get}]\n", []string{"faults[0]", "Get", "never fire"}},
		{"c.yaml", "faults: [{method: X, job-error-code: 70000}]\n", []string{"70000", "uint16"}},
		{"c.yaml", "faults: [{method: X, job-error-code: 1, count: -1}]\n", []string{"count -1"}},
		{"c.yaml", "", []string{"empty"}},
		{"c.yaml", "random-seed: 1\n---\nrandom-seed: 2\n", []string{"more than one"}},
		{"c.json", `{"random-seed": 1, "colour": "red"}`, []string{"colour"}},
		{"c.json", `{"random-seed": 1,}`, []string{"invalid character"}},
		{"c.toml", "random-seed = 1", []string{`".toml"`, ".yaml"}},
	} {
		path := writeTemp(t, c.name, c.doc)
		_, err := sim.LoadControls(path)
		if err == nil {
			t.Errorf("%q: no error", c.doc)
			continue
		}
		for _, w := range append(c.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not name %q", c.doc, err, w)
			}
		}
	}
	if _, err := sim.LoadControls(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loads")
	}
}

// TestLoadSeed: a seed file builds the host it describes; errors name
// the bad key or value.
func TestLoadSeed(t *testing.T) {
	t.Parallel()
	doc := `
switches: [{name: LAN}]
vms:
  - name: app
    id: 1a2b3c4d-0000-4000-8000-000000000001
    state: saved
    disks: [{file: app.vhdx, sizeBytes: 65536}]
    networkAdapters: [{switch: LAN}]
`
	seed, err := sim.LoadSeed(writeTemp(t, "seed.yml", doc))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, sim.Options{Seed: seed})
	vm := f.get(t, vmPath("1A2B3C4D-0000-4000-8000-000000000001"))
	if vm.String("ElementName") != "app" || vm.Uint("EnabledState") != uint64(wmi.EnabledOffline) {
		t.Errorf("VM %q in state %d", vm.String("ElementName"), vm.Uint("EnabledState"))
	}
	jsonSeed, err := sim.LoadSeed(writeTemp(t, "seed.json",
		`{"switches": [{"name": "LAN"}], "vms": [{"name": "app", "id": "1a2b3c4d-0000-4000-8000-000000000001",
		  "state": "saved", "disks": [{"file": "app.vhdx", "sizeBytes": 65536}], "networkAdapters": [{"switch": "LAN"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(jsonSeed, seed) {
		t.Errorf("JSON seed %+v, YAML seed %+v", jsonSeed, seed)
	}

	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"s.yaml", "vms:\n  - name: a\n    colour: red\n", []string{"line 3", "colour"}},
		{"s.yaml", "vm:\n  - name: a\n", []string{"line 1", "vm"}},
		{"s.yaml", "vms: [{name: a, state: asleep}]\n", []string{"VM a", `"asleep"`}},
		{"s.yaml", "vms: [{name: a, generation: 3}]\n", []string{"VM a", "generation 3"}},
		{"s.yaml", "vms: [{name: a, id: not-a-guid}]\n", []string{"not-a-guid"}},
		{"s.yaml", "vms: [{name: a, disks: [{file: a.vhdx, sizeBytes: big}]}]\n", []string{"big", "int64"}},
		{"s.yaml", "vms: [{name: a, disks: [{file: ../a.vhdx}]}]\n", []string{"../a.vhdx"}},
		{"s.yaml", "vms: [{name: a, runtimeStateBytes: -1}]\n", []string{"runtimeStateBytes -1"}},
		{"s.yaml", "vms: [{name: a, networkAdapters: [{switch: WAN}]}]\n", []string{`switch "WAN"`}},
		{"s.yaml", "exportCaptureLiveState: 3\n", []string{"exportCaptureLiveState 3"}},
		{"s.json", `{"vms": [{"name": "a", "sizeBytes": 1}]}`, []string{"sizeBytes"}},
	} {
		path := writeTemp(t, c.name, c.doc)
		_, err := sim.LoadSeed(path)
		if err == nil {
			t.Errorf("%q: no error", c.doc)
			continue
		}
		for _, w := range append(c.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not name %q", c.doc, err, w)
			}
		}
	}
}

// The example controls file, and the run its comments describe: twelve
// exports of web-01 on the demo host.
const (
	faultsExample  = "../../configs/sim-faults-example.yaml"
	exampleOutcome = "ok ok fault ok ok ok ok ok full full full full"
	exampleQuota   = 52 << 20
)

// TestFaultsExampleFile: configs/sim-faults-example.yaml loads, holds
// what its comments say, and on the demo host reproduces the run they
// describe.
func TestFaultsExampleFile(t *testing.T) {
	t.Parallel()
	c, err := sim.LoadControls(faultsExample)
	if err != nil {
		t.Fatal(err)
	}
	if c.MethodDelay["ExportSystemDefinition"] <= 0 || c.MethodJitter["ExportSystemDefinition"] <= 0 ||
		c.DiskQuotaBytes != exampleQuota || c.RandomSeed == 0 || len(c.Faults) != 1 || c.Faults[0].Probability != 0.3 ||
		c.Faults[0].Method != "ExportSystemDefinition" || c.Faults[0].JobErrorCode != 32768 {
		t.Fatalf("the example holds %+v", c)
	}
	var opts sim.Options
	c.Apply(&opts)
	// The clock is fake here: no delays, no throttling.
	opts.MethodDelay, opts.MethodJitter, opts.CopyBytesPerSecond = nil, nil, 0
	opts.Seed = sim.DemoSeed()
	f := newFixture(t, opts)
	parent := t.TempDir()
	var outcome []string
	for i := 1; i <= 12; i++ {
		o := f.exportEnd(t, sim.DemoWeb01ID, filepath.Join(parent, fmt.Sprint(i)))
		switch {
		case o.Uint("JobState") == uint64(wmi.JobCompleted):
			outcome = append(outcome, "ok")
		case o.String("ErrorDescription") == sim.DiskFullDescription:
			outcome = append(outcome, "full")
		case o.String("ErrorDescription") == c.Faults[0].JobErrorDescription:
			outcome = append(outcome, "fault")
		default:
			t.Fatalf("export %d: state %d, %q", i, o.Uint("JobState"), o.String("ErrorDescription"))
		}
	}
	t.Logf("web-01 exports: %v", outcome)
	if got := strings.Join(outcome, " "); got != exampleOutcome {
		t.Errorf("web-01 exports:\n got %s\nwant %s (as the example's comments say)", got, exampleOutcome)
	}
}

// TestUnknownMethodWarned: a control naming a method no simulated class
// has is logged, since it would silently never apply.
func TestUnknownMethodWarned(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.WarnLevel)
	h, err := sim.New(sim.Options{
		DataDir: t.TempDir(), Seed: &sim.Seed{}, Logger: zap.New(core),
		MethodDelay:  map[string]time.Duration{"ExportSystemDefinitoin": time.Second, "ExecQuery": time.Second},
		MethodJitter: map[string]time.Duration{"exportsystemdefinition": time.Second},
		Faults:       []sim.FaultRule{{Method: "RequestStateChange", ReturnValue: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var warned []string
	for _, e := range logs.All() {
		warned = append(warned, fmt.Sprint(e.ContextMap()["method"]))
	}
	if !reflect.DeepEqual(warned, []string{"ExportSystemDefinitoin"}) {
		t.Errorf("warned about %v", warned)
	}
}
