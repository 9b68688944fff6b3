package client_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsCurrent runs the generator as go generate does (the
// version pinned in gen/oapi-codegen.mod, gen/config.yaml) and fails when
// gen/gen.go is not what it makes of api/openapi.yaml: the spec or the
// configuration changed without `go generate ./client/gen/`.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	committed, err := os.ReadFile(filepath.Join("gen", "gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	// Without -o the generator writes to standard output (config.yaml
	// names no output file, so nothing in the tree is touched).
	cmd := exec.Command("go", "tool", "-modfile=oapi-codegen.mod", "oapi-codegen", "-config", "config.yaml", "../../api/openapi.yaml")
	cmd.Dir = "gen"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	fresh, err := cmd.Output()
	if err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, stderr.Bytes())
	}
	if !bytes.Equal(committed, fresh) {
		// Kept after the test, to be compared.
		f, err := os.CreateTemp("", "hvport-gen-*.go")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(fresh)
		f.Close()
		out := f.Name()
		t.Fatalf("client/gen/gen.go is stale: api/openapi.yaml or client/gen/config.yaml changed; run `go generate ./client/gen/` "+
			"(the generator's output is in %s: diff it with client/gen/gen.go)", out)
	}
}
