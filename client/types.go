package client

import "github.com/hvport/hvport/client/gen"

// The wire types, generated from api/openapi.yaml (package client/gen).
// Optional and nullable members are pointers; a nil pointer is omitted
// from a request.
type (
	Health         = gen.Health
	VM             = gen.VM
	VMDetail       = gen.VMDetail
	VMState        = gen.VMState
	VMRef          = gen.VMRefObject // a VM named inside another resource
	Disk           = gen.Disk
	NetworkAdapter = gen.NetworkAdapter
	Snapshot       = gen.Snapshot

	ExportSettings = gen.ExportSettings
	// ExportSettingsPatch is any subset of the export settings; a nil
	// member takes the VM's default (SettingsPatch makes one of an
	// ExportSettings).
	ExportSettingsPatch = gen.ExportSettingsPatch
	ExportRequest       = gen.ExportRequest
	SnapshotMode        = gen.SnapshotMode
	LiveState           = gen.LiveState
	BackupIntent        = gen.BackupIntent
	Export              = gen.Export
	ExportDetail        = gen.ExportDetail
	ExportResult        = gen.ExportResult
	VerifyResult        = gen.VerifyResult
	// Manifest is an export's hvport-manifest.json (ExportManifest).
	Manifest     = gen.ExportManifest
	ManifestFile = gen.ManifestFile
	// A Grant is a short-lived token that reads one export (CreateGrant).
	Grant        = gen.Grant
	GrantRequest = gen.GrantRequest
	CreatedGrant = gen.CreatedGrant

	ImportSource        = gen.ImportSource
	ImportRequest       = gen.ImportRequest
	RemoteSource        = gen.RemoteSource
	ImportReport        = gen.ImportReport
	ImportSettings      = gen.ImportSettings
	ImportSettingsPatch = gen.ImportSettingsPatch
	Incompatibility     = gen.Incompatibility
	ImportResult        = gen.ImportResult

	// Job is a job of the server's registry. Settings and Result are
	// unions: j.Result.AsExportResult(), AsImportResult(),
	// AsVerifyResult(); j.Settings.AsExportSettings(), AsImportSettings().
	Job = gen.Job
	// JobSummary is a job as ListJobs lists it: no settings, result or
	// warnings, and of its error only the type and title.
	JobSummary     = gen.JobSummary
	ProblemSummary = gen.ProblemSummary
	JobState       = gen.JobState
	JobKind        = gen.JobKind
	Principal      = gen.Principal

	Token        = gen.Token
	TokenRequest = gen.TokenRequest
	CreatedToken = gen.CreatedToken
	Role         = gen.Role
)

// Job states and kinds.
const (
	JobQueued     = gen.JobStateQueued
	JobRunning    = gen.JobStateRunning
	JobCancelling = gen.JobStateCancelling
	JobCompleted  = gen.JobStateCompleted
	JobFailed     = gen.JobStateFailed
	JobCancelled  = gen.JobStateCancelled

	KindExport = gen.JobKindExport
	KindImport = gen.JobKindImport
	KindVerify = gen.JobKindVerify
)

// Export settings' values (ExportSettings.CopySnapshotConfiguration,
// CaptureLiveState, BackupIntent).
const (
	ExportAllSnapshots         = gen.ExportAllSnapshots
	ExportNoSnapshots          = gen.ExportNoSnapshots
	ExportOneSnapshot          = gen.ExportOneSnapshot
	ExportOneSnapshotForBackup = gen.ExportOneSnapshotForBackup

	CaptureCrashConsistentState = gen.CaptureCrashConsistentState
	CaptureSavedState           = gen.CaptureSavedState
	CaptureAppConsistentState   = gen.CaptureAppConsistentState

	BackupPreserveChain = gen.PreserveChain
	BackupMerge         = gen.Merge
)

// Token roles.
const (
	RoleReader   = gen.Reader
	RoleOperator = gen.Operator
	RoleAdmin    = gen.Admin
)

// Finished reports whether a job is in a final state: completed, failed
// or cancelled.
func Finished(j Job) bool { return FinalState(j.State) }

// FinalState reports whether s is a final state: completed, failed or
// cancelled (for a JobSummary's State, say).
func FinalState(s JobState) bool {
	switch s {
	case JobCompleted, JobFailed, JobCancelled:
		return true
	}
	return false
}

// SettingsPatch is a patch that sets every export setting to s: what a
// program posts after reading the defaults (ExportSettings) and changing
// some. Members s has as null stay nil (the host's default).
func SettingsPatch(s ExportSettings) ExportSettingsPatch {
	p := ExportSettingsPatch{
		CopyVMStorage:                       &s.CopyVMStorage,
		CopyVMRuntimeInformation:            &s.CopyVMRuntimeInformation,
		CopySnapshotConfiguration:           &s.CopySnapshotConfiguration,
		SnapshotVirtualSystem:               s.SnapshotVirtualSystem,
		CreateVMExportSubdirectory:          &s.CreateVMExportSubdirectory,
		CaptureLiveState:                    s.CaptureLiveState,
		BackupIntent:                        s.BackupIntent,
		ExcludedVirtualHardDisks:            s.ExcludedVirtualHardDisks,
		DifferentialBackupBase:              s.DifferentialBackupBase,
		ExportForLiveMigration:              s.ExportForLiveMigration,
		DisableDifferentialOfIgnoredStorage: s.DisableDifferentialOfIgnoredStorage,
	}
	return p
}
