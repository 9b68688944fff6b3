// Reading a Seed from a file (sim.seed-file): YAML or JSON, strictly
// (an unknown key is an error naming it); seed.go has the type.

package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadSeed reads a seed file: a Seed in YAML (.yaml, .yml) or JSON
// (.json), chosen by the extension, with the keys of Seed's tags
// (switches, vms: name, id, state, generation, version, disks: file,
// sizeBytes, virtualSizeBytes, checkpoints: name, id, parent, differencingBytes,
// networkAdapters: switch, id, runtimeStateBytes; exportCaptureLiveState).
// configs/sim-demo.yaml is DemoSeed as a file. Unknown keys are errors
// that name the key and its line, and the seed must pass the checks New
// makes (a known state, GUIDs, unique names, switches that exist, ...).
// The seed is returned as written: IDs left out are chosen by New.
func LoadSeed(path string) (*Seed, error) {
	var s Seed
	if err := decodeConfigFile(path, &s); err != nil {
		return nil, err
	}
	if _, err := s.normalized(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// decodeConfigFile decodes a YAML or JSON file into out, strictly: every
// key must be a field of out, a file holds one document. A .json file must
// be JSON; it is then decoded as YAML (JSON is YAML's flow syntax), so that
// both formats share the keys, the strictness, the error messages and the
// duration strings.
func decodeConfigFile(path string, out any) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".yaml" && ext != ".yml" && ext != ".json" {
		return fmt.Errorf("%s: unknown format %q: want .yaml, .yml or .json", path, ext)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if ext == ".json" && !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: the file is empty", path)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: the file holds more than one YAML document", path)
	}
	return nil
}
