package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
)

// GET /v1/jobs filters and pages (issue #12: state, kind and limit were
// silently ignored and every job came back).
func TestJobListFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var ids []string
	for i := 0; i < 3; i++ {
		j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, fmt.Sprintf("l%d", i))))
		e.waitJob(j.ID)
		ids = append(ids, j.ID)
	}
	dbJob := e.startExport("db-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "ldb")))
	e.waitJob(dbJob.ID)
	list := func(q string) api.Page[api.Job] {
		var p api.Page[api.Job]
		e.getJSON("/v1/jobs"+q, http.StatusOK, &p)
		return p
	}
	if p := list("?vm=WEB-01&kind=export&state=completed"); len(p.Items) != 3 || p.Next != nil || p.Items[0].ID != ids[2] {
		t.Fatalf("filtered list = %d items, next %v", len(p.Items), p.Next)
	}
	if p := list("?kind=import"); len(p.Items) != 0 {
		t.Fatalf("no import ran, got %d", len(p.Items))
	}
	if p := list("?since=" + url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))); len(p.Items) != 0 {
		t.Fatalf("jobs from the future: %d", len(p.Items))
	}
	// Pages of one, newest first, following next until it is null.
	var got []string
	q := "?limit=1"
	for i := 0; ; i++ {
		p := list(q)
		for _, j := range p.Items {
			got = append(got, j.ID)
		}
		if p.Next == nil {
			break
		}
		if i > 10 {
			t.Fatal("paging does not end")
		}
		q = "?limit=1&cursor=" + url.QueryEscape(*p.Next)
	}
	want := []string{dbJob.ID, ids[2], ids[1], ids[0]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
	for _, c := range []struct {
		q      string
		status int
		field  string
	}{
		{"?stat=completed", 400, "stat"},
		{"?state=done", 422, "state"},
		{"?kind=backup", 422, "kind"},
		{"?limit=0", 422, "limit"},
		{"?limit=1001", 422, "limit"},
		{"?since=yesterday", 422, "since"},
		{"?cursor=%21%21", 422, "cursor"},
		{"?cursor=" + url.QueryEscape("bm90LWEtam9i"), 422, "cursor"},
	} {
		status, h, body := e.do("GET", "/v1/jobs"+c.q, "", "")
		p := problem(t, h, body)
		errs, _ := p["errors"].([]any)
		if status != c.status || len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s: %d %s, want %d naming %s", c.q, status, body, c.status, c.field)
		}
	}
}

// GET /v1/jobs/{id}?wait= answers when the job's state moves on from the
// one the caller saw, when it finishes, or when the time is up; 202s say
// when to look first (issue #12's waiting contract).
func TestJobLongPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 64 << 10})
	status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "slow")))
	if status != 202 || h.Get("Retry-After") != "1" {
		t.Fatalf("202 without Retry-After: %d %q %s", status, h.Get("Retry-After"), body)
	}
	id := strings.TrimPrefix(h.Get("Location"), "/v1/jobs/")
	var j api.Job
	e.getJSON("/v1/jobs/"+id+"?wait=55s&state=queued", http.StatusOK, &j)
	if j.State == "queued" {
		t.Fatalf("the long poll returned while the job was still queued")
	}
	// Still running after a short wait: the answer comes when time is up.
	e.getJSON("/v1/jobs/"+id+"?wait=1s&state=running", http.StatusOK, &j)
	if j.State != "running" {
		t.Fatalf("after a 1 s wait on a slow export: %s", j.State)
	}
	e.do("POST", "/v1/jobs/"+id+"/cancel", "", "")
	e.getJSON("/v1/jobs/"+id+"?wait=55s&state=cancelling", http.StatusOK, &j)
	if j.State != "cancelled" {
		t.Fatalf("after cancel: %s", j.State)
	}
	// A finished job answers at once, whatever it is waited for.
	e.getJSON("/v1/jobs/"+id+"?wait=55s", http.StatusOK, &j)
	for _, c := range []struct {
		q      string
		status int
	}{{"?wait=forever", 422}, {"?wait=2m", 422}, {"?state=done&wait=1s", 422}, {"?timeout=1s", 400}} {
		if s, _, b := e.do("GET", "/v1/jobs/"+id+c.q, "", ""); s != c.status {
			t.Errorf("%s: %d %s, want %d", c.q, s, b, c.status)
		}
	}
}
