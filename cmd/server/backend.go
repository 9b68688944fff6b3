package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/com"
	"github.com/hvport/hvport/wmi/sim"
)

// backend is an open WMI connection and how to close it.
type backend struct {
	name  string // "sim" or "hyperv"
	svc   wmi.Services
	close func() error
}

// connectFunc opens one WMI namespace of the local Hyper-V host and
// returns the connection and how to close it.
type connectFunc func(ctx context.Context, namespace string) (wmi.Services, func() error, error)

// comConnect is the real connectFunc: the COM transport.
func comConnect(ctx context.Context, namespace string) (wmi.Services, func() error, error) {
	c, err := com.Connect(ctx, namespace, com.Options{})
	if err != nil {
		return nil, nil, err
	}
	return c, c.Close, nil
}

// resolveBackend names the backend cfg asks for: auto means Hyper-V on
// Windows and the simulator elsewhere.
func resolveBackend(cfg Config) string {
	if cfg.Backend == "auto" {
		if runtime.GOOS == "windows" {
			return "hyperv"
		}
		return "sim"
	}
	return cfg.Backend
}

// openBackend connects to the configured backend (see resolveBackend).
func openBackend(ctx context.Context, cfg Config, log *zap.Logger) (*backend, error) {
	switch kind := resolveBackend(cfg); kind {
	case "sim":
		return openSim(cfg, log)
	case "hyperv":
		return openHyperV(ctx, comConnect, log)
	}
	return nil, fmt.Errorf("unknown backend %q", cfg.Backend)
}

// openSim starts the simulated Hyper-V host in <data-dir>/sim.
func openSim(cfg Config, log *zap.Logger) (*backend, error) {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	opts := sim.Options{
		DataDir: filepath.Join(dir, "sim"), HostName: cfg.Sim.HostName,
		CopyBytesPerSecond:       cfg.Sim.CopyBytesPerSecond,
		ExportDirectoryMustExist: cfg.Sim.ExportDirectoryMustExist,
		InterruptedJobs:          sim.InterruptedJobs(cfg.Sim.InterruptedJobs),
		Logger:                   log.Named("sim"),
	}
	if cfg.Sim.SeedFile != "" {
		if opts.Seed, err = sim.LoadSeed(cfg.Sim.SeedFile); err != nil {
			return nil, fmt.Errorf("sim.seed-file: %w", err)
		}
		if _, serr := os.Stat(filepath.Join(opts.DataDir, "Hyper-V", "host.json")); serr == nil {
			log.Warn("sim.seed-file is ignored: the data directory already holds a simulated host (remove it to reseed)",
				zap.String("seed_file", cfg.Sim.SeedFile), zap.String("data_dir", opts.DataDir))
		}
	}
	if cfg.Sim.ControlsFile != "" {
		c, err := sim.LoadControls(cfg.Sim.ControlsFile)
		if err != nil {
			return nil, fmt.Errorf("sim.controls-file: %w", err)
		}
		c.Apply(&opts) // the file wins over the sim.* keys
		log.Info("simulator test controls loaded", zap.String("file", cfg.Sim.ControlsFile))
	}
	h, err := sim.New(opts)
	if err != nil {
		return nil, fmt.Errorf("start the simulated Hyper-V host: %w", err)
	}
	if cfg.Sim.ControlsFile != "" {
		log.Info("simulator random seed (set random-seed to repeat this run)", zap.Int64("random_seed", h.RandomSeed()))
	}
	ns := wmi.NamespaceV2
	if cfg.Sim.API == "v1" {
		ns = wmi.NamespaceV1
	}
	svc, err := h.Services(ns)
	if err != nil {
		h.Close()
		return nil, err
	}
	return &backend{name: "sim", svc: svc, close: h.Close}, nil
}

// hypervNamespaces are tried in this order: v2 (Windows Server 2012 and
// later), then v1 (2008 R2 and 2012; gone from 2012 R2).
var hypervNamespaces = []string{wmi.NamespaceV2, wmi.NamespaceV1}

// openHyperV connects to the first Hyper-V namespace that opens, or fails
// with every namespace's error and what to check.
func openHyperV(ctx context.Context, connect connectFunc, log *zap.Logger) (*backend, error) {
	var errsSeen []error
	for _, ns := range hypervNamespaces {
		svc, closeFn, err := connect(ctx, ns)
		if err == nil {
			return &backend{name: "hyperv", svc: svc, close: closeFn}, nil
		}
		if errors.Is(err, com.ErrNotWindows) {
			return nil, fmt.Errorf("backend hyperv needs Windows with the Hyper-V role; use --backend sim here: %w", err)
		}
		if ctx.Err() != nil {
			return nil, err
		}
		log.Warn("Hyper-V namespace not available", zap.String("namespace", ns), zap.Error(err))
		errsSeen = append(errsSeen, fmt.Errorf("%s: %w", ns, err))
	}
	return nil, fmt.Errorf("no Hyper-V WMI namespace could be opened (tried %s): "+
		"is the Hyper-V role installed and the Hyper-V Virtual Machine Management service (vmms) running, "+
		"and does this account belong to Administrators or Hyper-V Administrators (elevated)? "+
		"To run on the simulator instead, use --backend sim: %w",
		strings.Join(hypervNamespaces, ", then "), joinedErrors(errsSeen))
}

// joinedErrors is errors.Join on one line: the namespaces' errors go into
// a single log line and a single diagnose line.
type joinedErrors []error

func (e joinedErrors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (e joinedErrors) Unwrap() []error { return e }
