package imports

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/transfers"
)

// Progress is what an import job reports to (the registry's Reporter).
type Progress = progress.Reporter

// Service runs imports.
type Service struct {
	Driver *hyperv.Driver
	// Exports resolves an export id to its directory; optional.
	Exports *exports.Store
	// Roots confine every path an import reads or writes; nil refuses
	// every path (deny by default). See DefaultRoots.
	Roots *roots.Set
	Log   *zap.Logger
	// CopyFile copies one disk for createCopy imports; default fcopy.Copy.
	// Tests wrap it to hold a copy mid-way.
	CopyFile func(ctx context.Context, src, dst string, progress func(done int64)) error
	// Puller and Connect pull exports from other agents (pull.go); nil
	// refuses imports with a remote source.
	Puller  *transfers.Puller
	Connect Connector
	// SecretsDir keeps a pull's grant across a restart (owner-only files;
	// <data-dir>/transfers).
	SecretsDir string

	mu       sync.Mutex
	active   map[string]bool        // guarded by mu; planned VMs an import job is working on
	readings map[string]*sync.Mutex // guarded by mu; one inspection per VM id at a time
}
