// Package archtest keeps the arrows of docs/ARCHITECTURE.md true: it fails
// when a package imports a room it must not reach (forbidden, below), when
// a room imports one its allow-list does not name, and when a room above
// the driver uses wmi's call surface (rooms_test.go).
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/hvport/hvport/"

// forbidden lists, per package, module packages it must not depend on
// (directly or through others).
var forbidden = map[string][]string{
	// The driver speaks only the wmi seam: no transport, no HTTP, no jobs.
	"hyperv": {"wmi/com", "wmi/sim", "handlers", "jobs", "exports", "imports", "api", "metrics"},
	// The registry runs work it does not know.
	"jobs": {"hyperv", "wmi", "wmi/com", "wmi/sim", "handlers", "exports", "imports", "api", "auth", "audit", "roots", "metrics"},
	// The application rooms know no HTTP and no transport. They may hold
	// wmi values the driver hands them, never call WMI (rooms_test.go).
	"exports": {"handlers", "api", "wmi/com", "wmi/sim", "jobs", "auth", "audit", "metrics"},
	"imports": {"handlers", "api", "wmi/com", "wmi/sim", "jobs", "auth", "audit", "metrics"},
	// Handlers reach Hyper-V only through the driver and the rooms.
	"handlers": {"wmi/com", "wmi/sim"},
	// The seam and the transports know nothing above them.
	"wmi":     {"hyperv", "handlers", "jobs", "exports", "imports", "wmi/com", "wmi/sim", "metrics"},
	"wmi/sim": {"hyperv", "handlers", "jobs", "exports", "imports", "wmi/com"},
	"wmi/com": {"hyperv", "handlers", "jobs", "exports", "imports", "wmi/sim"},
	"errs":    {"hyperv", "handlers", "jobs", "exports", "imports", "wmi"},
	// Security rooms: leaf libraries the edge and the application rooms
	// use; they know nothing of HTTP, Hyper-V or jobs.
	"roots":            {"handlers", "jobs", "exports", "imports", "hyperv", "wmi", "api", "auth", "audit"},
	"auth":             {"handlers", "jobs", "exports", "imports", "hyperv", "wmi", "api", "roots", "audit"},
	"audit":            {"handlers", "jobs", "exports", "imports", "hyperv", "wmi", "api", "roots", "auth", "metrics"},
	"internal/secfile": {"handlers", "jobs", "exports", "imports", "hyperv", "wmi", "api", "roots", "auth", "audit"},
	"internal/dirlock": {"handlers", "jobs", "exports", "imports", "hyperv", "wmi", "api", "roots", "auth", "audit"},
	// Transfers pull from another agent through the Go client; they know
	// no job, no Hyper-V, no HTTP server.
	"transfers": {"handlers", "jobs", "hyperv", "wmi", "wmi/com", "wmi/sim", "imports", "auth", "audit", "api"},
	// Metrics measure the rooms through their hooks (jobs.Observer,
	// audit.Options.WriteFailed, a wrapped wmi.Services); they know the
	// job registry's and the seam's types, nothing above or beside them.
	"metrics": {"handlers", "exports", "imports", "hyperv", "wmi/com", "wmi/sim", "auth", "audit", "roots", "api", "transfers", "client", "cmd/server"},
	// Leaves any room may use: log fields carried in a context, and the
	// readiness checks' runner.
	"internal/logctx":    leafForbidden,
	"internal/readiness": leafForbidden,
	// The GC tuning is the server process's own policy: cmd/server
	// starts it; it knows no room.
	"internal/gctune": leafForbidden,
	// Failpoints are named steps any room may mark; they know nothing.
	"internal/failpoint": {"handlers", "jobs", "exports", "imports", "hyperv", "wmi", "api", "roots", "auth", "audit", "errs"},
	// The Go client speaks only HTTP, with the types generated from
	// api/openapi.yaml (client/gen): nothing of the server's, so that it
	// stays a client of the contract, not of the code.
	"client":     serverRooms,
	"client/gen": serverRooms,
	// The command line is a client of the API like any other program:
	// it goes through client only, never the server's packages.
	"cmd/hvport": serverRooms,
}

// serverRooms are every package of the server.
var serverRooms = []string{"handlers", "hyperv", "wmi", "wmi/com", "wmi/sim", "jobs", "exports", "imports", "errs", "api",
	"auth", "audit", "roots", "vhdx", "cmd/server", "internal/apitest", "internal/atomicfile", "internal/fcopy",
	"internal/progress", "internal/qemutest", "internal/secfile", "internal/testserver", "internal/dirlock", "internal/failpoint", "transfers",
	"metrics", "internal/logctx", "internal/readiness", "internal/gctune"}

// leafForbidden is every room of the server: a leaf imports none.
var leafForbidden = []string{"handlers", "hyperv", "wmi", "wmi/com", "wmi/sim", "jobs", "exports", "imports", "errs", "api",
	"auth", "audit", "roots", "transfers", "metrics", "client", "cmd/server"}

func deps(t *testing.T, pkg, goos string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", mod+pkg)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	set := map[string]bool{}
	for _, line := range strings.Fields(string(out)) {
		if strings.HasPrefix(line, mod) {
			set[strings.TrimPrefix(line, mod)] = true
		}
	}
	return set
}

func TestArrowsPointOneWay(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	for _, goos := range []string{"linux", "windows"} {
		for pkg, bad := range forbidden {
			d := deps(t, pkg, goos)
			for _, b := range bad {
				if d[b] {
					t.Errorf("GOOS=%s: %s depends on %s, against docs/ARCHITECTURE.md", goos, pkg, b)
				}
			}
		}
	}
}
