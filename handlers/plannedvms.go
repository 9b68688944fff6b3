package handlers

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
)

// plannedVMsResource serves /v1/planned-vms: the host's planned VMs, which
// a failed or interrupted import (hvport's or anyone's) can leave behind
// and which block a later keep-id import of the same VM (docs/HYPERV.md#pitfall-import-twice).
type plannedVMsResource struct {
	d       *hyperv.Driver
	imports *imports.Service
	log     *zap.Logger
}

func (p plannedVMsResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	vms, err := p.d.PlannedVMs(r.Context())
	if err != nil {
		return nil, err
	}
	out := api.List[api.VMRef]{Items: make([]api.VMRef, 0, len(vms))}
	for _, vm := range vms {
		if canSee(r, vm.ID, vm.Name) {
			out.Items = append(out.Items, api.VMRef{ID: vm.ID, Name: vm.Name})
		}
	}
	return out, nil
}

// delete discards a planned VM (DestroySystem); its files are not touched.
func (p plannedVMsResource) delete(w http.ResponseWriter, r *http.Request) (any, error) {
	id := chi.URLParam(r, "id")
	vms, err := p.d.PlannedVMs(r.Context())
	if err != nil {
		return nil, err
	}
	for _, vm := range vms {
		if !strings.EqualFold(vm.ID, id) || !canSee(r, vm.ID, vm.Name) {
			continue
		}
		if p.imports != nil && p.imports.PlannedInUse(vm.ID) {
			return nil, errs.E(errs.Conflict, "planned VM %s belongs to a running import job; cancel the job instead", vm.ID)
		}
		if err := auditEffect(r, effect{VM: vm.ID, Target: vm.ID}); err != nil {
			return nil, err
		}
		if err := p.d.DestroyPlanned(r.Context(), &hyperv.Planned{Path: vm.Path, ID: vm.ID}); err != nil {
			return nil, err
		}
		p.log.Info("planned VM discarded", zap.String("planned_vm", vm.ID), zap.String("name", vm.Name))
		return api.VMRef{ID: vm.ID, Name: vm.Name}, nil
	}
	return nil, errs.E(errs.NotFound, "no planned VM with id %q", id)
}
