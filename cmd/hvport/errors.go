package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/hvport/hvport/client"
)

// Exit codes (README "The hvport command").
const (
	exitOK       = 0
	exitJob      = 1 // the job failed or was cancelled, or a verify found damage
	exitUsage    = 2
	exitNotFound = 3
	exitRefused  = 4 // 401, 403, 409, 422 (and other 4xx)
	exitServer   = 5 // 5xx, network, TLS
)

// exitError ends the command with code. A nil err means the message was
// printed already.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is an error in how hvport was called or configured (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func notFoundErrorf(format string, args ...any) error {
	return &exitError{code: exitNotFound, err: fmt.Errorf(format, args...)}
}

// silent is an exit code whose message was printed already.
func silent(code int) error { return &exitError{code: code} }

// exitCode classifies an error.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var p *client.Problem
	if errors.As(err, &p) {
		return problemCode(p.Status)
	}
	return exitServer // network, TLS, a broken answer
}

func problemCode(status int) int {
	switch {
	case status == http.StatusNotFound:
		return exitNotFound
	case status >= 400 && status < 500:
		return exitRefused
	default:
		return exitServer
	}
}

// report prints err to stderr in one readable block and returns its exit
// code.
func (a *app) report(err error) int {
	code := exitCode(err)
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(a.stderr, "hvport: interrupted")
		return 130
	}
	writeError(a.stderr, "", err)
	if code == exitUsage && a.usageHint != "" {
		fmt.Fprintln(a.stderr, a.usageHint)
	}
	return code
}

// writeError writes "hvport: " + prefix + the error; a *client.Problem as
// its status and title, then detail, field errors and the extensions
// that help (candidates, roots, sizes), indented under it.
func writeError(w io.Writer, prefix string, err error) {
	var p *client.Problem
	if !errors.As(err, &p) {
		fmt.Fprintf(w, "hvport: %s%v\n", prefix, err)
		return
	}
	writeProblem(w, prefix, p)
}

func writeProblem(w io.Writer, prefix string, p *client.Problem) {
	fmt.Fprintf(w, "hvport: %s%d %s\n", prefix, p.Status, p.Title)
	if p.Detail != "" {
		fmt.Fprintf(w, "  %s\n", p.Detail)
	}
	for _, f := range p.Errors {
		fmt.Fprintf(w, "  %s: %s", f.Field, f.Reason)
		if len(f.Allowed) > 0 {
			fmt.Fprintf(w, " (allowed: %s)", strings.Join(f.Allowed, ", "))
		}
		fmt.Fprintln(w)
	}
	keys := make([]string, 0, len(p.Extensions))
	for k := range p.Extensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, extensionText(p.Extensions[k]))
	}
	if p.Status == http.StatusUnauthorized {
		fmt.Fprintln(w, "  (check the token: --token-file, HVPORT_TOKEN_FILE or the host's token-file; hvport host list)")
	}
}

func extensionText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if s, ok := e.(string); ok {
				parts[i] = s
			} else {
				b, _ := json.Marshal(e)
				parts[i] = string(b)
			}
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprintf("%.0f", x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
