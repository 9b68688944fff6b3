package main

import (
	"encoding/json"
	"os"
	"testing"
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestResolveDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	vars := map[string]string{"HOME": dir}
	a := newApp(os.Stdout, os.Stderr, func(k string) string { return vars[k] })
	c, err := a.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != defaultURL || c.Token != "" || c.TokenFile != "" {
		t.Errorf("no configuration: %+v", c)
	}
	if err := os.Mkdir("hvport-data", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("hvport-data/admin.token", []byte("hvp_a_b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, _ = a.resolve(); c.TokenFile != "hvport-data/admin.token" {
		t.Errorf("with ./hvport-data/admin.token: %+v", c)
	}
	// Not for a remote server.
	vars["HVPORT_URL"] = "https://hyperv-01:8443"
	if c, _ = a.resolve(); c.TokenFile != "" || c.URL != "https://hyperv-01:8443" {
		t.Errorf("remote: %+v", c)
	}
}

func TestMergeFix(t *testing.T) {
	defaults := map[string]any{"sourceResourcePaths": []any{"a", "b", "c"}}
	patch := map[string]any{}
	mergeFix(patch, map[string]any{"sourceResourcePaths": []any{"A", "b", "c"}}, defaults)
	mergeFix(patch, map[string]any{"sourceResourcePaths": []any{"a", "b", "C"}, "generateNewId": true}, defaults)
	got, _ := json.Marshal(patch)
	if string(got) != `{"generateNewId":true,"sourceResourcePaths":["A","b","C"]}` {
		t.Errorf("merged fixes = %s", got)
	}
	if s := setArgs(map[string]any{"name": "web 01", "createCopy": true, "x": "true", "p": []any{"a"}}); s != `--set createCopy=true --set name='"web 01"' --set p='["a"]' --set x='"true"'` {
		t.Errorf("setArgs = %s", s)
	}
}
