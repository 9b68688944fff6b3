package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// buildPatch makes the settings patch T of a request: base (fixes), then
// the members of the --settings file (JSON or YAML, such as what
// "export settings" printed and you edited; null means "the default"),
// then each --set key=value. A value that reads as JSON (true, 3, null,
// "text", ["a","b"]) is taken as such, anything else as a string. Unknown
// keys and values of the wrong type are usage errors; what the server
// thinks of the values it says itself (422 with the allowed values).
// Without any of them the patch is nil: the server's defaults.
func buildPatch[T any](base map[string]any, file string, sets []string) (*T, error) {
	merged := map[string]any{}
	for k, v := range base {
		merged[k] = v
	}
	if file != "" {
		m, err := readSettingsFile(file)
		if err != nil {
			return nil, err
		}
		if _, err := decodePatch[T](m); err != nil {
			return nil, usageErrorf("--settings %s: %v", file, err)
		}
		for k, v := range m {
			merged[k] = v
		}
	}
	for _, s := range sets {
		key, raw, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, usageErrorf("--set %q: want key=value", s)
		}
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			v = raw
		}
		if _, err := decodePatch[T](map[string]any{key: v}); err != nil {
			return nil, usageErrorf("--set %s: %v", s, err)
		}
		merged[key] = v
	}
	if base == nil && file == "" && len(sets) == 0 {
		return nil, nil
	}
	return decodePatch[T](merged)
}

func decodePatch[T any](m map[string]any) (*T, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p T
	if err := dec.Decode(&p); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.HasPrefix(msg, "unknown field") {
			msg += " (known: " + strings.Join(jsonFields(reflect.TypeFor[T]()), ", ") + ")"
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return &p, nil
}

func jsonFields(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// readSettingsFile reads a settings object. The whole answer of "import
// settings -o json" is accepted too: its "settings" member is used.
func readSettingsFile(file string) (map[string]any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("--settings: %v", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, usageErrorf("--settings %s: not a JSON or YAML object: %v", file, err)
	}
	if s, ok := m["settings"].(map[string]any); ok {
		if _, report := m["incompatibilities"]; report {
			m = s
		}
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// mergeFix adds a fix's settings patch to patch. Arrays that are
// index-aligned with the defaults (resource paths, network connections)
// are merged element by element: an element the fix leaves at its
// default keeps what an earlier fix set.
func mergeFix(patch, fix, defaults map[string]any) {
	for k, v := range fix {
		nv, isArr := v.([]any)
		dv, hasDef := defaults[k].([]any)
		pv, hasPrev := patch[k].([]any)
		if isArr && hasDef && hasPrev && len(nv) == len(dv) && len(pv) == len(dv) {
			out := append([]any(nil), pv...)
			for i := range nv {
				if !reflect.DeepEqual(nv[i], dv[i]) {
					out[i] = nv[i]
				}
			}
			patch[k] = out
			continue
		}
		patch[k] = v
	}
}

// setArgs writes a patch as --set arguments, for the user to copy.
func setArgs(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var parts []string
	for _, k := range keys {
		val := ""
		if str, ok := m[k].(string); ok && shellSafe(str) {
			var probe any
			if json.Unmarshal([]byte(str), &probe) != nil {
				val = str // reads back as a string
			}
		}
		if val == "" {
			b, _ := json.Marshal(m[k])
			val = string(b)
			if !shellSafe(val) {
				val = "'" + strings.ReplaceAll(val, "'", `'\''`) + "'"
			}
		}
		parts = append(parts, "--set "+k+"="+val)
	}
	return strings.Join(parts, " ")
}

func shellSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-+,@%", r)) {
			return false
		}
	}
	return true
}
