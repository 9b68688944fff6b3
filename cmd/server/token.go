package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
)

// runToken manages API tokens on the host, in the same file the server
// reads (<data-dir>/tokens.json); a running server sees the change at the
// next request:
//
//	server token create --name NAME --role ROLE [--vms GLOB,...] [--expires 720h]
//	server token list [--json]
//	server token revoke NAME
//
// Each takes --data-dir or --config like the server. create prints the
// token once, on standard output, and nothing else there.
func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, "server token: want create, list or revoke\n"+tokenUsage)
		return 2
	}
	verb, rest := args[0], args[1:]
	var err error
	switch verb {
	case "create":
		err = tokenCreate(rest, stdout, stderr)
	case "list":
		err = tokenList(rest, stdout, stderr)
	case "revoke":
		err = tokenRevoke(rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "server token: unknown command %q (want create, list or revoke)\n%s", verb, tokenUsage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "server token %s: %v\n", verb, err)
		return 1
	}
	return 0
}

const tokenUsage = `usage:
  server token create --name NAME --role reader|operator|admin [--vms GLOB,...] [--expires DURATION] [--data-dir DIR | --config FILE]
  server token list [--json] [--data-dir DIR | --config FILE]
  server token revoke NAME [--data-dir DIR | --config FILE]
`

func openTokens(cfg Config) (*auth.Store, error) {
	return auth.OpenStore(filepath.Join(cfg.DataDir, auth.StoreFile))
}

func tokenCreate(args []string, stdout, stderr io.Writer) error {
	var name, role, vms string
	var expires time.Duration
	cfg, err := parseConfig("token create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the token's name (unique)")
		fs.StringVar(&role, "role", "", "reader, operator or admin")
		fs.StringVar(&vms, "vms", "", "comma-separated VM name globs or ids the token is limited to (default: every VM)")
		fs.DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h (default: never expires)")
	})
	if err != nil {
		return err
	}
	r, ok := auth.ParseRole(role)
	if !ok {
		return fmt.Errorf("--role %q: want one of %s", role, strings.Join(auth.RoleNames(), ", "))
	}
	if expires < 0 {
		return fmt.Errorf("--expires must be positive")
	}
	var patterns []string
	for _, p := range strings.Split(vms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			patterns = append(patterns, p)
		}
	}
	store, err := openTokens(cfg)
	if err != nil {
		return err
	}
	t, secret, err := store.Create(auth.CreateRequest{Name: name, Role: r, VMs: patterns, ExpiresIn: expires, CreatedBy: "host"})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	exp := "never expires"
	if t.ExpiresAt != nil {
		exp = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "created token %q (id %s, role %s, %s); it is shown once, keep it safe\n", t.Name, t.ID, t.Role, exp)
	return nil
}

func tokenList(args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	cfg, err := parseConfig("token list", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	store, err := openTokens(cfg)
	if err != nil {
		return err
	}
	all, err := store.List()
	if err != nil {
		return err
	}
	if asJSON {
		rows := make([]api.Token, 0, len(all))
		for _, t := range all {
			rows = append(rows, api.Token{ID: t.ID, Name: t.Name, Role: string(t.Role), VMs: append([]string{}, t.VMs...),
				CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, CreatedBy: t.CreatedBy})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tID\tROLE\tVMS\tCREATED\tEXPIRES")
	for _, t := range all {
		vms, exp := "*", "never"
		if len(t.VMs) > 0 {
			vms = strings.Join(t.VMs, ",")
		}
		if t.ExpiresAt != nil {
			exp = t.ExpiresAt.Format(time.RFC3339)
			if t.Expired(time.Now()) {
				exp += " (expired)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.ID, t.Role, vms, t.CreatedAt.Format(time.RFC3339), exp)
	}
	return w.Flush()
}

func tokenRevoke(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("name the token to revoke: server token revoke NAME")
	}
	name := args[0]
	cfg, err := parseConfig("token revoke", args[1:], stderr, nil)
	if err != nil {
		return err
	}
	store, err := openTokens(cfg)
	if err != nil {
		return err
	}
	t, err := store.Revoke(name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked token %q (id %s)\n", t.Name, t.ID)
	return nil
}
