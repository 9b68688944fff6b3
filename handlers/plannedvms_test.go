package handlers_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/wmi"
)

// A planned VM left by someone else's interrupted import is listed and can
// be discarded; then a keep-id import of that VM works again.
func TestLeftoverPlannedVMCanBeDiscarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "db-01", "db")
	destroyVMv2(t, e, "C0FFEE01-0000-4000-8000-000000000002")
	// The leftover: ImportSystemDefinition called directly, never realized.
	svc, _ := e.host.Services(wmi.NamespaceV2)
	vsms, _ := svc.ExecQuery(context.Background(), "SELECT * FROM "+wmi.ClassManagementService)
	out, err := svc.ExecMethod(context.Background(), vsms[0].Path, "ImportSystemDefinition", wmi.Params{
		"SystemDefinitionFile": filepath.Join(dir, "Virtual Machines", "C0FFEE01-0000-4000-8000-000000000002.vmcx"), "GenerateNewSystemIdentifier": false})
	if err != nil || (wmi.ReturnValue(out) != 0 && wmi.ReturnValue(out) != wmi.ReturnJobStarted) {
		t.Fatalf("ImportSystemDefinition: %v %v", err, out)
	}
	var l api.List[api.VMRef]
	for i := 0; i < 200 && len(l.Items) == 0; i++ {
		e.getJSON("/v1/planned-vms", 200, &l)
	}
	if len(l.Items) != 1 || l.Items[0].Name != "db-01" {
		t.Fatalf("planned VMs = %+v", l.Items)
	}
	status, _, body := e.do("POST", "/v1/imports", "application/json", `{"directory": "`+dir+`"}`)
	if status != 409 || !strings.Contains(string(body), "/v1/planned-vms/") {
		t.Fatalf("keep-id import while a planned VM holds the id: %d %s", status, body)
	}
	if status, _, body := e.do("DELETE", "/v1/planned-vms/"+l.Items[0].ID, "", ""); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, body)
	}
	e.getJSON("/v1/planned-vms", 200, &l)
	if len(l.Items) != 0 {
		t.Fatalf("after delete: %+v", l.Items)
	}
	importResult(t, finalJob(e, startImport(t, e, `{"directory": "`+dir+`"}`).ID))
	if status, _, _ := e.do("DELETE", "/v1/planned-vms/nope", "", ""); status != 404 {
		t.Fatalf("unknown planned VM: %d", status)
	}
}

// A v1 host has no planned VMs: the list is empty and a delete is 404
// (issue #10, point 11: the list answered 502 with 0x80041010 before).
func TestPlannedVMsOnAV1HostAreNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{v1: true})
	var l api.List[api.VMRef]
	e.getJSON("/v1/planned-vms", http.StatusOK, &l)
	if len(l.Items) != 0 {
		t.Fatalf("planned VMs on a v1 host: %+v", l.Items)
	}
	if status, _, body := e.do("DELETE", "/v1/planned-vms/C0FFEE01-0000-4000-8000-000000000002", "", ""); status != 404 {
		t.Fatalf("delete on a v1 host = %d %s", status, body)
	}
}
