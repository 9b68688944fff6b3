package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

// fleetQuery runs q against every saved host at the same time and
// returns the items in the hosts' order. A host that fails is reported on
// stderr and left out; the error returned is nil when at least one host
// answered, else the first host's (so the exit code is its).
func fleetQuery[T any](ctx context.Context, cmd *cobra.Command, a *app, q func(ctx context.Context, host string, c *client.Client) ([]T, error)) ([]T, error) {
	for _, f := range []string{"url", "host", "token", "token-file", "ca-file", "fingerprint"} {
		if flagSet(cmd, f) {
			return nil, usageErrorf("--all-hosts uses each saved host's settings: --%s cannot be given with it", f)
		}
	}
	cfg, path, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	if len(cfg.Hosts) == 0 {
		return nil, usageErrorf("--all-hosts: no hosts in %s (hvport host add NAME URL)", path)
	}
	results := make([][]T, len(cfg.Hosts))
	errs := make([]error, len(cfg.Hosts))
	var wg sync.WaitGroup
	for i, h := range cfg.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := clientFor(connection{Host: h.Name, URL: h.URL, Token: h.Token, TokenFile: h.TokenFile, CAFile: h.CAFile, Fingerprint: h.Fingerprint},
				// One host that is down should not hold up the others' list
				// for long: one retry, not the usual three.
				client.WithRetries(1))
			if err == nil {
				results[i], err = q(ctx, h.Name, c)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var out []T
	var firstErr error
	answered := 0
	for i, h := range cfg.Hosts {
		if errs[i] != nil {
			writeError(a.stderr, fmt.Sprintf("host %s (%s): ", h.Name, h.URL), errs[i])
			if firstErr == nil {
				firstErr = errs[i]
			}
			continue
		}
		answered++
		out = append(out, results[i]...)
	}
	if answered == 0 {
		return nil, &exitError{code: exitCode(firstErr)} // reported above
	}
	return out, nil
}
