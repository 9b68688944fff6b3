// Command hvport is the command line of hvport's REST API, for Linux (and
// Windows) management hosts: list VMs, export and import them with edited
// settings, follow the jobs with a progress bar, and do the same against
// several configured hosts. It builds on the Go client (package client)
// and knows the server only through the API.
//
// Exit codes: 0 success; 1 a job failed or was cancelled, or a verify
// found damage; 2 usage (unknown command or flag, bad arguments, a
// configuration that cannot be used); 3 not found; 4 refused (401, 403,
// 409, 422 and other 4xx answers); 5 server or network error.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := newApp(stdout, stderr, getenv)
	root := a.rootCommand()
	root.SetArgs(args)
	_, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	return a.report(err)
}
