package handlers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/wmi/sim"
)

func findVM(t *testing.T, vms []api.VM, name string) api.VM {
	t.Helper()
	for _, v := range vms {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no VM %q in %v", name, vms)
	return api.VM{}
}

func TestListVMsShowsDemoHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var l api.List[api.VM]
	e.getJSON("/v1/vms", http.StatusOK, &l)
	want := map[string]string{"web-01": "off", "db-01": "saved", "build-agent": "running"}
	for name, state := range want {
		if v := findVM(t, l.Items, name); v.State != state || len(v.ID) != 36 {
			t.Errorf("%s = %+v, want state %s and a GUID id", name, v, state)
		}
	}
	for _, v := range l.Items {
		if v.Name == sim.DefaultHostName {
			t.Errorf("the host itself is listed as a VM: %+v", v)
		}
	}
}

func TestGetVMByIDOrNameWithCheckpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var l api.List[api.VM]
	e.getJSON("/v1/vms", http.StatusOK, &l)
	web := findVM(t, l.Items, "web-01")

	var byName, byID api.VMDetail
	e.getJSON("/v1/vms/web-01", http.StatusOK, &byName)
	e.getJSON("/v1/vms/"+strings.ToLower(web.ID), http.StatusOK, &byID)
	if byName.ID != web.ID || byID.ID != web.ID {
		t.Fatalf("lookup by name/id gave %s / %s, want %s", byName.ID, byID.ID, web.ID)
	}
	if len(byName.Snapshots) != 2 {
		t.Fatalf("web-01 has %d checkpoints, want 2: %+v", len(byName.Snapshots), byName.Snapshots)
	}
	if byName.Generation == nil || *byName.Generation != 2 || byName.Version == "" {
		t.Errorf("generation/version = %v %q", byName.Generation, byName.Version)
	}
	if len(byName.Disks) != 2 {
		t.Fatalf("web-01 disks = %+v", byName.Disks)
	}
	for _, d := range byName.Disks {
		if d.ID == "" || !filepath.IsAbs(d.Path) || d.FileSize == nil || *d.FileSize <= 0 {
			t.Errorf("disk %+v lacks id, absolute path or size", d)
		}
	}
	if len(byName.NetworkAdapters) != 1 || byName.NetworkAdapters[0].Switch == nil || *byName.NetworkAdapters[0].Switch != "External" || !byName.NetworkAdapters[0].Connected {
		t.Errorf("web-01 adapters = %+v", byName.NetworkAdapters)
	}
	first, second := byName.Snapshots[0], byName.Snapshots[1]
	if first.ParentID != nil || second.ParentID == nil || *second.ParentID != first.ID {
		t.Errorf("checkpoint chain wrong: %+v %+v", first, second)
	}
}

func TestUnknownVMIs404Problem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/v1/vms/nope", "/v1/vms/nope/export-settings", "/v1/vms/00000000-0000-0000-0000-000000000000"} {
		status, h, body := e.do("GET", path, "", "")
		if status != http.StatusNotFound {
			t.Fatalf("GET %s = %d: %s", path, status, body)
		}
		if p := problem(t, h, body); p["type"] != "urn:hvport:problem:not-found" || p["status"] != float64(404) {
			t.Errorf("GET %s problem = %v", path, p)
		}
	}
}

func TestAmbiguousNameIs409WithCandidates(t *testing.T) {
	t.Parallel()
	seed := sim.DemoSeed()
	twin := seed.VMs[0]
	twin.ID = "6C2A5C0F-9E2B-4D7A-8F7E-6B6E7E0C1D01"
	twin.Name = "web-01"
	twin.Checkpoints = nil
	twin.NetworkAdapters = nil
	twin.Disks = append([]sim.SeedDisk(nil), twin.Disks...)
	for i := range twin.Disks {
		twin.Disks[i].File = "twin-" + twin.Disks[i].File
	}
	seed.VMs = append(seed.VMs, twin)
	e := newEnv(t, envOptions{seed: seed})

	status, h, body := e.do("GET", "/v1/vms/web-01/export-settings", "", "")
	if status != http.StatusConflict {
		t.Fatalf("status %d: %s", status, body)
	}
	p := problem(t, h, body)
	c, _ := p["candidates"].([]any)
	if p["type"] != "urn:hvport:problem:conflict" || len(c) != 2 {
		t.Fatalf("problem = %v", p)
	}
	if !strings.Contains(strings.ToUpper(body2s(body)), strings.ToUpper(twin.ID)) {
		t.Errorf("candidates do not list the twin's id %s: %s", twin.ID, body)
	}
}

func body2s(b []byte) string { return string(b) }

func TestUnknownRouteIsProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	resp, err := e.plain().Get(e.srv.URL + "/v1/nothing-here") // not in the spec: plain client
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestHealthAndSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var h map[string]string
	e.getJSON("/v1/health", http.StatusOK, &h)
	if h["backend"] != "sim" || h["apiVersion"] != "v2" {
		t.Fatalf("health = %v", h)
	}
	status, hdr, body := e.do("GET", "/v1/openapi.yaml", "", "")
	if status != 200 || !strings.HasPrefix(string(body), "openapi: 3.1") || hdr.Get("Content-Type") != "application/yaml" {
		t.Fatalf("spec: %d %s", status, hdr.Get("Content-Type"))
	}
}

func TestWrongMethodIs405Problem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	req, _ := http.NewRequest("DELETE", e.srv.URL+"/v1/vms", nil)
	resp, err := e.plain().Do(req) // not in the spec: plain client
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 4096)
	n, _ := resp.Body.Read(b)
	if resp.StatusCode != 405 || !strings.Contains(string(b[:n]), "urn:hvport:problem:method-not-allowed") {
		t.Fatalf("%d %s", resp.StatusCode, b[:n])
	}
	if !strings.Contains(resp.Header.Get("Allow"), "GET") {
		t.Errorf("Allow = %q", resp.Header.Get("Allow"))
	}
}

func TestProblemTextIsNotHTMLEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	empty := filepath.Join(e.root, "empty")
	os.MkdirAll(empty, 0o755)
	_, _, body := e.do("GET", "/v1/import-settings?directory="+empty, "", "")
	if !strings.Contains(string(body), "<VM GUID>") || !strings.HasPrefix(string(body), `{"type":`) {
		t.Fatalf("problem = %s", body)
	}
}
