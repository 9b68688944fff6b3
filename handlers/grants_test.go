package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
)

// makeGrant posts a grant for the export as token and returns it.
func (e *env) makeGrant(token, exportID, body string) api.CreatedGrant {
	e.t.Helper()
	status, h, b := e.sendAs(token, "POST", "/v1/exports/"+exportID+"/grants", body)
	var g api.CreatedGrant
	if err := json.Unmarshal(b, &g); status != http.StatusCreated || err != nil {
		e.t.Fatalf("grant %s = %d %s", body, status, b)
	}
	if h.Get("Location") != "/v1/exports/"+exportID+"/grants/"+g.ID {
		e.t.Fatalf("Location %q", h.Get("Location"))
	}
	return g
}

// A grant reads its export — details, manifest, files — and nothing else.
func TestGrantReadsOnlyItsExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a, b := published(t, e, "web-01", "a"), published(t, e, "db-01", "b")
	op := e.token("mover", auth.Operator)
	g := e.makeGrant(op, a.ID, `{}`)
	if !strings.HasPrefix(g.Token, "hvp_"+g.ID+"_") || g.ExportID != a.ID || g.DeleteExportWhenDone || g.CreatedBy != "token:"+auth.TokenID(op) ||
		g.ExpiresAt.Sub(g.CreatedAt) != auth.DefaultGrantLifetime {
		t.Fatalf("grant = %+v", g)
	}
	f := a.Files[0]
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/exports/" + a.ID},
		{"GET", "/v1/exports/" + strings.ToUpper(a.ID)},
		{"GET", "/v1/exports/" + a.ID + "/manifest"},
		{"HEAD", "/v1/exports/" + a.ID + "/manifest"},
		{"GET", fileURL(a.ID, f.Path)},
		{"HEAD", fileURL(a.ID, f.Path)},
	} {
		if status, _, body := e.fetch(g.Token, c.method, c.path); status != 200 {
			t.Errorf("grant: %s %s = %d %.200s", c.method, c.path, status, body)
		}
	}
	if status, _, body := e.fetch(g.Token, "GET", fileURL(a.ID, f.Path), "Range", "bytes=10-19"); status != 206 || len(body) != 10 {
		t.Errorf("grant: a range = %d (%d bytes)", status, len(body))
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/exports/" + b.ID, ""},
		{"GET", "/v1/exports/" + b.ID + "/manifest", ""},
		{"GET", fileURL(b.ID, b.Files[0].Path), ""},
		{"GET", "/v1/exports", ""},
		{"GET", "/v1/vms", ""},
		{"GET", "/v1/vms/web-01", ""},
		{"GET", "/v1/jobs", ""},
		{"GET", "/v1/openapi.yaml", ""},
		{"GET", "/v1/exports/" + a.ID + "/grants", ""},
		{"POST", "/v1/exports/" + a.ID + "/grants", `{}`},
		{"DELETE", "/v1/exports/" + a.ID + "/grants/" + g.ID, ""},
		{"DELETE", "/v1/exports/" + a.ID, ""},
		{"POST", "/v1/exports/" + a.ID + "/verify", ""},
		{"POST", "/v1/vms/web-01/exports", `{}`},
		{"POST", "/v1/imports", fmt.Sprintf(`{"exportId": %q, "settings": {"createCopy": true}}`, a.ID)},
		{"GET", "/v1/planned-vms", ""},
		{"GET", "/v1/tokens", ""},
	} {
		status, h, body := e.sendMatrix(g.Token, c.method, c.path, c.body)
		if status != 403 || problem(t, h, body)["type"] != "urn:hvport:problem:forbidden" {
			t.Errorf("grant: %s %s = %d, want 403: %.200s", c.method, c.path, status, body)
		}
	}
	// Nothing was started or removed on the grant's say.
	var jl api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &jl)
	if len(jl.Items) != 2 {
		t.Fatalf("jobs = %d, want the two exports", len(jl.Items))
	}
	if _, err := os.Stat(filepath.Join(a.Directory, "hvport-manifest.json")); err != nil {
		t.Fatal(err)
	}
}

// Expired, revoked and unknown grants get one and the same 401.
func TestGrantExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "w")
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e.tokens.SetClock(func() time.Time { return now })
	short := e.makeGrant(e.admin, x.ID, `{"expiresIn": "30m"}`)
	revoked := e.makeGrant(e.admin, x.ID, `{"expiresIn": "24h"}`)
	if !short.ExpiresAt.Equal(now.Add(30*time.Minute)) || !revoked.ExpiresAt.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("expiresAt %v / %v", short.ExpiresAt, revoked.ExpiresAt)
	}
	manifest := "/v1/exports/" + x.ID + "/manifest"
	for _, g := range []api.CreatedGrant{short, revoked} {
		if status, _, _ := e.fetch(g.Token, "GET", manifest); status != 200 {
			t.Fatalf("a live grant = %d", status)
		}
	}
	// The list shows both, without a secret.
	var l api.List[api.Grant]
	e.getJSON("/v1/exports/"+x.ID+"/grants", 200, &l)
	raw, _ := json.Marshal(l)
	if len(l.Items) != 2 || l.Items[0].ID != short.ID || bytes.Contains(raw, []byte(secretOf(short.Token))) || bytes.Contains(raw, []byte(secretOf(revoked.Token))) {
		t.Fatalf("grants = %s", raw)
	}
	if s, _, b := e.do("DELETE", "/v1/exports/"+x.ID+"/grants/"+revoked.ID, "", ""); s != 200 {
		t.Fatalf("revoke = %d %s", s, b)
	}
	if s, _, _ := e.do("DELETE", "/v1/exports/"+x.ID+"/grants/"+revoked.ID, "", ""); s != 404 {
		t.Fatalf("revoke twice = %d", s)
	}
	e.tokens.SetClock(func() time.Time { return now.Add(30 * time.Minute) })
	unknown := "hvp_" + strings.Repeat("a", 10) + "_" + strings.Repeat("b", 52)
	var answers []string
	for _, tok := range []string{short.Token, revoked.Token, unknown} {
		status, h, body := e.fetch(tok, "GET", manifest)
		if status != 401 || h.Get("WWW-Authenticate") != `Bearer realm="hvport", error="invalid_token"` {
			t.Fatalf("an expired, revoked or unknown grant = %d %v", status, h)
		}
		answers = append(answers, string(body))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Fatalf("the answers tell expired, revoked and unknown apart:\n%s", strings.Join(answers, "\n"))
	}
	e.getJSON("/v1/exports/"+x.ID+"/grants", 200, &l)
	if len(l.Items) != 1 || l.Items[0].ID != short.ID {
		t.Fatalf("grants after a revocation = %+v", l.Items)
	}
}

func secretOf(tok string) string { return tok[strings.LastIndex(tok, "_")+1:] }

func TestGrantRequestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "w")
	for _, c := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"expiresIn": "25h"}`, 422, "expiresIn"},
		{`{"expiresIn": "0s"}`, 422, "expiresIn"},
		{`{"expiresIn": "-1h"}`, 422, "expiresIn"},
		{`{"expiresIn": "soon"}`, 422, "expiresIn"},
		{`{"expires": "1h"}`, 400, "expires"},
		{``, 400, ""},
	} {
		status, h, b := e.do("POST", "/v1/exports/"+x.ID+"/grants", "application/json", c.body)
		p := problem(t, h, b)
		if status != c.status || (c.field != "" && !strings.Contains(string(b), `"field":"`+c.field+`"`)) {
			t.Errorf("%s = %d %v, want %d naming %s", c.body, status, p, c.status, c.field)
		}
	}
	if s, _, _ := e.do("POST", "/v1/exports/no-such-export/grants", "application/json", `{}`); s != 404 {
		t.Fatalf("a grant for a missing export = %d", s)
	}
	if s, _, _ := e.do("GET", "/v1/exports/no-such-export/grants", "", ""); s != 404 {
		t.Fatalf("the grants of a missing export = %d", s)
	}
	var l api.List[api.Grant]
	e.getJSON("/v1/exports/"+x.ID+"/grants", 200, &l)
	if len(l.Items) != 0 {
		t.Fatalf("refused requests made grants: %+v", l.Items)
	}
}

// deleteExportWhenDone: only a grant made so deletes its export, and only
// an admin or the export's maker may make it so. The creation, the delete
// on the grant's say and a revocation are in the audit log; no grant's
// secret is.
func TestDeleteByGrantOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	maker, other := e.token("maker", auth.Operator), e.token("other", auth.Operator)
	var j api.Job
	status, _, body := e.sendAs(maker, "POST", "/v1/vms/web-01/exports", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "mine")))
	if status != 202 || json.Unmarshal(body, &j) != nil {
		t.Fatalf("export = %d %s", status, body)
	}
	mine := exportResult(t, finalJob(e, j.ID))["exportId"].(string)
	theirs := published(t, e, "db-01", "theirs").ID // made by the admin

	s, h, b := e.sendAs(other, "POST", "/v1/exports/"+mine+"/grants", `{"deleteExportWhenDone": true}`)
	if s != 403 || problem(t, h, b)["requiredRole"] != "admin" {
		t.Fatalf("another operator's deleting grant = %d %s", s, b)
	}
	if s, _, b := e.sendAs(maker, "POST", "/v1/exports/"+theirs+"/grants", `{"deleteExportWhenDone": true}`); s != 403 {
		t.Fatalf("a deleting grant for the admin's export, by an operator = %d %s", s, b)
	}
	readOnly := e.makeGrant(other, mine, `{"deleteExportWhenDone": false}`)
	deleting := e.makeGrant(maker, mine, `{"deleteExportWhenDone": true}`)
	byAdmin := e.makeGrant(e.admin, theirs, `{"deleteExportWhenDone": true}`)
	if !deleting.DeleteExportWhenDone || readOnly.DeleteExportWhenDone {
		t.Fatalf("grants %+v / %+v", deleting, readOnly)
	}
	if s, _, b := e.sendAs(readOnly.Token, "DELETE", "/v1/exports/"+mine, ""); s != 403 {
		t.Fatalf("delete with a read-only grant = %d %s", s, b)
	}
	if s, _, b := e.sendAs(deleting.Token, "DELETE", "/v1/exports/"+theirs, ""); s != 403 {
		t.Fatalf("delete of another export with a deleting grant = %d %s", s, b)
	}
	if s, _, b := e.sendAs(deleting.Token, "DELETE", "/v1/exports/"+mine, ""); s != 200 {
		t.Fatalf("delete with a deleting grant = %d %s", s, b)
	}
	if _, err := os.Stat(filepath.Join(e.root, "mine")); !os.IsNotExist(err) {
		t.Fatalf("the export's directory is still there: %v", err)
	}
	// Its grants went with it: the one that deleted it included.
	if s, _, _ := e.sendAs(deleting.Token, "GET", "/v1/exports/"+mine, ""); s != 401 {
		t.Fatalf("the deleting grant after the delete = %d, want 401", s)
	}
	if s, _, _ := e.sendAs(readOnly.Token, "GET", "/v1/exports/"+mine, ""); s != 401 {
		t.Fatalf("another grant of the deleted export = %d, want 401", s)
	}
	if s, _, b := e.do("DELETE", "/v1/exports/"+theirs+"/grants/"+byAdmin.ID, "", ""); s != 200 {
		t.Fatalf("revoke = %d %s", s, b)
	}

	recs := readAudit(t, e.audit)
	find := func(route, method, stage string) []audit.Record {
		var out []audit.Record
		for _, r := range recs {
			if r.Route == route && r.Method == method && r.Stage == stage {
				out = append(out, r)
			}
		}
		return out
	}
	var created []audit.Record // the refused requests have outcomes too (403)
	for _, r := range find("/v1/exports/{id}/grants", "POST", audit.StageOutcome) {
		if r.Status == 201 {
			created = append(created, r)
		}
	}
	if len(created) != 3 || created[1].Target != "grant-"+deleting.ID || created[1].Identity.Name != "maker" {
		t.Errorf("creation outcomes = %+v", created)
	}
	if eff := find("/v1/exports/{id}/grants", "POST", audit.StageEffect); len(eff) != 3 || eff[1].Target != mine || eff[1].VM == "" {
		t.Errorf("creation effects = %+v", eff)
	}
	del := find("/v1/exports/{id}", "DELETE", audit.StageEffect)
	if len(del) != 1 || del[0].Identity.Role != "grant" || del[0].Identity.TokenID != deleting.ID || del[0].Target != mine || del[0].Paths["directory"] != filepath.Join(e.root, "mine") {
		t.Errorf("delete by grant = %+v", del)
	}
	if rev := find("/v1/exports/{id}/grants/{grant}", "DELETE", audit.StageEffect); len(rev) != 1 || rev[0].Target != "grant-"+byAdmin.ID {
		t.Errorf("revocation = %+v", rev)
	}
	var denied int
	for _, r := range recs {
		if r.Stage == audit.StageDenied && r.Identity != nil && r.Identity.Role == "grant" && r.Status == 403 {
			denied++
		}
	}
	if denied != 2 {
		t.Errorf("%d denied grant requests recorded, want 2", denied)
	}
	raw, _ := os.ReadFile(e.audit)
	for _, g := range []api.CreatedGrant{readOnly, deleting, byAdmin} {
		if bytes.Contains(raw, []byte(secretOf(g.Token))) {
			t.Fatal("a grant's secret is in the audit log")
		}
	}
	if raw, _ := os.ReadFile(filepath.Join(e.dataDir, auth.StoreFile)); bytes.Contains(raw, []byte(secretOf(deleting.Token))) {
		t.Fatal("a grant's secret is in tokens.json")
	}
}

// Grants are managed per export: the token API neither lists nor
// revokes them.
func TestGrantsAreNotInTheTokenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "w")
	g := e.makeGrant(e.admin, x.ID, `{}`)
	var l api.List[api.Token]
	e.getJSON("/v1/tokens", 200, &l)
	for _, tk := range l.Items {
		if tk.ID == g.ID {
			t.Fatalf("GET /v1/tokens lists the grant: %+v", tk)
		}
	}
	if s, _, _ := e.do("DELETE", "/v1/tokens/grant-"+g.ID, "", ""); s != 404 {
		t.Fatalf("DELETE /v1/tokens/<grant> = %d", s)
	}
	if s, _, _ := e.do("POST", "/v1/tokens", "application/json", `{"name": "g", "role": "grant"}`); s != 422 {
		t.Fatalf("a token of role grant = %d", s)
	}
}
