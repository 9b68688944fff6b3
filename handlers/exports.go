package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/jobs"
)

// exportsResource serves a VM's export settings and starts exports.
type exportsResource struct {
	d    *hyperv.Driver
	jobs *jobs.Registry
	log  *zap.Logger
}

// defaults returns Hyper-V's default export settings for the VM.
func (e exportsResource) defaults(w http.ResponseWriter, r *http.Request) (any, error) {
	vm, err := e.d.FindVM(r.Context(), chi.URLParam(r, "vm"))
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
	if req.Directory == nil || strings.TrimSpace(*req.Directory) == "" {
		return nil, errs.Field("directory", "required: the absolute path of the export directory on the Hyper-V host")
	}
	if !filepath.IsAbs(*req.Directory) {
		return nil, errs.Field("directory", "must be an absolute path on the Hyper-V host, got "+quote(*req.Directory))
	}
	vm, err := e.d.FindVM(r.Context(), chi.URLParam(r, "vm"))
	if err != nil {
		return nil, err
	}
	defaults, err := e.d.DefaultExportSettings(r.Context(), vm)
	if err != nil {
		return nil, err
	}
	eff, err := applyExportPatch(defaults, req.Settings)
	if err != nil {
		return nil, err
	}
	plan, err := e.d.PrepareExport(r.Context(), vm, *req.Directory, eff)
	if err != nil {
		return nil, err
	}
	spec := jobs.Spec{Kind: jobs.KindExport, VM: jobs.VMRef{ID: vm.ID, Name: vm.Name}, Directory: plan.Dir, Settings: toExportSettings(eff)}
	snap, err := e.jobs.Submit(spec, func(ctx context.Context, rep jobs.Reporter) error { return plan.Run(ctx, rep) })
	if err != nil {
		plan.Release()
		return nil, err
	}
	e.log.Info("export queued", zap.String("job_id", snap.ID), zap.String("vm", vm.Name), zap.String("target", plan.Target))
	return accepted{location: jobLocation(snap.ID), body: toJob(snap)}, nil
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
	if len(p.SnapshotVirtualSystem) > 0 {
		var id *string
		if err := json.Unmarshal(p.SnapshotVirtualSystem, &id); err != nil {
			bad = append(bad, errs.FieldError{Field: "settings.snapshotVirtualSystem", Reason: "must be a checkpoint id (string) or null"})
		} else if id == nil {
			s.SnapshotVirtualSystem = ""
		} else {
			s.SnapshotVirtualSystem = *id
		}
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
	return out
}
