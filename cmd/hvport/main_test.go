package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/internal/testserver"
)

// The tests run the real hvport binary, built once in TestMain, against
// servers on the simulated Hyper-V host started in-process
// (internal/testserver).

var hvportBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hvport-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hvportBin = filepath.Join(dir, "hvport")
	if runtime.GOOS == "windows" {
		hvportBin += ".exe"
	}
	build := exec.Command("go", "build", "-o", hvportBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hvport:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hangGuard bounds one run of the binary; never an assertion on time.
const hangGuard = 2 * time.Minute

// env is a run's environment: a home and configuration directory of the
// test's own, and the variables given.
type env struct {
	t    *testing.T
	dir  string // the working directory and HOME
	vars map[string]string
}

func newEnv(t *testing.T, vars ...string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	for i := 0; i+1 < len(vars); i += 2 {
		e.vars[vars[i]] = vars[i+1]
	}
	return e
}

// forServer is an environment pointing at srv with its admin token.
func forServer(t *testing.T, srv *testserver.Server) *env {
	return newEnv(t, "HVPORT_URL", srv.URL, "HVPORT_TOKEN_FILE", srv.TokenFile)
}

func (e *env) environ() []string {
	vars := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir, "XDG_CONFIG_HOME=" + filepath.Join(e.dir, "xdg"),
		"AppData=" + filepath.Join(e.dir, "appdata"), "SystemRoot=" + os.Getenv("SystemRoot")}
	for k, v := range e.vars {
		vars = append(vars, k+"="+v)
	}
	return vars
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs hvport with args.
func (e *env) run(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, hvportBin, args...)
	cmd.Dir, cmd.Env = e.dir, e.environ()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("hvport %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// ok runs hvport and wants exit 0.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("hvport %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// fails runs hvport and wants exit code.
func (e *env) fails(code int, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != code {
		e.t.Fatalf("hvport %s: want exit %d, got %v", strings.Join(args, " "), code, r)
	}
	return r
}

func startServer(t *testing.T, opts testserver.Options) *testserver.Server {
	t.Helper()
	s, err := testserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func decodeYAML[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, s)
	}
	return v
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// downURL is a loopback URL where nothing listens.
func downURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
