package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hvport/hvport/internal/failpoint"
)

// Two agents on loopback, each with its own simulated host and data
// directory: a VM copied from A to B, agent to agent (issue #13).

// agentFingerprint is the SHA-256 of an agent's self-signed certificate,
// as it logs it and a destination pins it.
func agentFingerprint(t *testing.T, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	sum := sha256.Sum256(blk.Bytes)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type exportFile struct {
	Path   string
	Size   int64
	SHA256 string `json:"sha256"`
}

// exportOnA exports web-01 (with its checkpoints) on the source and
// returns the export's id and files.
func exportOnA(t *testing.T, a *killableServer, data string) (string, []exportFile) {
	t.Helper()
	var j resumedJob
	if code := a.do("POST", "/v1/vms/web-01/exports", map[string]any{"directory": filepath.Join(data, "exports", "web")}, &j); code != 202 {
		t.Fatalf("export on A: %d", code)
	}
	done := a.waitJob(j.ID)
	id, _ := done.Result["exportId"].(string)
	var x struct{ Files []exportFile }
	if code := a.do("GET", "/v1/exports/"+id, nil, &x); code != 200 || len(x.Files) == 0 {
		t.Fatalf("export %q on A: %d", id, code)
	}
	return id, x.Files
}

func grantOnA(t *testing.T, a *killableServer, id string, deleteWhenDone bool) string {
	t.Helper()
	var g struct{ Token string }
	if code := a.do("POST", "/v1/exports/"+id+"/grants", map[string]any{"expiresIn": "15m", "deleteExportWhenDone": deleteWhenDone}, &g); code != 201 || g.Token == "" {
		t.Fatalf("grant on A: %d", code)
	}
	return g.Token
}

const tlsOn = "tls:\n  mode: on\n"

// The happy path: A exports, grants; B pulls over TLS (A's certificate
// pinned), checks every byte, imports as a copy; A's export is deleted as
// the grant asked; B lists the VM with its checkpoints.
func TestCopyAVMFromOneAgentToAnother(t *testing.T) {
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	a := startKillable(t, dataA, tlsOn)
	b := startKillable(t, dataB, "")
	id, files := exportOnA(t, a, dataA)
	var total int64
	for _, f := range files {
		total += f.Size
	}
	grant := grantOnA(t, a, id, true)

	var j resumedJob
	req := map[string]any{"source": map[string]any{"url": a.base + "/v1/exports/" + id, "grant": grant, "fingerprint": agentFingerprint(t, dataA)},
		"settings": map[string]any{"createCopy": true, "generateNewId": true, "name": "web-01-copy"}}
	if code := b.do("POST", "/v1/imports", req, &j); code != 202 {
		t.Fatalf("import from A on B: %d", code)
	}
	got := b.waitJob(j.ID)
	if got.State != "completed" {
		t.Fatalf("the copy ended %s: %+v\n%s", got.State, got.Error, b.stderr)
	}
	tr, _ := got.Result["transfer"].(map[string]any)
	if tr == nil || int64(tr["totalBytes"].(float64)) != total || int64(tr["receivedBytes"].(float64)) != total {
		t.Fatalf("transfer result %v, want %d bytes received", tr, total)
	}
	var vm struct {
		Name      string
		Snapshots []any
	}
	if code := b.do("GET", "/v1/vms/web-01-copy", nil, &vm); code != 200 || len(vm.Snapshots) == 0 {
		t.Fatalf("B's copy: %d %+v", code, vm)
	}
	if code := a.do("GET", "/v1/exports/"+id, nil, nil); code != 404 {
		t.Fatalf("A's export after the copy: %d, want 404 (deleteExportWhenDone)", code)
	}
	if code := b.do("GET", "/v1/exports/"+id, nil, nil); code != 404 {
		t.Fatalf("B kept the received export after a copying import: %d", code)
	}
}

// What B received is A's export byte for byte: when the import itself
// fails, the received export stays on B, with A's manifest, and verifies.
func TestReceivedExportIsTheSourcesByteForByte(t *testing.T) {
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	a := startKillable(t, dataA, "")
	b := startKillable(t, dataB, "")
	id, files := exportOnA(t, a, dataA)
	grant := grantOnA(t, a, id, false)
	// Keeping the id of a VM B has already (the demo's web-01): Hyper-V
	// refuses the import after the transfer.
	var j resumedJob
	req := map[string]any{"source": map[string]any{"url": a.base + "/v1/exports/" + id, "grant": grant},
		"settings": map[string]any{"createCopy": true}}
	if code := b.do("POST", "/v1/imports", req, &j); code != 202 {
		t.Fatalf("import from A on B: %d", code)
	}
	got := b.waitJob(j.ID)
	if got.State != "failed" || !slices.ContainsFunc(got.Warnings, func(w string) bool { return strings.Contains(w, "stays on this host") }) {
		t.Fatalf("the conflicting import ended %s, warnings %v", got.State, got.Warnings)
	}
	var x struct{ Files []exportFile }
	if code := b.do("GET", "/v1/exports/"+id, nil, &x); code != 200 || !slices.Equal(x.Files, files) {
		t.Fatalf("B's received export: %d\n%v\nwant A's\n%v", code, x.Files, files)
	}
	var v resumedJob
	b.do("POST", "/v1/exports/"+id+"/verify", nil, &v)
	if v = b.waitJob(v.ID); v.Result["valid"] != true {
		t.Fatalf("B's received export does not verify: %+v", v.Result)
	}
	if code := a.do("GET", "/v1/exports/"+id, nil, nil); code != 200 {
		t.Fatalf("A's export without deleteExportWhenDone: %d", code)
	}
}

// B killed (SIGKILL) mid-transfer and restarted: the transfer goes on
// from its last checkpoint, and what crossed the network stays under
// 1.2 times the export.
func TestTransferResumesAfterTheDestinationIsKilled(t *testing.T) {
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	a := startKillable(t, dataA, "")
	small := "transfers:\n  checkpoint-bytes: 1048576\n  parallel: 1\n"
	b := startKillable(t, dataB, small, "HVPORT_FAILPOINTS="+failpoint.TransferCheckpointed)
	id, files := exportOnA(t, a, dataA)
	var total int64
	for _, f := range files {
		total += f.Size
	}
	grant := grantOnA(t, a, id, false)
	var j resumedJob
	req := map[string]any{"source": map[string]any{"url": a.base + "/v1/exports/" + id, "grant": grant},
		"settings": map[string]any{"createCopy": true, "generateNewId": true, "name": "web-01-copy"}}
	if code := b.do("POST", "/v1/imports", req, &j); code != 202 {
		t.Fatalf("import from A on B: %d", code)
	}
	b.waitKilled(failpoint.TransferCheckpointed)
	b = startKillable(t, dataB, small)
	got := b.waitJob(j.ID)
	if got.State != "completed" {
		t.Fatalf("the resumed copy ended %s: %+v\n%s", got.State, got.Error, b.stderr)
	}
	tr, _ := got.Result["transfer"].(map[string]any)
	received := int64(tr["receivedBytes"].(float64))
	if received < total || received >= total*12/10 {
		t.Fatalf("%d bytes received for a %d-byte export: want a resume, not a new start", received, total)
	}
	if left, _ := filepath.Glob(filepath.Join(dataB, "transfers", "*")); len(left) != 0 {
		t.Fatalf("the grant outlived the job: %v", left)
	}
}

// A source whose certificate is not the pinned one, or a grant it
// refuses, fails the request before any byte moves, naming the field.
func TestWrongFingerprintOrGrantFailsBeforeAnyTransfer(t *testing.T) {
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	a := startKillable(t, dataA, tlsOn)
	b := startKillable(t, dataB, "")
	id, _ := exportOnA(t, a, dataA)
	grant := grantOnA(t, a, id, false)
	url := a.base + "/v1/exports/" + id
	for _, tc := range []struct {
		name  string
		src   map[string]any
		field string
	}{
		{"wrong fingerprint", map[string]any{"url": url, "grant": grant, "fingerprint": "sha256:" + strings.Repeat("ab", 32)}, "source.fingerprint"},
		{"unknown CA", map[string]any{"url": url, "grant": grant}, "source.ca"},
		{"refused grant", map[string]any{"url": url, "grant": "hvp_nope_" + strings.Repeat("x", 43), "fingerprint": agentFingerprint(t, dataA)}, "source.grant"},
		{"plain http off loopback", map[string]any{"url": "http://192.0.2.1:8080/v1/exports/" + id, "grant": grant}, "source.url"},
	} {
		var p struct {
			Status int
			Errors []struct{ Field string }
		}
		code := b.do("POST", "/v1/imports", map[string]any{"source": tc.src, "settings": map[string]any{"createCopy": true}}, &p)
		if code != 422 || len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %d %+v, want 422 naming %s", tc.name, code, p, tc.field)
		}
	}
	var exports struct{ Items []any }
	b.do("GET", "/v1/exports", nil, &exports)
	if len(exports.Items) != 0 {
		t.Fatalf("B received something: %v", exports.Items)
	}
	if left, _ := filepath.Glob(filepath.Join(dataB, "exports", ".hvport-*")); len(left) != 0 {
		t.Fatalf("B left staging behind: %v", left)
	}
}
