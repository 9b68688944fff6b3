package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

type startOpts struct {
	settingsFile string
	sets         []string
	wait         bool
}

func (o *startOpts) flags(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&o.settingsFile, "settings", "", "a JSON or YAML file of "+what+" settings (e.g. edited from \"hvport "+what+" settings\")")
	cmd.Flags().StringArrayVar(&o.sets, "set", nil, "set one setting: key=value (repeatable; applied after --settings)")
	cmd.Flags().BoolVarP(&o.wait, "wait", "w", false, "wait for the job, showing its progress; exit 1 if it fails or is cancelled")
}

func (a *app) exportCommand() *cobra.Command {
	var o startOpts
	var to string
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "export VM... --to DIR [--settings FILE] [--set key=value …] [--overwrite] [--wait]",
		Short: "Export VMs (or print the default export settings: export settings VM)",
		Long: `Start an export of the VM into DIR, a directory on the server's host under an
export root. Omitted settings take Hyper-V's defaults (hvport export settings VM).
With several VMs each goes into DIR/<VM name>. On the server's own machine
(a loopback URL) a relative DIR is taken from the current directory.

Without --wait the job is printed and the command returns; hvport job watch ID
follows it later.`,
		Example: `  hvport export settings web-01 > web-01.json   # edit it, then
  hvport export web-01 --to /srv/exports/web-01 --settings web-01.json --wait
  hvport export web-01 --to D:\exports\web-01 --set copySnapshotConfiguration=exportNoSnapshots --wait`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeVMs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usageErrorf("--to DIR is required: the export's directory on the server's host")
			}
			patch, err := buildPatch[client.ExportSettingsPatch](nil, o.settingsFile, o.sets)
			if err != nil {
				return err
			}
			c, conn, err := a.client()
			if err != nil {
				return err
			}
			ctx := ctxOf(cmd)
			dir := hostPath(conn, to)
			var jobs []client.Job
			for _, vm := range args {
				req := client.ExportRequest{Directory: dir, Settings: patch}
				if len(args) > 1 {
					req.Directory = joinHostPath(conn, dir, vm)
				}
				if overwrite {
					req.Overwrite = &overwrite
				}
				j, err := c.StartExport(ctx, vm, req)
				if err != nil {
					if len(jobs) > 0 {
						a.printStarted(jobs)
					}
					return err
				}
				jobs = append(jobs, j)
			}
			return a.afterStart(cmd, c, jobs, o.wait)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the export's directory on the server's host (required)")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace an export already at DIR (admin)")
	o.flags(cmd, "export")
	settings := &cobra.Command{
		Use:   "settings VM",
		Short: "Print the export settings Hyper-V would use for the VM (JSON; edit them for --settings)",
		Long: `Print the export settings Hyper-V would use for the VM, as JSON by default
(-o yaml or -o table too). Save them to a file, edit it, and pass it to
hvport export VM --to DIR --settings FILE; null means the host's default.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeVMs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			s, err := c.ExportSettings(ctxOf(cmd), args[0])
			if err != nil {
				return err
			}
			if f := a.format("json"); f != "table" {
				return a.emit(f, s)
			}
			rows, err := flatten(s)
			if err != nil {
				return err
			}
			t := newTable("SETTING", "VALUE")
			for _, r := range rows {
				t.row(r[0], r[1])
			}
			return t.flush(a.stdout)
		},
	}
	cmd.AddCommand(settings)
	return cmd
}

// joinHostPath joins a directory on the server's host and a name, with
// the host's separator (a backslash for a Windows path).
func joinHostPath(conn connection, dir, name string) string {
	if isLoopbackURL(conn.URL) {
		return filepath.Join(dir, name)
	}
	sep := "/"
	if strings.Contains(dir, `\`) && !strings.Contains(dir, "/") {
		sep = `\`
	}
	return strings.TrimRight(dir, sep) + sep + name
}

var _ = fmt.Sprint
