package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

var (
	jobStates = []string{"queued", "running", "cancelling", "completed", "failed", "cancelled"}
	jobKinds  = []string{"export", "import", "verify"}
)

// jobItem is a job as listed: its summary, and its host with --all-hosts.
type jobItem struct {
	Host string `json:"host,omitempty"`
	client.JobSummary
}

func (a *app) jobCommand() *cobra.Command {
	var state, kind string
	var allHosts bool
	list := &cobra.Command{
		Use:   "list [--state S] [--kind K] [--all-hosts]",
		Short: "List the jobs, newest first",
		Long: `List the jobs, newest first. --state and --kind filter them (on this side).
With --all-hosts every saved host is asked at the same time and a HOST column
is added; a host that cannot be reached is reported on stderr, not fatal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if state != "" && !slices.Contains(jobStates, state) {
				return usageErrorf("--state %q: want one of %s", state, strings.Join(jobStates, ", "))
			}
			if kind != "" && !slices.Contains(jobKinds, kind) {
				return usageErrorf("--kind %q: want one of %s", kind, strings.Join(jobKinds, ", "))
			}
			return a.jobList(cmd, state, kind, allHosts)
		},
	}
	list.Flags().StringVar(&state, "state", "", "only jobs in this state: "+strings.Join(jobStates, ", "))
	list.Flags().StringVar(&kind, "kind", "", "only jobs of this kind: "+strings.Join(jobKinds, ", "))
	list.Flags().BoolVar(&allHosts, "all-hosts", false, "query every saved host concurrently")
	_ = list.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(jobStates, cobra.ShellCompDirectiveNoFileComp))
	_ = list.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(jobKinds, cobra.ShellCompDirectiveNoFileComp))

	show := &cobra.Command{
		Use:               "show ID",
		Short:             "Show one job: state, phase, progress, settings, result or error",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeJobs(false),
		RunE:              a.jobShow,
	}
	watch := &cobra.Command{
		Use:   "watch ID...",
		Short: "Follow jobs until they finish, with a progress bar each; exit 1 if one failed or was cancelled",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			var jobs []client.Job
			for _, id := range args {
				j, err := c.GetJob(ctxOf(cmd), id)
				if err != nil {
					return err
				}
				jobs = append(jobs, j)
			}
			return a.waitAndReport(cmd, c, jobs)
		},
		ValidArgsFunction: a.completeJobs(true),
	}
	var cancelWait bool
	cancel := &cobra.Command{
		Use:   "cancel ID [--wait]",
		Short: "Cancel a queued or running job (its partial output is removed)",
		Long: `Cancel a queued or running job: Hyper-V's job is stopped and its partial
output removed. Cancelling a finished job is refused (exit 4). With --wait
the command returns once the job has ended, exit 0 when it ended cancelled.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeJobs(true),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			ctx := ctxOf(cmd)
			j, err := c.CancelJob(ctx, args[0])
			if err != nil {
				return err
			}
			if cancelWait && !client.Finished(j) {
				saved := a.noProgress
				a.noProgress = true
				fins, err := a.follow(ctx, c, []client.Job{j})
				a.noProgress = saved
				if err != nil {
					return err
				}
				j = fins[0]
			}
			switch f := a.format("table"); {
			case a.quiet:
			case f == "json" || f == "yaml":
				if err := a.emit(f, j); err != nil {
					return err
				}
			default:
				fmt.Fprintf(a.stdout, "%s: %s\n", jobLabel(j), j.State)
			}
			if cancelWait && j.State != client.JobCancelled {
				return silent(exitJob)
			}
			return nil
		},
	}
	cancel.Flags().BoolVarP(&cancelWait, "wait", "w", false, "wait until the job has ended")
	return a.group("job", "List, show, watch and cancel jobs", list, show, watch, cancel)
}

func (a *app) jobList(cmd *cobra.Command, state, kind string, allHosts bool) error {
	ctx := ctxOf(cmd)
	var items []jobItem
	var err error
	if allHosts {
		items, err = fleetQuery(ctx, cmd, a, func(ctx context.Context, host string, c *client.Client) ([]jobItem, error) {
			js, err := c.ListJobs(ctx)
			its := make([]jobItem, len(js))
			for i, j := range js {
				its[i] = jobItem{Host: host, JobSummary: j}
			}
			return its, err
		})
	} else {
		var c *client.Client
		if c, _, err = a.client(); err != nil {
			return err
		}
		var js []client.JobSummary
		js, err = c.ListJobs(ctx)
		for _, j := range js {
			items = append(items, jobItem{JobSummary: j})
		}
	}
	if err != nil {
		return err
	}
	items = slices.DeleteFunc(items, func(it jobItem) bool {
		return (state != "" && string(it.State) != state) || (kind != "" && string(it.Kind) != kind)
	})
	switch f := a.format("table"); f {
	case "json", "yaml":
		if items == nil {
			items = []jobItem{}
		}
		return a.emit(f, items)
	}
	if a.quiet {
		for _, it := range items {
			fmt.Fprintln(a.stdout, it.ID)
		}
		return nil
	}
	head := []string{"ID", "KIND", "VM", "STATE", "PHASE", "PROGRESS", "CREATED"}
	if allHosts {
		head = append([]string{"HOST"}, head...)
	}
	t := newTable(head...)
	for _, it := range items {
		cells := []string{it.ID, string(it.Kind), vmText(it.VM, it.Source), string(it.State), it.Phase,
			fmt.Sprintf("%d%%", it.PercentComplete), ago(it.CreatedAt) + " ago"}
		if allHosts {
			cells = append([]string{it.Host}, cells...)
		}
		t.row(cells...)
	}
	return t.flush(a.stdout)
}

func (a *app) jobShow(cmd *cobra.Command, args []string) error {
	c, _, err := a.client()
	if err != nil {
		return err
	}
	j, err := c.GetJob(ctxOf(cmd), args[0])
	if err != nil {
		return err
	}
	switch f := a.format("table"); f {
	case "json", "yaml":
		return a.emit(f, j)
	}
	if a.quiet {
		fmt.Fprintln(a.stdout, j.State)
		return nil
	}
	progress := fmt.Sprintf("%d%%", j.PercentComplete)
	if j.BytesTotal > 0 {
		progress += fmt.Sprintf(" (%s of %s in this phase", bytesText(j.BytesDone), bytesText(j.BytesTotal))
		if j.BytesPerSecond != nil {
			progress += ", " + bytesText(*j.BytesPerSecond) + "/s"
		}
		if j.EtaSeconds != nil {
			progress += ", " + (time.Duration(*j.EtaSeconds) * time.Second).String() + " left"
		}
		progress += ")"
	}
	by := "-"
	if j.SubmittedBy != nil {
		by = j.SubmittedBy.Name
	}
	rows := [][2]string{{"ID", j.ID}, {"Kind", string(j.Kind)}, {"VM", vmRefText(j.VM)}}
	if j.Source != nil {
		rows = append(rows, [2]string{"Source", vmRefText(j.Source)})
	}
	rows = append(rows,
		[2]string{"State", string(j.State)}, [2]string{"Phase", j.Phase}, [2]string{"Progress", progress},
		[2]string{"Directory", orDash(j.Directory)}, [2]string{"Submitted by", by},
		[2]string{"Created", timeText(&j.CreatedAt)}, [2]string{"Started", timeText(j.StartedAt)},
		[2]string{"Finished", timeText(j.FinishedAt)}, [2]string{"Hyper-V job", strPtr(j.HypervJob)})
	kv(a.stdout, rows...)
	for _, w := range j.Warnings {
		fmt.Fprintf(a.stdout, "Warning: %s\n", w)
	}
	if p := client.JobProblem(j); p != nil {
		fmt.Fprintln(a.stdout)
		writeProblem(a.stdout, "", p)
	}
	if j.Result != nil {
		fmt.Fprintln(a.stdout)
		fmt.Fprintln(a.stdout, resultText(j))
	}
	return nil
}

// afterStart prints the started jobs, or with wait follows them and
// reports how they ended.
func (a *app) afterStart(cmd *cobra.Command, c *client.Client, jobs []client.Job, wait bool) error {
	if wait {
		return a.waitAndReport(cmd, c, jobs)
	}
	a.printStarted(jobs)
	return nil
}

func (a *app) printStarted(jobs []client.Job) {
	switch f := a.format("table"); {
	case a.quiet:
		for _, j := range jobs {
			fmt.Fprintln(a.stdout, j.ID)
		}
	case f == "json" || f == "yaml":
		if len(jobs) == 1 {
			_ = a.emit(f, jobs[0])
		} else {
			_ = a.emit(f, jobs)
		}
	default:
		t := newTable("ID", "KIND", "VM", "STATE")
		for _, j := range jobs {
			t.row(j.ID, string(j.Kind), vmText(j.VM, j.Source), string(j.State))
		}
		_ = t.flush(a.stdout)
		fmt.Fprintf(a.stderr, "follow it: hvport job watch %s\n", jobs[0].ID)
	}
}

// waitAndReport follows the jobs and prints how each ended: its result,
// or its problem on stderr. Exit 1 when one failed or was cancelled or a
// verify found damage.
func (a *app) waitAndReport(cmd *cobra.Command, c *client.Client, jobs []client.Job) error {
	finals, err := a.follow(ctxOf(cmd), c, jobs)
	if err != nil {
		return err
	}
	f := a.format("table")
	if !a.quiet && (f == "json" || f == "yaml") {
		if len(finals) == 1 {
			err = a.emit(f, finals[0])
		} else {
			err = a.emit(f, finals)
		}
		if err != nil {
			return err
		}
	}
	bad := false
	for _, j := range finals {
		if p := client.JobProblem(j); p != nil || j.State != client.JobCompleted {
			bad = true
			if p == nil {
				p = &client.Problem{Title: string(j.State)}
			}
			writeProblem(a.stderr, jobLabel(j)+" "+string(j.State)+": ", p)
			continue
		}
		if damaged(j) {
			bad = true
		}
		if !a.quiet && f == "table" {
			fmt.Fprintln(a.stdout, resultText(j))
		}
		if damaged(j) && (a.quiet || f != "table") {
			fmt.Fprintf(a.stderr, "hvport: %s: the export does not match its manifest\n", jobLabel(j))
		}
	}
	if bad {
		return silent(exitJob)
	}
	return nil
}

func damaged(j client.Job) bool {
	if j.Kind != client.KindVerify || j.Result == nil {
		return false
	}
	v, err := j.Result.AsVerifyResult()
	return err == nil && !v.Valid
}

// vmText names a job's VMs in a cell: its VM, or for an import the
// exported VM and, once the import created it, the new one
// ("web-01 → web-01-copy").
func vmText(vm, source *client.VMRef) string {
	switch {
	case source == nil && vm == nil:
		return "-"
	case source == nil:
		return vm.Name
	case vm == nil || vm.Name == source.Name:
		return source.Name
	}
	return source.Name + " → " + vm.Name
}

// subjectName is the VM a job was started for: an import's source, any
// other job's VM.
func subjectName(vm, source *client.VMRef) string {
	if source != nil {
		return source.Name
	}
	if vm != nil {
		return vm.Name
	}
	return "-"
}

func vmRefText(vm *client.VMRef) string {
	if vm == nil {
		return "-"
	}
	return vm.Name + " (" + vm.ID + ")"
}

// resultText is a completed job's result in a line or a few.
func resultText(j client.Job) string {
	if j.Result == nil {
		return fmt.Sprintf("%s: %s", jobLabel(j), j.State)
	}
	switch j.Kind {
	case client.KindExport:
		r, err := j.Result.AsExportResult()
		if err == nil {
			return fmt.Sprintf("exported %s to %s: %d files, %s (export %s)", subjectName(j.VM, j.Source), r.Directory, r.FileCount, bytesText(r.TotalBytes), r.ExportID)
		}
	case client.KindImport:
		r, err := j.Result.AsImportResult()
		if err == nil {
			return fmt.Sprintf("imported %s (%s) by %s: %d files, %s copied", r.VM.Name, r.VM.ID, r.Mode, r.CopiedFiles, bytesText(r.CopiedBytes))
		}
	case client.KindVerify:
		r, err := j.Result.AsVerifyResult()
		if err == nil {
			if r.Valid {
				return fmt.Sprintf("export %s is intact: %d files, %s re-hashed", r.ExportID, r.Checked, bytesText(r.Bytes))
			}
			var b strings.Builder
			fmt.Fprintf(&b, "export %s is DAMAGED: %d problems", r.ExportID, len(r.Problems))
			for _, p := range r.Problems {
				fmt.Fprintf(&b, "\n  %s: %s", p.Reason, p.Path)
			}
			return b.String()
		}
	}
	return fmt.Sprintf("%s: %s", jobLabel(j), j.State)
}
