//go:build linux || darwin

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"

	"github.com/hvport/hvport/internal/testserver"
)

// On a terminal, --wait draws a live bar per job with its phase and
// percent (the simulator copies slowly here, so the bars are drawn while
// the jobs run).
func TestTerminalProgressBars(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{CopyBytesPerSecond: 4 << 20})
	e := forServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, hvportBin, "export", "web-01", "db-01", "--to", srv.ExportRoot, "--wait")
	cmd.Dir, cmd.Env = e.dir, append(e.environ(), "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	_, err = io.Copy(&out, tty)
	if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the child closed the terminal
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("hvport export --wait on a terminal: %v\n%s", err, out.String())
	}
	s := out.String()
	contains(t, "the terminal", s, "export web-01 [", "export db-01 [", "exporting", "completed", "\x1b[",
		"exported web-01 to "+filepath.Join(srv.ExportRoot, "web-01"), "exported db-01 to "+filepath.Join(srv.ExportRoot, "db-01"))
	// A bar while exporting: the phase, the bar, a percentage below 100
	// and the bytes of the phase.
	bar := regexp.MustCompile(`export (web|db)-01 \[\w+\]\s+exporting\s+\[[^\]]*\]\s+(\d+) ?%\s+[\d.]+ \S?i?B / [\d.]+ \S+`)
	m := bar.FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		t.Fatalf("no bar of a running export on the terminal:\n%q", s)
	}
	if strings.Contains(s, "exporting 0% (") {
		t.Errorf("progress lines on a terminal:\n%q", s)
	}
}
