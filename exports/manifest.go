package exports

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hvport/hvport/internal/atomicfile"
)

// ManifestName is the file that makes a directory a complete export.
const ManifestName = "hvport-manifest.json"

// manifestFormat is bumped when the manifest changes incompatibly.
const manifestFormat = 1

// Manifest describes a complete export.
type Manifest struct {
	Format     int       `json:"format"`
	ID         string    `json:"id"` // the export's id (the id of the job that made it)
	VM         VMRef     `json:"vm"`
	Host       string    `json:"host"`       // the Hyper-V host (WMI __SERVER)
	APIVersion string    `json:"apiVersion"` // v1 or v2
	Settings   any       `json:"settings"`   // the effective export settings
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	TotalBytes int64     `json:"totalBytes"`
	Files      []File    `json:"files"`
}

// VMRef names the exported VM.
type VMRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// File is one file of an export, with its path relative to the export's
// directory (forward slashes), size and SHA-256.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// validate checks what a reader relies on.
func (m *Manifest) validate() error {
	if m.Format != manifestFormat {
		return fmt.Errorf("manifest format %d, want %d", m.Format, manifestFormat)
	}
	if m.ID == "" || m.VM.ID == "" {
		return errors.New("manifest lacks the export or VM id")
	}
	for _, f := range m.Files {
		if f.Path == "" || strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "..") || len(f.SHA256) != 64 {
			return fmt.Errorf("manifest entry %q is not a clean relative path with a SHA-256", f.Path)
		}
	}
	return nil
}

// readManifest reads and validates dir's manifest.
func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

// writeManifest writes the manifest durably (atomicfile.WriteFile). It is
// the last file of an export.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'))
}
