// Package testserver starts a real hvport service on the simulated Hyper-V
// host (the demo VMs) for tests outside the server's packages: the Go
// client's and the hvport command line's. It is wired as cmd/server wires
// it — driver, export store and roots, import roots, job registry, token
// store and audit log — and serves plain HTTP on loopback, as the server
// does there.
package testserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/transfers"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// Options tune the server.
type Options struct {
	// CopyBytesPerSecond throttles the simulator's copy engine (export
	// copies), so that a test can watch an export's progress or cancel
	// it while it runs; 0 copies at full speed.
	CopyBytesPerSecond int64
	// ServeFault is handlers.Deps.ServeFault: a byte of a served export
	// file sent inverted, for a destination's corruption test.
	ServeFault func(exportID, path string) (offset int64, ok bool)
	// Transfers tunes this server's pulls from other agents.
	Transfers transfers.Options
	// Seed is the simulated host's seed; nil means the demo's.
	Seed *sim.Seed
	// FreeSpace reports a volume's free bytes (exports.StoreOptions);
	// nil asks the OS.
	FreeSpace func(path string) (uint64, error)
}

// Server is a started server; Close stops it and removes its directory.
type Server struct {
	URL        string // http://127.0.0.1:<port>
	TokenFile  string // an admin token, as the server's <data-dir>/admin.token
	ExportRoot string // the export root (also an import root)
	DataDir    string
	Handler    http.Handler

	srv    *httptest.Server
	reg    *jobs.Registry
	host   *sim.Host
	audit  *audit.Log
	tokens *auth.Store
	dir    string
}

// Start starts a server in a new temporary directory. It takes no
// *testing.T so that examples and TestMain can use it.
func Start(opts Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "hvport-testserver-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	if err := s.start(opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(opts Options) error {
	log := zap.NewNop()
	s.DataDir = filepath.Join(s.dir, "data")
	host, err := sim.New(sim.Options{DataDir: s.DataDir, Logger: log, CopyBytesPerSecond: opts.CopyBytesPerSecond, Seed: opts.Seed})
	if err != nil {
		return err
	}
	s.host = host
	svc, err := host.Services(wmi.NamespaceV2)
	if err != nil {
		return err
	}
	drv, err := hyperv.New(svc, hyperv.Options{PollInterval: 10 * time.Millisecond, Logger: log})
	if err != nil {
		return err
	}
	s.ExportRoot = filepath.Join(s.dir, "exports")
	store, err := exports.NewStore(exports.StoreOptions{Roots: []string{s.ExportRoot}, Logger: log, FreeSpace: opts.FreeSpace})
	if err != nil {
		return err
	}
	expSvc := &exports.Service{Driver: drv, Store: store, Log: log, Host: sim.DefaultHostName}
	importDirs, err := imports.DefaultRoots(context.Background(), drv, store.Roots())
	if err != nil {
		return err
	}
	impRoots, err := roots.New("import", importDirs)
	if err != nil {
		return err
	}
	impSvc := &imports.Service{Driver: drv, Exports: store, Roots: impRoots, Log: log,
		Puller: transfers.NewPuller(opts.Transfers), Connect: transfers.Connect, SecretsDir: filepath.Join(s.DataDir, "transfers")}
	s.reg = jobs.New(jobs.Options{Logger: log})
	s.tokens, err = auth.OpenStore(filepath.Join(s.DataDir, auth.StoreFile))
	if err != nil {
		return err
	}
	_, admin, err := s.tokens.Create(auth.CreateRequest{Name: "admin", Role: auth.Admin})
	if err != nil {
		return err
	}
	s.TokenFile = filepath.Join(s.DataDir, "admin.token")
	if err := os.WriteFile(s.TokenFile, []byte(admin+"\n"), 0o600); err != nil {
		return err
	}
	s.audit = audit.Open(filepath.Join(s.DataDir, "audit.log"), audit.Options{})
	s.Handler = handlers.NewRouter(handlers.Deps{Driver: drv, Exports: expSvc, Imports: impSvc, Jobs: s.reg, Logger: log,
		Backend: "sim", Security: handlers.Security{Tokens: s.tokens, Audit: s.audit}, ServeFault: opts.ServeFault})
	s.srv = httptest.NewServer(s.Handler)
	s.URL = s.srv.URL
	return nil
}

// Token creates a token with the role ("reader", "operator" or "admin")
// and returns its secret.
func (s *Server) Token(name, role string) (string, error) {
	_, secret, err := s.tokens.Create(auth.CreateRequest{Name: name, Role: auth.Role(role)})
	return secret, err
}

// Close stops the server, the registry and the simulated host and removes
// the directory.
func (s *Server) Close() error {
	var errs []error
	if s.srv != nil {
		s.srv.Close()
	}
	if s.reg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, s.reg.Shutdown(ctx))
		cancel()
	}
	if s.host != nil {
		errs = append(errs, s.host.Close())
	}
	if s.audit != nil {
		s.audit.Close()
	}
	errs = append(errs, os.RemoveAll(s.dir))
	return errors.Join(errs...)
}
