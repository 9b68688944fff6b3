package client_test

import "github.com/hvport/hvport/internal/testserver"

// startServer starts a real hvport service on the simulated Hyper-V host
// (the demo VMs), wired as cmd/server wires it, in a new temporary
// directory (internal/testserver). It takes no *testing.T so that
// examples can use it; Close removes everything. srv.URL is
// http://127.0.0.1:<port>, srv.TokenFile an admin token as the server's
// <data-dir>/admin.token.
func startServer() (*testserver.Server, error) {
	return testserver.Start(testserver.Options{})
}
