package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hvport/hvport/wmi/sim"
)

// bins are the binaries a run builds.
type bins struct{ server, bare string }

func build(dir string) (bins, error) {
	exe := func(name string) string {
		if runtime.GOOS == "windows" {
			return filepath.Join(dir, name+".exe")
		}
		return filepath.Join(dir, name)
	}
	b := bins{server: exe("server"), bare: exe("bareserver")}
	for _, x := range []struct{ out, pkg string }{{b.server, "./cmd/server"}, {b.bare, "./bench/bareserver"}} {
		fmt.Println("building " + x.pkg + " …")
		out, err := exec.Command("go", "build", "-o", x.out, x.pkg).CombinedOutput()
		if err != nil {
			return b, fmt.Errorf("go build %s: %v\n%s", x.pkg, err, out)
		}
	}
	return b, nil
}

// scenario is one data size: a simulated host whose VM "big" has one
// disk with that much data, and a small VM for the load pair's exports.
type scenario struct {
	c       config
	bins    bins
	dir     string
	data    string // the server's data directory
	host    string // the simulated host, <data>/sim
	bigDisk string
	dataGiB float64

	cmd        *exec.Cmd
	base       string
	token      string
	lastExport string // an export the import pair reads
}

func startScenario(c config, b bins, gib float64) (*scenario, error) {
	s := &scenario{c: c, bins: b, dataGiB: gib, dir: filepath.Join(c.work, fmt.Sprintf("data-%g", gib))}
	s.data = filepath.Join(s.dir, "server")
	s.host = filepath.Join(s.data, "sim")
	seed := &sim.Seed{VMs: []sim.SeedVM{
		{Name: "big", Disks: []sim.SeedDisk{{File: "big.vhdx", SizeBytes: int64(gib * (1 << 30)), VirtualSizeBytes: int64(c.virtual*(1<<30)) / 512 * 512}}},
		{Name: "small", Disks: []sim.SeedDisk{{File: "small.vhdx", SizeBytes: 4 << 20}}},
	}}
	t0 := time.Now()
	h, err := sim.New(sim.Options{DataDir: s.host, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("creating the simulated host: %w", err)
	}
	if err := h.Close(); err != nil {
		return nil, err
	}
	s.bigDisk = filepath.Join(s.host, "Hyper-V", "Virtual Hard Disks", "big.vhdx")
	fi, err := os.Stat(s.bigDisk)
	if err != nil {
		return nil, err
	}
	fmt.Printf("data: big.vhdx %s (%s allocated), made in %s\n\n", human(fi.Size()), human(allocated(s.bigDisk)), time.Since(t0).Round(time.Millisecond))
	return s, nil
}

// startServer runs the built server on the scenario's data directory.
func (s *scenario) startServer() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(s.dir, "server.yaml")
	// Full speed (no demo throttle), warnings only: logging is part of
	// what a request costs, at the level a production host runs.
	if err := os.WriteFile(cfg, []byte("log-level: warn\npoll-interval: 50ms\nsim:\n  copy-bytes-per-second: 0\njobs:\n  max-queued: 1000\n"), 0o644); err != nil {
		return err
	}
	s.cmd = exec.Command(s.bins.server, "--config", cfg, "--backend", "sim", "--data-dir", s.data, "--listen", addr)
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.base = "http://" + addr
	for i := 0; ; i++ {
		if r, err := http.Get(s.base + "/v1/health"); err == nil {
			r.Body.Close()
			break
		}
		if i > 600 {
			return errors.New("the server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(s.data, "admin.token"))
	if err != nil {
		return err
	}
	s.token = strings.TrimSpace(string(b))
	return nil
}

func (s *scenario) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		s.cmd.Wait()
	}
}

// pairs runs the pairs this run wants, in an order that keeps each
// measurement clean: the copy engines before the server starts, the
// HTTP pairs on a fresh server, then exports and imports.
func (s *scenario) pairs() error {
	if s.c.wants("copy") {
		if err := s.copyPairs(); err != nil {
			return err
		}
	}
	if err := s.startServer(); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		run  func() error
	}{
		{"settings", s.settingsPair}, {"jobs", s.jobsPair}, {"load", s.loadPair},
		{"export", s.exportPair}, {"import", s.importPair},
	} {
		if s.c.wants(p.name) {
			if err := p.run(); err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
		}
	}
	return nil
}

// api calls the server with the admin token.
func (s *scenario) api(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, err
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

type job struct {
	ID, State, Phase string
	Result           map[string]any
	Error            *struct{ Detail string }
}

// waitJob follows a job until it ends; with -phases it prints when each
// phase began (where the time of an export or import goes).
func (s *scenario) waitJob(id string) (job, error) {
	t0, last := time.Now(), ""
	for {
		var j job
		wait := "?wait=30s"
		if s.c.phases {
			wait = "" // polled: a phase change is not a state change
		}
		if _, err := s.api("GET", "/v1/jobs/"+id+wait, nil, &j); err != nil {
			return j, err
		}
		if s.c.phases && j.Phase != last {
			fmt.Printf("    %6.2fs  %s\n", time.Since(t0).Seconds(), j.Phase)
			last = j.Phase
		}
		if s.c.phases && j.State != "completed" && j.State != "failed" && j.State != "cancelled" {
			time.Sleep(20 * time.Millisecond)
		}
		switch j.State {
		case "completed":
			return j, nil
		case "failed", "cancelled":
			return j, fmt.Errorf("job %s ended %s: %+v", id, j.State, j.Error)
		}
	}
}

var bg = context.Background()
