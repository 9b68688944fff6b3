package sim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/internal/qemutest"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func TestMain(m *testing.M) {
	// goleak.VerifyTestMain exits; report the skipped qemu checks first.
	code := m.Run()
	qemutest.Report("wmi/sim")
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// fixture is a simulated host and a connection to it.
type fixture struct {
	host  *sim.Host
	svc   wmi.Services
	clock *sim.FakeClock
}

// newFixture opens a host on a FakeClock in a fresh folder; opts may set
// anything but DataDir, Clock and Logger.
func newFixture(t *testing.T, opts sim.Options) *fixture {
	t.Helper()
	clock := sim.NewFakeClock(t0)
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Clock == nil {
		opts.Clock = clock
	}
	if opts.Seed == nil {
		opts.Seed = smallDemoSeed()
	}
	opts.Logger = zaptest.NewLogger(t)
	h, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	svc, err := h.Services(wmi.NamespaceV2)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{host: h, svc: svc, clock: clock}
}

// smallDemoSeed is DemoSeed with data an eighth of the size and 64 MiB
// disks (not 20 GiB: less to read in each BAT, merge and hash), to keep
// the tests fast.
func smallDemoSeed() *sim.Seed {
	s := sim.DemoSeed()
	for i := range s.VMs {
		vm := &s.VMs[i]
		vm.RuntimeStateBytes /= 8
		for k := range vm.Disks {
			vm.Disks[k].SizeBytes /= 8
			vm.Disks[k].VirtualSizeBytes = 64 << 20
		}
		for k := range vm.Checkpoints {
			vm.Checkpoints[k].DifferencingBytes = 32 << 10
		}
	}
	return s
}

func vmPath(id string) string {
	return `\\HVSIM\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="` + id + `"`
}

func vssdPath(id string) string {
	return `\\HVSIM\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:` + id + `"`
}

const vsmsPath = `\\HVSIM\root\virtualization\v2:Msvm_VirtualSystemManagementService.CreationClassName="Msvm_VirtualSystemManagementService",Name="vmms",SystemCreationClassName="Msvm_ComputerSystem",SystemName="HVSIM"`

func (f *fixture) query(t *testing.T, wql string) []*wmi.Object {
	t.Helper()
	out, err := f.svc.ExecQuery(context.Background(), wql)
	if err != nil {
		t.Fatalf("%s: %v", wql, err)
	}
	return out
}

func (f *fixture) get(t *testing.T, path string) *wmi.Object {
	t.Helper()
	o, err := f.svc.Get(context.Background(), path)
	if err != nil {
		t.Fatalf("Get %s: %v", path, err)
	}
	return o
}

// exportSettings reads the VM's default export setting data, lets edit
// change it, and encodes it as ExportSettingData.
func (f *fixture) exportSettings(t *testing.T, vmID string, edit func(o *wmi.Object)) string {
	t.Helper()
	objs := f.query(t, "ASSOCIATORS OF {"+vmPath(vmID)+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	if len(objs) != 1 {
		t.Fatalf("want one export setting data for %s, got %d", vmID, len(objs))
	}
	if edit != nil {
		edit(objs[0])
	}
	s, err := wmi.EncodeInstance(objs[0])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// export calls ExportSystemDefinition and returns its return value and job.
func (f *fixture) export(t *testing.T, vmID, dir, settings string) (uint32, string) {
	t.Helper()
	out, err := f.svc.ExecMethod(context.Background(), vsmsPath, "ExportSystemDefinition", wmi.Params{
		"ComputerSystem": vmPath(vmID), "ExportDirectory": dir, "ExportSettingData": settings,
	})
	if err != nil {
		t.Fatal(err)
	}
	return wmi.ReturnValue(out), out.String("Job")
}

// mustExport starts an export that must be accepted and returns its job.
func (f *fixture) mustExport(t *testing.T, vmID, dir string, edit func(o *wmi.Object)) string {
	t.Helper()
	ret, job := f.export(t, vmID, dir, f.exportSettings(t, vmID, edit))
	if ret != wmi.ReturnJobStarted || job == "" {
		t.Fatalf("ExportSystemDefinition returned %d, job %q; want 4096 and a job", ret, job)
	}
	return job
}

// hangGuard bounds the waits below in real time. Nothing a test does comes
// near it, however loaded the machine: the waits end on the job's end and
// on the FakeClock, and the guard only turns a hang into a failure that
// says where the job stood.
const hangGuard = 5 * time.Minute

// jobDone is the channel closed when the job ends (sim.Host.JobDone, a
// hook of the package's tests).
func (f *fixture) jobDone(t *testing.T, job string) <-chan struct{} {
	t.Helper()
	done := f.host.JobDone(job)
	if done == nil {
		t.Fatalf("no job %s", job)
	}
	return done
}

// waitJob waits for a job that does not need the FakeClock to end, and
// returns it.
func (f *fixture) waitJob(t *testing.T, job string) *wmi.Object {
	t.Helper()
	select {
	case <-f.jobDone(t, job):
	case <-time.After(hangGuard):
		o := f.get(t, job)
		t.Fatalf("job %s still in state %d at %d%% after %v", job, o.Uint("JobState"), o.Uint("PercentComplete"), hangGuard)
	}
	return f.get(t, job)
}

// requestStateChange calls Msvm_ConcreteJob.RequestStateChange.
func (f *fixture) requestStateChange(t *testing.T, job string, state any) uint32 {
	t.Helper()
	in := wmi.Params{}
	if state != nil {
		in["RequestedState"] = state
	}
	out, err := f.svc.ExecMethod(context.Background(), job, "RequestStateChange", in)
	if err != nil {
		t.Fatal(err)
	}
	return wmi.ReturnValue(out)
}

// stepUntil advances the FakeClock in small steps while a throttled job
// copies, until cond holds for the job. Between steps it waits for the
// job to block on the clock or to end, not for a time: the job's state
// changes only while it works, and its work ends in one or the other.
func (f *fixture) stepUntil(t *testing.T, job string, cond func(o *wmi.Object) bool) *wmi.Object {
	t.Helper()
	done := f.jobDone(t, job)
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	for {
		// Ask before reading the job: a timer it sets after the read
		// closes added.
		waiting, added := f.clock.Waiting()
		o := f.get(t, job)
		if cond(o) {
			return o
		}
		if wmi.JobStateTerminal(uint16(o.Uint("JobState"))) {
			t.Fatalf("job %s ended in state %d at %d%%, condition never held", job, o.Uint("JobState"), o.Uint("PercentComplete"))
		}
		if waiting > 0 {
			f.clock.Advance(50 * time.Millisecond)
			continue
		}
		select {
		case <-added:
		case <-done:
		case <-guard.C:
			t.Fatalf("job %s: state %d at %d%% after %v, condition never held", job, o.Uint("JobState"), o.Uint("PercentComplete"), hangGuard)
		}
	}
}

func wantHResult(t *testing.T, err error, hr uint32) {
	t.Helper()
	var e *wmi.Error
	if !errors.As(err, &e) || e.HResult != hr {
		t.Fatalf("got error %v, want HRESULT 0x%08X", err, hr)
	}
}

// files lists the files under dir (relative, forward slashes), and
// folders with a trailing slash.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(x) != string(y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

func names(objs []*wmi.Object, prop string) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.String(prop))
	}
	return out
}

func join(s []string) string { return strings.Join(s, ", ") }
