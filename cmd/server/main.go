// Command server is hvport: a REST service that exports and imports
// Hyper-V virtual machines. On Windows it talks to the host's Hyper-V
// through WMI; elsewhere (or with --backend sim) it runs on a simulated
// Hyper-V host whose VMs are real files in the data directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/internal/dirlock"
	"github.com/hvport/hvport/internal/gctune"
	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/metrics"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/transfers"
)

func main() {
	// A process's policy, for the server, the service and the commands
	// alike (internal/gctune).
	gctune.Start(0)
	if isWindowsService() {
		// Started by the service control manager: os.Args are the flags
		// given to install.
		os.Exit(runService(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// cli runs the command args name and returns the process's exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, rest, err := parseCommand(args)
	if err != nil {
		fmt.Fprintln(stderr, "server:", err, "(server help lists the commands and flags)")
		return 2
	}
	switch cmd {
	case cmdHelp:
		fmt.Fprint(stdout, usage)
		return 0
	case cmdDiagnose:
		return runDiagnose(ctx, rest, stdout, stderr)
	case cmdToken:
		return runToken(rest, stdout, stderr)
	case cmdInstall, cmdUninstall, cmdStart, cmdStop:
		if err := serviceCommand(ctx, cmd, rest, stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "server %s: %v\n", cmd, err)
			return 1
		}
		return 0
	}
	if err := run(ctx, rest, stderr, serverReady); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "server:", err, "(server help lists the commands and flags)")
			return 2
		}
		fmt.Fprintln(stderr, "server:", err)
		return 1
	}
	return 0
}

// serverReady, when not nil, receives the server's base URL once the
// default command listens (tests wait on it instead of sleeping).
var serverReady chan<- string

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. ready, if not nil, receives the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	return runWith(ctx, args, stderr, ready, nil)
}

// runWith is run with a second log destination (the Windows event log, for
// the service) besides the configured one.
func runWith(ctx context.Context, args []string, stderr io.Writer, ready chan<- string, tee zapcore.Core) error {
	cfg, err := loadConfig(args, stderr)
	if err != nil {
		return err
	}
	// Insecure configurations are refused before anything starts
	// (security-anchors T1).
	if err := checkSecurity(cfg, os.Getenv); err != nil {
		return err
	}
	log, closeLog, err := openLogger(cfg, stderr, tee)
	if err != nil {
		return err
	}
	defer closeLog()
	// One server per data directory, before anything in it is touched.
	lock, err := dirlock.Acquire(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	// Metrics (GET /metrics): the rooms are measured through their hooks.
	m := metrics.New()
	sec, err := openSecurity(cfg, log, m)
	if err != nil {
		return err
	}
	defer sec.Audit.Close()

	be, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer be.close()
	drv, err := hyperv.New(m.WMI(be.svc), hyperv.Options{PollInterval: cfg.PollInterval, InventoryMaxAge: cfg.InventoryMaxAge, Logger: log.Named("hyperv")})
	if err != nil {
		return err
	}
	roots := cfg.ExportRoots
	if len(roots) == 0 {
		dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "exports"))
		if err != nil {
			return err
		}
		roots = []string{dir}
	}
	store, err := exports.NewStore(exports.StoreOptions{Roots: roots, Logger: log.Named("exports")})
	if err != nil {
		return err
	}
	expSvc := &exports.Service{Driver: drv, Store: store, Log: log.Named("exports"), Host: drv.Host(),
		ForgottenJobOutput: cfg.Exports.ForgottenJobOutput}
	impRoots, err := openImportRoots(ctx, cfg, drv, store.Roots())
	if err != nil {
		return err
	}
	impSvc := &imports.Service{Driver: drv, Exports: store, Roots: impRoots, Log: log.Named("imports"),
		Puller: transfers.NewPuller(transfers.Options{Parallel: cfg.Transfers.Parallel, MaxConcurrent: cfg.Transfers.MaxConcurrent,
			BytesPerSecond: cfg.Transfers.BytesPerSecond, Retries: cfg.Transfers.Retries, CheckpointEvery: cfg.Transfers.CheckpointBytes}),
		Connect: transfers.Connect, SecretsDir: filepath.Join(cfg.DataDir, "transfers")}
	// Jobs are kept in <data-dir>/jobs: their history survives a restart,
	// and the ones a restart interrupted are reattached (resumers).
	reg, err := jobs.Open(jobs.Options{Workers: cfg.Jobs.Workers, MaxQueued: cfg.Jobs.MaxQueued, Retain: cfg.Jobs.Retain, MaxAge: cfg.Jobs.MaxAge, Logger: log.Named("jobs"),
		Resume: resumers(expSvc, impSvc), Observer: m},
		filepath.Join(cfg.DataDir, "jobs"))
	if err != nil {
		return err
	}
	m.WatchJobs(reg)
	// Readiness (GET /readyz, and the watcher that reports a long failure:
	// readiness.go).
	checks := readiness.Standard(drv.Ping, cfg.DataDir, sec.Audit.Ready, reg.Check)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		tick := time.NewTicker(readinessEvery)
		defer tick.Stop()
		watchReadiness(watchCtx, tick.C, time.Now, checks, m, log)
	}()
	defer func() { stopWatch(); <-watchDone }()
	// The sweep starts after the registry reattached its jobs: they have
	// claimed their staging directories, which it leaves alone.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweepDone := sweepWhenIdle(sweepCtx, drv, store, log.Named("exports"))
	defer func() { stopSweep(); <-sweepDone }() // before the backend closes
	// Closed when the shutdown begins: the handlers drain (drain.go).
	draining := make(chan struct{})
	router := handlers.NewRouter(handlers.Deps{Driver: drv, Exports: expSvc, Imports: impSvc, Jobs: reg, Logger: log, Backend: be.name, Security: sec,
		Draining: draining, Metrics: m, Readiness: checks, ReadinessMaxAge: time.Second})

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	// Decided on the address actually bound, so a name that resolved off
	// loopback gets TLS too.
	tc, fingerprint, generated, err := serverTLS(cfg, ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	if tc != nil {
		scheme = "https"
		certFrom := "tls.cert"
		if cfg.TLS.Cert == "" {
			certFrom = filepath.Join(cfg.DataDir, "tls", "cert.pem") + " (self-signed"
			if generated {
				certFrom += ", generated now"
			}
			certFrom += ")"
		}
		// Logged at every start so a client can pin it (the kubelet way).
		log.Info("serving TLS", zap.String("certificate", certFrom), zap.String("sha256_fingerprint", fingerprint),
			zap.Bool("client_certificates", cfg.TLS.ClientCA != ""))
	}
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		TLSConfig:         tc,
	}
	addr := ln.Addr().String()
	try := "curl -H \"Authorization: Bearer $(cat " + filepath.Join(cfg.DataDir, auth.AdminTokenFile) + ")\" "
	if cfg.InsecureNoAuth {
		try = "curl "
	}
	if tc != nil && cfg.TLS.Cert == "" {
		try += "--cacert " + filepath.Join(cfg.DataDir, "tls", "cert.pem") + " "
	}
	log.Info("hvport listening",
		zap.String("backend", be.name), zap.String("namespace", be.svc.Namespace()),
		zap.String("api", string(drv.API())), zap.String("listen", addr), zap.String("data_dir", cfg.DataDir), zap.Strings("export_roots", store.Roots()),
		zap.Strings("import_roots", impRoots.Dirs()), zap.String("audit_log", sec.Audit.Path()), zap.String("try", try+scheme+"://"+addr+"/v1/vms"))
	if ready != nil {
		ready <- scheme + "://" + addr
	}

	serveErr := make(chan error, 1)
	go func() {
		if tc != nil {
			serveErr <- srv.ServeTLS(ln, "", "") // with HTTP/2
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	// Submissions are refused first while reads go on, then the registry
	// detaches running jobs, then the HTTP server closes (drain.go).
	drain(log, cfg.ShutdownTimeout, func() { close(draining) }, reg, srv)
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openLogger builds the logger cfg asks for, writing to cfg.LogFile or else
// to w, and to tee as well when it is not nil. The returned function syncs
// and closes what it opened.
func openLogger(cfg Config, w io.Writer, tee zapcore.Core) (*zap.Logger, func(), error) {
	closeFile := func() error { return nil }
	if cfg.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.LogFile), 0o755); err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		w, closeFile = f, f.Close
	}
	log, err := newLogger(cfg, w)
	if err != nil {
		closeFile()
		return nil, nil, err
	}
	if tee != nil {
		log = log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, tee) }))
	}
	return log, func() { log.Sync(); closeFile() }, nil
}

func newLogger(cfg Config, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if cfg.LogFormat == "json" {
		enc = zapcore.NewJSONEncoder(encCfg)
	} else {
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level)), nil
}

// openImportRoots returns the configured import roots, or Hyper-V's default
// VM and disk folders plus the export roots; each is created if missing.
func openImportRoots(ctx context.Context, cfg Config, drv *hyperv.Driver, exportRoots []string) (*roots.Set, error) {
	dirs := cfg.ImportRoots
	if len(dirs) == 0 {
		var err error
		if dirs, err = imports.DefaultRoots(ctx, drv, exportRoots); err != nil {
			return nil, err
		}
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("import root: %w", err)
		}
	}
	return roots.New("import", dirs)
}
