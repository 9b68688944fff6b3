package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

// hvport vm copy: a VM from one saved host to another, agent to agent
// (issue #13). The source exports it (or an export is reused), a grant
// lets the destination read that export, and the destination's import
// pulls it (transferring, verifying) and imports it. The source VM is
// never touched but to export it.

type copyOpts struct {
	from, to, name   string
	settingsFile     string
	sets             []string
	exportID         string
	grantExpires     string
	keepExport, wait bool
}

const copyLong = `Copy a VM from one saved host to another (hvport host add): the source host
exports it into a directory it picks (or --export ID reuses an export of the
VM), makes a grant that lets the destination read that export only, and the
destination pulls the export from the source — each file hashed against the
export's manifest — and imports it. The source VM is never changed.

The copy is an import that makes a new VM: createCopy and generateNewId are
true and the name is --name, else "<VM>-copy". --settings FILE (JSON or YAML,
as "hvport import settings" prints them) and --set key=value change any
import setting; --name wins over the file, --set over both.

The destination reaches the source at the source host's saved URL, trusting
the source's certificate as the saved host does (its pinned fingerprint, or
its CA file, handed over as PEM). The grant expires after --grant-expires
(default 24h, the most a grant allows; a transfer that outlives its grant
cannot resume after a restart) and is revoked when a waited-for copy ends.

The intermediate export is removed from the source once the destination has
received and verified every byte of it, unless --keep-export is given or the
export was given with --export. If the copy fails before that, the export is
kept on the source (copy again with --export ID, or hvport exports delete ID
--host SOURCE); if the import fails after it, the destination keeps what it
received, as an export of its own (the job's warning says where; hvport import
ID --host DEST --set createCopy=true --set generateNewId=true … tries again).

Without --wait the command returns once the destination's job is started,
printing its id (the export is waited for either way). With --wait it shows
one progress view across the three steps — exporting on the source,
transferring and verifying on the destination, importing — and exits 1 if the
copy fails or is cancelled.`

func (a *app) vmCopyCommand() *cobra.Command {
	var o copyOpts
	cmd := &cobra.Command{
		Use:   "copy VM --from HOST --to HOST [--name NEW] [--settings FILE] [--set key=value …] [--keep-export] [--export ID] [--wait]",
		Short: "Copy a VM from one saved host to another: export, transfer host to host, import",
		Long:  copyLong,
		Example: `  hvport host add hv1 https://hyperv-01:8443 --token-file ~/hvport/hv1.token --fingerprint sha256:AB:CD:…
  hvport host add hv2 https://hyperv-02:8443 --token-file ~/hvport/hv2.token --fingerprint sha256:12:34:…
  hvport vm copy web-01 --from hv1 --to hv2 --wait`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeCopyVMs(&o),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.vmCopy(cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "the saved host the VM is on (required)")
	f.StringVar(&o.to, "to", "", "the saved host to copy it to (required)")
	f.StringVar(&o.name, "name", "", `the new VM's name (default "<VM>-copy")`)
	f.StringVar(&o.settingsFile, "settings", "", "a JSON or YAML file of import settings for the copy")
	f.StringArrayVar(&o.sets, "set", nil, "set one import setting: key=value (repeatable; applied last)")
	f.StringVar(&o.exportID, "export", "", "copy this export of the VM on the source instead of exporting it (it is kept)")
	f.StringVar(&o.grantExpires, "grant-expires", "24h", "how long the destination's grant to read the export lasts (at most 24h)")
	f.BoolVar(&o.keepExport, "keep-export", false, "keep the intermediate export on the source")
	f.BoolVarP(&o.wait, "wait", "w", false, "wait for the copy, showing its progress; exit 1 if it fails or is cancelled")
	_ = cmd.RegisterFlagCompletionFunc("from", a.completeHosts)
	_ = cmd.RegisterFlagCompletionFunc("to", a.completeHosts)
	return cmd
}

// completeCopyVMs offers the VMs of the --from host.
func (a *app) completeCopyVMs(o *copyOpts) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 || o.from == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		saved := a.host
		a.host = o.from
		defer func() { a.host = saved }()
		return a.completeVMs(cmd, args, toComplete)
	}
}

// savedHost is a host of the configuration for vm copy.
func (a *app) savedHost(flag, name string) (hostEntry, error) {
	if name == "" {
		return hostEntry{}, usageErrorf("--%s HOST is required: a host saved with \"hvport host add\"", flag)
	}
	cfg, path, err := a.loadConfig()
	if err != nil {
		return hostEntry{}, err
	}
	h, ok := cfg.find(name)
	if !ok {
		return hostEntry{}, notFoundErrorf("--%s: no host %q in %s (hvport host list)", flag, name, path)
	}
	return h, nil
}

func hostConnection(h hostEntry) connection {
	return connection{Host: h.Name, URL: h.URL, Token: h.Token, TokenFile: h.TokenFile, CAFile: h.CAFile, Fingerprint: h.Fingerprint}
}

func (a *app) vmCopy(cmd *cobra.Command, vm string, o copyOpts) error {
	for _, name := range []string{"url", "host", "token", "token-file", "ca-file", "fingerprint"} {
		if flagSet(cmd, name) {
			return usageErrorf("--%s: vm copy takes its hosts from --from and --to (saved hosts; hvport host add)", name)
		}
	}
	src, err := a.savedHost("from", o.from)
	if err != nil {
		return err
	}
	dst, err := a.savedHost("to", o.to)
	if err != nil {
		return err
	}
	if src.Name == dst.Name {
		return usageErrorf("--from and --to are the same host: use hvport export and hvport import")
	}
	if isLoopbackURL(src.URL) && !isLoopbackURL(dst.URL) {
		return usageErrorf("host %s is saved with a loopback URL (%s): host %s cannot reach it there; save it with an address %s can reach", src.Name, src.URL, dst.Name, dst.Name)
	}
	if d, err := time.ParseDuration(o.grantExpires); err != nil || d <= 0 || d > 24*time.Hour {
		return usageErrorf("--grant-expires %q: want a duration of at most 24h, such as 1h or 90m", o.grantExpires)
	}
	if strings.HasPrefix(strings.ToLower(src.URL), "http:") && !isLoopbackURL(src.URL) {
		return usageErrorf("host %s is saved with a plain http URL (%s): %s would refuse to pull from it (the grant and the disks would cross the network in clear)", src.Name, src.URL, dst.Name)
	}
	var caPEM string
	if src.CAFile != "" {
		b, err := os.ReadFile(src.CAFile)
		if err != nil {
			return usageErrorf("host %s's CA file: %v", src.Name, err)
		}
		caPEM = string(b)
	}
	// The patch is checked before anything starts on a host.
	if _, err := buildPatch[client.ImportSettingsPatch](nil, o.settingsFile, o.sets); err != nil {
		return err
	}
	ca, err := clientFor(hostConnection(src))
	if err != nil {
		return err
	}
	cb, err := clientFor(hostConnection(dst))
	if err != nil {
		return err
	}
	ctx := ctxOf(cmd)

	// The VM, and its export if one is given.
	reuse := o.exportID != ""
	var vmName, exportID string
	if reuse {
		x, err := ca.GetExport(ctx, o.exportID)
		if err != nil {
			return err
		}
		if !strings.EqualFold(x.VM.Name, vm) && !strings.EqualFold(x.VM.ID, vm) {
			return usageErrorf("--export %s is an export of %s, not of %s", x.ID, x.VM.Name, vm)
		}
		vmName, exportID = x.VM.Name, x.ID
	} else {
		v, err := ca.GetVM(ctx, vm)
		if err != nil {
			return err
		}
		vmName = v.Name
	}
	base := map[string]any{"createCopy": true, "generateNewId": true, "name": vmName + "-copy"}
	sets := o.sets
	if o.name != "" {
		q, _ := json.Marshal(o.name)
		sets = append([]string{"name=" + string(q)}, sets...)
	}
	patch, err := buildPatch[client.ImportSettingsPatch](base, o.settingsFile, sets)
	if err != nil {
		return err
	}

	cp := &copyRun{a: a, ctx: ctx, src: src, dst: dst, ca: ca, vm: vmName, exportID: exportID, reuse: reuse,
		deleteWhenDone: !reuse && !o.keepExport}
	label := fmt.Sprintf("copy %s %s → %s", vmName, src.Name, dst.Name)
	cp.view = a.newCopyView(ctx, label)

	// 1. The export, on the source.
	if !reuse {
		if err := cp.export(vm); err != nil {
			return err
		}
	}
	// 2. The grant, on the source.
	g, err := ca.CreateGrant(ctx, cp.exportID, client.GrantRequest{ExpiresIn: &o.grantExpires, DeleteExportWhenDone: &cp.deleteWhenDone})
	if err != nil {
		cp.view.end("failed")
		cp.exportKept(false)
		return err
	}
	cp.grant = g
	// 3. The import, on the destination, pulling from the source.
	source := &client.RemoteSource{URL: strings.TrimRight(src.URL, "/") + "/v1/exports/" + cp.exportID, Grant: &g.Token}
	if src.Fingerprint != "" {
		source.Fingerprint = &src.Fingerprint
	}
	if caPEM != "" {
		source.Ca = &caPEM
	}
	imp, err := cb.StartImport(ctx, client.ImportRequest{Source: source, Settings: patch})
	if err != nil {
		cp.view.end("failed")
		cp.exportKept(true)
		return err
	}
	if !o.wait {
		cp.view.end("import started on " + dst.Name)
		a.printStartedOn([]client.Job{imp}, dst.Name)
		return nil
	}
	fin, err := cb.WaitJob(ctx, imp.ID, func(j client.Job) { cp.view.show(j, cp.importPhase(j.Phase), copyExportShare, 100) })
	if err != nil {
		cp.view.end("stopped following")
		if ctx.Err() != nil {
			fmt.Fprintf(a.stderr, "hvport: interrupted; the copy goes on on %s (hvport job watch %s --host %s, hvport job cancel %s --host %s)\n",
				dst.Name, imp.ID, dst.Name, imp.ID, dst.Name)
			return silent(130)
		}
		return err
	}
	if fin.State != client.JobCompleted {
		cp.view.end(string(fin.State))
		return cp.failed(fin)
	}
	cp.view.end(string(client.JobCompleted))
	return cp.completed(fin)
}

// copyExportShare is the part of the copy's percent the export takes;
// the destination's job (transfer and verify, then import) the rest.
const copyExportShare = 30

// copyRun is one vm copy's state for its steps and reports.
type copyRun struct {
	a              *app
	ctx            context.Context
	src, dst       hostEntry
	ca             *client.Client
	vm             string
	exportID       string
	reuse          bool // --export: the user's export, kept
	deleteWhenDone bool // the grant lets the destination delete the export
	grant          client.CreatedGrant
	view           *copyView
}

// export exports the VM on the source into a directory the source picks
// and waits for it.
func (cp *copyRun) export(vm string) error {
	a := cp.a
	j, err := cp.ca.StartExport(cp.ctx, vm, client.ExportRequest{})
	if err != nil {
		cp.view.end("failed")
		return err
	}
	fin, err := cp.ca.WaitJob(cp.ctx, j.ID, func(j client.Job) { cp.view.show(j, j.Phase+" on "+cp.src.Name, 0, copyExportShare) })
	if err != nil {
		cp.view.end("stopped following")
		if cp.ctx.Err() != nil {
			fmt.Fprintf(a.stderr, "hvport: interrupted; the export goes on on %s (hvport job watch %s --host %s, hvport job cancel %s --host %s)\n",
				cp.src.Name, j.ID, cp.src.Name, j.ID, cp.src.Name)
			return silent(130)
		}
		return err
	}
	if fin.State != client.JobCompleted {
		cp.view.end(string(fin.State))
		p := client.JobProblem(fin)
		if p == nil {
			p = &client.Problem{Title: string(fin.State)}
		}
		writeProblem(a.stderr, fmt.Sprintf("the export of %s on %s %s: ", cp.vm, cp.src.Name, fin.State), p)
		return silent(exitJob)
	}
	res, err := fin.Result.AsExportResult()
	if err != nil {
		cp.view.end("failed")
		return fmt.Errorf("the export job's result: %w", err)
	}
	cp.exportID = res.ExportID
	return nil
}

// importPhase names a phase of the destination's job in the copy's view.
func (cp *copyRun) importPhase(phase string) string {
	if phase == "transferring" {
		return "transferring " + cp.src.Name + " → " + cp.dst.Name
	}
	return phase + " on " + cp.dst.Name
}

// copyResult is an import job's result with what it received (the
// server's "transfer" member).
type copyResult struct {
	VM       client.VMRef `json:"vm"`
	Mode     string       `json:"mode"`
	Transfer *struct {
		Source        string `json:"source"`
		ExportID      string `json:"exportId"`
		TotalBytes    int64  `json:"totalBytes"`
		ReceivedBytes int64  `json:"receivedBytes"`
	} `json:"transfer"`
}

func resultOf(j client.Job) (copyResult, error) {
	var r copyResult
	if j.Result == nil {
		return r, errors.New("the job has no result")
	}
	b, err := j.Result.MarshalJSON()
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	return r, err
}

// completed reports a copy that ended well, and leaves the source as
// promised: the intermediate export gone (unless kept), the grant revoked.
func (cp *copyRun) completed(fin client.Job) error {
	a := cp.a
	r, err := resultOf(fin)
	if err != nil {
		return fmt.Errorf("the import job's result: %w", err)
	}
	var notes []string
	if cp.deleteWhenDone {
		gone, err := cp.exportGone()
		if err == nil && !gone {
			// The destination could not delete it (its warning says
			// why): the grant may.
			err = cp.deleteWithGrant()
			gone = err == nil
		}
		if !gone {
			fmt.Fprintf(a.stderr, "hvport: the intermediate export %s stays on %s: %v (hvport exports delete %s --host %s)\n",
				cp.exportID, cp.src.Name, err, cp.exportID, cp.src.Name)
		}
	} else {
		cp.revokeGrant()
		notes = append(notes, fmt.Sprintf("export %s kept on %s", cp.exportID, cp.src.Name))
	}
	if f := a.format("table"); !a.quiet && (f == "json" || f == "yaml") {
		return a.emit(f, fin)
	}
	if a.quiet {
		return nil
	}
	line := fmt.Sprintf("copied %s from %s to %s as %s (%s)", cp.vm, cp.src.Name, cp.dst.Name, r.VM.Name, r.VM.ID)
	if t := r.Transfer; t != nil {
		line += fmt.Sprintf(": %s, %s received", bytesText(t.TotalBytes), bytesText(t.ReceivedBytes))
	}
	if len(notes) > 0 {
		line += "; " + strings.Join(notes, "; ")
	}
	fmt.Fprintln(a.stdout, line)
	return nil
}

// failed reports a copy whose destination job failed or was cancelled:
// why, what the destination kept (its warnings), and what became of the
// source's export.
func (cp *copyRun) failed(fin client.Job) error {
	a := cp.a
	if f := a.format("table"); !a.quiet && (f == "json" || f == "yaml") {
		if err := a.emit(f, fin); err != nil {
			return err
		}
	}
	p := client.JobProblem(fin)
	if p == nil {
		p = &client.Problem{Title: string(fin.State)}
	}
	writeProblem(a.stderr, fmt.Sprintf("the copy of %s to %s %s: ", cp.vm, cp.dst.Name, fin.State), p)
	for _, w := range fin.Warnings {
		fmt.Fprintf(a.stderr, "  %s: %s\n", cp.dst.Name, w)
	}
	cp.exportKept(true)
	fmt.Fprintf(a.stderr, "  (hvport job show %s --host %s)\n", fin.ID, cp.dst.Name)
	return silent(exitJob)
}

// exportKept says, after a failure, where the source's export is: still
// there (the grant, if any, revoked), or gone because the destination had
// received all of it and the grant let it delete it.
func (cp *copyRun) exportKept(granted bool) {
	a := cp.a
	if cp.exportID == "" {
		return
	}
	gone, err := cp.exportGone()
	switch {
	case err != nil:
		fmt.Fprintf(a.stderr, "  export %s on %s: cannot tell whether it is still there: %v\n", cp.exportID, cp.src.Name, err)
	case gone:
		fmt.Fprintf(a.stderr, "  export %s is no longer on %s: %s had received and verified all of it, and removed it there as the grant allowed;\n"+
			"  %s keeps the received export: hvport import %s --host %s --set createCopy=true --set generateNewId=true … imports it from there\n",
			cp.exportID, cp.src.Name, cp.dst.Name, cp.dst.Name, cp.exportID, cp.dst.Name)
	default:
		if granted {
			cp.revokeGrant()
		}
		if cp.reuse {
			fmt.Fprintf(a.stderr, "  export %s stays on %s\n", cp.exportID, cp.src.Name)
			return
		}
		fmt.Fprintf(a.stderr, "  export %s is kept on %s: copy again with --export %s, or remove it with hvport exports delete %s --host %s\n",
			cp.exportID, cp.src.Name, cp.exportID, cp.exportID, cp.src.Name)
	}
}

// exportGone reports whether the source no longer has the export.
func (cp *copyRun) exportGone() (bool, error) {
	_, err := cp.ca.GetExport(cp.ctx, cp.exportID)
	var p *client.Problem
	if errors.As(err, &p) && p.Status == http.StatusNotFound {
		return true, nil
	}
	return false, err
}

// deleteWithGrant deletes the export with the grant, which was made to
// allow it.
func (cp *copyRun) deleteWithGrant() error {
	c := hostConnection(cp.src)
	c.Token, c.TokenFile = cp.grant.Token, ""
	gc, err := clientFor(c)
	if err != nil {
		return err
	}
	_, err = gc.DeleteExport(cp.ctx, cp.exportID)
	return err
}

// revokeGrant revokes the copy's grant once it is of no more use; an
// error only lets it expire.
func (cp *copyRun) revokeGrant() {
	if cp.grant.ID == "" {
		return
	}
	if _, err := cp.ca.RevokeGrant(cp.ctx, cp.exportID, cp.grant.ID); err != nil {
		fmt.Fprintf(cp.a.stderr, "hvport: the grant %s on %s could not be revoked (it expires at %s): %v\n",
			cp.grant.ID, cp.src.Name, cp.grant.ExpiresAt.Local().Format(time.RFC3339), err)
	}
}

// printStartedOn is printStarted for jobs on a named host.
func (a *app) printStartedOn(jobs []client.Job, host string) {
	switch f := a.format("table"); {
	case a.quiet, f == "json" || f == "yaml":
		a.printStarted(jobs)
	default:
		t := newTable("HOST", "ID", "KIND", "VM", "STATE")
		for _, j := range jobs {
			t.row(host, j.ID, string(j.Kind), vmText(j.VM, j.Source), string(j.State))
		}
		_ = t.flush(a.stdout)
		fmt.Fprintf(a.stderr, "follow it: hvport job watch %s --host %s\n", jobs[0].ID, host)
	}
}

// copyView is the one progress view of a copy: the source's export job,
// then the destination's job, shown as one made-up job whose percent
// runs across both and never goes back.
type copyView struct {
	d       display
	percent int64
	last    client.Job
	ended   bool
}

func (a *app) newCopyView(ctx context.Context, label string) *copyView {
	j := client.Job{Kind: client.JobKind("copy"), State: client.JobRunning, Phase: "starting"}
	return &copyView{d: a.newLabeledDisplay(ctx, []client.Job{j}, []string{label}), last: j}
}

// show shows job j of a step whose percent maps onto lo…hi of the copy's.
func (v *copyView) show(j client.Job, phase string, lo, hi int64) {
	if client.Finished(j) {
		return // the next step, or end, shows it
	}
	v.percent = max(v.percent, lo+j.PercentComplete*(hi-lo)/100)
	s := j
	s.Kind, s.State, s.Phase, s.PercentComplete = client.JobKind("copy"), client.JobRunning, phase, v.percent
	v.last = s
	v.d.update(0, s)
}

// end shows the copy's outcome and closes the view.
func (v *copyView) end(state string) {
	if v.ended {
		return
	}
	v.ended = true
	j := v.last
	j.State = client.JobState(state)
	if j.State == client.JobCompleted {
		j.PercentComplete = 100
	}
	v.d.finish(0, j, nil)
	v.d.close()
}
