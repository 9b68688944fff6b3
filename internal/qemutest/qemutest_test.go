package qemutest

import (
	"bytes"
	"strings"
	"testing"
)

func TestReportNamesSkippedChecks(t *testing.T) {
	var b bytes.Buffer
	report("x", &b)
	if b.Len() != 0 {
		t.Fatalf("a report with nothing skipped: %q", b.String())
	}
	mu.Lock()
	skipped["TestA"], skipped["TestB/sub"] = true, true
	mu.Unlock()
	defer func() { mu.Lock(); delete(skipped, "TestA"); delete(skipped, "TestB/sub"); mu.Unlock() }()
	report("vhdx", &b)
	line := b.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, "vhdx: 2 check(s)") || !strings.Contains(line, "TestA, TestB/sub") ||
		!strings.Contains(line, "qemu-utils") || !strings.Contains(line, RequireEnv) {
		t.Fatalf("report = %q", line)
	}
}
