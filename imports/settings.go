package imports

import (
	"path/filepath"
	"strings"
)

// Settings are the import settings in v1's terms
// (Msvm_VirtualSystemImportSettingData, docs/HYPERV.md#v1-import-settings). The *ResourcePaths
// and *NetworkConnections arrays are index-aligned with
// CurrentResourcePaths and SourceNetworkConnections.
type Settings struct {
	Name          string  `json:"name"`
	GenerateNewID bool    `json:"generateNewId"`
	CreateCopy    bool    `json:"createCopy"`
	SecurityScope *string `json:"securityScope"` // v1 only; null on v2

	CurrentResourcePaths []string `json:"currentResourcePaths"` // read-only
	SourceResourcePaths  []string `json:"sourceResourcePaths"`
	TargetResourcePaths  []string `json:"targetResourcePaths"`

	SourceNetworkConnections []string `json:"sourceNetworkConnections"` // read-only
	TargetNetworkConnections []string `json:"targetNetworkConnections"` // "" = disconnected

	SourceVmDataRoot       string `json:"sourceVmDataRoot"`
	SourceSnapshotDataRoot string `json:"sourceSnapshotDataRoot"`
	SourceVhdDataRoot      string `json:"sourceVhdDataRoot"`
	TargetVmDataRoot       string `json:"targetVmDataRoot"`
	TargetSnapshotDataRoot string `json:"targetSnapshotDataRoot"`
	TargetVhdDataRoot      string `json:"targetVhdDataRoot"`
}

// Patch is a partial Settings: omitted fields keep the defaults. Array
// entries that are null keep the default of that index.
type Patch struct {
	Name          *string `json:"name"`
	GenerateNewID *bool   `json:"generateNewId"`
	CreateCopy    *bool   `json:"createCopy"`
	SecurityScope *string `json:"securityScope"`

	SourceResourcePaths      []*string `json:"sourceResourcePaths"`
	TargetResourcePaths      []*string `json:"targetResourcePaths"`
	TargetNetworkConnections []*string `json:"targetNetworkConnections"`

	SourceVmDataRoot       *string `json:"sourceVmDataRoot"`
	SourceSnapshotDataRoot *string `json:"sourceSnapshotDataRoot"`
	SourceVhdDataRoot      *string `json:"sourceVhdDataRoot"`
	TargetVmDataRoot       *string `json:"targetVmDataRoot"`
	TargetSnapshotDataRoot *string `json:"targetSnapshotDataRoot"`
	TargetVhdDataRoot      *string `json:"targetVhdDataRoot"`

	// The read-only arrays are accepted so a client can post back the
	// settings it read; they must equal the defaults.
	CurrentResourcePaths     []string `json:"currentResourcePaths"`
	SourceNetworkConnections []string `json:"sourceNetworkConnections"`
}

// Incompatibility is a problem Hyper-V reports for the import, with a fix:
// a patch of the settings that resolves it, when there is one.
type Incompatibility struct {
	MessageID string `json:"messageId"`
	Message   string `json:"message"`
	Source    string `json:"source"` // the settings field at fault, or Hyper-V's ErrorSource path
	Fix       *Fix   `json:"fix"`
}

// Fix proposes a concrete edit.
type Fix struct {
	Description string         `json:"description"`
	Settings    map[string]any `json:"settings"` // a Patch to merge into the settings
}

// Report is what the import-settings endpoint returns.
type Report struct {
	Directory            string            `json:"directory"`
	VM                   VMRef             `json:"vm"`
	ConfigurationVersion string            `json:"configurationVersion"`
	APIVersion           string            `json:"apiVersion"`
	Settings             Settings          `json:"settings"`
	Incompatibilities    []Incompatibility `json:"incompatibilities"`
}

// VMRef names a VM.
type VMRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Result is what a completed import job reports.
type Result struct {
	VM          VMRef  `json:"vm"`
	Mode        string `json:"mode"` // register, restore or copy
	CopiedFiles int    `json:"copiedFiles"`
	CopiedBytes int64  `json:"copiedBytes"`
	ConfigRoot  string `json:"configurationDataRoot"`
	VMLocation  string `json:"vmLocation"` // /v1/vms/{id}
	// Transfer is set for an import from another agent.
	Transfer *TransferResult `json:"transfer,omitempty"`
}

// mode names the Import-VM mode the settings amount to.
func (s Settings) mode() string {
	switch {
	case !s.CreateCopy:
		return "register"
	case s.GenerateNewID:
		return "copy"
	}
	return "restore"
}

// join builds a host path; the export's recorded file name is kept.
func join(dir, file string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, baseName(file))
}

// baseName is the last element of a Windows or slash path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}
