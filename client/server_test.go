package client_test

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
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// server is a real hvport service on the simulated Hyper-V host (the demo
// VMs), wired as cmd/server wires it: driver, export store and roots,
// import roots, job registry, token store and audit log. It serves plain
// HTTP on loopback, as the server does there.
type server struct {
	URL        string
	TokenFile  string // an admin token, as <data-dir>/admin.token
	ExportRoot string
	Handler    http.Handler

	srv   *httptest.Server
	reg   *jobs.Registry
	host  *sim.Host
	audit *audit.Log
	dir   string
}

// startServer starts a server in a new temporary directory. It takes no
// *testing.T so that examples can use it; Close removes everything.
func startServer() (*server, error) {
	dir, err := os.MkdirTemp("", "hvport-client-test-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *server) start() error {
	log := zap.NewNop()
	dataDir := filepath.Join(s.dir, "data")
	host, err := sim.New(sim.Options{DataDir: dataDir, Logger: log})
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
	store, err := exports.NewStore(exports.StoreOptions{Roots: []string{s.ExportRoot}, Logger: log})
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
	impSvc := &imports.Service{Driver: drv, Exports: store, Roots: impRoots, Log: log}
	s.reg = jobs.New(jobs.Options{Logger: log})
	tokens, err := auth.OpenStore(filepath.Join(dataDir, auth.StoreFile))
	if err != nil {
		return err
	}
	_, admin, err := tokens.Create(auth.CreateRequest{Name: "admin", Role: auth.Admin})
	if err != nil {
		return err
	}
	s.TokenFile = filepath.Join(dataDir, "admin.token")
	if err := os.WriteFile(s.TokenFile, []byte(admin+"\n"), 0o600); err != nil {
		return err
	}
	s.audit = audit.Open(filepath.Join(dataDir, "audit.log"), audit.Options{})
	s.Handler = handlers.NewRouter(handlers.Deps{Driver: drv, Exports: expSvc, Imports: impSvc, Jobs: s.reg, Logger: log,
		Backend: "sim", Security: handlers.Security{Tokens: tokens, Audit: s.audit}})
	s.srv = httptest.NewServer(s.Handler)
	s.URL = s.srv.URL
	return nil
}

// Close stops the server, the registry and the simulated host and removes
// the directory.
func (s *server) Close() error {
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
