// Package errs is the domain error type shared by the driver, the job
// registry and the HTTP edge. An error has a Kind; handlers map each Kind
// to exactly one HTTP status and problem type, in one place
// (handlers/problem.go). Below the edge nobody thinks in HTTP statuses.
//
// The client-facing message (Msg) is kept apart from the internal cause
// (Err), which is logged but never sent.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error. Values are append-only: clients see them as
// problem types.
type Kind int

const (
	Internal            Kind = iota // a bug or an unexpected failure
	BadRequest                      // malformed request (bad JSON, unknown field)
	Invalid                         // well-formed but invalid input; Fields say which
	NotFound                        // no such VM, job, export
	Conflict                        // the request conflicts with current state (ambiguous name, target exists, job finished)
	InvalidState                    // the VM's state does not allow the operation (Hyper-V 32775)
	Busy                            // the VM is busy with another operation (Hyper-V 32774)
	TooLarge                        // request body over the limit
	UnsupportedMedia                // not application/json
	TooManyRequests                 // the job queue is full
	Unavailable                     // the Hyper-V host cannot be reached
	InsufficientStorage             // not enough free space
	HostFailed                      // Hyper-V reported a failure (method return code or job error)
	Cancelled                       // the operation was cancelled by a user
	NotSupported                    // the host's Hyper-V API version lacks the feature
	MethodNotAllowed                // the route exists, the HTTP method does not
	Unauthenticated                 // no credentials, or credentials that are not valid (401)
	Forbidden                       // valid credentials without the permission (403)
	PathForbidden                   // a client path outside every configured root, or leaving one (403)
	AuditUnavailable                // the audit record of a mutating request cannot be written (503)
	Interrupted                     // a job the server stopped during, not resumed (500; not the host's fault)
	ShuttingDown                    // the server is draining for a stop and starts no new job (503)
	RangeNotSatisfiable             // a Range that selects no byte of the file (416)
)

var kindNames = [...]string{
	Internal: "internal", BadRequest: "bad-request", Invalid: "invalid", NotFound: "not-found",
	Conflict: "conflict", InvalidState: "invalid-state", Busy: "busy", TooLarge: "too-large",
	UnsupportedMedia: "unsupported-media-type", TooManyRequests: "too-many-requests",
	Unavailable: "unavailable", InsufficientStorage: "insufficient-storage",
	HostFailed: "hyperv-failed", Cancelled: "cancelled", NotSupported: "not-supported",
	MethodNotAllowed: "method-not-allowed", Unauthenticated: "unauthenticated", Forbidden: "forbidden",
	PathForbidden: "path-forbidden", AuditUnavailable: "audit-unavailable", Interrupted: "interrupted",
	ShuttingDown: "shutting-down", RangeNotSatisfiable: "range-not-satisfiable",
}

// String is the kind's stable slug (used in problem type URIs).
func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string   `json:"field"`             // JSON path, e.g. "settings.copySnapshotConfiguration"
	Reason  string   `json:"reason"`            // what is wrong
	Allowed []string `json:"allowed,omitempty"` // the allowed values, for enums
}

// Error is the domain error.
type Error struct {
	Op     string         // what was being done, e.g. "export"
	Kind   Kind           // classification
	Msg    string         // client-facing message
	Fields []FieldError   // for Invalid
	Extra  map[string]any // client-facing details (e.g. "candidates" for an ambiguous name)
	Err    error          // internal cause; logged, not sent
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	for _, f := range e.Fields {
		if !strings.Contains(e.Msg, f.Reason) {
			fmt.Fprintf(&b, "; %s: %s", f.Field, f.Reason)
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of the given kind with a client-facing message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap builds an error of the given kind around an internal cause.
func Wrap(kind Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// Field builds an Invalid error for one field.
func Field(field, reason string, allowed ...string) *Error {
	return &Error{Kind: Invalid, Msg: "invalid " + field + ": " + reason,
		Fields: []FieldError{{Field: field, Reason: reason, Allowed: allowed}}}
}

// WithOp sets Op and returns e.
func (e *Error) WithOp(op string) *Error { e.Op = op; return e }

// Message is the client-facing message of err: its *Error's Msg, or a
// generic text for other errors (whose text may hold internals).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return "an internal error occurred"
}

// KindOf returns the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err's Kind is k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// ErrShutdown is the cancellation cause the job registry uses when the
// server shuts down: work should stop watching, not cancel the Hyper-V job
// (a restarted server will reattach to it).
var ErrShutdown = errors.New("server shutting down")

// ErrCancelled is the cancellation cause of a user's cancel request.
var ErrCancelled = errors.New("cancelled by request")
