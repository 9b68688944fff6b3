package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

var allChecks = []string{checkBackend, checkManagement, checkVMs, checkExport, checkJobClass, checkRights}

func runDiagnoseForTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runDiagnose(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func statuses(rep diagnoseReport) map[string]checkStatus {
	m := map[string]checkStatus{}
	for _, c := range rep.Checks {
		m[c.Name] = c.Status
	}
	return m
}

// TestDiagnoseSimulator is the command an operator runs, against the
// simulator: every check passes (rights do not apply off Windows).
func TestDiagnoseSimulator(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runDiagnoseForTest(t, "--backend", "sim", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, name := range allChecks {
		if !strings.Contains(out, name) {
			t.Errorf("report lacks check %s:\n%s", name, out)
		}
	}
	for _, want := range []string{"PASS  backend", "namespace root\\virtualization\\v2 (API v2)", "3 VMs", "decoded back unchanged", "Msvm_ConcreteJob", "result: PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a check failed:\n%s", out)
	}

	// The same as JSON, and with a VM chosen by name.
	code, out, errOut = runDiagnoseForTest(t, "--backend", "sim", "--data-dir", dir, "--json", "--vm", "web-01")
	if code != 0 {
		t.Fatalf("--json: exit %d\n%s%s", code, out, errOut)
	}
	var rep diagnoseReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if rep.Result != "pass" || rep.Backend != "sim" || rep.Namespace != wmi.NamespaceV2 || rep.API != "v2" || len(rep.Checks) != len(allChecks) {
		t.Errorf("report = %+v", rep)
	}
	st := statuses(rep)
	for _, name := range allChecks[:5] {
		if st[name] != statusPass {
			t.Errorf("%s = %s", name, st[name])
		}
	}
	wantRights := statusNA
	if runtime.GOOS == "windows" {
		wantRights = st[checkRights] // depends on the account running the test
	}
	if st[checkRights] != wantRights {
		t.Errorf("rights = %s, want %s", st[checkRights], wantRights)
	}
	for _, c := range rep.Checks {
		if c.Name == checkExport && !strings.Contains(c.Detail, "web-01") {
			t.Errorf("--vm web-01 was not used: %s", c.Detail)
		}
	}
}

// TestDiagnoseBackendDoesNotOpen: a backend that cannot be opened fails the
// report with the reason, skips the checks that need it, and exits 1.
func TestDiagnoseBackendDoesNotOpen(t *testing.T) {
	t.Run("hyperv", func(t *testing.T) {
		if runtime.GOOS == "windows" && !onWine() {
			t.Skip("on a Windows host the Hyper-V backend may well open")
		}
		// No t.TempDir: this subtest also runs under Wine, whose file
		// system lacks what Go's os.RemoveAll uses (docs/WINDOWS.md).
		code, out, _ := runDiagnoseForTest(t, "--backend", "hyperv", "--data-dir", "unused")
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		want := "needs Windows with the Hyper-V role; use --backend sim here"
		if runtime.GOOS == "windows" {
			want = "no Hyper-V WMI namespace could be opened (tried root\\virtualization\\v2, then root\\virtualization)"
		}
		if !strings.Contains(out, "FAIL  backend") || !strings.Contains(out, want) || !strings.Contains(out, "result: FAIL") {
			t.Errorf("report does not say why:\n%s", out)
		}
		if n := strings.Count(out, "SKIP"); n != 4 {
			t.Errorf("%d checks skipped, want 4:\n%s", n, out)
		}
	})
	t.Run("sim data dir is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "not-a-dir")
		if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runDiagnoseForTest(t, "--backend", "sim", "--data-dir", file, "--json")
		var rep diagnoseReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if code != 1 || rep.Result != "fail" || rep.Checks[0].Status != statusFail ||
			!strings.Contains(rep.Checks[0].Detail, "start the simulated Hyper-V host") {
			t.Errorf("exit %d, report %+v", code, rep)
		}
	})
}

func TestDiagnoseBadArguments(t *testing.T) {
	code, _, errOut := runDiagnoseForTest(t, "--no-such-flag")
	if code != 2 || !strings.Contains(errOut, "no-such-flag") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runDiagnoseForTest(t, "--backend", "vmware")
	if code != 2 || !strings.Contains(errOut, "auto, sim or hyperv") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// faultyServices wraps a backend and fails or empties chosen queries.
type faultyServices struct {
	wmi.Services
	namespace string           // overrides Namespace when set
	fail      map[string]error // by class name in the query
	empty     map[string]bool
}

func (f *faultyServices) Namespace() string {
	if f.namespace != "" {
		return f.namespace
	}
	return f.Services.Namespace()
}

func (f *faultyServices) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	for class, err := range f.fail {
		if strings.HasSuffix(wql, class) {
			return nil, err
		}
	}
	for class := range f.empty {
		if strings.HasSuffix(wql, class) {
			return nil, nil
		}
	}
	return f.Services.ExecQuery(ctx, wql)
}

// faultyOpen opens the simulator in a fresh directory and wraps it.
func faultyOpen(t *testing.T, wrap func(*faultyServices)) func(context.Context, Config, *zap.Logger) (*backend, error) {
	return func(ctx context.Context, cfg Config, log *zap.Logger) (*backend, error) {
		cfg.DataDir = t.TempDir()
		be, err := openSim(cfg, log)
		if err != nil {
			return nil, err
		}
		f := &faultyServices{Services: be.svc}
		wrap(f)
		be.svc = f
		return be, nil
	}
}

func notApplicable() check { return check{Status: statusNA, Detail: "test"} }

func TestDiagnoseFailingChecks(t *testing.T) {
	denied := &wmi.Error{Op: "ExecQuery", HResult: wmi.WBEMAccessDenied, Msg: "access denied"}
	cases := []struct {
		name string
		vm   string
		wrap func(*faultyServices)
		want map[string]checkStatus
		says string
	}{
		{"job class unreachable", "", func(f *faultyServices) { f.fail = map[string]error{wmi.ClassConcreteJob: denied} },
			map[string]checkStatus{checkJobClass: statusFail, checkExport: statusPass}, "0x80041003"},
		{"no management service", "", func(f *faultyServices) { f.empty = map[string]bool{wmi.ClassManagementService: true} },
			map[string]checkStatus{checkManagement: statusFail, checkVMs: statusPass}, "is the Hyper-V Virtual Machine Management service (vmms) running?"},
		{"export settings unreadable", "", func(f *faultyServices) { f.fail = map[string]error{wmi.ClassExportSettingData: denied} },
			map[string]checkStatus{checkExport: statusFail, checkJobClass: statusPass}, "ASSOCIATORS OF"},
		{"VM list unreadable", "", func(f *faultyServices) { f.fail = map[string]error{wmi.ClassComputerSystem: denied} },
			map[string]checkStatus{checkVMs: statusFail, checkExport: statusSkip}, "list VMs"},
		{"unknown VM", "no-such-vm", func(f *faultyServices) {},
			map[string]checkStatus{checkExport: statusFail, checkVMs: statusPass}, `no VM with id or name "no-such-vm"`},
		{"not a Hyper-V namespace", "", func(f *faultyServices) { f.namespace = `root\cimv2` },
			map[string]checkStatus{checkBackend: statusFail, checkManagement: statusSkip}, "not a Hyper-V namespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := diagnose(context.Background(), defaultConfig(), diagnoseOptions{VM: c.vm, Open: faultyOpen(t, c.wrap), Rights: notApplicable})
			if rep.Result != "fail" || !rep.Failed() {
				t.Errorf("result %s", rep.Result)
			}
			st := statuses(rep)
			for name, want := range c.want {
				if st[name] != want {
					t.Errorf("%s = %s, want %s", name, st[name], want)
				}
			}
			var text bytes.Buffer
			writeReport(&text, rep)
			if !strings.Contains(text.String(), c.says) {
				t.Errorf("report does not say %q:\n%s", c.says, text.String())
			}
		})
	}
}

// A host without VMs is healthy: the export settings check is skipped,
// not failed.
func TestDiagnoseHostWithoutVMs(t *testing.T) {
	open := faultyOpen(t, func(f *faultyServices) { f.empty = map[string]bool{wmi.ClassComputerSystem: true} })
	rep := diagnose(context.Background(), defaultConfig(), diagnoseOptions{Open: open, Rights: notApplicable})
	if rep.Result != "pass" || statuses(rep)[checkExport] != statusSkip || statuses(rep)[checkVMs] != statusPass {
		t.Errorf("report %+v", rep)
	}
}

func TestDiffObjects(t *testing.T) {
	base := func() *wmi.Object {
		o := &wmi.Object{Class: "C", Path: `\\H\root\x:C.K="1"`, SuperClass: "B", Derivation: []string{"B"}}
		o.MustAdd("A", wmi.CIMUint8, false, uint8(1))
		o.MustAdd("S", wmi.CIMString, true, []string{"x"})
		o.MustAdd("E", wmi.CIMObject, false, (&wmi.Object{Class: "Inner"}).MustAdd("I", wmi.CIMBoolean, false, true))
		return o
	}
	if d := diffObjects(base(), base()); len(d) != 0 {
		t.Errorf("equal objects differ: %v", d)
	}
	for name, change := range map[string]func(o *wmi.Object){
		"class":      func(o *wmi.Object) { o.Class = "D" },
		"path":       func(o *wmi.Object) { o.Path = "" },
		"derivation": func(o *wmi.Object) { o.Derivation = nil },
		"missing":    func(o *wmi.Object) { o.Props = o.Props[1:] },
		"type":       func(o *wmi.Object) { o.Props[0].Type = wmi.CIMUint16 },
		"array":      func(o *wmi.Object) { o.Props[1].Array = false },
		"value":      func(o *wmi.Object) { o.Props[1].Value = []string{"y"} },
		"embedded":   func(o *wmi.Object) { o.Props[2].Value.(*wmi.Object).Props[0].Value = false },
		"origin":     func(o *wmi.Object) { o.Props[0].Origin = "Other" },
	} {
		o := base()
		change(o)
		if d := diffObjects(base(), o); len(d) == 0 {
			t.Errorf("%s: no difference found", name)
		}
	}
}

func TestJudgeRights(t *testing.T) {
	admins := groupState{Name: "Administrators", SID: sidAdministrators}
	hv := groupState{Name: "Hyper-V Administrators", SID: sidHyperVAdministrators}
	enabled := func(g groupState) groupState { g.Present, g.Enabled = true, true; return g }
	denyOnly := func(g groupState) groupState { g.Present, g.DenyOnly = true, true; return g }
	cases := []struct {
		name string
		a    account
		want checkStatus
		says string
	}{
		{"elevated admin", account{User: `H\op`, Elevated: true, Groups: []groupState{enabled(admins), hv}}, statusPass, "member of Administrators (S-1-5-32-544)"},
		{"Hyper-V Administrators only", account{User: `H\op`, Groups: []groupState{admins, enabled(hv)}}, statusPass, "Hyper-V Administrators (S-1-5-32-578)"},
		{"both", account{User: `NT AUTHORITY\SYSTEM`, Elevated: true, Groups: []groupState{enabled(admins), enabled(hv)}}, statusPass, "Administrators (S-1-5-32-544) and Hyper-V Administrators"},
		{"admin without elevation", account{User: `H\op`, Groups: []groupState{denyOnly(admins), hv}}, statusFail, "not elevated (UAC)"},
		{"neither", account{User: `H\guest`, Groups: []groupState{admins, hv}}, statusFail, "member of neither"},
	}
	for _, c := range cases {
		got := judgeRights(c.a)
		if got.Status != c.want || !strings.Contains(got.Detail, c.says) || got.Name != checkRights {
			t.Errorf("%s: %+v, want %s saying %q", c.name, got, c.want, c.says)
		}
	}
}
