package handlers_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test shuts its registry and simulated host down; nothing may keep
// running after it (jobs, copy engines, pollers). Idle keep-alive
// connections of the HTTP client are not ours to wait for.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
