// Package api holds the REST wire types and the OpenAPI document that
// describes them (openapi.yaml, embedded and served at /v1/openapi.yaml).
// Handler tests validate every response against that document, so the
// two cannot drift.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"sort"
	"time"
)

// OpenAPI is the API description, api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// List is the envelope of every collection response.
type List[T any] struct {
	Items []T `json:"items"`
}

// Page is one page of a list: the items and the cursor of the next page
// (nil on the last one).
type Page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}

// VM is one virtual machine.
type VM struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
}

// VMDetail is a VM with what a user needs to fill in export settings.
type VMDetail struct {
	VM
	Generation      *int             `json:"generation"`
	Version         string           `json:"configurationVersion"`
	Snapshots       []Snapshot       `json:"snapshots"`
	Disks           []Disk           `json:"disks"`
	NetworkAdapters []NetworkAdapter `json:"networkAdapters"`
}

// Disk is a VM's virtual hard disk.
type Disk struct {
	ID          string  `json:"id"`
	Path        string  `json:"path"`
	FileSize    *int64  `json:"fileSize"`
	VirtualSize *uint64 `json:"virtualSize"`
}

// NetworkAdapter is a VM's connection to a virtual switch.
type NetworkAdapter struct {
	ID        string  `json:"id"`
	Connected bool    `json:"connected"`
	Switch    *string `json:"switch"`
	SwitchID  *string `json:"switchId"`
}

// Snapshot is a VM checkpoint.
type Snapshot struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	ParentID  *string    `json:"parentId"`
	CreatedAt *time.Time `json:"createdAt"`
}

// VMRef names a VM inside another resource.
type VMRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ExportSettings are the export settings (Hyper-V's
// Msvm_VirtualSystemExportSettingData in REST names).
type ExportSettings struct {
	CopyVmStorage              bool    `json:"copyVmStorage"`
	CopyVmRuntimeInformation   bool    `json:"copyVmRuntimeInformation"`
	CopySnapshotConfiguration  string  `json:"copySnapshotConfiguration"`
	SnapshotVirtualSystem      *string `json:"snapshotVirtualSystem"`
	CreateVmExportSubdirectory bool    `json:"createVmExportSubdirectory"`
	// CaptureLiveState is null on hosts whose API has no such setting (v1).
	CaptureLiveState *string `json:"captureLiveState"`
	// The v2 fields are null on hosts that lack them.
	BackupIntent                        *string  `json:"backupIntent"`
	ExcludedVirtualHardDisks            []string `json:"excludedVirtualHardDisks"`
	DifferentialBackupBase              *string  `json:"differentialBackupBase"`
	ExportForLiveMigration              *bool    `json:"exportForLiveMigration"`
	DisableDifferentialOfIgnoredStorage *bool    `json:"disableDifferentialOfIgnoredStorage"`
}

// ExportSettingsPatch is a partial ExportSettings: omitted fields take the
// defaults. SnapshotVirtualSystem is raw so that an explicit null (clear)
// and an omitted field (keep the default) can be told apart.
type ExportSettingsPatch struct {
	CopyVmStorage              *bool           `json:"copyVmStorage"`
	CopyVmRuntimeInformation   *bool           `json:"copyVmRuntimeInformation"`
	CopySnapshotConfiguration  *string         `json:"copySnapshotConfiguration"`
	SnapshotVirtualSystem      json.RawMessage `json:"snapshotVirtualSystem"`
	CreateVmExportSubdirectory *bool           `json:"createVmExportSubdirectory"`
	CaptureLiveState           *string         `json:"captureLiveState"`

	BackupIntent                        *string         `json:"backupIntent"`
	ExcludedVirtualHardDisks            *[]string       `json:"excludedVirtualHardDisks"`
	DifferentialBackupBase              json.RawMessage `json:"differentialBackupBase"`
	ExportForLiveMigration              *bool           `json:"exportForLiveMigration"`
	DisableDifferentialOfIgnoredStorage *bool           `json:"disableDifferentialOfIgnoredStorage"`
}

// ExportRequest is the body of POST /v1/vms/{vm}/exports.
type ExportRequest struct {
	Directory *string              `json:"directory"`
	Settings  *ExportSettingsPatch `json:"settings"`
	// Overwrite replaces an existing export at the destination (the new
	// one is published first, then the old one removed).
	Overwrite *bool `json:"overwrite"`
}

// Export is a complete export found under the export roots.
type Export struct {
	ID         string    `json:"id"`
	VM         VMRef     `json:"vm"`
	Directory  string    `json:"directory"`
	Host       string    `json:"host"`
	APIVersion string    `json:"apiVersion"`
	Settings   any       `json:"settings"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	FileCount  int       `json:"fileCount"`
	TotalBytes int64     `json:"totalBytes"`
}

// ExportDetail is an export with its manifest's file list.
type ExportDetail struct {
	Export
	Files []ExportFile `json:"files"`
}

// ExportFile is one file of an export.
type ExportFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Job is a job of the registry.
type Job struct {
	ID              string `json:"id"`
	Kind            string `json:"kind"`
	State           string `json:"state"`
	PercentComplete int    `json:"percentComplete"`
	Phase           string `json:"phase"`
	BytesDone       int64  `json:"bytesDone"`
	BytesTotal      int64  `json:"bytesTotal"`
	// BytesPerSecond and ETASeconds: a moving average over the last
	// seconds of the current phase's bytes, and the time left at it; nil
	// when unknown or the phase moves no bytes, and once the job finished.
	BytesPerSecond *int64 `json:"bytesPerSecond"`
	ETASeconds     *int64 `json:"etaSeconds"`
	// VM is the VM the job works on; for an import, the VM it created
	// (nil until then). Source is the exported VM an import came from
	// (nil for other kinds).
	VM          *VMRef     `json:"vm"`
	Source      *VMRef     `json:"source"`
	Directory   string     `json:"directory"`
	Settings    any        `json:"settings"`
	WMIJob      *string    `json:"wmiJob"`
	HypervJob   *string    `json:"hypervJob"` // the InstanceID of WMIJob
	Warnings    []string   `json:"warnings"`
	Result      any        `json:"result"`
	CreatedAt   time.Time  `json:"createdAt"`
	StartedAt   *time.Time `json:"startedAt"`
	FinishedAt  *time.Time `json:"finishedAt"`
	Error       *Problem   `json:"error"`
	SubmittedBy *Principal `json:"submittedBy"`
	// RequestID is the X-Request-Id of the request that created the job
	// (nil for jobs recorded before requests had ids): its log lines
	// carry it as request_id.
	RequestID *string `json:"requestId"`
}

// JobSummary is a job as GET /v1/jobs lists it: what tells jobs apart
// and how far each got. GET /v1/jobs/{id} has the whole Job.
type JobSummary struct {
	ID              string          `json:"id"`
	Kind            string          `json:"kind"`
	State           string          `json:"state"`
	Phase           string          `json:"phase"`
	PercentComplete int             `json:"percentComplete"`
	BytesPerSecond  *int64          `json:"bytesPerSecond"`
	ETASeconds      *int64          `json:"etaSeconds"`
	VM              *VMRef          `json:"vm"`
	Source          *VMRef          `json:"source"`
	CreatedAt       time.Time       `json:"createdAt"`
	StartedAt       *time.Time      `json:"startedAt"`
	FinishedAt      *time.Time      `json:"finishedAt"`
	Error           *ProblemSummary `json:"error"`
}

// ProblemSummary is a problem's type and title: why a listed job failed
// (or that it was cancelled), without the details.
type ProblemSummary struct {
	Type  string `json:"type"`
	Title string `json:"title"`
}

// Principal names who did something: kind (token, certificate or
// insecure-no-auth), a stable id ("token:<id>", "certificate:<subject>")
// and a name. Never a secret.
type Principal struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Name      string   `json:"name"`
	Role      string   `json:"role"`
	VMs       []string `json:"vms"`
	ExpiresIn *string  `json:"expiresIn"` // a Go duration, e.g. "720h"; omitted = never
}

// Token describes a token; its secret is never shown again after creation.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	VMs       []string   `json:"vms"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt"`
	CreatedBy string     `json:"createdBy"`
}

// CreatedToken is the answer to POST /v1/tokens: the only time the
// token's secret is shown.
type CreatedToken struct {
	Token
	Secret string `json:"token"`
}

// GrantRequest is the body of POST /v1/exports/{id}/grants.
type GrantRequest struct {
	ExpiresIn            *string `json:"expiresIn"` // a Go duration; default 1h, at most 24h
	DeleteExportWhenDone *bool   `json:"deleteExportWhenDone"`
}

// Grant describes an export grant: a token limited to reading one export
// (and deleting it, with DeleteExportWhenDone). Its secret is shown once.
type Grant struct {
	ID                   string    `json:"id"` // the token's public id
	ExportID             string    `json:"exportId"`
	CreatedAt            time.Time `json:"createdAt"`
	ExpiresAt            time.Time `json:"expiresAt"`
	DeleteExportWhenDone bool      `json:"deleteExportWhenDone"`
	CreatedBy            string    `json:"createdBy"`
}

// CreatedGrant is the answer to POST /v1/exports/{id}/grants: the only
// time the grant's token is shown.
type CreatedGrant struct {
	Grant
	Token string `json:"token"`
}

// Problem is an RFC 9457 problem details object. Extensions are written
// as top-level members next to the standard ones.
type Problem struct {
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Status     int            `json:"status"`
	Detail     string         `json:"detail,omitempty"`
	Instance   string         `json:"instance,omitempty"`
	Errors     []FieldError   `json:"errors,omitempty"`
	Extensions map[string]any `json:"-"`
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string   `json:"field"`
	Reason  string   `json:"reason"`
	Allowed []string `json:"allowed,omitempty"`
}

// MarshalJSON writes the standard members first, in their usual order,
// then the extensions (sorted), all in one object.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := marshalNoEscape(plain(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(p.Extensions))
	for k := range p.Extensions {
		switch k {
		case "type", "title", "status", "detail", "instance", "errors":
			continue // standard members win
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // without the closing brace
	for _, k := range keys {
		kb, _ := marshalNoEscape(k)
		vb, err := marshalNoEscape(p.Extensions[k])
		if err != nil {
			return nil, err
		}
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping: problem details
// are read by people ("<VM GUID>", "&").
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
