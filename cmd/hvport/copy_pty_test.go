//go:build linux || darwin

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"

	"github.com/hvport/hvport/internal/testserver"
)

// runOnTerminal runs hvport with a terminal as its streams and returns
// what it drew.
func runOnTerminal(t *testing.T, e *env, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, hvportBin, args...)
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
		t.Fatalf("hvport %s on a terminal: %v\n%q", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// On a terminal, vm copy --wait draws one bar across the steps: the
// export on the source (the simulators copy slowly here, so the bar is
// drawn while it runs, with bytes and a rate), the transfer, the import;
// exports download draws its bar too.
func TestCopyAndDownloadBarsOnATerminal(t *testing.T) {
	t.Parallel()
	a := startServer(t, testserver.Options{CopyBytesPerSecond: 16 << 20})
	b := startServer(t, testserver.Options{CopyBytesPerSecond: 16 << 20})
	e := newEnv(t)
	e.ok("host", "add", "a", a.URL, "--token-file", a.TokenFile)
	e.ok("host", "add", "b", b.URL, "--token-file", b.TokenFile)

	s := runOnTerminal(t, e, "vm", "copy", "web-01", "--from", "a", "--to", "b", "--keep-export", "--wait")
	contains(t, "the terminal", s, "copy web-01 a → b", "exporting on a", "completed", "\x1b[", "copied web-01 from a to b as web-01-copy (")
	bar := regexp.MustCompile(`copy web-01 a → b\s+exporting on a\s+\[[^\]]*\]\s+(\d+) ?%\s+[\d.]+ \S?i?B / [\d.]+ \S+\s+[\d.]+ \S?i?B/s`)
	if !bar.MatchString(s) {
		t.Fatalf("no bar of the running export with bytes and rate on the terminal:\n%q", s)
	}
	if strings.Count(s, "\n") > 30 || strings.Contains(s, "exporting on a 0% (") {
		t.Errorf("progress lines, not one bar, on a terminal:\n%q", s)
	}

	id := strings.Fields(e.ok("exports", "list", "-q", "--host", "a").stdout)[0]
	s = runOnTerminal(t, e, "exports", "download", id, "--to", "dl", "--host", "a")
	// (Loopback is quick: the bar may be drawn once, finished.)
	contains(t, "the terminal", s, "download web-01 ["+id[:8]+"]", "completed", "[=====", "100 %", "downloaded export "+id)
}
