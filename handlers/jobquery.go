package handlers

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/jobs"
)

// The job list's query: filters that must all hold, a page size and where
// the page starts.
type jobQuery struct {
	state, kind, vm string
	since           time.Time
	limit           int
	cursor          *jobCursor
}

type jobCursor struct{ id string }

const (
	defaultJobPage = 100
	maxJobPage     = 1000
)

var (
	jobQueryParams = []string{"state", "kind", "vm", "since", "limit", "cursor"}
	jobStates      = []string{string(jobs.Queued), string(jobs.Running), string(jobs.Cancelling), string(jobs.Completed), string(jobs.Failed), string(jobs.Cancelled)}
	jobKinds       = []string{string(jobs.KindExport), string(jobs.KindImport), string(jobs.KindVerify)}
)

// parseJobQuery refuses unknown parameters (400) — a filter silently
// ignored would return every job — and invalid values (422), naming them.
func parseJobQuery(v url.Values) (jobQuery, error) {
	q := jobQuery{limit: defaultJobPage}
	var unknown []string
	for k := range v {
		if !slices.Contains(jobQueryParams, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		e := errs.E(errs.BadRequest, "unknown query parameter %q; GET /v1/jobs takes %s", unknown[0], strings.Join(jobQueryParams, ", "))
		for _, k := range unknown {
			e.Fields = append(e.Fields, errs.FieldError{Field: k, Reason: "unknown query parameter", Allowed: jobQueryParams})
		}
		return q, e
	}
	var bad []errs.FieldError
	q.state, q.kind, q.vm = v.Get("state"), v.Get("kind"), v.Get("vm")
	if q.state != "" && !slices.Contains(jobStates, q.state) {
		bad = append(bad, errs.FieldError{Field: "state", Reason: "unknown job state " + quote(q.state), Allowed: jobStates})
	}
	if q.kind != "" && !slices.Contains(jobKinds, q.kind) {
		bad = append(bad, errs.FieldError{Field: "kind", Reason: "unknown job kind " + quote(q.kind), Allowed: jobKinds})
	}
	if s := v.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			bad = append(bad, errs.FieldError{Field: "since", Reason: "an RFC 3339 time such as 2026-12-06T10:00:00Z, not " + quote(s)})
		}
		q.since = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxJobPage {
			bad = append(bad, errs.FieldError{Field: "limit", Reason: "an integer from 1 to " + strconv.Itoa(maxJobPage) + ", not " + quote(s)})
		}
		q.limit = n
	}
	if s := v.Get("cursor"); s != "" {
		id, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(id) == 0 {
			bad = append(bad, errs.FieldError{Field: "cursor", Reason: "not a cursor this server gave (use the previous page's next)"})
		}
		q.cursor = &jobCursor{id: string(id)}
	}
	if len(bad) > 0 {
		return q, &errs.Error{Kind: errs.Invalid, Msg: "invalid job list query", Fields: bad}
	}
	return q, nil
}

func (q jobQuery) match(s jobs.Snapshot) bool {
	switch {
	case q.state != "" && string(s.State) != q.state:
		return false
	case q.kind != "" && string(s.Kind) != q.kind:
		return false
	case q.vm != "" && !q.names(s.VM.ID, s.VM.Name) && !q.isImportedVM(s):
		return false
	case !q.since.IsZero() && s.CreatedAt.Before(q.since):
		return false
	}
	return true
}

// names reports whether the query's vm is this VM's id or name.
func (q jobQuery) names(id, name string) bool {
	return strings.EqualFold(id, q.vm) || strings.EqualFold(name, q.vm)
}

// isImportedVM reports whether s is an import that created the VM the
// query names (the registry holds an import under the exported VM).
func (q jobQuery) isImportedVM(s jobs.Snapshot) bool {
	if s.Kind != jobs.KindImport {
		return false
	}
	// A stored result that cannot name the VM is passed over without
	// decoding it (names with characters JSON escapes are decoded).
	if raw, ok := s.Result.(json.RawMessage); ok && !strings.ContainsAny(q.vm, `<>&"\`) && !containsFold(raw, q.vm) {
		return false
	}
	vm := importedVM(s.Result)
	return vm != nil && q.names(vm.ID, vm.Name)
}

// containsFold reports whether b contains s, ASCII letters compared
// without case, allocating nothing (the job list runs it per job).
func containsFold(b []byte, s string) bool {
	if s == "" {
		return true
	}
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	first := lower(s[0])
	for i := 0; i+len(s) <= len(b); i++ {
		if lower(b[i]) != first {
			continue
		}
		j := 1
		for j < len(s) && lower(b[i+j]) == lower(s[j]) {
			j++
		}
		if j == len(s) {
			return true
		}
	}
	return false
}

// A cursor is the last listed job's id, opaque to clients.
func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }
