package main

import (
	"fmt"
	"strings"
)

// command is what the server binary was asked to do: run the server (the
// default), or one of the subcommands.
type command string

const (
	cmdServe     command = "serve"
	cmdHelp      command = "help"
	cmdDiagnose  command = "diagnose"
	cmdInstall   command = "install"
	cmdUninstall command = "uninstall"
	cmdStart     command = "start"
	cmdStop      command = "stop"
	cmdToken     command = "token"
)

var subcommands = []command{cmdToken, cmdDiagnose, cmdInstall, cmdUninstall, cmdStart, cmdStop, cmdHelp}

// parseCommand splits args into the command and its arguments. Without a
// command (no arguments, or a flag first) the server runs, so
// `server --listen ...` works as it always did.
func parseCommand(args []string) (command, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return cmdServe, args, nil
	}
	for _, c := range subcommands {
		if args[0] == string(c) {
			return c, args[1:], nil
		}
	}
	names := make([]string, len(subcommands))
	for i, c := range subcommands {
		names[i] = string(c)
	}
	return "", nil, fmt.Errorf("unknown command %q (want one of %s; without a command the server runs)", args[0], strings.Join(names, ", "))
}

const usage = `server: the hvport service (the command line for management hosts is hvport,
built from ./cmd/hvport)

usage:
  server [flags]                    run the server
  server token create --name NAME --role reader|operator|admin [--vms GLOB,...] [--expires 720h] [flags]
                                    create an API token and print it (once)
  server token list [--json] [flags] list the tokens (never their secrets)
  server token revoke NAME [flags]  revoke a token; a running server refuses it at once
  server diagnose [flags] [--json] [--vm NAME|ID] [--timeout DURATION]
                                    read-only checks of the host; exits 1 if one fails
  server install [--name NAME] [flags]
                                    install the Windows service, which runs with these flags
  server uninstall [--name NAME]    stop and remove the Windows service
  server start [--name NAME]        start the Windows service and wait until it runs
  server stop [--name NAME]         stop the Windows service and wait until it has stopped
  server help                       this text

flags (all commands that run the server or check it):
  --config FILE     YAML configuration (keys as in configs/hvport.yaml)
  --listen ADDR     address to listen on (default 127.0.0.1:8080)
  --backend KIND    auto (Hyper-V on Windows, the simulator elsewhere), sim or hyperv
  --data-dir DIR    data directory
  --log-level LEVEL debug, info, warn or error
  --tls-cert FILE, --tls-key FILE   serve TLS with this certificate (default off loopback:
                    a self-signed one in <data-dir>/tls, fingerprint logged)
  --tls-client-ca FILE              verify client certificates (mTLS; needs auth.client-subjects)
  --insecure-no-auth                no authentication: loopback demos only

The service's name defaults to hvport. See docs/WINDOWS.md.
`
