// Command server is hvport: a REST service that exports and imports
// Hyper-V virtual machines. On Windows it talks to the host's Hyper-V
// through WMI; elsewhere (or with --backend sim) it runs on a simulated
// Hyper-V host whose VMs are real files in the data directory.
package main

import (
	"context"
	"errors"
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

	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/jobs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "hvport:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. ready, if not nil, receives the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	cfg, err := loadConfig(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer log.Sync()

	be, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer be.close()
	drv, err := hyperv.New(be.svc, hyperv.Options{PollInterval: cfg.PollInterval, Logger: log.Named("hyperv")})
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
	store.SweepStaging() // before any job runs: leftovers of a crash
	expSvc := &exports.Service{Driver: drv, Store: store, Log: log.Named("exports"), Host: drv.Host()}
	reg := jobs.New(jobs.Options{Workers: cfg.Jobs.Workers, MaxQueued: cfg.Jobs.MaxQueued, Retain: cfg.Jobs.Retain, Logger: log.Named("jobs")})
	router := handlers.NewRouter(handlers.Deps{Driver: drv, Exports: expSvc, Jobs: reg, Logger: log, Backend: be.name})

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	addr := ln.Addr().String()
	log.Info("hvport listening",
		zap.String("backend", be.name), zap.String("namespace", be.svc.Namespace()),
		zap.String("api", string(drv.API())), zap.String("listen", addr), zap.String("data_dir", cfg.DataDir), zap.Strings("export_roots", roots),
		zap.String("try", "curl http://"+addr+"/v1/vms"))
	if ready != nil {
		ready <- addr
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", zap.Error(err))
	}
	if err := reg.Shutdown(sctx); err != nil {
		log.Warn("job registry shutdown", zap.Error(err))
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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
