package main

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvport/hvport/internal/failpoint"
)

// The server as its users run it, killed (SIGKILL: no deferred cleanup,
// no flush) at each named step of an export or an import and started
// again on the same data directory. What must hold, per failpoint:
// the acknowledged job is there, it reaches the right end (an export:
// completed and published, its files matching the manifest; an import:
// completed or rolled back), nothing looks like a complete export without
// being one, and no staging directory or planned VM is left.
//
// HVPORT_FAILPOINT_RUNS=n runs each failpoint n times (CI: 1; the longer
// run in docs/BENCHMARKS.md: 20).

// failpointBinary builds the server with failpoints compiled in, once.
var failpointBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hvport-failpoints-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "server")
	if out, err := exec.Command("go", "build", "-tags", "failpoints", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
})

type killableServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	exited chan struct{}
	http   *http.Client
}

// startKillable starts the failpoint build on data with extra
// environment, and waits until it answers.
func startKillable(t *testing.T, data, config string, env ...string) *killableServer {
	t.Helper()
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("builds the server and kills it with SIGKILL")
	}
	bin, err := failpointBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(filepath.Dir(data), "config.yaml")
	os.WriteFile(cfg, []byte("log-level: "+logLevel+"\npoll-interval: 20ms\n"+config), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	scheme := "http"
	if strings.Contains(config, "mode: on") {
		scheme = "https" // a self-signed certificate: the test's own requests skip its check
	}
	s := &killableServer{t: t, base: scheme + "://" + addr, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "--config", cfg, "--backend", "sim", "--data-dir", data, "--listen", addr)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stderr = &lockedWriter{w: s.stderr}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	guard := time.After(hangGuard)
	for {
		if r, err := insecureClient.Get(s.base + "/v1/health"); err == nil {
			r.Body.Close()
			break
		}
		select {
		case <-s.exited:
			t.Fatalf("the server exited at start: %s", s.stderr)
		case <-guard:
			s.cmd.Process.Kill()
			t.Fatal("the server did not start")
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.http = bearerClient(adminToken(t, data))
	s.http.Transport = bearerTransport{token: adminToken(t, data), next: insecureClient.Transport}
	s.http.Timeout = time.Minute
	t.Cleanup(s.kill)
	return s
}

func (s *killableServer) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// waitKilled waits for the server to kill itself at its failpoint.
func (s *killableServer) waitKilled(point string) {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(hangGuard):
		s.kill()
		s.t.Fatalf("the server never reached failpoint %s", point)
	}
	if !strings.Contains(s.stderr.String(), "failpoint "+point+": killing") {
		s.t.Fatalf("the server exited, not at failpoint %s: %s", point, s.stderr)
	}
}

func (s *killableServer) do(method, path string, body any, v any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && json.Unmarshal(b, v) != nil {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

type resumedJob struct {
	ID, State, Phase string
	Warnings         []string
	Error            *struct{ Type, Title, Detail string }
	Result           map[string]any
}

// waitJob long-polls the job until it ends.
func (s *killableServer) waitJob(id string) resumedJob {
	s.t.Helper()
	guard := time.After(hangGuard)
	for {
		var j resumedJob
		if code := s.do("GET", "/v1/jobs/"+id+"?wait=20s", nil, &j); code != 200 {
			s.t.Fatalf("GET job %s: %d", id, code)
		}
		switch j.State {
		case "completed", "failed", "cancelled":
			return j
		}
		select {
		case <-guard:
			s.t.Fatalf("job %s still %s (%s) after %v", id, j.State, j.Phase, hangGuard)
		default:
		}
	}
}

// insecureClient reaches the test's own servers whatever their
// certificate (the agents under test pin theirs).
var insecureClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// logLevel is the killed servers' log level: HVPORT_FAILPOINT_LOG=info
// shows what each restart decided.
var logLevel = cmp.Or(os.Getenv("HVPORT_FAILPOINT_LOG"), "warn")

func failpointRuns(t *testing.T) int {
	n, err := strconv.Atoi(os.Getenv("HVPORT_FAILPOINT_RUNS"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// checkExportDone asserts the job completed and published an export whose
// files match its manifest, with nothing left in staging.
func checkExportDone(t *testing.T, s *killableServer, data string, j resumedJob) {
	t.Helper()
	if j.State != "completed" {
		t.Fatalf("export ended %s (%s): %+v\nserver log:\n%s", j.State, j.Phase, j.Error, s.stderr)
	}
	id, _ := j.Result["exportId"].(string)
	var x struct{ ID, Directory string }
	if code := s.do("GET", "/v1/exports/"+id, nil, &x); code != 200 || x.ID != id {
		t.Fatalf("the completed export %q is not listed: %d", id, code)
	}
	var v resumedJob
	s.do("POST", "/v1/exports/"+id+"/verify", nil, &v)
	if v = s.waitJob(v.ID); v.State != "completed" || v.Result["valid"] != true {
		t.Fatalf("the resumed export does not verify: %+v %+v", v.Result, v.Error)
	}
	noStaging(t, data)
}

func noStaging(t *testing.T, data string) {
	t.Helper()
	var left []string
	filepath.Walk(filepath.Join(data, "exports"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".hvport-") {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// TestKilledAtEachExportFailpoint: SIGKILL at every step of an export,
// restart, and the export completes and is published.
func TestKilledAtEachExportFailpoint(t *testing.T) {
	for _, point := range failpoint.Export {
		t.Run(point, func(t *testing.T) {
			for run := 0; run < failpointRuns(t); run++ {
				data := filepath.Join(t.TempDir(), "data")
				s := startKillable(t, data, "", "HVPORT_FAILPOINTS="+point)
				var j resumedJob
				if code := s.do("POST", "/v1/vms/web-01/exports", map[string]any{"directory": filepath.Join(data, "exports", "web")}, &j); code != 202 {
					t.Fatalf("export: %d", code)
				}
				s.waitKilled(point)
				s = startKillable(t, data, "")
				checkExportDone(t, s, data, s.waitJob(j.ID))
				var planned struct{ Items []any }
				s.do("GET", "/v1/planned-vms", nil, &planned)
				if len(planned.Items) != 0 {
					t.Fatalf("planned VMs left: %v", planned.Items)
				}
				s.kill()
			}
		})
	}
}

// startCopying starts a slow export of web-01 and waits until Hyper-V is
// copying: the job running past 5 %, its Hyper-V job recorded.
func startCopying(t *testing.T, s *killableServer, data string) resumedJob {
	t.Helper()
	var j resumedJob
	if code := s.do("POST", "/v1/vms/web-01/exports", map[string]any{"directory": filepath.Join(data, "exports", "web")}, &j); code != 202 {
		t.Fatalf("export: %d", code)
	}
	guard := time.After(hangGuard)
	for {
		var now struct {
			State           string
			PercentComplete int
			WMIJob          string `json:"wmiJob"`
		}
		s.do("GET", "/v1/jobs/"+j.ID, nil, &now)
		if now.State == "running" && now.PercentComplete >= 5 && now.WMIJob != "" {
			return j
		}
		if now.State != "queued" && now.State != "running" {
			t.Fatalf("never caught the export running: %+v", now)
		}
		select {
		case <-guard:
			t.Fatal("the export never got going")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// killMidCopy starts a slow export and kills the server while Hyper-V
// copies.
func killMidCopy(t *testing.T, data, config string) resumedJob {
	t.Helper()
	s := startKillable(t, data, config)
	j := startCopying(t, s, data)
	s.kill()
	if _, err := os.Stat(filepath.Join(data, "exports", "web")); !os.IsNotExist(err) {
		t.Fatalf("a killed export is at its final place: %v", err)
	}
	return j
}

const slowCopy = "sim:\n  copy-bytes-per-second: 8388608\n"

// TestKilledDuringASlowExportFinishesAfterRestart is the case: a
// kill -9 while Hyper-V is copying, a restart, and the export ends
// completed and published — the Hyper-V job went on (the simulated VMMS
// outlives the process) and the server followed it again.
func TestKilledDuringASlowExportFinishesAfterRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	j := killMidCopy(t, data, slowCopy)
	s := startKillable(t, data, slowCopy)
	checkExportDone(t, s, data, s.waitJob(j.ID))
}

// When Hyper-V no longer knows the job (it ended and was removed while
// the server was away), the staging directory decides: checked and
// published by default, discarded with exports.forgotten-job-output.
func TestExportWhoseHyperVJobWasForgotten(t *testing.T) {
	forgotten := "sim:\n  interrupted-jobs: forgotten\n"
	t.Run("publish", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		j := killMidCopy(t, data, slowCopy)
		s := startKillable(t, data, forgotten)
		got := s.waitJob(j.ID)
		checkExportDone(t, s, data, got)
		if !slices.ContainsFunc(got.Warnings, func(w string) bool { return strings.Contains(w, "no longer knew") }) {
			t.Fatalf("no warning that Hyper-V forgot the job: %v", got.Warnings)
		}
	})
	t.Run("discard", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		j := killMidCopy(t, data, slowCopy)
		s := startKillable(t, data, forgotten+"exports:\n  forgotten-job-output: discard\n")
		got := s.waitJob(j.ID)
		if got.State != "failed" || got.Error == nil || got.Error.Type != "urn:hvport:problem:interrupted" {
			t.Fatalf("discarded export ended %s: %+v", got.State, got.Error)
		}
		var l struct{ Items []any }
		s.do("GET", "/v1/exports", nil, &l)
		if len(l.Items) != 0 {
			t.Fatalf("a discarded export is listed: %v", l.Items)
		}
		noStaging(t, data)
	})
}

// vmFiles lists the VM files (configurations and disks) under data,
// outside the exports.
func vmFiles(t *testing.T, data string) []string {
	t.Helper()
	var out []string
	filepath.Walk(data, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if fi.IsDir() && p == filepath.Join(data, "exports") {
			return filepath.SkipDir
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".vhdx", ".avhdx", ".vhd", ".vmcx", ".vmrs", ".vmgs":
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestKilledAtEachImportFailpoint: SIGKILL at every step of a copying
// import, restart: an import that had not started runs, one that had is
// rolled back (failed, kind interrupted) leaving no planned VM and no
// file, or — past the point of no return — completes.
func TestKilledAtEachImportFailpoint(t *testing.T) {
	want := map[string]string{
		failpoint.SubmitAcknowledged:  "completed", // not started: planned again and run
		failpoint.ImportPlanned:       "failed",
		failpoint.ImportCopied:        "failed",
		failpoint.ImportRealizeCalled: "failed", // the call had not been made
		failpoint.RecordUpdated:       "completed",
	}
	for _, point := range failpoint.Import {
		t.Run(point, func(t *testing.T) {
			for run := 0; run < failpointRuns(t); run++ {
				data := filepath.Join(t.TempDir(), "data")
				s := startKillable(t, data, "")
				var j resumedJob
				if code := s.do("POST", "/v1/vms/web-01/exports", map[string]any{"directory": filepath.Join(data, "exports", "web")}, &j); code != 202 {
					t.Fatalf("export: %d", code)
				}
				exp := s.waitJob(j.ID)
				s.kill()
				before := vmFiles(t, data)

				s = startKillable(t, data, "", "HVPORT_FAILPOINTS="+point)
				req := map[string]any{"exportId": exp.Result["exportId"],
					"settings": map[string]any{"generateNewId": true, "createCopy": true, "name": "web-01-copy"}}
				if code := s.do("POST", "/v1/imports", req, &j); code != 202 {
					t.Fatalf("import: %d", code)
				}
				s.waitKilled(point)
				s = startKillable(t, data, "")
				got := s.waitJob(j.ID)
				if point == failpoint.SubmitAcknowledged && got.State == "failed" {
					// The worker starts as the 202 is written: the kill can
					// land after it created the planned VM. Then a rollback
					// is right too (checked below).
					want[point] = "failed"
				}
				if got.State != want[point] {
					t.Fatalf("import ended %s (%s), want %s: %+v\n%s", got.State, got.Phase, want[point], got.Error, s.stderr)
				}
				var planned struct{ Items []any }
				s.do("GET", "/v1/planned-vms", nil, &planned)
				if len(planned.Items) != 0 {
					t.Fatalf("planned VMs left: %v", planned.Items)
				}
				var vms struct{ Items []struct{ Name string } }
				s.do("GET", "/v1/vms", nil, &vms)
				copies := 0
				for _, vm := range vms.Items {
					if vm.Name == "web-01-copy" {
						copies++
					}
				}
				if got.State == "completed" {
					if copies != 1 {
						t.Fatalf("completed import: %d VMs named web-01-copy", copies)
					}
				} else {
					if got.Error == nil || got.Error.Type != "urn:hvport:problem:interrupted" || !strings.Contains(got.Error.Detail, "rolled back") {
						t.Fatalf("rolled-back import's error: %+v", got.Error)
					}
					if after := vmFiles(t, data); copies != 0 || strings.Join(after, "\n") != strings.Join(before, "\n") {
						t.Fatalf("the rollback left VMs (%d) or files:\nbefore %v\nafter  %v", copies, before, after)
					}
				}
				s.kill()
			}
		})
	}
}

// A graceful stop (the service stopping, SIGTERM here) during an export
// detaches it — the Hyper-V job is not cancelled — and the next start
// finishes it.
func TestStoppedDuringAnExportFinishesAfterRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := startKillable(t, data, slowCopy)
	j := startCopying(t, s, data)
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(hangGuard):
		t.Fatal("the server did not stop")
	}
	if s.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("the server stopped with %v: %s", s.cmd.ProcessState, s.stderr)
	}
	s = startKillable(t, data, slowCopy)
	got := s.waitJob(j.ID)
	for _, w := range got.Warnings {
		if strings.Contains(w, "cancel") {
			t.Fatalf("a graceful stop cancelled the export: %v", got.Warnings)
		}
	}
	checkExportDone(t, s, data, got)
}
