package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jobs.max-age: a duration, 30 days by default, refused when not positive.
func TestJobsMaxAgeConfig(t *testing.T) {
	if def := defaultConfig(); def.Jobs.MaxAge != 30*24*time.Hour {
		t.Fatalf("default jobs.max-age = %s", def.Jobs.MaxAge)
	}
	f := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(f, []byte("jobs:\n  max-age: 48h\n"), 0o600)
	cfg, err := loadConfig([]string{"--config", f}, io.Discard)
	if err != nil || cfg.Jobs.MaxAge != 48*time.Hour || cfg.Jobs.Retain != 1000 {
		t.Fatalf("jobs.max-age: 48h loads as %+v, %v", cfg.Jobs, err)
	}
	for _, v := range []string{"0s", "-1h"} {
		os.WriteFile(f, []byte("jobs:\n  max-age: "+v+"\n"), 0o600)
		if _, err := loadConfig([]string{"--config", f}, io.Discard); err == nil || !strings.Contains(err.Error(), "jobs.max-age") {
			t.Errorf("jobs.max-age: %s: %v", v, err)
		}
	}
}
