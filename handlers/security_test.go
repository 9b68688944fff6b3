package handlers_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/internal/apitest"
)

// sendAs sends one request with token ("" = none) and returns status,
// headers and body; every response is checked against the OpenAPI
// document.
func (e *env) sendAs(token, method, path, body string) (int, http.Header, []byte) {
	e.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return e.send(e.clientAs(token), method, path, ct, body)
}

// sendMatrix is sendAs through a client that matches the file route's
// {path} (which may hold slashes) against the OpenAPI document.
func (e *env) sendMatrix(token, method, path, body string) (int, http.Header, []byte) {
	e.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return e.send(&http.Client{Transport: bearer{token: token, next: apitest.FilesTransport{T: e.t}}, Timeout: 10 * time.Second}, method, path, ct, body)
}

// Every route the router serves is in the permission table, and the table
// lists nothing the router does not serve: a route added without a rule
// fails here.
func TestEveryRouteHasAPermissionRule(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	_ = e
	rules := handlers.RoutePermissions()
	mux := handlers.NewRouter(handlers.Deps{}).(chi.Routes)
	walked := map[string]bool{}
	err := chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + route
		walked[key] = true
		if _, ok := rules[key]; !ok {
			t.Errorf("route %s has no permission rule", key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, role := range rules {
		if !walked[key] {
			t.Errorf("rule for %s, which the router does not serve", key)
		}
		if role == "" && !publicRoutes[key] {
			t.Errorf("%s is public; only %v may be", key, publicRoutes)
		}
	}
}

// publicRoutes are the routes that need no credentials: health, the
// probes and the reference page (which holds no spec).
var publicRoutes = map[string]bool{"GET /v1/health": true, "GET /healthz": true, "GET /readyz": true, "GET /docs": true, "GET /docs/{asset}": true}

// matrixRequest is one request per route: a path with its parameters and a
// body that does not ask for more than the route's own role.
var matrixRequest = map[string]struct{ path, body string }{
	"GET /v1/health":                         {"/v1/health", ""},
	"GET /v1/openapi.yaml":                   {"/v1/openapi.yaml", ""},
	"GET /healthz":                           {"/healthz", ""},
	"GET /readyz":                            {"/readyz?verbose", ""},
	"GET /metrics":                           {"/metrics", ""},
	"GET /docs":                              {"/docs", ""},
	"GET /docs/{asset}":                      {"/docs/docs.js", ""},
	"GET /v1/vms":                            {"/v1/vms", ""},
	"GET /v1/vms/{vm}":                       {"/v1/vms/web-01", ""},
	"GET /v1/vms/{vm}/export-settings":       {"/v1/vms/web-01/export-settings", ""},
	"POST /v1/vms/{vm}/exports":              {"/v1/vms/web-01/exports", `{"settings": {"copySnapshotConfiguration": "all"}}`},
	"GET /v1/exports":                        {"/v1/exports", ""},
	"GET /v1/exports/{id}":                   {"/v1/exports/nope", ""},
	"DELETE /v1/exports/{id}":                {"/v1/exports/nope", ""},
	"POST /v1/exports/{id}/verify":           {"/v1/exports/nope/verify", ""},
	"GET /v1/exports/{id}/manifest":          {"/v1/exports/nope/manifest", ""},
	"HEAD /v1/exports/{id}/manifest":         {"/v1/exports/nope/manifest", ""},
	"GET /v1/exports/{id}/files/*":           {"/v1/exports/nope/files/Virtual%20Hard%20Disks/x.vhdx", ""},
	"HEAD /v1/exports/{id}/files/*":          {"/v1/exports/nope/files/x.vhdx", ""},
	"GET /v1/exports/{id}/grants":            {"/v1/exports/nope/grants", ""},
	"POST /v1/exports/{id}/grants":           {"/v1/exports/nope/grants", `{}`},
	"DELETE /v1/exports/{id}/grants/{grant}": {"/v1/exports/nope/grants/nope", ""},
	"GET /v1/import-settings":                {"/v1/import-settings", ""},
	"POST /v1/import-settings":               {"/v1/import-settings", `{}`},
	"POST /v1/imports":                       {"/v1/imports", `{"settings": {"createCopy": true}}`},
	"GET /v1/planned-vms":                    {"/v1/planned-vms", ""},
	"DELETE /v1/planned-vms/{id}":            {"/v1/planned-vms/nope", ""},
	"GET /v1/jobs":                           {"/v1/jobs", ""},
	"GET /v1/jobs/{id}":                      {"/v1/jobs/nope", ""},
	"POST /v1/jobs/{id}/cancel":              {"/v1/jobs/nope/cancel", ""},
	"GET /v1/jobs/{id}/events":               {"/v1/jobs/nope/events", ""},
	"GET /v1/tokens":                         {"/v1/tokens", ""},
	"POST /v1/tokens":                        {"/v1/tokens", `{"name": "", "role": "reader"}`},
	"DELETE /v1/tokens/{name}":               {"/v1/tokens/nope", ""},
}

// The roles × routes matrix: every cell is asserted. No credentials → 401
// (but health), a role below the route's → 403, the route's role or above
// → neither (the request reaches its handler, which answers for itself).
// Two export grants for the matrix's export ("nope") are columns too: they
// reach the grant routes and nothing else, and the one made with
// deleteExportWhenDone also DELETE /v1/exports/{id}.
func TestRolesByRoutesMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	grant := func(del bool) string {
		_, tok, err := e.tokens.CreateGrant(auth.GrantRequest{Export: "nope", DeleteExport: del, ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tokens := map[string]string{"none": "", "grant": grant(false), "grant+delete": grant(true),
		"reader": e.token("m-reader", auth.Reader), "operator": e.token("m-operator", auth.Operator), "admin": e.admin}
	rules := handlers.RoutePermissions()
	var keys []string
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		req, ok := matrixRequest[key]
		if !ok {
			t.Errorf("no matrix request for %s: add one", key)
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		needed := auth.Role(rules[key])
		for _, who := range []string{"none", "grant", "grant+delete", "reader", "operator", "admin"} {
			status, h, body := e.sendMatrix(tokens[who], method, req.path, req.body)
			grantReaches := needed == auth.Grant || (who == "grant+delete" && key == "DELETE /v1/exports/{id}")
			switch {
			case needed == "":
				if status != http.StatusOK {
					t.Errorf("%s as %s = %d, want 200: %s", key, who, status, body)
				}
			case who == "none":
				if status != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), `Bearer realm="hvport"`) {
					t.Errorf("%s without credentials = %d (WWW-Authenticate %q), want 401 with a Bearer challenge", key, status, h.Get("WWW-Authenticate"))
				}
			case strings.HasPrefix(who, "grant") && !grantReaches, !strings.HasPrefix(who, "grant") && !auth.Role(who).Includes(needed):
				if status != http.StatusForbidden || (method != "HEAD" && problem(t, h, body)["type"] != "urn:hvport:problem:forbidden") {
					t.Errorf("%s as %s = %d, want 403 forbidden: %s", key, who, status, body)
				}
			default:
				if status == http.StatusUnauthorized || status == http.StatusForbidden {
					t.Errorf("%s as %s = %d, want it allowed: %s", key, who, status, body)
				}
			}
		}
	}
}

func TestUnauthenticatedRequestsAre401Problems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	// An unknown route answers 401 too: strangers do not learn the routes.
	for _, c := range []struct{ name, auth string }{
		{"none", ""}, {"not bearer", "Basic YWRtaW46YWRtaW4="}, {"malformed", "Bearer nonsense"},
		{"unknown id", "Bearer hvp_aaaaaaaaaa_" + strings.Repeat("b", 52)},
		{"wrong secret", "Bearer hvp_" + auth.TokenID(e.admin) + "_" + strings.Repeat("c", 52)},
	} {
		for _, path := range []string{"/v1/vms", "/v1/nothing-here"} {
			req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			p := problem(t, resp.Header, b)
			if resp.StatusCode != 401 || p["type"] != "urn:hvport:problem:unauthenticated" {
				t.Errorf("%s %s: %d %s", c.name, path, resp.StatusCode, b)
			}
			wantInvalid := c.auth != ""
			if got := strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`); got != wantInvalid {
				t.Errorf("%s: WWW-Authenticate %q", c.name, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	// Health is public and says nothing about the host without credentials.
	resp, err := http.Get(e.srv.URL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Fatalf("anonymous health = %d %s", resp.StatusCode, b)
	}
}

// Tokens created or revoked by another writer of the same file (the
// host's `hvport token` command) count at the next request; an expired
// token is refused.
func TestTokensChangeWithoutRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	// Each reading of the server store's clock is a recheck interval
	// later, so it looks at the file for every request (auth's tests have
	// what happens inside the interval).
	base, readings := time.Now(), new(atomic.Int64)
	e.tokens.SetClock(func() time.Time { return base.Add(time.Duration(readings.Add(1)) * auth.RecheckInterval) })
	other, err := auth.OpenStore(filepath.Join(e.dataDir, auth.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := other.Create(auth.CreateRequest{Name: "from-cli", Role: auth.Reader})
	if err != nil {
		t.Fatal(err)
	}
	if s, _, b := e.sendAs(tok, "GET", "/v1/vms", ""); s != 200 {
		t.Fatalf("a token made by another writer = %d %s", s, b)
	}
	if _, err := other.Revoke("from-cli"); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := e.sendAs(tok, "GET", "/v1/vms", ""); s != 401 {
		t.Fatalf("a revoked token = %d, want 401", s)
	}

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e.tokens.SetClock(clock)
	_, short, err := e.tokens.Create(auth.CreateRequest{Name: "short", Role: auth.Reader, ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := e.sendAs(short, "GET", "/v1/vms", ""); s != 200 {
		t.Fatalf("an unexpired token = %d", s)
	}
	e.tokens.SetClock(func() time.Time { return now.Add(time.Hour) })
	if s, _, _ := e.sendAs(short, "GET", "/v1/vms", ""); s != 401 {
		t.Fatalf("an expired token = %d, want 401", s)
	}
}

func TestTokensAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var made api.CreatedToken
	h := e.postJSON("/v1/tokens", `{"name": "portal", "role": "operator", "vms": ["web-*"], "expiresIn": "720h"}`, http.StatusCreated, &made)
	if h.Get("Location") != "/v1/tokens/portal" || !strings.HasPrefix(made.Secret, "hvp_"+made.ID+"_") || made.Role != "operator" || made.ExpiresAt == nil {
		t.Fatalf("created = %+v (Location %q)", made, h.Get("Location"))
	}
	if !strings.HasPrefix(made.CreatedBy, "token:") {
		t.Fatalf("createdBy = %q", made.CreatedBy)
	}
	status, _, body := e.do("GET", "/v1/tokens", "", "")
	if status != 200 || strings.Contains(string(body), made.Secret) || strings.Contains(string(body), strings.TrimPrefix(made.Secret, "hvp_"+made.ID+"_")) {
		t.Fatalf("list = %d, and must not show a secret: %s", status, body)
	}
	// The secret is stored only as a hash.
	if b, _ := os.ReadFile(filepath.Join(e.dataDir, auth.StoreFile)); strings.Contains(string(b), made.Secret[len("hvp_"+made.ID+"_"):]) {
		t.Fatal("tokens.json holds a secret")
	}
	for _, c := range []struct{ body, field string }{
		{`{"name": "x", "role": "root"}`, "role"},
		{`{"name": "a b", "role": "reader"}`, "name"},
		{`{"name": "y", "role": "reader", "expiresIn": "soon"}`, "expiresIn"},
		{`{"name": "z", "role": "reader", "vms": ["[bad"]}`, "vms[0]"},
	} {
		status, h, b := e.do("POST", "/v1/tokens", "application/json", c.body)
		p := problem(t, h, b)
		errs, _ := p["errors"].([]any)
		if status != 422 || len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s = %d %s, want 422 naming %s", c.body, status, b, c.field)
		}
	}
	if s, _, b := e.do("POST", "/v1/tokens", "application/json", `{"name": "portal", "role": "reader"}`); s != 409 {
		t.Fatalf("duplicate name = %d %s", s, b)
	}
	if s, _, _ := e.sendAs(made.Secret, "GET", "/v1/vms", ""); s != 200 {
		t.Fatalf("new token = %d", s)
	}
	if s, _, b := e.do("DELETE", "/v1/tokens/portal", "", ""); s != 200 {
		t.Fatalf("revoke = %d %s", s, b)
	}
	if s, _, _ := e.sendAs(made.Secret, "GET", "/v1/vms", ""); s != 401 {
		t.Fatalf("revoked token = %d", s)
	}
}

// A token limited to some VMs sees only those; another VM answers exactly
// like a VM that does not exist.
func TestVMLimitedTokenSeesOnlyItsVMs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	web := e.token("web-only", auth.Operator, "web-*")
	status, _, body := e.sendAs(web, "GET", "/v1/vms", "")
	var list api.List[api.VM]
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list.Items) != 1 || list.Items[0].Name != "web-01" {
		t.Fatalf("limited list = %d %s", status, body)
	}
	for _, path := range []string{"/v1/vms/db-01", "/v1/vms/db-01/export-settings"} {
		s1, h1, hidden := e.sendAs(web, "GET", path, "")
		s2, _, missing := e.sendAs(web, "GET", strings.Replace(path, "db-01", "no-such-vm", 1), "")
		p1, p2 := problem(t, h1, hidden), map[string]any{}
		json.Unmarshal(missing, &p2)
		if s1 != 404 || s2 != 404 || strings.Replace(p1["detail"].(string), "db-01", "X", 1) != strings.Replace(p2["detail"].(string), "no-such-vm", "X", 1) {
			t.Errorf("%s: hidden %d %s vs missing %d %s", path, s1, hidden, s2, missing)
		}
	}
	if s, _, b := e.sendAs(web, "POST", "/v1/vms/db-01/exports", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "db"))); s != 404 {
		t.Fatalf("export of a hidden VM = %d %s", s, b)
	}
	// Jobs and exports of other VMs are filtered out too.
	j := e.startExport("db-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "db")))
	e.waitJob(j.ID)
	var jobsList api.List[api.Job]
	_, _, body = e.sendAs(web, "GET", "/v1/jobs", "")
	json.Unmarshal(body, &jobsList)
	var exportsList api.List[api.Export]
	_, _, body2 := e.sendAs(web, "GET", "/v1/exports", "")
	json.Unmarshal(body2, &exportsList)
	if len(jobsList.Items) != 0 || len(exportsList.Items) != 0 {
		t.Fatalf("limited token sees other VMs' jobs %s or exports %s", body, body2)
	}
	if s, _, _ := e.sendAs(web, "GET", "/v1/jobs/"+j.ID, ""); s != 404 {
		t.Fatalf("another VM's job = %d, want 404", s)
	}
}

// Body-dependent permissions: overwrite and register-in-place are admin
// decisions, and an operator cancels only its own jobs.
func TestDangerousOptionsNeedAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	op := e.token("op", auth.Operator)
	dir := filepath.Join(e.root, "w")
	s, h, b := e.sendAs(op, "POST", "/v1/vms/web-01/exports", fmt.Sprintf(`{"directory": %q, "overwrite": true}`, dir))
	if s != 403 || problem(t, h, b)["requiredRole"] != "admin" {
		t.Fatalf("operator overwrite = %d %s", s, b)
	}
	s, h, b = e.sendAs(op, "POST", "/v1/imports", fmt.Sprintf(`{"directory": %q}`, dir))
	if s != 403 || problem(t, h, b)["requiredRole"] != "admin" {
		t.Fatalf("operator register-in-place = %d %s", s, b)
	}

	other := e.token("op2", auth.Operator)
	e.host.SetDiskQuota(0)
	s, _, b = e.sendAs(op, "POST", "/v1/vms/web-01/exports", fmt.Sprintf(`{"directory": %q}`, dir))
	var j api.Job
	if err := json.Unmarshal(b, &j); s != 202 || err != nil {
		t.Fatalf("operator export = %d %s", s, b)
	}
	if j.SubmittedBy == nil || j.SubmittedBy.Kind != "token" || j.SubmittedBy.Name != "op" || j.SubmittedBy.ID != "token:"+auth.TokenID(op) {
		t.Fatalf("submittedBy = %+v", j.SubmittedBy)
	}
	if s, _, b := e.sendAs(other, "POST", "/v1/jobs/"+j.ID+"/cancel", ""); s != 403 {
		t.Fatalf("another operator's cancel = %d %s", s, b)
	}
	if s, _, b := e.sendAs(op, "POST", "/v1/jobs/"+j.ID+"/cancel", ""); s != 200 && s != 409 {
		t.Fatalf("own cancel = %d %s", s, b)
	}
	e.waitJob(j.ID)
}

func readAudit(t *testing.T, path string) []audit.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// A mutating request leaves request → effect → outcome records with the
// identity, the normalised path, the idempotency key and the job; denied
// attempts are recorded; reads are not.
func TestAuditRecordsMutationsBeforeTheyHappen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	op := e.token("auditor-op", auth.Operator)
	dir := filepath.Join(e.root, "audited")
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/vms/web-01/exports", strings.NewReader(fmt.Sprintf(`{"directory": %q}`, dir+"/")))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "audit-key-1")
	resp, err := e.clientAs(op).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var j api.Job
	json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("export = %d", resp.StatusCode)
	}
	e.waitJob(j.ID)
	e.sendAs("", "DELETE", "/v1/exports/x", "")
	e.sendAs(e.token("auditor-reader", auth.Reader), "DELETE", "/v1/exports/x", "")

	recs := readAudit(t, e.audit)
	var stages []string
	for _, r := range recs {
		if r.Route == "/v1/vms/{vm}/exports" {
			stages = append(stages, r.Stage)
			if r.Identity == nil || r.Identity.Name != "auditor-op" || r.Identity.TokenID != auth.TokenID(op) || r.IdempotencyKey != "audit-key-1" {
				t.Errorf("record without identity or key: %+v", r)
			}
			if r.Stage == audit.StageEffect && (r.Paths["directory"] != dir || r.VM == "") {
				t.Errorf("effect record paths = %v vm %q, want the normalised %s", r.Paths, r.VM, dir)
			}
			if r.Stage == audit.StageOutcome && (r.Status != 202 || r.Job != j.ID) {
				t.Errorf("outcome = %+v", r)
			}
		}
		if r.Method == "GET" {
			t.Errorf("a read was audited: %+v", r)
		}
	}
	if strings.Join(stages, ",") != "request,effect,outcome" {
		t.Fatalf("stages = %v", stages)
	}
	var denied []int
	for _, r := range recs {
		if r.Stage == audit.StageDenied {
			denied = append(denied, r.Status)
		}
	}
	if len(denied) != 2 || denied[0] != 401 || denied[1] != 403 {
		t.Fatalf("denied records = %v, want a 401 and a 403", denied)
	}
}

// Fail closed: when the audit log cannot be written, a mutating request
// is refused with 503 and nothing happens; reads go on.
func TestAuditFailureRefusesMutationsAndChangesNothing(t *testing.T) {
	t.Parallel()
	blocked := filepath.Join(t.TempDir(), "audit.log")
	if err := os.Mkdir(blocked, 0o700); err != nil { // unwritable as a file, even for root
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{auditPath: blocked})
	dir := filepath.Join(e.root, "never")
	status, h, b := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, dir))
	if status != 503 || problem(t, h, b)["type"] != "urn:hvport:problem:audit-unavailable" {
		t.Fatalf("export with a broken audit log = %d %s", status, b)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/tokens", `{"name": "n", "role": "reader"}`},
		{"DELETE", "/v1/planned-vms/x", ""},
		{"POST", "/v1/imports", `{"directory": "/x"}`},
	} {
		if s, _, b := e.do(c.method, c.path, "application/json", c.body); s != 503 {
			t.Errorf("%s %s = %d %s, want 503", c.method, c.path, s, b)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the refused export left %s", dir)
	}
	if left, _ := filepath.Glob(filepath.Join(e.root, ".hvport-*")); len(left) > 0 {
		t.Fatalf("the refused export left staging: %v", left)
	}
	var jobsList api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &jobsList)
	if len(jobsList.Items) != 0 {
		t.Fatalf("jobs after refused requests: %+v", jobsList.Items)
	}
	if toks, _ := e.tokens.List(); len(toks) != 1 {
		t.Fatalf("a token was created without an audit record: %+v", toks)
	}
	e.getJSON("/v1/vms", 200, nil)
	// Reading import settings by POST is a read: it goes on.
	if s, _, b := e.do("POST", "/v1/import-settings", "application/json", `{}`); s != 422 {
		t.Fatalf("POST /v1/import-settings with the audit log down = %d %s, want its own 422", s, b)
	}
}

// No CORS headers, ever; a browser's cross-origin "simple" POST without
// the token is refused.
func TestNoCORSAndNoSimpleCrossOriginPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, c := range []struct{ method, ct, body string }{
		{"OPTIONS", "", ""},
		{"POST", "text/plain", `{"directory": "/x"}`},
		{"POST", "application/x-www-form-urlencoded", `directory=/x`},
	} {
		req, _ := http.NewRequest(c.method, e.srv.URL+"/v1/vms/web-01/exports", strings.NewReader(c.body))
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		if c.ct != "" {
			req.Header.Set("Content-Type", c.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s sent CORS header %s", c.method, k)
			}
		}
		if resp.StatusCode != 401 {
			t.Errorf("cross-origin %s %s = %d, want 401", c.method, c.ct, resp.StatusCode)
		}
	}
	// With a valid token, a non-JSON body is still 415.
	if s, _, b := e.do("POST", "/v1/vms/web-01/exports", "text/plain", `{}`); s != 415 {
		t.Fatalf("text/plain with a token = %d %s", s, b)
	}
}

// Idempotency keys are scoped per identity: another caller's key neither
// finds nor blocks this caller's job (security-anchors J1).
func TestIdempotencyKeysArePerIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	post := func(token, dir string) (int, api.Job) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/vms/web-01/exports", strings.NewReader(fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, dir))))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "same-key")
		resp, err := e.clientAs(token).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var j api.Job
		json.NewDecoder(resp.Body).Decode(&j)
		return resp.StatusCode, j
	}
	a, b := e.token("idem-a", auth.Operator), e.token("idem-b", auth.Operator)
	sa, ja := post(a, "a")
	sb, jb := post(b, "b") // another request with the same key, by another identity
	if sa != 202 || sb != 202 || ja.ID == jb.ID {
		t.Fatalf("two identities with one key: %d %s / %d %s, want two jobs", sa, ja.ID, sb, jb.ID)
	}
	if s, again := post(a, "a"); s != 202 || again.ID != ja.ID {
		t.Fatalf("a retry by the first identity = %d %s, want its job %s", s, again.ID, ja.ID)
	}
	e.waitJob(ja.ID)
	e.waitJob(jb.ID)
}
