package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/roots"
)

// exportsResource serves a VM's export settings and starts exports.
type exportsResource struct {
	d    *hyperv.Driver
	svc  *exports.Service
	jobs *jobs.Registry
	// tokens holds the exports' grants (revoked with their export).
	tokens *auth.Store
	log    *zap.Logger
}

// defaults returns Hyper-V's default export settings for the VM.
func (e exportsResource) defaults(w http.ResponseWriter, r *http.Request) (any, error) {
	vm, err := findVisibleVM(r, e.d)
	if err != nil {
		return nil, err
	}
	s, err := e.d.DefaultExportSettings(r.Context(), vm)
	if err != nil {
		return nil, err
	}
	return toExportSettings(s), nil
}

// start validates an export request, claims its target and queues the
// export as a job. The job runs on the registry's context, not the
// request's.
func (e exportsResource) start(w http.ResponseWriter, r *http.Request) (any, error) {
	var req api.ExportRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	// Without a directory the server picks a fresh one (after the VM is
	// known, as its name is part of it).
	dir, exportID := "", ""
	if req.Directory != nil && *req.Directory != "" {
		dir = *req.Directory
		// Confined before anything else (before the VM is even looked up):
		// outside the roots is 403, the same whether the path exists or not.
		if _, err := e.svc.Store.Resolve("directory", dir); err != nil {
			return nil, err
		}
	}
	vm, err := findVisibleVM(r, e.d)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir, exportID = e.defaultDirectory(vm)
	}
	overwrite := req.Overwrite != nil && *req.Overwrite
	if overwrite {
		if err := requireRole(r, auth.Admin, `"overwrite": true`); err != nil {
			return nil, err
		}
	}
	defaults, err := e.d.DefaultExportSettings(r.Context(), vm)
	if err != nil {
		return nil, err
	}
	eff, err := applyExportPatch(defaults, req.Settings)
	if err != nil {
		return nil, err
	}
	view := toExportSettings(eff)
	plan, err := e.svc.Plan(r.Context(), exports.Request{VM: vm, Directory: dir, Settings: eff,
		SettingsView: view, Overwrite: overwrite, ID: exportID})
	if err != nil {
		return nil, err
	}
	if err := auditEffect(r, effect{VM: vm.ID, Target: plan.ID, Paths: map[string]string{"directory": plan.Final}}); err != nil {
		plan.Release()
		return nil, err
	}
	spec := jobs.Spec{Kind: jobs.KindExport, VM: jobs.VMRef{ID: vm.ID, Name: vm.Name}, Submitter: submitter(r), Directory: plan.Final, Settings: view,
		Exclusive: vmExclusive(vm.ID), Checkpoint: plan.Checkpoint()}
	snap, err := e.jobs.Submit(withIdempotency(r, spec), func(ctx context.Context, rep jobs.Reporter) error { return plan.Run(ctx, rep) })
	if err != nil {
		plan.Release()
		return nil, err
	}
	logctx.From(r.Context(), e.log).Info("export queued", zap.String("job_id", snap.ID), zap.String("export_id", plan.ID), zap.String("vm", vm.Name), zap.String("final", plan.Final))
	return accepted{location: jobLocation(snap.ID), body: toJob(snap)}, nil
}

// defaultDirectory is where an export without a directory goes:
// <first export root>/<VM name>-<the export id's first 8 characters>
// ("export-…" when the VM's name cannot be a directory name), with the
// export id it is named after.
func (e exportsResource) defaultDirectory(vm hyperv.VM) (dir, id string) {
	id = uuid.NewString()
	name := vm.Name + "-" + id[:8]
	if roots.CheckName(roots.Native(), name) != nil {
		name = "export-" + id[:8]
	}
	return filepath.Join(e.svc.Store.Roots()[0], name), id
}

// list returns the complete exports under the export roots.
func (e exportsResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	all := e.svc.Store.List()
	out := api.List[api.Export]{Items: make([]api.Export, 0, len(all))}
	for _, x := range all {
		if canSee(r, x.Manifest.VM.ID, x.Manifest.VM.Name) {
			out.Items = append(out.Items, toExport(x))
		}
	}
	return out, nil
}

func (e exportsResource) get(w http.ResponseWriter, r *http.Request) (any, error) {
	x, err := e.visibleExport(r)
	if err != nil {
		return nil, err
	}
	d := api.ExportDetail{Export: toExport(x), Files: make([]api.ExportFile, 0, len(x.Manifest.Files))}
	for _, f := range x.Manifest.Files {
		d.Files = append(d.Files, api.ExportFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
	}
	return d, nil
}

func (e exportsResource) delete(w http.ResponseWriter, r *http.Request) (any, error) {
	x, err := e.visibleExport(r)
	if err != nil {
		return nil, err
	}
	if err := auditEffect(r, effect{VM: x.Manifest.VM.ID, Target: x.Manifest.ID, Paths: map[string]string{"directory": x.Dir}}); err != nil {
		return nil, err
	}
	if x, err = e.svc.Store.Delete(x.Manifest.ID); err != nil {
		return nil, err
	}
	// Its grants reach nothing any more: they go too (the one that
	// deleted it included).
	if e.tokens != nil {
		if _, err := e.tokens.RevokeGrants(x.Manifest.ID); err != nil {
			e.log.Warn("an export's grants were not revoked with it; they expire on their own", zap.String("export_id", x.Manifest.ID), zap.Error(err))
		}
	}
	return toExport(x), nil
}

// visibleExport finds the route's {id} among the exports of VMs the
// caller may see; another VM's export is "not found", as the store says.
func (e exportsResource) visibleExport(r *http.Request) (exports.Export, error) {
	id := chi.URLParam(r, "id")
	x, err := e.svc.Store.Get(id)
	if err != nil {
		return x, err
	}
	if !canSee(r, x.Manifest.VM.ID, x.Manifest.VM.Name) {
		return exports.Export{}, errs.E(errs.NotFound, "no complete export with id %q under the export roots", id)
	}
	return x, nil
}

// verify re-hashes an export's files against its manifest, as a job.
func (e exportsResource) verify(w http.ResponseWriter, r *http.Request) (any, error) {
	if _, err := e.visibleExport(r); err != nil {
		return nil, err
	}
	x, work, err := e.svc.Verify(chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	if err := auditEffect(r, effect{VM: x.Manifest.VM.ID, Target: x.Manifest.ID, Paths: map[string]string{"directory": x.Dir}}); err != nil {
		return nil, err
	}
	spec := jobs.Spec{Kind: jobs.KindVerify, VM: jobs.VMRef{ID: x.Manifest.VM.ID, Name: x.Manifest.VM.Name}, Submitter: submitter(r), Directory: x.Dir, Settings: x.Manifest.Settings,
		Checkpoint: exports.VerifyCheckpoint{ExportID: x.Manifest.ID}}
	snap, err := e.jobs.Submit(withIdempotency(r, spec), func(ctx context.Context, rep jobs.Reporter) error { return work(ctx, rep) })
	if err != nil {
		return nil, err
	}
	return accepted{location: jobLocation(snap.ID), body: toJob(snap)}, nil
}

func toExport(x exports.Export) api.Export {
	m := x.Manifest
	return api.Export{ID: m.ID, VM: api.VMRef{ID: m.VM.ID, Name: m.VM.Name}, Directory: x.Dir, Host: m.Host,
		APIVersion: m.APIVersion, Settings: m.Settings, StartedAt: m.StartedAt, FinishedAt: m.FinishedAt,
		FileCount: len(m.Files), TotalBytes: m.TotalBytes}
}

// applyExportPatch lays the client's partial settings over the defaults,
// collecting every invalid field into one 422.
func applyExportPatch(s hyperv.ExportSettings, p *api.ExportSettingsPatch) (hyperv.ExportSettings, error) {
	if p == nil {
		return s, nil
	}
	var bad []errs.FieldError
	if p.CopyVmStorage != nil {
		s.CopyVmStorage = *p.CopyVmStorage
	}
	if p.CopyVmRuntimeInformation != nil {
		s.CopyVmRuntimeInformation = *p.CopyVmRuntimeInformation
	}
	if p.CreateVmExportSubdirectory != nil {
		s.CreateVmExportSubdirectory = *p.CreateVmExportSubdirectory
	}
	if p.CopySnapshotConfiguration != nil {
		m, ok := hyperv.ParseSnapshotMode(*p.CopySnapshotConfiguration)
		if ok {
			s.CopySnapshotConfiguration = m
		} else {
			bad = append(bad, errs.FieldError{Field: "settings.copySnapshotConfiguration",
				Reason: "unknown value " + quote(*p.CopySnapshotConfiguration), Allowed: hyperv.SnapshotModeNames()})
		}
	}
	if p.CaptureLiveState != nil {
		l, ok := hyperv.ParseLiveState(*p.CaptureLiveState)
		if ok {
			s.CaptureLiveState = &l
		} else {
			bad = append(bad, errs.FieldError{Field: "settings.captureLiveState",
				Reason: "unknown value " + quote(*p.CaptureLiveState), Allowed: hyperv.LiveStateNames()})
		}
	}
	nullableID := func(raw json.RawMessage, field string, dst *string) {
		if len(raw) == 0 {
			return
		}
		var id *string
		if err := json.Unmarshal(raw, &id); err != nil {
			bad = append(bad, errs.FieldError{Field: field, Reason: "must be a checkpoint id (string) or null"})
		} else if id == nil {
			*dst = ""
		} else {
			*dst = *id
		}
	}
	nullableID(p.SnapshotVirtualSystem, "settings.snapshotVirtualSystem", &s.SnapshotVirtualSystem)
	nullableID(p.DifferentialBackupBase, "settings.differentialBackupBase", &s.DifferentialBackupBase)
	if p.BackupIntent != nil {
		b, ok := hyperv.ParseBackupIntent(*p.BackupIntent)
		if ok {
			s.BackupIntent = &b
		} else {
			bad = append(bad, errs.FieldError{Field: "settings.backupIntent",
				Reason: "unknown value " + quote(*p.BackupIntent), Allowed: hyperv.BackupIntentNames()})
		}
	}
	if p.ExcludedVirtualHardDisks != nil {
		s.ExcludedVirtualHardDisks = *p.ExcludedVirtualHardDisks
	}
	if p.ExportForLiveMigration != nil {
		s.ExportForLiveMigration = p.ExportForLiveMigration
	}
	if p.DisableDifferentialOfIgnoredStorage != nil {
		s.DisableDifferentialOfIgnoredStorage = p.DisableDifferentialOfIgnoredStorage
	}
	if len(bad) > 0 {
		return s, &errs.Error{Kind: errs.Invalid, Msg: "invalid export settings", Fields: bad}
	}
	return s, nil
}

func toExportSettings(s hyperv.ExportSettings) api.ExportSettings {
	out := api.ExportSettings{
		CopyVmStorage:              s.CopyVmStorage,
		CopyVmRuntimeInformation:   s.CopyVmRuntimeInformation,
		CopySnapshotConfiguration:  s.CopySnapshotConfiguration.String(),
		CreateVmExportSubdirectory: s.CreateVmExportSubdirectory,
	}
	if s.SnapshotVirtualSystem != "" {
		id := s.SnapshotVirtualSystem
		out.SnapshotVirtualSystem = &id
	}
	if s.CaptureLiveState != nil {
		l := s.CaptureLiveState.String()
		out.CaptureLiveState = &l
	}
	if s.BackupIntent != nil {
		b := s.BackupIntent.String()
		out.BackupIntent = &b
	}
	if s.HostHas("ExcludedVirtualHardDisks") || len(s.ExcludedVirtualHardDisks) > 0 {
		out.ExcludedVirtualHardDisks = append([]string{}, s.ExcludedVirtualHardDisks...)
	}
	if s.DifferentialBackupBase != "" {
		id := s.DifferentialBackupBase
		out.DifferentialBackupBase = &id
	}
	out.ExportForLiveMigration = s.ExportForLiveMigration
	out.DisableDifferentialOfIgnoredStorage = s.DisableDifferentialOfIgnoredStorage
	return out
}
