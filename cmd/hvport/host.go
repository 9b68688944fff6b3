package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

func (a *app) hostCommand() *cobra.Command {
	add := &cobra.Command{
		Use:   "add NAME URL [--token-file F | --token T] [--fingerprint sha256:…] [--ca-file F]",
		Short: "Save a host (replacing one of the same name); the first becomes the current host",
		Long: `Save a host in the configuration file ($XDG_CONFIG_HOME/hvport/config.yaml,
else ~/.config/hvport/config.yaml), readable by you only.

The token stays in its file: the configuration keeps the token file's path
(--token-file). Only a token given with --token is stored in the file itself.`,
		Example: `  hvport host add lab https://hyperv-01:8443 --token-file ~/hvport/lab.token --fingerprint sha256:AB:CD:…
  hvport host add local http://127.0.0.1:8080 --token-file hvport-data/admin.token`,
		Args: cobra.ExactArgs(2),
		RunE: a.hostAdd,
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the saved hosts (* marks the current one)",
		Args:  cobra.NoArgs,
		RunE:  a.hostList,
	}
	use := &cobra.Command{
		Use:               "use NAME",
		Short:             "Make a saved host the current one",
		Args:              cobra.ExactArgs(1),
		RunE:              a.hostUse,
		ValidArgsFunction: a.completeHostArg,
	}
	remove := &cobra.Command{
		Use:               "remove NAME",
		Short:             "Forget a saved host",
		Args:              cobra.ExactArgs(1),
		RunE:              a.hostRemove,
		ValidArgsFunction: a.completeHostArg,
	}
	return a.group("host", "Manage the saved hosts (contexts)", add, list, use, remove)
}

func (a *app) hostAdd(cmd *cobra.Command, args []string) error {
	name, rawURL := args[0], args[1]
	if name == "" || strings.ContainsAny(name, " \t\n/\\") {
		return usageErrorf("host name %q: want a name without spaces or slashes", name)
	}
	if _, err := client.New(rawURL); err != nil {
		return usageErrorf("%s", strings.TrimPrefix(err.Error(), "hvport client: "))
	}
	h := hostEntry{Name: name, URL: strings.TrimRight(rawURL, "/")}
	if a.token != "" && a.tokenFile != "" {
		return usageErrorf("--token and --token-file both given")
	}
	if a.tokenFile != "" {
		abs, err := existingFile(a.tokenFile, "--token-file")
		if err != nil {
			return err
		}
		h.TokenFile = abs
	}
	if a.token != "" {
		h.Token = strings.TrimSpace(a.token)
	}
	if a.caFile != "" {
		abs, err := existingFile(a.caFile, "--ca-file")
		if err != nil {
			return err
		}
		h.CAFile = abs
	}
	if a.fingerprint != "" {
		fp, err := client.ParseFingerprint(a.fingerprint)
		if err != nil {
			return usageErrorf("--fingerprint: %s", strings.TrimPrefix(err.Error(), "hvport client: "))
		}
		h.Fingerprint = "sha256:" + client.FormatFingerprint(fp)
	}
	cfg, path, err := a.loadConfig()
	if err != nil {
		return err
	}
	replaced := false
	for i := range cfg.Hosts {
		if cfg.Hosts[i].Name == name {
			cfg.Hosts[i], replaced = h, true
		}
	}
	if !replaced {
		cfg.Hosts = append(cfg.Hosts, h)
	}
	if cfg.Current == "" {
		cfg.Current = name
	}
	if err := saveConfig(path, cfg); err != nil {
		return usageErrorf("saving the configuration: %v", err)
	}
	if !a.quiet {
		verb := "added"
		if replaced {
			verb = "updated"
		}
		fmt.Fprintf(a.stdout, "%s host %s (%s) in %s", verb, name, h.URL, path)
		if cfg.Current == name {
			fmt.Fprint(a.stdout, "; it is the current host")
		}
		fmt.Fprintln(a.stdout)
		if h.Token != "" {
			fmt.Fprintln(a.stderr, "hvport: the token is stored in clear in the configuration file (mode 0600); --token-file keeps only its path there")
		}
		if h.Token == "" && h.TokenFile == "" {
			fmt.Fprintln(a.stderr, "hvport: no token saved for this host (--token-file F); requests will need --token or HVPORT_TOKEN")
		}
	}
	return nil
}

func existingFile(p, flag string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", usageErrorf("%s %s: %v", flag, p, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", usageErrorf("%s: %v", flag, err)
	}
	if st.IsDir() {
		return "", usageErrorf("%s %s is a directory", flag, p)
	}
	return abs, nil
}

// hostView is a saved host as listed (never the token itself).
type hostView struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Current     bool   `json:"current"`
	TokenFile   string `json:"tokenFile,omitempty"`
	TokenStored bool   `json:"tokenStored"`
	Fingerprint string `json:"fingerprint,omitempty"`
	CAFile      string `json:"caFile,omitempty"`
}

func (a *app) hostList(cmd *cobra.Command, args []string) error {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return err
	}
	views := make([]hostView, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		views[i] = hostView{Name: h.Name, URL: h.URL, Current: h.Name == cfg.Current, TokenFile: h.TokenFile,
			TokenStored: h.Token != "", Fingerprint: h.Fingerprint, CAFile: h.CAFile}
	}
	switch f := a.format("table"); f {
	case "json", "yaml":
		return a.emit(f, views)
	}
	if a.quiet {
		for _, v := range views {
			fmt.Fprintln(a.stdout, v.Name)
		}
		return nil
	}
	if len(views) == 0 {
		fmt.Fprintf(a.stderr, "no hosts in %s; without one hvport uses %s and ./hvport-data/admin.token (hvport host add NAME URL --token-file F)\n", path, defaultURL)
		return nil
	}
	t := newTable("", "NAME", "URL", "TOKEN", "TLS")
	for i, v := range views {
		mark := ""
		if v.Current {
			mark = "*"
		}
		t.row(mark, v.Name, v.URL, describeAuth(cfg.Hosts[i]), describeTLS(cfg.Hosts[i]))
	}
	return t.flush(a.stdout)
}

func (a *app) hostUse(cmd *cobra.Command, args []string) error {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return err
	}
	if _, ok := cfg.find(args[0]); !ok {
		return notFoundErrorf("no host %q in %s (hvport host list)", args[0], path)
	}
	cfg.Current = args[0]
	if err := saveConfig(path, cfg); err != nil {
		return usageErrorf("saving the configuration: %v", err)
	}
	if !a.quiet {
		fmt.Fprintf(a.stdout, "current host: %s\n", args[0])
	}
	return nil
}

func (a *app) hostRemove(cmd *cobra.Command, args []string) error {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return err
	}
	if _, ok := cfg.find(args[0]); !ok {
		return notFoundErrorf("no host %q in %s (hvport host list)", args[0], path)
	}
	kept := cfg.Hosts[:0]
	for _, h := range cfg.Hosts {
		if h.Name != args[0] {
			kept = append(kept, h)
		}
	}
	cfg.Hosts = kept
	if cfg.Current == args[0] {
		cfg.Current = ""
	}
	if err := saveConfig(path, cfg); err != nil {
		return usageErrorf("saving the configuration: %v", err)
	}
	if !a.quiet {
		fmt.Fprintf(a.stdout, "removed host %s\n", args[0])
	}
	return nil
}
