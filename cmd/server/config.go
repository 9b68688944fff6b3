package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/jobs"
)

// Config is the server's configuration. Every key can be set in a YAML
// file (--config) and, for the top-level ones, by a flag of the same name;
// flags win over the file, the file wins over the defaults.
type Config struct {
	Listen    string `yaml:"listen"`
	Backend   string `yaml:"backend"` // auto | sim | hyperv
	DataDir   string `yaml:"data-dir"`
	LogLevel  string `yaml:"log-level"`  // debug | info | warn | error
	LogFormat string `yaml:"log-format"` // console | json
	// LogFile, if set, receives the log instead of standard error (a
	// Windows service has no standard error). It is appended to, never
	// rotated.
	LogFile string `yaml:"log-file"`

	// ExportRoots are the directories exports may be written under;
	// default <data-dir>/exports.
	ExportRoots []string `yaml:"export-roots"`
	// ImportRoots are the directories imports may read sources from and
	// write copies to; default Hyper-V's default VM and VHD folders plus
	// the export roots (resolved at start-up).
	ImportRoots []string `yaml:"import-roots"`
	// AuditLog receives one record per request; default <data-dir>/audit.log.
	AuditLog string `yaml:"audit-log"`
	// InsecureNoAuth serves without tokens or client certificates: for
	// demos on loopback only (checkSecurity refuses it anywhere else).
	InsecureNoAuth bool       `yaml:"insecure-no-auth"`
	TLS            TLSConfig  `yaml:"tls"`
	Auth           AuthConfig `yaml:"auth"`

	Jobs      JobsConfig      `yaml:"jobs"`
	Exports   ExportsConfig   `yaml:"exports"`
	Transfers TransfersConfig `yaml:"transfers"`
	Sim       SimConfig       `yaml:"sim"`
	// PollInterval is how often running Hyper-V jobs are re-read.
	PollInterval time.Duration `yaml:"poll-interval"`
	// InventoryMaxAge is how long a VM listing is reused while this server
	// changes nothing on the host (hyperv.Options.InventoryMaxAge).
	InventoryMaxAge time.Duration `yaml:"inventory-max-age"`
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown-timeout"`
}

// TLSConfig says how the listener is secured (see listen.go).
type TLSConfig struct {
	// Mode: auto (plain HTTP on loopback, TLS elsewhere), on (TLS even on
	// loopback) or off (plain HTTP, refused off loopback).
	Mode string `yaml:"mode"`
	// Cert and Key are PEM files, both or neither. Neither: a self-signed
	// certificate kept in <data-dir>/tls/.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ClientCA is a PEM CA bundle; it enables mTLS: a client certificate,
	// when presented, must chain to it.
	ClientCA string `yaml:"client-ca"`
	// MinVersion is "1.2" or "1.3".
	MinVersion string `yaml:"min-version"`
}

// AuthConfig holds the identities hvport recognises besides tokens.
type AuthConfig struct {
	// ClientSubjects maps client-certificate subjects to roles (libvirt's
	// tls_allowed_dn_list): required with tls.client-ca; a certificate from
	// that CA whose subject is not listed gets 403.
	ClientSubjects []SubjectRule `yaml:"client-subjects"`
}

// SubjectRule grants a role to one client-certificate subject.
type SubjectRule struct {
	// Subject as crypto/x509/pkix.Name.String() prints it, e.g.
	// "CN=portal,O=Example".
	Subject string `yaml:"subject"`
	Role    string `yaml:"role"` // reader | operator | admin
	// VMs optionally limits the identity to these VM name globs or ids.
	VMs []string `yaml:"vms"`
}

// JobsConfig sizes the job registry.
type JobsConfig struct {
	Workers   int `yaml:"workers"`
	MaxQueued int `yaml:"max-queued"`
	Retain    int `yaml:"retain"`
	// MaxAge drops a finished job this long after it finished (and Retain
	// the oldest beyond the count), checked at start-up and every few
	// minutes; idempotency keys stay at least 24 h even so.
	MaxAge time.Duration `yaml:"max-age"`
}

// TransfersConfig tunes imports pulled from other agents (transfers/).
type TransfersConfig struct {
	// Parallel is how many files of one pull are fetched at once.
	Parallel int `yaml:"parallel"`
	// MaxConcurrent bounds the pulls running at once.
	MaxConcurrent int `yaml:"max-concurrent"`
	// BytesPerSecond bounds what all pulls receive together; 0 = unlimited.
	BytesPerSecond int64 `yaml:"bytes-per-second"`
	// Retries is how often one file is fetched again (a dropped
	// connection, a SHA-256 that differs from the manifest) before the
	// pull fails.
	Retries int `yaml:"retries"`
	// CheckpointBytes is how much of a file is received between two
	// durable checkpoints: what a restart of this server fetches again
	// at most, per file in flight.
	CheckpointBytes int64 `yaml:"checkpoint-bytes"`
}

// ExportsConfig tunes how exports are finished after a restart.
type ExportsConfig struct {
	// ForgottenJobOutput is what a restarted server does with the staging
	// directory of an export whose Hyper-V job Hyper-V no longer knows
	// (it ended more than TimeBeforeRemoval before the restart):
	// "publish" it when it passes the checks (the VM's configuration is
	// there, every VHDX is sound; the default) or "discard" it and fail
	// the job. Whether VMMS writes the configuration last is not
	// documented (UNCERTAIN), hence the choice.
	ForgottenJobOutput string `yaml:"forgotten-job-output"`
}

// SimConfig tunes the simulated Hyper-V host (backend sim).
type SimConfig struct {
	HostName string `yaml:"host-name"`
	// CopyBytesPerSecond throttles the simulator's copy engine so that
	// progress is visible in a demo; 0 = unlimited.
	CopyBytesPerSecond int64 `yaml:"copy-bytes-per-second"`
	// ExportDirectoryMustExist: see sim.Options.
	ExportDirectoryMustExist bool `yaml:"export-directory-must-exist"`
	// API is the WMI generation the simulated host answers: v2 (every
	// current host) or v1 (Windows Server 2008 R2 / 2012).
	API string `yaml:"api"`
	// SeedFile describes the simulated host to create when the data
	// directory holds none yet (configs/sim-demo.yaml is the default demo).
	SeedFile string `yaml:"seed-file"`
	// ControlsFile holds test controls (delays, jitter, faults, disk
	// quota…) to reproduce a problem (configs/sim-faults-example.yaml).
	ControlsFile string `yaml:"controls-file"`
	// InterruptedJobs is what the simulated VMMS did with the export jobs
	// of a server that stopped: resume (they ran on; the default) or
	// forgotten (they ended and were removed while it was away).
	InterruptedJobs string `yaml:"interrupted-jobs"`
}

func defaultConfig() Config {
	dataDir := "hvport-data"
	if runtime.GOOS == "windows" {
		dataDir = filepath.Join(os.Getenv("ProgramData"), "hvport")
	}
	return Config{
		Listen: "127.0.0.1:8080", Backend: "auto", DataDir: dataDir, LogLevel: "info", LogFormat: "console",
		Jobs:            JobsConfig{Workers: 2, MaxQueued: 100, Retain: 1000, MaxAge: jobs.DefaultMaxAge},
		Sim:             SimConfig{HostName: "HVSIM", CopyBytesPerSecond: 4 << 20, API: "v2", InterruptedJobs: "resume"},
		Exports:         ExportsConfig{ForgottenJobOutput: exports.ForgottenPublish},
		Transfers:       TransfersConfig{Parallel: 2, MaxConcurrent: 2, Retries: 3, CheckpointBytes: 64 << 20},
		TLS:             TLSConfig{Mode: "auto", MinVersion: "1.2"},
		PollInterval:    250 * time.Millisecond,
		InventoryMaxAge: time.Second,
		ShutdownTimeout: 20 * time.Second,
	}
}

// loadConfig parses args: defaults, then the YAML file named by --config,
// then the flags that were given.
func loadConfig(args []string, stderr io.Writer) (Config, error) {
	return parseConfig("server", args, stderr, nil)
}

// parseConfig is loadConfig for a command that has flags of its own, which
// extra defines on the flag set.
func parseConfig(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print its error and the whole flag list;
	// an unknown flag gets one message (the caller's), -h the list.
	fs.SetOutput(io.Discard)
	if extra != nil {
		extra(fs)
	}
	var (
		configFile = fs.String("config", "", "YAML configuration file (keys as in configs/hvport.yaml)")
		listen     = fs.String("listen", cfg.Listen, "address to listen on")
		backend    = fs.String("backend", cfg.Backend, "auto (Hyper-V on Windows, simulator elsewhere), sim or hyperv")
		dataDir    = fs.String("data-dir", cfg.DataDir, "data directory (the simulated host lives here)")
		logLevel   = fs.String("log-level", cfg.LogLevel, "debug, info, warn or error")
		tlsCert    = fs.String("tls-cert", "", "PEM certificate to serve TLS with (with --tls-key)")
		tlsKey     = fs.String("tls-key", "", "PEM private key of --tls-cert")
		clientCA   = fs.String("tls-client-ca", "", "PEM CA bundle: verify client certificates (mTLS)")
		noAuth     = fs.Bool("insecure-no-auth", false, "serve without authentication (loopback demos only)")
		xferRate   = fs.Int64("transfer-bytes-per-second", cfg.Transfers.BytesPerSecond, "bound on what pulls from other agents receive together; 0 = unlimited")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if name == "server" { // the server's own --help: every command
				fmt.Fprint(stderr, usage)
				return cfg, err
			}
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "usage of %s:\n", name)
			fs.PrintDefaults()
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *configFile != "" {
		if err := readConfigFile(*configFile, &cfg); err != nil {
			return cfg, err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			cfg.Listen = *listen
		case "backend":
			cfg.Backend = *backend
		case "data-dir":
			cfg.DataDir = *dataDir
		case "log-level":
			cfg.LogLevel = *logLevel
		case "tls-cert":
			cfg.TLS.Cert = *tlsCert
		case "tls-key":
			cfg.TLS.Key = *tlsKey
		case "tls-client-ca":
			cfg.TLS.ClientCA = *clientCA
		case "insecure-no-auth":
			cfg.InsecureNoAuth = *noAuth
		case "transfer-bytes-per-second":
			cfg.Transfers.BytesPerSecond = *xferRate
		}
	})
	return cfg, cfg.validate()
}

func readConfigFile(path string, cfg *Config) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true) // a misspelled key is an error, not a silent default
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

func (c Config) validate() error {
	var bad []string
	switch c.Backend {
	case "auto", "sim", "hyperv":
	default:
		bad = append(bad, fmt.Sprintf("backend %q: want auto, sim or hyperv", c.Backend))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad = append(bad, fmt.Sprintf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "console", "json":
	default:
		bad = append(bad, fmt.Sprintf("log-format %q: want console or json", c.LogFormat))
	}
	switch c.Sim.API {
	case "v1", "v2":
	default:
		bad = append(bad, fmt.Sprintf("sim.api %q: want v2 or v1", c.Sim.API))
	}
	switch c.Sim.InterruptedJobs {
	case "", "resume", "forgotten":
	default:
		bad = append(bad, fmt.Sprintf("sim.interrupted-jobs %q: want resume or forgotten", c.Sim.InterruptedJobs))
	}
	if c.Transfers.Parallel < 1 || c.Transfers.Parallel > 16 {
		bad = append(bad, fmt.Sprintf("transfers.parallel %d: want 1 to 16", c.Transfers.Parallel))
	}
	if c.Transfers.MaxConcurrent < 1 {
		bad = append(bad, fmt.Sprintf("transfers.max-concurrent %d: want at least 1", c.Transfers.MaxConcurrent))
	}
	if c.InventoryMaxAge < 0 || c.InventoryMaxAge > time.Minute {
		bad = append(bad, fmt.Sprintf("inventory-max-age %s: want 0s (ask Hyper-V every time) to 1m", c.InventoryMaxAge))
	}
	if c.Transfers.BytesPerSecond < 0 {
		bad = append(bad, "transfers.bytes-per-second must not be negative")
	}
	if c.Transfers.CheckpointBytes < 1<<20 {
		bad = append(bad, fmt.Sprintf("transfers.checkpoint-bytes %d: want at least 1048576 (1 MiB)", c.Transfers.CheckpointBytes))
	}
	if c.Transfers.Retries < 1 || c.Transfers.Retries > 100 {
		bad = append(bad, fmt.Sprintf("transfers.retries %d: want 1 to 100", c.Transfers.Retries))
	}
	switch c.Exports.ForgottenJobOutput {
	case "", exports.ForgottenPublish, exports.ForgottenDiscard:
	default:
		bad = append(bad, fmt.Sprintf("exports.forgotten-job-output %q: want %s or %s", c.Exports.ForgottenJobOutput, exports.ForgottenPublish, exports.ForgottenDiscard))
	}
	if c.DataDir == "" {
		bad = append(bad, "data-dir must not be empty")
	}
	for _, r := range c.ExportRoots {
		if !filepath.IsAbs(r) {
			bad = append(bad, fmt.Sprintf("export-roots: %q is not an absolute path", r))
		}
	}
	for _, r := range c.ImportRoots {
		if !filepath.IsAbs(r) {
			bad = append(bad, fmt.Sprintf("import-roots: %q is not an absolute path", r))
		}
	}
	if c.Jobs.Workers < 1 {
		bad = append(bad, "jobs.workers must be at least 1")
	}
	if c.Jobs.MaxAge <= 0 {
		bad = append(bad, fmt.Sprintf("jobs.max-age %s: want a positive duration such as 720h", c.Jobs.MaxAge))
	}
	if len(bad) > 0 {
		return errors.New("config: " + strings.Join(bad, "; "))
	}
	return nil
}

// usageError is a command line the flags cannot parse: exit code 2, as for
// an unknown command.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }
