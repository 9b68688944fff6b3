package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/com"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		args []string
		cmd  command
		rest []string
		err  string
	}{
		{nil, cmdServe, nil, ""},
		{[]string{"--listen", "127.0.0.1:0"}, cmdServe, []string{"--listen", "127.0.0.1:0"}, ""},
		{[]string{"-backend=sim"}, cmdServe, []string{"-backend=sim"}, ""},
		{[]string{"diagnose", "--json"}, cmdDiagnose, []string{"--json"}, ""},
		{[]string{"install", "--name", "hv2", "--config", "x.yaml"}, cmdInstall, []string{"--name", "hv2", "--config", "x.yaml"}, ""},
		{[]string{"uninstall"}, cmdUninstall, []string{}, ""},
		{[]string{"start"}, cmdStart, []string{}, ""},
		{[]string{"stop", "--name", "x"}, cmdStop, []string{"--name", "x"}, ""},
		{[]string{"help"}, cmdHelp, []string{}, ""},
		{[]string{"Diagnose"}, "", nil, `unknown command "Diagnose"`},
		{[]string{"serve"}, "", nil, `unknown command "serve"`},
	}
	for _, c := range cases {
		cmd, rest, err := parseCommand(c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseCommand(%q) error = %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || cmd != c.cmd || !reflect.DeepEqual(rest, c.rest) {
			t.Errorf("parseCommand(%q) = %s %q %v, want %s %q", c.args, cmd, rest, err, c.cmd, c.rest)
		}
	}
}

func TestCLIExitCodes(t *testing.T) {
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := cli(ctx, []string{"help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "server diagnose") {
		t.Errorf("help: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := cli(ctx, []string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := cli(ctx, []string{"--backend", "vmware"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "auto, sim or hyperv") {
		t.Errorf("bad server flag: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := cli(ctx, []string{"diagnose", "--backend", "sim", "--data-dir", t.TempDir()}, &out, &errOut); code != 0 {
		t.Errorf("diagnose: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, help := range [][]string{{"-h"}, {"diagnose", "-h"}, {"install", "-h"}, {"stop", "--help"}} {
		if code := cli(ctx, help, io.Discard, io.Discard); code != 0 {
			t.Errorf("%q: exit %d, want 0", help, code)
		}
	}
	if runtime.GOOS != "windows" {
		errOut.Reset()
		if code := cli(ctx, []string{"start"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "only on Windows") {
			t.Errorf("start off Windows: exit %d, %q", code, errOut.String())
		}
	}
}

// TestServerStopsOnCancel runs the default command (the server) and stops
// it the way a signal or the service's stop does: by cancelling.
func TestServerStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	ready := make(chan string, 1)
	serverReady = ready
	defer func() { serverReady = nil }()
	var errOut bytes.Buffer
	go func() {
		done <- cli(ctx, []string{"--listen", "127.0.0.1:0", "--backend", "sim", "--data-dir", t.TempDir(), "--log-level", "warn"}, io.Discard, &errOut)
	}()
	// Wait for the server to listen (an event, not a sleep: a loaded
	// machine may take long to start), then stop it.
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("the server exited %d before listening: %s", code, errOut.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the server did not stop")
	}
}

func TestLogFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "logs", "hvport.log")
	cfg := defaultConfig()
	cfg.LogFile, cfg.LogFormat = file, "json"
	sink := &fakeSink{}
	log, closeLog, err := openLogger(cfg, io.Discard, newEventCore(sink))
	if err != nil {
		t.Fatal(err)
	}
	log.Info("to both")
	log.Named("http").Info("to the file only")
	closeLog()
	b, err := readFile(file)
	if err != nil || !strings.Contains(b, `"msg":"to both"`) || !strings.Contains(b, `"msg":"to the file only"`) {
		t.Errorf("log file = %q, %v", b, err)
	}
	if len(sink.events) != 1 || !strings.Contains(sink.events[0], "to both") {
		t.Errorf("event log got %q", sink.events)
	}
}

// fakeHyperV answers Connect per namespace.
func fakeHyperV(open map[string]bool, calls *[]string) connectFunc {
	return func(ctx context.Context, ns string) (wmi.Services, func() error, error) {
		*calls = append(*calls, ns)
		if open[ns] {
			return &faultyServices{namespace: ns}, func() error { return nil }, nil
		}
		return nil, nil, &wmi.Error{Op: "Connect", Path: ns, HResult: wmi.WBEMInvalidNamespace, Msg: "invalid namespace"}
	}
}

// TestOpenHyperVOrder: v2 first, then v1, else a clear error.
func TestOpenHyperVOrder(t *testing.T) {
	ctx := context.Background()
	var calls []string
	be, err := openHyperV(ctx, fakeHyperV(map[string]bool{wmi.NamespaceV2: true, wmi.NamespaceV1: true}, &calls), zap.NewNop())
	if err != nil || be.svc.Namespace() != wmi.NamespaceV2 || !reflect.DeepEqual(calls, []string{wmi.NamespaceV2}) {
		t.Errorf("both present: %v %v, calls %q", be, err, calls)
	}
	calls = nil
	be, err = openHyperV(ctx, fakeHyperV(map[string]bool{wmi.NamespaceV1: true}, &calls), zap.NewNop())
	if err != nil || be.svc.Namespace() != wmi.NamespaceV1 || be.name != "hyperv" || !reflect.DeepEqual(calls, []string{wmi.NamespaceV2, wmi.NamespaceV1}) {
		t.Errorf("v1 only: %v %v, calls %q", be, err, calls)
	}
	calls = nil
	core, logs := observe()
	_, err = openHyperV(ctx, fakeHyperV(nil, &calls), zap.New(core))
	if err == nil || !strings.Contains(err.Error(), `tried root\virtualization\v2, then root\virtualization`) ||
		!strings.Contains(err.Error(), "--backend sim") || strings.Contains(err.Error(), "\n") {
		t.Errorf("neither: %v", err)
	}
	var we *wmi.Error
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidNamespace {
		t.Errorf("the namespaces' errors are not wrapped: %v", err)
	}
	if len(*logs) != 2 {
		t.Errorf("want a warning per namespace, got %q", *logs)
	}
	_, err = openHyperV(ctx, func(context.Context, string) (wmi.Services, func() error, error) {
		return nil, nil, com.ErrNotWindows
	}, zap.NewNop())
	if !errors.Is(err, com.ErrNotWindows) || !strings.Contains(err.Error(), "use --backend sim here") {
		t.Errorf("not Windows: %v", err)
	}
}

func TestResolveBackend(t *testing.T) {
	auto := "sim"
	if runtime.GOOS == "windows" {
		auto = "hyperv"
	}
	for in, want := range map[string]string{"auto": auto, "sim": "sim", "hyperv": "hyperv"} {
		if got := resolveBackend(Config{Backend: in}); got != want {
			t.Errorf("resolveBackend(%s) = %s, want %s", in, got, want)
		}
	}
}

// observe is a tiny zap observer (zaptest/observer is not a dependency).
func observe() (zapcore.Core, *[]string) {
	var msgs []string
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zapcore.NewCore(enc, zapcore.AddSync(writerFunc(func(p []byte) (int, error) {
		msgs = append(msgs, string(p))
		return len(p), nil
	})), zapcore.DebugLevel), &msgs
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Unknown flags, arguments and commands exit 2 with one message.
func TestUsageErrorsAreOneLineAndExit2(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"extra"}, {"--listen"}, {"diagnose", "--bogus"}} {
		var errOut bytes.Buffer
		code := cli(context.Background(), args, io.Discard, &errOut)
		if lines := strings.Split(strings.TrimSpace(errOut.String()), "\n"); code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "server") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, errOut.String())
		}
	}
}

// --help lists the subcommands, not only the flags.
func TestHelpFlagListsSubcommands(t *testing.T) {
	var errOut bytes.Buffer
	if code := cli(context.Background(), []string{"--help"}, io.Discard, &errOut); code != 0 ||
		!strings.Contains(errOut.String(), "server token create") || !strings.Contains(errOut.String(), "server diagnose") {
		t.Fatalf("--help: exit %d\n%s", code, errOut.String())
	}
}
