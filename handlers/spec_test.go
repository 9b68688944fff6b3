package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/internal/apitest"
)

// checkRequest validates a request body against api/openapi.yaml, as a
// client generated from it (or a validating proxy) would before sending.
func checkRequest(t *testing.T, method, path, body string) error {
	t.Helper()
	r, err := apitest.Router()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, "http://127.0.0.1:8080"+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	route, params, err := r.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	})
}

// The export settings a GET returns can be posted back as they are: on a
// v1 host they hold nulls (settings the host lacks), which the patch
// schema accepts and the server takes as "the default", as it does for a
// null in any member of the patch.
func TestExportSettingsRoundTripWithNulls(t *testing.T) {
	t.Parallel()
	for _, v1 := range []bool{true, false} {
		e := newEnv(t, envOptions{v1: v1})
		var raw json.RawMessage
		e.getJSON("/v1/vms/db-01/export-settings", http.StatusOK, &raw)
		var defaults api.ExportSettings
		if err := json.Unmarshal(raw, &defaults); err != nil {
			t.Fatal(err)
		}
		if v1 && (defaults.CaptureLiveState != nil || defaults.BackupIntent != nil) {
			t.Fatalf("v1 defaults have v2 settings: %s", raw)
		}
		body := fmt.Sprintf(`{"directory": %q, "settings": %s}`, filepath.Join(e.root, "as-read"), raw)
		if err := checkRequest(t, "POST", "/v1/vms/db-01/exports", body); err != nil {
			t.Errorf("v1=%v: the settings GET returned do not match ExportSettingsPatch: %v\n%s", v1, err, raw)
		}
		j := finalJob(e, e.startExport("db-01", body).ID)
		if j.State != "completed" {
			t.Fatalf("v1=%v: export with the settings as read = %+v", v1, j)
		}

		// null in every member: the defaults.
		allNull := `{"copyVmStorage": null, "copyVmRuntimeInformation": null, "copySnapshotConfiguration": null,
			"snapshotVirtualSystem": null, "createVmExportSubdirectory": null, "captureLiveState": null, "backupIntent": null,
			"excludedVirtualHardDisks": null, "differentialBackupBase": null, "exportForLiveMigration": null,
			"disableDifferentialOfIgnoredStorage": null}`
		body = fmt.Sprintf(`{"directory": %q, "settings": %s}`, filepath.Join(e.root, "nulls"), allNull)
		if err := checkRequest(t, "POST", "/v1/vms/db-01/exports", body); err != nil {
			t.Errorf("v1=%v: nulls do not match ExportSettingsPatch: %v", v1, err)
		}
		j = e.startExport("db-01", body)
		b, _ := json.Marshal(j.Settings)
		var eff api.ExportSettings
		if err := json.Unmarshal(b, &eff); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(eff, defaults) {
			t.Errorf("v1=%v: with every member null the job's settings are\n %+v\nnot the defaults\n %+v", v1, eff, defaults)
		}
		finalJob(e, j.ID)
	}
}

// ImportSource and ImportRequest name exactly one of directory and
// exportId, in the schema as on the server.
func TestImportSourceIsOneOfTwo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, body := range []string{`{}`, `{"directory": "/a", "exportId": "b"}`, `{"directory": ""}`} {
		if err := checkRequest(t, "POST", "/v1/import-settings", body); err == nil {
			t.Errorf("%s matches ImportSource", body)
		}
		status, _, resp := e.do("POST", "/v1/import-settings", "application/json", body)
		if status != http.StatusUnprocessableEntity {
			t.Errorf("POST /v1/import-settings %s = %d, want 422: %s", body, status, resp)
		}
	}
	if err := checkRequest(t, "POST", "/v1/import-settings", `{"exportId": "x"}`); err != nil {
		t.Errorf(`{"exportId": "x"} does not match ImportSource: %v`, err)
	}
	// ImportRequest says the same with if/then/else (next to settings).
	for _, body := range []string{`{"settings": {"createCopy": true}}`, `{"directory": "/a", "exportId": "b", "settings": {"createCopy": true}}`} {
		if err := checkRequest(t, "POST", "/v1/imports", body); err == nil {
			t.Errorf("%s matches ImportRequest", body)
		}
		status, _, resp := e.do("POST", "/v1/imports", "application/json", body)
		if status != http.StatusUnprocessableEntity {
			t.Errorf("POST /v1/imports %s = %d, want 422: %s", body, status, resp)
		}
	}
	for _, body := range []string{`{"directory": "/a"}`, `{"exportId": "b", "settings": {"createCopy": true}}`} {
		if err := checkRequest(t, "POST", "/v1/imports", body); err != nil {
			t.Errorf("%s does not match ImportRequest: %v", body, err)
		}
	}
}
