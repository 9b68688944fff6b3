package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/apitest"
)

// The client against a real server on the simulator, every answer checked
// against api/openapi.yaml: what a CLI does, end to end.
func TestClientAgainstTheServer(t *testing.T) {
	srv, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	checked := &http.Client{Transport: apitest.Transport{T: t}}
	c, err := client.New(srv.URL, client.WithTokenFile(srv.TokenFile), client.WithHTTPClient(checked), client.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// A hang guard only.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wantProblem := func(err error, status int, kind string) *client.Problem {
		t.Helper()
		var p *client.Problem
		if !errors.As(err, &p) || p.Status != status || p.Kind() != kind {
			t.Fatalf("err = %v, want a %d %s problem", err, status, kind)
		}
		return p
	}

	h, err := c.Health(ctx)
	must(err)
	if h.Backend == nil || *h.Backend != "sim" {
		t.Errorf("health = %+v", h)
	}
	doc, err := c.OpenAPI(ctx)
	must(err)
	if !bytes.HasPrefix(doc, []byte("openapi: 3.1")) {
		t.Errorf("OpenAPI = %.40q…", doc)
	}

	vms, err := c.ListVMs(ctx)
	must(err)
	if len(vms) != 3 {
		t.Errorf("VMs = %+v, want the demo host's three", vms)
	}
	vm, err := c.GetVM(ctx, "web-01")
	must(err)
	if len(vm.Snapshots) != 2 || vm.Generation == nil {
		t.Errorf("web-01 = %+v", vm)
	}
	_, err = c.GetVM(ctx, "no-such-vm")
	wantProblem(err, http.StatusNotFound, "not-found")

	// An invalid setting: 422 naming the field and the allowed values.
	bad := client.ExportSettingsPatch{CopySnapshotConfiguration: new(client.SnapshotMode("all"))}
	_, err = c.StartExport(ctx, "web-01", client.ExportRequest{Directory: filepath.Join(srv.ExportRoot, "web-01"), Settings: &bad})
	p := wantProblem(err, http.StatusUnprocessableEntity, "invalid")
	if len(p.Errors) != 1 || p.Errors[0].Field != "settings.copySnapshotConfiguration" || len(p.Errors[0].Allowed) != 4 {
		t.Errorf("field errors = %+v", p.Errors)
	}

	// Export, with the defaults posted back as they were read.
	settings, err := c.ExportSettings(ctx, "web-01")
	must(err)
	patch := client.SettingsPatch(settings)
	dir := filepath.Join(srv.ExportRoot, "web-01")
	job, err := c.StartExport(ctx, "web-01", client.ExportRequest{Directory: dir, Settings: &patch})
	must(err)
	var states []client.JobState
	job, err = c.WaitJob(ctx, job.ID, func(j client.Job) { states = append(states, j.State) })
	must(err)
	if job.State != client.JobCompleted || states[len(states)-1] != client.JobCompleted {
		t.Fatalf("export = %+v (states %v)", job, states)
	}
	_, err = c.CancelJob(ctx, job.ID)
	wantProblem(err, http.StatusConflict, "conflict")

	res, err := job.Result.AsExportResult()
	must(err)
	exps, err := c.ListExports(ctx)
	must(err)
	if len(exps) != 1 || exps[0].ID != res.ExportID {
		t.Errorf("exports = %+v, want %s", exps, res.ExportID)
	} else if exps[0].FileCount != res.FileCount || exps[0].TotalBytes != res.TotalBytes || res.FileCount == 0 {
		t.Errorf("the export job counts %d files, %d bytes; the export %d, %d", res.FileCount, res.TotalBytes, exps[0].FileCount, exps[0].TotalBytes)
	}
	verify, err := c.VerifyExport(ctx, res.ExportID)
	must(err)
	verify, err = c.WaitJob(ctx, verify.ID, nil)
	must(err)
	vr, err := verify.Result.AsVerifyResult()
	must(err)
	if !vr.Valid {
		t.Errorf("verify = %+v", vr)
	}

	// Import it back as a copy.
	report, err := c.ImportSettings(ctx, client.ImportSource{ExportID: &res.ExportID})
	must(err)
	if report.VM.Name != "web-01" {
		t.Errorf("import report = %+v", report)
	}
	imp, err := c.StartImport(ctx, client.ImportRequest{ExportID: &res.ExportID, Settings: &client.ImportSettingsPatch{
		GenerateNewID: new(true), CreateCopy: new(true), Name: new("web-01-copy")}})
	must(err)
	imp, err = c.WaitJob(ctx, imp.ID, nil)
	must(err)
	if imp.State != client.JobCompleted {
		t.Fatalf("import = %+v, %v", imp, client.JobProblem(imp))
	}
	jobs, err := c.ListJobs(ctx)
	must(err)
	if len(jobs) != 3 {
		t.Errorf("jobs = %d, want export, verify, import", len(jobs))
	} else if s := jobs[0]; s.ID != imp.ID || s.Source == nil || s.Source.Name != "web-01" || s.VM == nil || s.VM.Name != "web-01-copy" {
		t.Errorf("listed import = %+v: want source web-01, vm web-01-copy", s)
	}
	planned, err := c.ListPlannedVMs(ctx)
	must(err)
	if len(planned) != 0 {
		t.Errorf("planned VMs = %+v", planned)
	}

	// Tokens: a reader may look but not export.
	tok, err := c.CreateToken(ctx, client.TokenRequest{Name: "looker", Role: client.RoleReader})
	must(err)
	reader, err := client.New(srv.URL, client.WithToken(tok.Token), client.WithHTTPClient(checked))
	must(err)
	_, err = reader.ListVMs(ctx)
	must(err)
	_, err = reader.StartExport(ctx, "db-01", client.ExportRequest{Directory: filepath.Join(srv.ExportRoot, "db-01")})
	wantProblem(err, http.StatusForbidden, "forbidden")
	toks, err := c.ListTokens(ctx)
	must(err)
	if len(toks) != 2 {
		t.Errorf("tokens = %+v", toks)
	}
	_, err = c.RevokeToken(ctx, "looker")
	must(err)
	_, err = reader.ListVMs(ctx)
	wantProblem(err, http.StatusUnauthorized, "unauthenticated")

	// No token at all.
	anon, err := client.New(srv.URL, client.WithHTTPClient(checked))
	must(err)
	_, err = anon.ListJobs(ctx)
	wantProblem(err, http.StatusUnauthorized, "unauthenticated")

	_, err = c.DeleteExport(ctx, res.ExportID)
	must(err)
	_, err = c.GetExport(ctx, res.ExportID)
	wantProblem(err, http.StatusNotFound, "not-found")
}
