package handlers

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"

	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/jobs"
)

// importsResource serves /v1/import-settings and /v1/imports.
type importsResource struct {
	svc  *imports.Service
	jobs *jobs.Registry
	log  *zap.Logger
}

// importSource is the body of POST /v1/import-settings.
type importSource struct {
	Directory *string `json:"directory"`
	ExportID  *string `json:"exportId"`
}

func (s importSource) source() imports.Source {
	var src imports.Source
	if s.Directory != nil {
		src.Directory = *s.Directory
	}
	if s.ExportID != nil {
		src.ExportID = *s.ExportID
	}
	return src
}

// importRequest is the body of POST /v1/imports.
type importRequest struct {
	Directory *string        `json:"directory"`
	ExportID  *string        `json:"exportId"`
	Source    *remoteSource  `json:"source"`
	Settings  *imports.Patch `json:"settings"`
}

// remoteSource is an export on another agent (POST /v1/imports "source").
type remoteSource struct {
	URL         string `json:"url"`
	Grant       string `json:"grant"`
	Fingerprint string `json:"fingerprint"`
	CA          string `json:"ca"`
}

// settings answers GET (query parameters) and POST (body) alike.
func (i importsResource) settings(w http.ResponseWriter, r *http.Request) (any, error) {
	var src importSource
	if r.Method == http.MethodPost {
		if err := decodeJSON(w, r, &src); err != nil {
			return nil, err
		}
	} else {
		q := r.URL.Query()
		if v := q.Get("directory"); v != "" {
			src.Directory = &v
		}
		if v := q.Get("exportId"); v != "" {
			src.ExportID = &v
		}
	}
	rep, err := i.svc.DefaultSettings(r.Context(), src.source())
	if err != nil {
		return nil, err
	}
	if !canSee(r, rep.VM.ID, rep.VM.Name) {
		return nil, exportOfHiddenVM()
	}
	return rep, nil
}

// exportOfHiddenVM answers a caller limited to some VMs who names an
// export of another VM.
func exportOfHiddenVM() error {
	return errs.E(errs.NotFound, "no export of a VM these credentials may see at this location")
}

// start validates an import and queues it as a job.
func (i importsResource) start(w http.ResponseWriter, r *http.Request) (any, error) {
	var req importRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	// Registering in place (createCopy false, the default) makes Hyper-V
	// own the export's files where they are: an admin's decision.
	if req.Settings == nil || req.Settings.CreateCopy == nil || !*req.Settings.CreateCopy {
		if err := requireRole(r, auth.Admin, "a register-in-place import (createCopy false)"); err != nil {
			return nil, err
		}
	}
	if req.Source != nil {
		if req.Directory != nil || req.ExportID != nil {
			return nil, errs.Field("source", "give one of directory, exportId or source")
		}
		return i.startPull(w, r, *req.Source, req.Settings)
	}
	plan, err := i.svc.Plan(r.Context(), importSource{req.Directory, req.ExportID}.source(), req.Settings)
	if err != nil {
		return nil, err
	}
	vm := plan.VM()
	if !canSee(r, vm.ID, vm.Name) || !canSee(r, "", plan.Settings.Name) {
		return nil, exportOfHiddenVM()
	}
	if err := auditEffect(r, effect{VM: vm.ID, Paths: plan.Paths()}); err != nil {
		return nil, err
	}
	spec := jobs.Spec{Kind: jobs.KindImport, VM: jobs.VMRef{ID: vm.ID, Name: vm.Name}, Submitter: submitter(r), Exclusive: vmExclusive(vm.ID), Directory: plan.Directory(), Settings: plan.Settings,
		Checkpoint: plan.Checkpoint()}
	snap, err := i.jobs.Submit(withIdempotency(r, spec), func(ctx context.Context, rep jobs.Reporter) error { return plan.Run(ctx, rep) })
	if err != nil {
		return nil, err
	}
	logctx.From(r.Context(), i.log).Info("import queued", zap.String("job_id", snap.ID), zap.String("directory", plan.Directory()))
	return accepted{location: jobLocation(snap.ID), body: toJob(snap)}, nil
}

// startPull starts an import from another agent: the source is checked
// (certificate, grant, manifest, free space) before the 202, the
// transfer and the import run as one job.
func (i importsResource) startPull(w http.ResponseWriter, r *http.Request, src remoteSource, patch *imports.Patch) (any, error) {
	plan, err := i.svc.PlanPull(r.Context(), imports.RemoteSource{URL: src.URL, Grant: src.Grant, Fingerprint: src.Fingerprint, CA: src.CA}, patch)
	if err != nil {
		return nil, err
	}
	vm := plan.VM()
	name := vm.Name
	if patch != nil && patch.Name != nil {
		name = *patch.Name
	}
	if !canSee(r, vm.ID, vm.Name) || !canSee(r, "", name) {
		plan.Release()
		return nil, exportOfHiddenVM()
	}
	if err := auditEffect(r, effect{VM: vm.ID, Target: src.URL, Paths: map[string]string{"directory": plan.Directory()}}); err != nil {
		plan.Release()
		return nil, err
	}
	spec := jobs.Spec{Kind: jobs.KindImport, VM: jobs.VMRef{ID: vm.ID, Name: vm.Name}, Submitter: submitter(r), Exclusive: vmExclusive(vm.ID),
		Directory: plan.Directory(), Settings: patch, Checkpoint: plan.Checkpoint()}
	snap, err := i.jobs.Submit(withIdempotency(r, spec), func(ctx context.Context, rep jobs.Reporter) error { return plan.Run(ctx, rep) })
	if err != nil {
		plan.Release()
		return nil, err
	}
	logctx.From(r.Context(), i.log).Info("import from another agent queued", zap.String("job_id", snap.ID), zap.String("source", src.URL), zap.String("directory", plan.Directory()))
	return accepted{location: jobLocation(snap.ID), body: toJob(snap)}, nil
}
