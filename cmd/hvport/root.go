package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vbauerster/cupwriter"
)

// app is one run of hvport: its streams, environment and global flags.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	stderrTTY      bool // progress bars instead of lines

	// Global flags.
	url, token, tokenFile, caFile, fingerprint, host string
	output                                           string
	quiet, noProgress                                bool

	usageHint string // printed after a usage error
}

func newApp(stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdout: stdout, stderr: stderr, getenv: getenv,
		stderrTTY: isTerminal(stderr)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && cupwriter.New(f, false).IsTerminal()
}

const rootLong = `hvport exports and imports Hyper-V VMs through an hvport server.

Connection: --url, --token or --token-file, --ca-file, --fingerprint; the
environment HVPORT_URL, HVPORT_TOKEN, HVPORT_TOKEN_FILE, HVPORT_HOST; hosts
saved with "hvport host add" (--host NAME picks one). With none of these, on
the server's own machine, hvport uses http://127.0.0.1:8080 and the token in
./hvport-data/admin.token.

Exit codes: 0 success; 1 a job failed or was cancelled, or a verify found
damage; 2 usage; 3 not found; 4 refused (401, 403, 409, 422); 5 server or
network error.`

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "hvport",
		Short:         "Export and import Hyper-V VMs through an hvport server",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          a.noArgs,
		RunE:          a.groupRun,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch a.output {
			case "", "table", "json", "yaml":
			default:
				return usageErrorf("-o %q: want table, json or yaml", a.output)
			}
			return nil
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&a.url, "url", "", "server URL (env HVPORT_URL; default http://127.0.0.1:8080)")
	pf.StringVar(&a.token, "token", "", "API token (env HVPORT_TOKEN)")
	pf.StringVar(&a.tokenFile, "token-file", "", "file holding the API token (env HVPORT_TOKEN_FILE)")
	pf.StringVar(&a.caFile, "ca-file", "", "PEM certificates to trust (e.g. the server's <data-dir>/tls/cert.pem)")
	pf.StringVar(&a.fingerprint, "fingerprint", "", "pin the server certificate's SHA-256 (sha256:AB:CD:…, as the server logs it)")
	pf.StringVar(&a.host, "host", "", "a host saved with \"hvport host add\" (env HVPORT_HOST; default: the current host)")
	pf.StringVarP(&a.output, "output", "o", "", "output format: table, json or yaml (default table)")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "print only what scripts need (ids), no progress")
	pf.BoolVar(&a.noProgress, "no-progress", false, "no progress bar or progress lines")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		a.usageHint = fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())
		return &exitError{code: exitUsage, err: err}
	})
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("host", a.completeHosts)

	root.AddCommand(a.hostCommand(), a.vmCommand(), a.exportCommand(), a.importCommand(), a.jobCommand(), a.exportsCommand())
	// Every command's arguments are checked by a validator that marks
	// the error as a usage error.
	walk(root, func(c *cobra.Command) {
		if c.Args != nil {
			v := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := v(cmd, args); err != nil {
					a.usageHint = fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())
					if _, ok := err.(*exitError); ok {
						return err
					}
					return &exitError{code: exitUsage, err: err}
				}
				return nil
			}
		}
	})
	return root
}

func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, s := range c.Commands() {
		walk(s, f)
	}
}

// noArgs refuses arguments of a command that groups others: an unknown
// subcommand (cobra would print the help and succeed).
func (a *app) noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// groupRun is the Run of a command that only groups others: its help.
func (a *app) groupRun(cmd *cobra.Command, args []string) error {
	return cmd.Help()
}

// group makes a command that groups subcommands.
func (a *app) group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: a.noArgs, RunE: a.groupRun}
	c.AddCommand(subs...)
	return c
}

// format is the output format: -o, else def.
func (a *app) format(def string) string {
	if a.output != "" {
		return a.output
	}
	return def
}

// env reads an environment variable, trimmed.
func (a *app) env(name string) string { return strings.TrimSpace(a.getenv(name)) }

// flagSet reports whether the flag was given on the command line.
func flagSet(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	return f != nil && f.Changed
}

// ctx of a command.
func ctxOf(cmd *cobra.Command) context.Context {
	if c := cmd.Context(); c != nil {
		return c
	}
	return context.Background()
}
