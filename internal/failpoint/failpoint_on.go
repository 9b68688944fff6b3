//go:build failpoints

package failpoint

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// Enabled reports whether failpoints are compiled in.
const Enabled = true

// armed are the points HVPORT_FAILPOINTS names, read once.
var armed = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, name := range strings.Split(os.Getenv("HVPORT_FAILPOINTS"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			m[name] = true
		}
	}
	return m
})

// Hit kills the process when the environment arms this point.
func Hit(name string) {
	if !armed()[name] {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint %s: killing the process\n", name)
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		p.Kill() // SIGKILL; TerminateProcess on Windows
	}
	select {} // the kill is asynchronous; never go on past the point
}
