package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

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

// openBackend connects to the configured backend. auto means Hyper-V on
// Windows and the simulator elsewhere. On Hyper-V, v2 is tried first, then
// v1 (Windows Server 2008 R2 / 2012).
func openBackend(ctx context.Context, cfg Config, log *zap.Logger) (*backend, error) {
	kind := cfg.Backend
	if kind == "auto" {
		kind = "sim"
		if runtime.GOOS == "windows" {
			kind = "hyperv"
		}
	}
	switch kind {
	case "sim":
		dir, err := filepath.Abs(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		h, err := sim.New(sim.Options{
			DataDir: filepath.Join(dir, "sim"), HostName: cfg.Sim.HostName,
			CopyBytesPerSecond:       cfg.Sim.CopyBytesPerSecond,
			ExportDirectoryMustExist: cfg.Sim.ExportDirectoryMustExist,
			Logger:                   log.Named("sim"),
		})
		if err != nil {
			return nil, fmt.Errorf("start the simulated Hyper-V host: %w", err)
		}
		svc, err := h.Services(wmi.NamespaceV2)
		if err != nil {
			h.Close()
			return nil, err
		}
		return &backend{name: "sim", svc: svc, close: h.Close}, nil
	case "hyperv":
		var errsSeen []error
		for _, ns := range []string{wmi.NamespaceV2, wmi.NamespaceV1} {
			c, err := com.Connect(ctx, ns, com.Options{})
			if err == nil {
				return &backend{name: "hyperv", svc: c, close: c.Close}, nil
			}
			if errors.Is(err, com.ErrNotWindows) {
				return nil, fmt.Errorf("backend hyperv needs Windows with the Hyper-V role; use --backend sim here: %w", err)
			}
			log.Warn("Hyper-V namespace not available", zap.String("namespace", ns), zap.Error(err))
			errsSeen = append(errsSeen, fmt.Errorf("%s: %w", ns, err))
		}
		return nil, fmt.Errorf("no Hyper-V WMI namespace could be opened (is the Hyper-V role installed, and is the service running as an administrator?): %w", errors.Join(errsSeen...))
	}
	return nil, fmt.Errorf("unknown backend %q", cfg.Backend)
}
