package main

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// importSource reads DIR|EXPORT-ID: an export id (a GUID), else a
// directory on the server's host.
func importSource(conn connection, arg string) client.ImportSource {
	if uuidRE.MatchString(arg) {
		return client.ImportSource{ExportID: &arg}
	}
	d := hostPath(conn, arg)
	return client.ImportSource{Directory: &d}
}

func (a *app) importCommand() *cobra.Command {
	var o startOpts
	var applyFixes bool
	cmd := &cobra.Command{
		Use:   "import DIR|EXPORT-ID [--settings FILE] [--set key=value …] [--apply-fixes] [--wait]",
		Short: "Import an export (or print the import settings: import settings DIR|EXPORT-ID)",
		Long: `Start an import of the export in DIR (a directory on the server's host) or
with the export id EXPORT-ID. Omitted settings take Hyper-V's defaults
(hvport import settings shows them, with what Hyper-V would object to and a
fix for each). --apply-fixes applies every fix first; --settings and --set
come after the fixes and win over them.

The three modes of Import-VM: register in place (createCopy=false), restore
(createCopy=true) and copy (createCopy=true, generateNewId=true).`,
		Example: `  hvport import settings /srv/exports/web-01
  hvport import /srv/exports/web-01 --apply-fixes --set name=web-01-copy --wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.settingsFile != "" {
				if _, err := readSettingsFile(o.settingsFile); err != nil {
					return err
				}
			}
			c, conn, err := a.client()
			if err != nil {
				return err
			}
			ctx := ctxOf(cmd)
			src := importSource(conn, args[0])
			var base map[string]any
			if applyFixes {
				rep, err := c.ImportSettings(ctx, src)
				if err != nil {
					return err
				}
				base = map[string]any{}
				defaults := map[string]any{}
				if b, err := json.Marshal(rep.Settings); err == nil {
					_ = json.Unmarshal(b, &defaults)
				}
				for _, inc := range rep.Incompatibilities {
					if inc.Fix == nil {
						fmt.Fprintf(a.stderr, "hvport: no fix for: %s (%s)\n", inc.Message, inc.Source)
						continue
					}
					mergeFix(base, inc.Fix.Settings, defaults)
					if !a.quiet {
						fmt.Fprintf(a.stderr, "applying fix: %s (%s)\n", inc.Fix.Description, setArgs(inc.Fix.Settings))
					}
				}
			}
			patch, err := buildPatch[client.ImportSettingsPatch](base, o.settingsFile, o.sets)
			if err != nil {
				return err
			}
			j, err := c.StartImport(ctx, client.ImportRequest{Directory: src.Directory, ExportID: src.ExportID, Settings: patch})
			if err != nil {
				return err
			}
			return a.afterStart(cmd, c, []client.Job{j}, o.wait)
		},
		ValidArgsFunction: a.completeExports,
	}
	o.flags(cmd, "import")
	cmd.Flags().BoolVar(&applyFixes, "apply-fixes", false, "apply the fix of every incompatibility Hyper-V reports")
	settings := &cobra.Command{
		Use:   "settings DIR|EXPORT-ID",
		Short: "Print the import settings Hyper-V would use, with the incompatibilities and their fixes",
		Long: `Print the import settings Hyper-V would use for the export in DIR (or with the
export id EXPORT-ID), with what Hyper-V would object to and the fix for each:
a table by default, or -o json (save it, edit its settings, and pass it to
hvport import --settings FILE) or -o yaml.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeExports,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, conn, err := a.client()
			if err != nil {
				return err
			}
			rep, err := c.ImportSettings(ctxOf(cmd), importSource(conn, args[0]))
			if err != nil {
				return err
			}
			if f := a.format("table"); f != "table" {
				return a.emit(f, rep)
			}
			return a.printImportReport(rep)
		},
	}
	cmd.AddCommand(settings)
	return cmd
}

func (a *app) printImportReport(rep client.ImportReport) error {
	w := a.stdout
	kv(w, [2]string{"VM", rep.VM.Name + " (" + rep.VM.ID + ")"}, [2]string{"Directory", rep.Directory},
		[2]string{"Configuration version", rep.ConfigurationVersion}, [2]string{"Hyper-V API", string(rep.APIVersion)})
	fmt.Fprintln(w)
	rows, err := flatten(rep.Settings)
	if err != nil {
		return err
	}
	t := newTable("SETTING", "VALUE")
	for _, r := range rows {
		t.row(r[0], r[1])
	}
	if err := t.flush(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(rep.Incompatibilities) == 0 {
		fmt.Fprintln(w, "No incompatibilities: the import can run with these settings.")
		return nil
	}
	fmt.Fprintf(w, "Incompatibilities (%d):\n", len(rep.Incompatibilities))
	for i, inc := range rep.Incompatibilities {
		fmt.Fprintf(w, "  %d. %s\n     source: %s, Hyper-V message %s\n", i+1, inc.Message, orDash(inc.Source), orDash(inc.MessageID))
		if inc.Fix == nil {
			fmt.Fprintln(w, "     fix: none known")
			continue
		}
		fmt.Fprintf(w, "     fix: %s\n          %s\n", inc.Fix.Description, setArgs(inc.Fix.Settings))
	}
	fmt.Fprintln(w, "\nhvport import … --apply-fixes applies every fix.")
	return nil
}
