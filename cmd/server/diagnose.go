package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/wmi"
)

// diagnose runs read-only checks an operator runs on a host before (or
// instead of) starting the server: which backend and namespace, the
// management service, the VM list, one VM's export settings through the
// embedded-instance encoder, the job class, and the account's rights.
// It creates and changes nothing, in the data directory above all: it
// reports what the server keeps there and would create, and opens the
// simulator (--backend sim) on a temporary copy (diagnose_datadir.go).

// checkStatus is the outcome of one check.
type checkStatus string

const (
	statusPass checkStatus = "pass"
	statusFail checkStatus = "fail"
	// statusSkip: the check could not run (an earlier one failed, or
	// there is nothing to check, such as a host without VMs).
	statusSkip checkStatus = "skip"
	// statusNA: the check does not apply on this system.
	statusNA checkStatus = "n/a"
)

// check is one line of the report.
type check struct {
	Name   string      `json:"name"`
	Status checkStatus `json:"status"`
	Detail string      `json:"detail"`
}

// diagnoseReport is what diagnose prints (--json: as it is).
type diagnoseReport struct {
	Result    string  `json:"result"` // pass or fail
	Backend   string  `json:"backend"`
	Namespace string  `json:"namespace,omitempty"`
	API       string  `json:"api,omitempty"`
	Checks    []check `json:"checks"`
	// DataDir is what the data directory holds and what the server would
	// create there.
	DataDir dataDirReport `json:"dataDir"`
}

// Failed reports whether any check failed.
func (r *diagnoseReport) Failed() bool {
	return slices.ContainsFunc(r.Checks, func(c check) bool { return c.Status == statusFail })
}

// diagnoseOptions are what tests replace: how the backend is opened (it
// must not change the data directory: openReadOnly) and how rights are
// checked.
type diagnoseOptions struct {
	VM     string // the VM whose export settings are read; "" = the first
	Open   func(ctx context.Context, cfg Config, log *zap.Logger) (*backend, error)
	Rights func() check
}

// The checks, in report order.
const (
	checkBackend     = "backend"
	checkManagement  = "management-service"
	checkVMs         = "vms"
	checkExport      = "export-settings"
	checkJobClass    = "job-class"
	checkRights      = "rights"
	maxVMNamesListed = 10
)

// runDiagnose is the diagnose command: it parses args, runs the checks,
// prints the report and returns the exit code (0 all passed, 1 a check
// failed, 2 bad arguments).
func runDiagnose(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		asJSON  bool
		vm      string
		timeout time.Duration
	)
	cfg, err := parseConfig("diagnose", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		fs.StringVar(&vm, "vm", "", "name or id of the VM whose export settings are read (default: the first VM)")
		fs.DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "server diagnose:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep := diagnose(ctx, cfg, diagnoseOptions{VM: vm, Open: openReadOnly, Rights: rightsCheck})
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		writeReport(stdout, rep)
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

// diagnose runs the checks. It never returns early: a check that cannot
// run is reported as skipped, with the reason.
func diagnose(ctx context.Context, cfg Config, opts diagnoseOptions) diagnoseReport {
	rep := diagnoseReport{Backend: resolveBackend(cfg), DataDir: inspectDataDir(cfg)}
	add := func(name string, st checkStatus, format string, a ...any) {
		rep.Checks = append(rep.Checks, check{Name: name, Status: st, Detail: fmt.Sprintf(format, a...)})
	}
	skipRest := func(why string) {
		for _, name := range []string{checkManagement, checkVMs, checkExport, checkJobClass} {
			add(name, statusSkip, "%s", why)
		}
	}

	be, err := opts.Open(ctx, cfg, zap.NewNop())
	if err != nil {
		add(checkBackend, statusFail, "%v", err)
		skipRest("the backend did not open")
	} else {
		defer be.close()
		rep.Backend, rep.Namespace = be.name, be.svc.Namespace()
		drv, err := hyperv.New(be.svc, hyperv.Options{Logger: zap.NewNop()})
		if err != nil {
			add(checkBackend, statusFail, "%s: %v", rep.Namespace, err)
			skipRest("the namespace is not a Hyper-V namespace")
		} else {
			rep.API = string(drv.API())
			where := "Hyper-V WMI on this host"
			if be.name == "sim" {
				where = simWhere(cfg)
			}
			add(checkBackend, statusPass, "%s: %s, namespace %s (API %s)", be.name, where, rep.Namespace, rep.API)
			rep.Checks = append(rep.Checks, wmiChecks(ctx, be.svc, drv, opts.VM)...)
		}
	}
	rights := opts.Rights()
	rights.Name = checkRights
	rep.Checks = append(rep.Checks, rights)

	rep.Result = string(statusPass)
	if rep.Failed() {
		rep.Result = string(statusFail)
	}
	return rep
}

// wmiChecks are the checks that talk to the backend.
func wmiChecks(ctx context.Context, svc wmi.Services, drv *hyperv.Driver, vmRef string) []check {
	var out []check
	add := func(name string, st checkStatus, format string, a ...any) {
		out = append(out, check{Name: name, Status: st, Detail: fmt.Sprintf(format, a...)})
	}

	// The management service: every export and import method is called
	// on it.
	q := "SELECT * FROM " + wmi.ClassManagementService
	switch objs, err := svc.ExecQuery(ctx, q); {
	case err != nil:
		add(checkManagement, statusFail, "%s: %v", q, err)
	case len(objs) == 0:
		add(checkManagement, statusFail, "%s found no instance in %s: is the Hyper-V Virtual Machine Management service (vmms) running?", wmi.ClassManagementService, svc.Namespace())
	default:
		add(checkManagement, statusPass, "%s", objs[0].Path)
	}

	// The VM list, and the VM whose export settings are read next.
	var vm *hyperv.VM
	vms, err := drv.ListVMs(ctx)
	if err != nil {
		add(checkVMs, statusFail, "%v", err)
	} else {
		names := make([]string, 0, min(len(vms), maxVMNamesListed))
		for i, v := range vms {
			if i == maxVMNamesListed {
				names = append(names, fmt.Sprintf("and %d more", len(vms)-i))
				break
			}
			names = append(names, fmt.Sprintf("%s (%s)", v.Name, v.State))
		}
		add(checkVMs, statusPass, "%d VMs%s", len(vms), listSuffix(names))
		switch {
		case vmRef != "":
			v, err := drv.FindVM(ctx, vmRef)
			if err != nil {
				add(checkExport, statusFail, "VM %q: %v", vmRef, err)
			} else {
				vm = &v
			}
		case len(vms) > 0:
			vm = &vms[0]
		default:
			add(checkExport, statusSkip, "no VM on this host to read export settings from")
		}
	}
	switch {
	case vm != nil:
		out = append(out, exportSettingsCheck(ctx, svc, *vm))
	case err != nil:
		add(checkExport, statusSkip, "the VM list could not be read")
	}

	// The job class: exports are followed through it.
	q = "SELECT * FROM " + wmi.ClassConcreteJob
	if jobs, err := svc.ExecQuery(ctx, q); err != nil {
		add(checkJobClass, statusFail, "%s: %v", q, err)
	} else {
		add(checkJobClass, statusPass, "%s: %d jobs", q, len(jobs))
	}
	return out
}

// simWhere says which simulated host the checks ran on.
func simWhere(cfg Config) string {
	dir, found, err := simHostIn(cfg.DataDir)
	switch {
	case err != nil:
		return "a temporary simulated Hyper-V host"
	case found:
		return "the simulated Hyper-V host in " + dir + ", read from a temporary copy of its inventory"
	}
	seed := "the demo seed"
	if cfg.Sim.SeedFile != "" {
		seed = "sim.seed-file " + cfg.Sim.SeedFile
	}
	return "no simulated Hyper-V host in " + dir + " yet (the server creates one from " + seed + " at its first start); checked on a temporary one seeded alike"
}

func listSuffix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

// exportSettingsCheck reads the VM's default export setting data, as the
// driver does, encodes it as the embedded instance an export passes to
// Hyper-V (wmi.EncodeInstance), decodes that again and compares.
func exportSettingsCheck(ctx context.Context, svc wmi.Services, vm hyperv.VM) check {
	c := check{Name: checkExport, Status: statusFail}
	q := "ASSOCIATORS OF {" + vm.Path + "} WHERE ResultClass = " + wmi.ClassExportSettingData
	objs, err := svc.ExecQuery(ctx, q)
	switch {
	case err != nil:
		c.Detail = fmt.Sprintf("VM %s: %s: %v", vm.Name, q, err)
		return c
	case len(objs) == 0:
		c.Detail = fmt.Sprintf("VM %s: Hyper-V returned no %s", vm.Name, wmi.ClassExportSettingData)
		return c
	}
	orig := objs[0]
	text, err := wmi.EncodeInstance(orig)
	if err != nil {
		c.Detail = fmt.Sprintf("VM %s: encode %s: %v", vm.Name, orig.Class, err)
		return c
	}
	back, err := wmi.DecodeInstance(text)
	if err != nil {
		c.Detail = fmt.Sprintf("VM %s: decode the encoded %s again: %v", vm.Name, orig.Class, err)
		return c
	}
	if diffs := diffObjects(orig, back); len(diffs) > 0 {
		c.Detail = fmt.Sprintf("VM %s: %s changed in the CIM-XML round trip: %s", vm.Name, orig.Class, strings.Join(diffs, "; "))
		return c
	}
	c.Status = statusPass
	c.Detail = fmt.Sprintf("VM %s: %s with %d properties, encoded as CIM-XML (%d bytes) and decoded back unchanged",
		vm.Name, orig.Class, len(orig.Props), len(text))
	return c
}

// diffObjects lists how b differs from a: class, path, derivation, and
// each property's type, array flag, value and (where a has one) origin.
func diffObjects(a, b *wmi.Object) []string {
	var d []string
	if a.Class != b.Class {
		d = append(d, fmt.Sprintf("class %q became %q", a.Class, b.Class))
	}
	if a.Path != b.Path && !(a.Path != "" && b.Path != "" && wmi.SamePath(a.Path, b.Path)) {
		d = append(d, fmt.Sprintf("__PATH %q became %q", a.Path, b.Path))
	}
	if a.SuperClass != b.SuperClass || !slices.Equal(a.Derivation, b.Derivation) {
		d = append(d, fmt.Sprintf("derivation %q became %q", a.Derivation, b.Derivation))
	}
	if len(a.Props) != len(b.Props) {
		d = append(d, fmt.Sprintf("%d properties became %d", len(a.Props), len(b.Props)))
	}
	for _, p := range a.Props {
		q := b.Prop(p.Name)
		switch {
		case q == nil:
			d = append(d, p.Name+" is missing")
		case p.Type != q.Type || p.Array != q.Array:
			d = append(d, fmt.Sprintf("%s: type %s%s became %s%s", p.Name, p.Type, brackets(p.Array), q.Type, brackets(q.Array)))
		case !sameValue(p.Value, q.Value):
			d = append(d, fmt.Sprintf("%s: %v became %v", p.Name, p.Value, q.Value))
		case p.Origin != "" && (p.Origin != q.Origin || p.Propagated != q.Propagated):
			d = append(d, fmt.Sprintf("%s: origin %s (propagated %v) became %s (propagated %v)", p.Name, p.Origin, p.Propagated, q.Origin, q.Propagated))
		}
	}
	return d
}

func brackets(array bool) string {
	if array {
		return "[]"
	}
	return ""
}

// sameValue compares property values; embedded objects by diffObjects.
func sameValue(a, b any) bool {
	ao, aok := a.(*wmi.Object)
	bo, bok := b.(*wmi.Object)
	if aok && bok {
		return len(diffObjects(ao, bo)) == 0
	}
	as, aok := a.([]*wmi.Object)
	bs, bok := b.([]*wmi.Object)
	if aok && bok {
		return slices.EqualFunc(as, bs, func(x, y *wmi.Object) bool { return len(diffObjects(x, y)) == 0 })
	}
	return reflect.DeepEqual(a, b)
}

// writeReport prints the report for a person.
func writeReport(w io.Writer, rep diagnoseReport) {
	head := "server diagnose: backend " + rep.Backend
	if rep.Namespace != "" {
		head += ", namespace " + rep.Namespace
	}
	if rep.API != "" {
		head += " (API " + rep.API + ")"
	}
	fmt.Fprintln(w, head)
	writeDataDir(w, rep.DataDir)
	counts := map[checkStatus]int{}
	for _, c := range rep.Checks {
		counts[c.Status]++
		fmt.Fprintf(w, "  %-4s  %-18s  %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Detail)
	}
	fmt.Fprintf(w, "result: %s (%d passed, %d failed, %d skipped, %d not applicable)\n",
		strings.ToUpper(rep.Result), counts[statusPass], counts[statusFail], counts[statusSkip], counts[statusNA])
}
