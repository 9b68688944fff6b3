package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

func (a *app) exportsCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the complete exports under the export roots, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			xs, err := c.ListExports(ctxOf(cmd))
			if err != nil {
				return err
			}
			switch f := a.format("table"); f {
			case "json", "yaml":
				if xs == nil {
					xs = []client.Export{}
				}
				return a.emit(f, xs)
			}
			if a.quiet {
				for _, x := range xs {
					fmt.Fprintln(a.stdout, x.ID)
				}
				return nil
			}
			t := newTable("ID", "VM", "DIRECTORY", "FILES", "SIZE", "FINISHED")
			for _, x := range xs {
				t.row(x.ID, x.VM.Name, x.Directory, strconv.FormatInt(x.FileCount, 10), bytesText(x.TotalBytes), ago(x.FinishedAt)+" ago")
			}
			return t.flush(a.stdout)
		},
	}
	show := &cobra.Command{
		Use:               "show ID",
		Short:             "Show one export with its manifest's files",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeExports,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			x, err := c.GetExport(ctxOf(cmd), args[0])
			if err != nil {
				return err
			}
			switch f := a.format("table"); f {
			case "json", "yaml":
				return a.emit(f, x)
			}
			if a.quiet {
				fmt.Fprintln(a.stdout, x.Directory)
				return nil
			}
			kv(a.stdout, [2]string{"ID", x.ID}, [2]string{"VM", x.VM.Name + " (" + x.VM.ID + ")"},
				[2]string{"Host", x.Host}, [2]string{"Directory", x.Directory},
				[2]string{"Snapshots", string(x.Settings.CopySnapshotConfiguration)},
				[2]string{"Files", fmt.Sprintf("%d, %s", x.FileCount, bytesText(x.TotalBytes))},
				[2]string{"Started", timeText(&x.StartedAt)}, [2]string{"Finished", timeText(&x.FinishedAt)})
			fmt.Fprintln(a.stdout)
			t := newTable("FILE", "SIZE", "SHA-256")
			for _, f := range x.Files {
				t.row(f.Path, bytesText(f.Size), f.Sha256)
			}
			return t.flush(a.stdout)
		},
	}
	var wait bool
	verify := &cobra.Command{
		Use:   "verify ID [--wait]",
		Short: "Re-hash an export against its manifest (a job); with --wait exit 1 if it is damaged",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			j, err := c.VerifyExport(ctxOf(cmd), args[0])
			if err != nil {
				return err
			}
			return a.afterStart(cmd, c, []client.Job{j}, wait)
		},
		ValidArgsFunction: a.completeExports,
	}
	verify.Flags().BoolVarP(&wait, "wait", "w", false, "wait for the verification, showing its progress")
	del := &cobra.Command{
		Use:               "delete ID",
		Short:             "Delete an export: its directory and files (admin)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeExports,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.client()
			if err != nil {
				return err
			}
			x, err := c.DeleteExport(ctxOf(cmd), args[0])
			if err != nil {
				return err
			}
			switch f := a.format("table"); {
			case a.quiet:
			case f == "json" || f == "yaml":
				return a.emit(f, x)
			default:
				fmt.Fprintf(a.stdout, "deleted export %s of %s (%s)\n", x.ID, x.VM.Name, x.Directory)
			}
			return nil
		},
	}
	return a.group("exports", "List, show, verify, download and delete exports", list, show, verify, a.exportsDownloadCommand(), del)
}
