package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestKilledMidExportLeavesNothingComplete kills the real server process
// (SIGKILL: no cleanup runs) while an export is being written, restarts it
// on the same data directory, and checks that no export looks complete and
// the leftovers are swept.
func TestKilledMidExportLeavesNothingComplete(t *testing.T) {
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("builds and kills the server binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hvport")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("log-level: warn\npoll-interval: 20ms\nsim:\n  copy-bytes-per-second: 1048576\n"), 0o644)
	start := func() (*exec.Cmd, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "--config", cfg, "--backend", "sim", "--data-dir", data, "--listen", addr)
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		base := "http://" + addr
		for i := 0; i < 300; i++ {
			if r, err := http.Get(base + "/v1/health"); err == nil {
				r.Body.Close()
				return cmd, base
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatal("server did not start")
		return nil, ""
	}
	getJSON := func(url string, v any) {
		r, err := bearerClient(adminToken(t, data)).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		json.NewDecoder(r.Body).Decode(v)
	}

	cmd, base := start()
	final := filepath.Join(data, "exports", "web")
	resp, err := bearerClient(adminToken(t, data)).Post(base+"/v1/vms/web-01/exports", "application/json", strings.NewReader(fmt.Sprintf(`{"directory": %q}`, final)))
	if err != nil {
		t.Fatal(err)
	}
	var job struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	deadline := time.Now().Add(2 * time.Minute) // a hang guard
	for {
		var j struct {
			State           string
			PercentComplete int
		}
		getJSON(base+"/v1/jobs/"+job.ID, &j)
		if j.State == "running" && j.PercentComplete >= 10 {
			break
		}
		if j.State != "queued" && j.State != "running" || time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("never caught the export running: %+v", j)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("a killed export is at its final place: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(data, "exports", ".hvport-staging-*")); len(left) == 0 {
		t.Log("no staging directory left by the kill (the export had not written yet)")
	}

	cmd, base = start()
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	// The job survived the crash in the registry's store, as interrupted.
	var after struct {
		State, Phase string
		Error        *struct{ Type, Detail string }
	}
	getJSON(base+"/v1/jobs/"+job.ID, &after)
	if after.State != "failed" || after.Phase != "interrupted" || after.Error == nil ||
		after.Error.Type != "urn:hvport:problem:interrupted" || !strings.Contains(after.Error.Detail, "Msvm_ConcreteJob") {
		t.Fatalf("the job after the restart = %+v", after)
	}
	var l struct{ Items []any }
	getJSON(base+"/v1/exports", &l)
	if len(l.Items) != 0 {
		t.Fatalf("after the crash the server lists exports: %v", l.Items)
	}
	for i := 0; ; i++ {
		left, _ := filepath.Glob(filepath.Join(data, "exports", ".hvport-staging-*"))
		if len(left) == 0 {
			break
		}
		if i > 200 {
			t.Fatalf("staging not swept after restart: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
