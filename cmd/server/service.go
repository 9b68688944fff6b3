package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// defaultServiceName is the Windows service's name unless --name says
// otherwise; it is also the event log source.
const defaultServiceName = "hvport"

// serviceSpec is what a service command was asked for.
type serviceSpec struct {
	Name string
	// Args are the server flags the service runs with (install only), in
	// --flag=value form with --config and --data-dir made absolute.
	Args []string
	// Config is what those flags load, checked now so that a bad
	// configuration fails the install rather than the service's start.
	Config Config
}

// parseServiceCommand parses the arguments of install, uninstall, start and
// stop: --name for all of them, and the server's flags for install.
func parseServiceCommand(cmd command, args []string, stderr io.Writer) (serviceSpec, error) {
	spec := serviceSpec{Name: defaultServiceName}
	if cmd != cmdInstall {
		fs := flag.NewFlagSet(string(cmd), flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.StringVar(&spec.Name, "name", spec.Name, "the Windows service's name")
		if err := fs.Parse(args); err != nil {
			return spec, err
		}
		if fs.NArg() > 0 {
			return spec, fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		return spec, checkServiceName(spec.Name)
	}

	// First pass: find the flags that were given and make the paths among
	// them absolute (a service starts in C:\Windows\System32).
	var given *flag.FlagSet
	if _, err := parseConfig(string(cmd), args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Name, "name", spec.Name, "the Windows service's name")
		given = fs
	}); err != nil {
		return spec, err
	}
	var visitErr error
	given.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		switch f.Name {
		case "name":
			return
		case "config", "data-dir", "tls-cert", "tls-key", "tls-client-ca":
			abs, err := filepath.Abs(v)
			if err != nil && visitErr == nil {
				visitErr = fmt.Errorf("--%s %s: %w", f.Name, v, err)
			}
			v = abs
		}
		spec.Args = append(spec.Args, "--"+f.Name+"="+v)
	})
	if visitErr != nil {
		return spec, visitErr
	}
	if err := checkServiceName(spec.Name); err != nil {
		return spec, err
	}
	// Second pass: the configuration the service will load.
	cfg, err := loadConfig(spec.Args, stderr)
	if err != nil {
		return spec, err
	}
	spec.Config = cfg
	paths := []string{cfg.DataDir, cfg.LogFile, cfg.AuditLog, cfg.TLS.Cert, cfg.TLS.Key, cfg.TLS.ClientCA}
	paths = append(append(paths, cfg.ExportRoots...), cfg.ImportRoots...)
	for _, p := range paths {
		if p != "" && !isAbs(p) {
			return spec, fmt.Errorf("path %q in the configuration is relative; a service runs in C:\\Windows\\System32, so use absolute paths", p)
		}
	}
	// An insecure configuration fails the install, not the service's start.
	return spec, checkSecurity(cfg, os.Getenv)
}

// isAbs reports whether p is absolute either as a Windows path (C:\x,
// \\server\share) or on this system, so that the check means the same
// when the install arguments are tested elsewhere.
func isAbs(p string) bool {
	if filepath.IsAbs(p) {
		return true
	}
	if len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		return true
	}
	return len(p) >= 2 && (p[:2] == `\\` || p[:2] == "//")
}

// checkServiceName refuses names the service control manager would refuse
// or that would break the event log source.
func checkServiceName(name string) error {
	if name == "" || len(name) > 256 {
		return fmt.Errorf("service name %q: want 1 to 256 characters", name)
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r < ' ' {
			return fmt.Errorf("service name %q: no slashes or control characters", name)
		}
	}
	return nil
}

// stopBudget is how long the service may take to stop: the server's
// graceful shutdown (HTTP, then the job registry, which detaches running
// Hyper-V jobs rather than cancelling them) plus a margin for closing the
// WMI connection. install sets it as the preshutdown timeout, so Windows
// waits that long for the service when the host shuts down.
func stopBudget(cfg Config) time.Duration {
	return cfg.ShutdownTimeout + 15*time.Second
}
