package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseServiceCommandInstall(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "hv.yaml")
	if err := os.WriteFile(cfgFile, []byte("shutdown-timeout: 40s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	spec, err := parseServiceCommand(cmdInstall, []string{"--name", "hvport-test", "--config", "hv.yaml", "--data-dir=data", "--listen", "127.0.0.1:9000", "--backend", "sim"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--backend=sim", "--config=" + cfgFile, "--data-dir=" + filepath.Join(dir, "data"), "--listen=127.0.0.1:9000"}
	if spec.Name != "hvport-test" || !reflect.DeepEqual(spec.Args, want) {
		t.Errorf("spec = %q %q, want hvport-test %q", spec.Name, spec.Args, want)
	}
	if spec.Config.ShutdownTimeout != 40*time.Second || stopBudget(spec.Config) != 55*time.Second {
		t.Errorf("config %+v, budget %s", spec.Config, stopBudget(spec.Config))
	}
	// The arguments load on their own, from any directory.
	t.Chdir(t.TempDir())
	if _, err := loadConfig(spec.Args, io.Discard); err != nil {
		t.Errorf("the service's arguments do not load: %v", err)
	}
}

func TestParseServiceCommandErrors(t *testing.T) {
	dir := t.TempDir()
	relative := filepath.Join(dir, "rel.yaml")
	os.WriteFile(relative, []byte("data-dir: hvport-data\n"), 0o644)
	cases := []struct {
		cmd  command
		args []string
		says string
	}{
		{cmdInstall, []string{"--config", relative}, `path "hvport-data" in the configuration is relative`},
		{cmdInstall, []string{"--backend", "vmware"}, "auto, sim or hyperv"},
		{cmdInstall, []string{"--json"}, "not defined: -json"},
		{cmdInstall, []string{"--name", `a\b`}, "no slashes"},
		{cmdInstall, []string{"--data-dir", dir, "extra"}, `unexpected argument "extra"`},
		{cmdStart, []string{"--listen", "x"}, "not defined: -listen"},
		{cmdStop, []string{"now"}, `unexpected argument "now"`},
		{cmdUninstall, []string{"--name", ""}, "want 1 to 256 characters"},
	}
	for _, c := range cases {
		_, err := parseServiceCommand(c.cmd, c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s %q: %v, want %q", c.cmd, c.args, err, c.says)
		}
	}
	spec, err := parseServiceCommand(cmdStop, nil, io.Discard)
	if err != nil || spec.Name != defaultServiceName || spec.Args != nil {
		t.Errorf("stop: %+v %v", spec, err)
	}
}

func TestIsAbs(t *testing.T) {
	for p, want := range map[string]bool{
		`C:\ProgramData\hvport`: true, `D:/x`: true, `\\server\share\x`: true,
		`hvport-data`: false, `logs\x.log`: false, `C:relative`: false, "": false,
	} {
		if got := isAbs(p); got != want {
			t.Errorf("isAbs(%q) = %v", p, got)
		}
	}
}

// TestWindowsConfig: configs/windows.yaml loads with the server's loader,
// sets what a production host needs, and passes install's checks.
func TestWindowsConfig(t *testing.T) {
	const file = "../../configs/windows.yaml"
	cfg, err := loadConfig([]string{"--config", file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.Backend != "auto" || cfg.LogFormat != "json" || cfg.LogLevel != "info" ||
		cfg.DataDir != `C:\ProgramData\hvport` || cfg.LogFile != `C:\ProgramData\hvport\logs\hvport.log` ||
		cfg.ShutdownTimeout != 20*time.Second || cfg.PollInterval != time.Second || len(cfg.ExportRoots) != 0 {
		t.Errorf("configs/windows.yaml loads as %+v", cfg)
	}
	spec, err := parseServiceCommand(cmdInstall, []string{"--config", file}, io.Discard)
	if err != nil {
		t.Fatalf("install --config configs/windows.yaml: %v", err)
	}
	if stopBudget(spec.Config) != 35*time.Second {
		t.Errorf("preshutdown budget %s", stopBudget(spec.Config))
	}
}
