package doccheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// host is the service on a simulated host speaking one WMI generation,
// wired as cmd/server wires it.
type host struct {
	t     *testing.T
	api   string // "v1" or "v2"
	url   string
	token string
	svc   wmi.Services
	root  string // the export root
}

func newHost(t *testing.T, ns string) *host {
	t.Helper()
	log := zap.NewNop()
	dir := t.TempDir()
	simHost, err := sim.New(sim.Options{DataDir: filepath.Join(dir, "data"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := simHost.Services(ns)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := hyperv.New(svc, hyperv.Options{PollInterval: 10 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "exports")
	store, err := exports.NewStore(exports.StoreOptions{Roots: []string{root}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	importDirs, err := imports.DefaultRoots(context.Background(), drv, store.Roots())
	if err != nil {
		t.Fatal(err)
	}
	impRoots, err := roots.New("import", importDirs)
	if err != nil {
		t.Fatal(err)
	}
	reg := jobs.New(jobs.Options{Logger: log})
	tokens, err := auth.OpenStore(filepath.Join(dir, "data", auth.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	_, admin, err := tokens.Create(auth.CreateRequest{Name: "admin", Role: auth.Admin})
	if err != nil {
		t.Fatal(err)
	}
	auditLog := audit.Open(filepath.Join(dir, "data", "audit.log"), audit.Options{})
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Driver: drv, Jobs: reg, Logger: log, Backend: "sim",
		Exports:  &exports.Service{Driver: drv, Store: store, Log: log, Host: sim.DefaultHostName},
		Imports:  &imports.Service{Driver: drv, Exports: store, Roots: impRoots, Log: log},
		Security: handlers.Security{Tokens: tokens, Audit: auditLog}}))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		reg.Shutdown(ctx)
		simHost.Close()
		auditLog.Close()
	})
	return &host{t: t, api: string(drv.API()), url: srv.URL, token: admin, svc: svc, root: root}
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (h *host) do(method, path, body string, out any) int {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// export exports web-01 and returns the export's directory.
func (h *host) export() string {
	h.t.Helper()
	dir := filepath.Join(h.root, "web-01")
	var j api.Job
	if code := h.do("POST", "/v1/vms/web-01/exports", fmt.Sprintf(`{"directory": %q}`, dir), &j); code != http.StatusAccepted {
		h.t.Fatalf("start export on %s: %d %+v", h.api, code, j)
	}
	deadline := time.Now().Add(time.Minute)
	for j.State != "completed" {
		if j.State == "failed" || j.State == "cancelled" || time.Now().After(deadline) {
			h.t.Fatalf("export on %s: %+v", h.api, j)
		}
		time.Sleep(20 * time.Millisecond)
		h.do("GET", "/v1/jobs/"+j.ID, "", &j)
	}
	return dir
}

// settingsRow is one row of a README settings table.
type settingsRow struct {
	field, values, def string
	on                 map[string]string // "v1", "v2" → the cell
}

// readmeTable returns the table that follows the heading in README.md,
// whose columns must be: field, values, default, v1, v2.
func readmeTable(t *testing.T, heading string) []settingsRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	var rows []settingsRow
	header := true
	for _, line := range strings.Split(after, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 || !header {
				break
			}
			continue
		}
		cells := splitRow(line)
		if header {
			if want := []string{"field", "values", "default", "v1", "v2"}; !slices.Equal(cells, want) {
				t.Fatalf("README.md %s: the table's columns are %q, want %q", heading, cells, want)
			}
			header = false
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
			continue // the separator row
		}
		if len(cells) != 5 {
			t.Fatalf("README.md %s: row %q has %d cells, want 5", heading, line, len(cells))
		}
		rows = append(rows, settingsRow{field: strings.Trim(cells[0], "`"), values: cells[1], def: cells[2],
			on: map[string]string{"v1": cells[3], "v2": cells[4]}})
	}
	if len(rows) == 0 {
		t.Fatalf("README.md %s: no table", heading)
	}
	return rows
}

// splitRow splits a Markdown table row at the pipes outside backticks.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	code := false
	for _, r := range line {
		switch {
		case r == '`':
			code = !code
			cur.WriteRune(r)
		case r == '|' && !code:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// jsonFields lists a struct type's JSON field names in order.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// available reads a v1/v2 cell: "yes …" or "no …".
func available(t *testing.T, table, field, api, cell string) bool {
	t.Helper()
	switch {
	case cell == "yes" || strings.HasPrefix(cell, "yes "):
		return true
	case cell == "no" || strings.HasPrefix(cell, "no "):
		return false
	}
	t.Errorf("README.md %s, %s: the %s cell %q must start with yes or no", table, field, api, cell)
	return false
}

// defaultMismatch compares a default cell with the default a host hands
// out and says what differs ("" when nothing). A cell that starts with a
// code span is a JSON value (`true`, `null`, `[]`, or a string such as
// `exportAllSnapshots`); any other cell describes a value that depends on
// the host or the export, and only says so.
func defaultMismatch(cell string, got json.RawMessage) string {
	if !strings.HasPrefix(cell, "`") {
		return ""
	}
	lit, _, _ := strings.Cut(strings.TrimPrefix(cell, "`"), "`")
	want := lit
	if !json.Valid([]byte(lit)) {
		b, _ := json.Marshal(lit)
		want = string(b)
	}
	var a, b any
	json.Unmarshal([]byte(want), &a)
	if err := json.Unmarshal(got, &b); err != nil || !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("default %s, but the host hands out %s", lit, got)
	}
	return ""
}

func checkDefault(t *testing.T, table, field, cell string, got json.RawMessage) {
	t.Helper()
	if m := defaultMismatch(cell, got); m != "" {
		t.Errorf("README.md %s, %s: %s", table, field, m)
	}
}

// TestREADMESettingsTablesMatchTheCode checks the README's export and
// import settings tables against the code: one row per field of
// api.ExportSettings and imports.Settings, in their order; each default
// written as a value equal to what the service hands out (on v2, or on
// v1 for a v1-only field); and the v1/v2 columns equal to what each host
// has — for exports whether the host's Msvm_VirtualSystemExportSettingData
// declares the property (what the driver's HostHas reads), for imports
// whether the field has a value there and whether setting it is refused.
func TestREADMESettingsTablesMatchTheCode(t *testing.T) {
	hosts := map[string]*host{"v1": newHost(t, wmi.NamespaceV1), "v2": newHost(t, wmi.NamespaceV2)}
	for name, h := range hosts {
		if h.api != name {
			t.Fatalf("host %s speaks %s", name, h.api)
		}
	}

	t.Run("export", func(t *testing.T) {
		const table = "### Export settings"
		rows := readmeTable(t, table)
		var fields []string
		for _, r := range rows {
			fields = append(fields, r.field)
		}
		if want := jsonFields(reflect.TypeFor[api.ExportSettings]()); !slices.Equal(fields, want) {
			t.Fatalf("README.md %s lists %v; api.ExportSettings has %v", table, fields, want)
		}
		defaults := map[string]map[string]json.RawMessage{}
		declared := map[string]*wmi.Object{}
		for name, h := range hosts {
			defaults[name] = map[string]json.RawMessage{}
			if code := h.do("GET", "/v1/vms/web-01/export-settings", "", ptr(defaults[name])); code != 200 {
				t.Fatalf("%s: export-settings answered %d", name, code)
			}
			objs, err := h.svc.ExecQuery(context.Background(), "SELECT * FROM "+wmi.ClassExportSettingData)
			if err != nil || len(objs) == 0 {
				t.Fatalf("%s: %s: %v", name, wmi.ClassExportSettingData, err)
			}
			declared[name] = objs[0]
		}
		for _, r := range rows {
			property := strings.ToUpper(r.field[:1]) + r.field[1:] // the WMI property the field is
			for _, name := range []string{"v1", "v2"} {
				has := declared[name].Has(property)
				if available(t, table, r.field, name, r.on[name]) != has {
					t.Errorf("README.md %s, %s: says %q on %s, but the host's %s %s %s", table, r.field, r.on[name], name,
						wmi.ClassExportSettingData, map[bool]string{true: "declares", false: "lacks"}[has], property)
				}
				if !has && string(defaults[name][r.field]) != "null" {
					t.Errorf("%s: %s is %s on a host without %s", name, r.field, defaults[name][r.field], property)
				}
			}
			host := "v2"
			if !declared["v2"].Has(property) {
				host = "v1"
			}
			checkDefault(t, table, r.field, r.def, defaults[host][r.field])
		}
	})

	t.Run("import", func(t *testing.T) {
		const table = "### Import settings"
		rows := readmeTable(t, table)
		var fields []string
		for _, r := range rows {
			fields = append(fields, r.field)
		}
		if want := jsonFields(reflect.TypeFor[imports.Settings]()); !slices.Equal(fields, want) {
			t.Fatalf("README.md %s lists %v; imports.Settings has %v", table, fields, want)
		}
		type report struct {
			Settings map[string]json.RawMessage `json:"settings"`
		}
		defaults := map[string]map[string]json.RawMessage{}
		dirs := map[string]string{}
		for name, h := range hosts {
			dirs[name] = h.export()
			var rep report
			if code := h.do("GET", "/v1/import-settings?directory="+url.QueryEscape(dirs[name]), "", &rep); code != 200 {
				t.Fatalf("%s: import-settings answered %d", name, code)
			}
			defaults[name] = rep.Settings
		}
		// refused reports whether posting the field (with its default,
		// or a string where the default is null) is refused naming it. A
		// relative data root makes every such request a 422 before any
		// job starts, listing all the fields at fault.
		refused := func(name, field string) bool {
			v := defaults[name][field]
			if string(v) == "null" {
				v = json.RawMessage(`"scope"`)
			}
			other := "targetVmDataRoot"
			if field == other {
				other = "sourceVmDataRoot"
			}
			body, _ := json.Marshal(map[string]any{"directory": dirs[name], "settings": map[string]any{field: v, other: "relative"}})
			var problem struct {
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			if code := hosts[name].do("POST", "/v1/imports", string(body), &problem); code != http.StatusUnprocessableEntity {
				t.Fatalf("%s: POST /v1/imports with %s: %d, want 422", name, body, code)
			}
			return slices.ContainsFunc(problem.Errors, func(e struct {
				Field string `json:"field"`
			}) bool {
				return e.Field == "settings."+field
			})
		}
		for _, r := range rows {
			for _, name := range []string{"v1", "v2"} {
				def := defaults[name][r.field]
				if def == nil {
					t.Fatalf("%s: import settings have no %s", name, r.field)
				}
				has := string(def) != "null" || !refused(name, r.field)
				if available(t, table, r.field, name, r.on[name]) != has {
					t.Errorf("README.md %s, %s: says %q on %s, but there it is %s (default %s)", table, r.field, r.on[name], name,
						map[bool]string{true: "available", false: "null and refused when set"}[has], def)
				}
			}
			host := "v2"
			if !available(t, table, r.field, "v2", r.on["v2"]) {
				host = "v1"
			}
			checkDefault(t, table, r.field, r.def, defaults[host][r.field])
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestTableReader runs the table reader and the default check on made-up
// cells, so that the comparison above cannot pass by reading nothing.
func TestTableReader(t *testing.T) {
	cells := splitRow("| `copySnapshotConfiguration` | `a`, `b|c` | `exportAllSnapshots` | yes | no (v2 only) |")
	if want := []string{"`copySnapshotConfiguration`", "`a`, `b|c`", "`exportAllSnapshots`", "yes", "no (v2 only)"}; !slices.Equal(cells, want) {
		t.Errorf("splitRow = %q, want %q", cells, want)
	}
	for _, c := range []struct {
		cell, got string
		ok        bool
	}{
		{"`true`", "true", true},
		{"`true`", "false", false},
		{"`exportAllSnapshots`", `"exportAllSnapshots"`, true},
		{"`exportAllSnapshots`", `"exportNoSnapshots"`, false},
		{"`null`", "null", true},
		{"`[]`", "[]", true},
		{"`[]`", "null", false},
		{"the host's", `"anything"`, true},
	} {
		if ok := defaultMismatch(c.cell, json.RawMessage(c.got)) == ""; ok != c.ok {
			t.Errorf("defaultMismatch(%s, %s): match = %v, want %v", c.cell, c.got, ok, c.ok)
		}
	}
}
