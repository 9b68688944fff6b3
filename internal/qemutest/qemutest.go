// Package qemutest finds qemu-img for the tests that check hvport's VHDX
// files against an independent implementation, and says so when they
// could not run: without qemu-img those checks are skipped (CI sets
// HVPORT_REQUIRE_QEMU=1 and fails instead), and `go test ./...` hides the
// output of passing packages, so a skip would go unnoticed.
package qemutest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
)

// RequireEnv makes a missing qemu-img a test failure (CI).
const RequireEnv = "HVPORT_REQUIRE_QEMU"

var (
	mu      sync.Mutex
	skipped = map[string]bool{} // test names
)

// Find returns the path of a qemu tool (qemu-img, qemu-io: Debian's
// qemu-utils). Without it the test fails when RequireEnv is 1, and
// otherwise is recorded as skipped and gets "" (the caller skips its qemu
// part).
func Find(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s is not on PATH and %s=1: %v", tool, RequireEnv, err)
	}
	mu.Lock()
	skipped[t.Name()] = true
	mu.Unlock()
	return ""
}

// Report writes one line naming the skipped checks, if any, to the
// terminal (which go test does not capture; else to standard error, seen
// with -v or on failure). A package's TestMain calls it after m.Run.
func Report(pkg string) { report(pkg, terminal()) }

func report(pkg string, w io.Writer) {
	mu.Lock()
	names := make([]string, 0, len(skipped))
	for n := range skipped {
		names = append(names, n)
	}
	mu.Unlock()
	if len(names) == 0 || w == nil {
		return
	}
	sort.Strings(names)
	fmt.Fprintf(w, "hvport: %s: %d check(s) against qemu-img skipped, qemu-utils is not installed (%s); install it (Debian/Ubuntu: apt-get install qemu-utils) to run them; CI requires them (%s=1)\n",
		pkg, len(names), strings.Join(names, ", "), RequireEnv)
}

func terminal() io.Writer {
	if f, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		return f
	}
	return os.Stderr
}
