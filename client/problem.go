package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ProblemTypePrefix starts the type of every problem hvport answers;
// the rest is the kind (Problem.Kind).
const ProblemTypePrefix = "urn:hvport:problem:"

// Problem is an error the server answered: RFC 9457 problem details.
// Members other than the standard ones (candidates, exportRoots,
// requiredBytes, hyperv …) are in Extensions. An answer that is not
// problem details (a proxy's error page) becomes a Problem too, with type
// "about:blank", the status's text as title and the start of the body as
// detail.
//
// Both forms of errors.As work:
//
//	var p *client.Problem
//	if errors.As(err, &p) && p.Status == http.StatusNotFound { … }
//	var q client.Problem
//	errors.As(err, &q)
type Problem struct {
	Type       string
	Title      string
	Status     int
	Detail     string
	Instance   string
	Errors     []FieldError
	Extensions map[string]any
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string   `json:"field"`
	Reason  string   `json:"reason"`
	Allowed []string `json:"allowed,omitempty"`
}

// Error is one line: status, title, detail and the field errors.
func (p Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hvport: %d %s", p.Status, p.Title)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, f := range p.Errors {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Reason)
		if len(f.Allowed) > 0 {
			fmt.Fprintf(&b, " (allowed: %s)", strings.Join(f.Allowed, ", "))
		}
	}
	return b.String()
}

// As lets errors.As fill a Problem value as well as a *Problem.
func (p *Problem) As(target any) bool {
	if t, ok := target.(*Problem); ok {
		*t = *p
		return true
	}
	return false
}

// Kind is the problem's kind: "not-found", "invalid", "conflict" … (the
// type without ProblemTypePrefix), or "" for a type that is not hvport's.
func (p Problem) Kind() string {
	if k, ok := strings.CutPrefix(p.Type, ProblemTypePrefix); ok {
		return k
	}
	return ""
}

var standardMembers = map[string]bool{"type": true, "title": true, "status": true, "detail": true, "instance": true, "errors": true}

// UnmarshalJSON reads the standard members and keeps the others in
// Extensions.
func (p *Problem) UnmarshalJSON(b []byte) error {
	var std struct {
		Type     string       `json:"type"`
		Title    string       `json:"title"`
		Status   int          `json:"status"`
		Detail   string       `json:"detail"`
		Instance string       `json:"instance"`
		Errors   []FieldError `json:"errors"`
	}
	if err := json.Unmarshal(b, &std); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	*p = Problem{Type: std.Type, Title: std.Title, Status: std.Status, Detail: std.Detail, Instance: std.Instance, Errors: std.Errors}
	for k, raw := range all {
		if standardMembers[k] {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if p.Extensions == nil {
			p.Extensions = map[string]any{}
		}
		p.Extensions[k] = v
	}
	return nil
}

// MarshalJSON writes the problem as the server does: one object with the
// extensions next to the standard members.
func (p Problem) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Extensions)+6)
	for k, v := range p.Extensions {
		m[k] = v
	}
	m["type"], m["title"], m["status"] = p.Type, p.Title, p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.Instance != "" {
		m["instance"] = p.Instance
	}
	if len(p.Errors) > 0 {
		m["errors"] = p.Errors
	}
	return json.Marshal(m)
}

// JobProblem is why a job failed or was cancelled, or nil.
func JobProblem(j Job) *Problem {
	if j.Error == nil {
		return nil
	}
	b, err := json.Marshal(j.Error)
	if err != nil {
		return &Problem{Title: j.Error.Title, Status: int(j.Error.Status), Type: j.Error.Type}
	}
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil {
		return &Problem{Title: j.Error.Title, Status: int(j.Error.Status), Type: j.Error.Type}
	}
	return &p
}

// problemOf turns an answer with an unexpected status into a *Problem.
func problemOf(a answer) *Problem {
	mt, _, _ := mime.ParseMediaType(a.header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		var p Problem
		if err := json.Unmarshal(a.body, &p); err == nil && p.Status != 0 && p.Title != "" {
			if p.Status != a.status { // trust the status line
				p.Status = a.status
			}
			return &p
		}
	}
	detail := string(bytes.TrimSpace(a.body))
	if len(detail) > 200 {
		detail = detail[:200]
		for !utf8.ValidString(detail) {
			detail = detail[:len(detail)-1]
		}
		detail += "…"
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(a.status), Status: a.status,
		Detail: detail, Instance: a.path}
}

// Permanent reports whether asking again cannot change the answer: a 4xx
// other than 408 (timeout) and 429 (too many requests). A pull stops
// fetching a file after such an answer instead of retrying it.
func (p *Problem) Permanent() bool {
	return p.Status >= 400 && p.Status < 500 && p.Status != 408 && p.Status != 429
}
