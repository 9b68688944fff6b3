package handlers

import (
	"errors"
	"net/http"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/errs"
)

// ProblemTypeBase prefixes every problem type; the slug after it is the
// error Kind's stable name (see errs.Kind).
const ProblemTypeBase = "urn:hvport:problem:"

// kindStatus maps each error Kind to exactly one HTTP status. This is the
// only place where errors become statuses.
var kindStatus = map[errs.Kind]int{
	errs.Internal:            http.StatusInternalServerError,
	errs.BadRequest:          http.StatusBadRequest,
	errs.Invalid:             http.StatusUnprocessableEntity,
	errs.NotFound:            http.StatusNotFound,
	errs.Conflict:            http.StatusConflict,
	errs.InvalidState:        http.StatusConflict,
	errs.Busy:                http.StatusConflict,
	errs.TooLarge:            http.StatusRequestEntityTooLarge,
	errs.UnsupportedMedia:    http.StatusUnsupportedMediaType,
	errs.TooManyRequests:     http.StatusTooManyRequests,
	errs.Unavailable:         http.StatusServiceUnavailable,
	errs.InsufficientStorage: http.StatusInsufficientStorage,
	errs.HostFailed:          http.StatusBadGateway,
	errs.Cancelled:           http.StatusConflict,
	errs.NotSupported:        http.StatusUnprocessableEntity,
	errs.MethodNotAllowed:    http.StatusMethodNotAllowed,
	errs.Unauthenticated:     http.StatusUnauthorized,
	errs.Forbidden:           http.StatusForbidden,
	errs.PathForbidden:       http.StatusForbidden,
	errs.AuditUnavailable:    http.StatusServiceUnavailable,
	errs.Interrupted:         http.StatusInternalServerError,
	errs.ShuttingDown:        http.StatusServiceUnavailable,
	errs.RangeNotSatisfiable: http.StatusRequestedRangeNotSatisfiable,
}

var kindTitle = map[errs.Kind]string{
	errs.Internal:            "Internal error",
	errs.BadRequest:          "Malformed request",
	errs.Invalid:             "Invalid request",
	errs.NotFound:            "Not found",
	errs.Conflict:            "Conflict",
	errs.InvalidState:        "Invalid state for this operation",
	errs.Busy:                "The VM is busy",
	errs.TooLarge:            "Request body too large",
	errs.UnsupportedMedia:    "Unsupported media type",
	errs.TooManyRequests:     "Too many queued jobs",
	errs.Unavailable:         "Hyper-V host unavailable",
	errs.InsufficientStorage: "Insufficient storage",
	errs.HostFailed:          "Hyper-V reported a failure",
	errs.Cancelled:           "Cancelled",
	errs.NotSupported:        "Not supported by this host",
	errs.MethodNotAllowed:    "Method not allowed",
	errs.Unauthenticated:     "Authentication required",
	errs.Forbidden:           "Forbidden",
	errs.PathForbidden:       "Path outside the configured roots",
	errs.AuditUnavailable:    "Audit log unavailable",
	errs.Interrupted:         "Interrupted by a server restart",
	errs.ShuttingDown:        "The server is shutting down",
	errs.RangeNotSatisfiable: "Range not satisfiable",
}

// StatusOf returns the HTTP status for a Kind.
func StatusOf(k errs.Kind) int {
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ProblemOf turns any error into a problem object. Internal errors keep
// their cause out of the response (it is logged instead).
func ProblemOf(err error) *api.Problem {
	var e *errs.Error
	if !errors.As(err, &e) {
		e = &errs.Error{Kind: errs.Internal, Msg: "an internal error occurred", Err: err}
	}
	p := &api.Problem{
		Type:   ProblemTypeBase + e.Kind.String(),
		Title:  kindTitle[e.Kind],
		Status: StatusOf(e.Kind),
		Detail: e.Msg,
	}
	if p.Title == "" {
		p.Title = "Error"
	}
	if e.Kind == errs.Internal {
		p.Detail = "an internal error occurred; the server log has the details"
	}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, api.FieldError{Field: f.Field, Reason: f.Reason, Allowed: f.Allowed})
	}
	if len(e.Extra) > 0 {
		p.Extensions = e.Extra
	}
	return p
}
