package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/hyperv"
)

// vmsResource serves /v1/vms.
type vmsResource struct{ d *hyperv.Driver }

func (v vmsResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	vms, err := v.d.ListVMs(r.Context())
	if err != nil {
		return nil, err
	}
	out := api.List[api.VM]{Items: make([]api.VM, 0, len(vms))}
	for _, vm := range vms {
		if canSee(r, vm.ID, vm.Name) {
			out.Items = append(out.Items, toVM(vm))
		}
	}
	return out, nil
}

func (v vmsResource) get(w http.ResponseWriter, r *http.Request) (any, error) {
	vm, err := findVisibleVM(r, v.d)
	if err != nil {
		return nil, err
	}
	snaps, err := v.d.Snapshots(r.Context(), vm)
	if err != nil {
		return nil, err
	}
	det, err := v.d.VMDetails(r.Context(), vm)
	if err != nil {
		return nil, err
	}
	out := api.VMDetail{VM: toVM(vm), Version: det.Version, Snapshots: make([]api.Snapshot, 0, len(snaps)),
		Disks: make([]api.Disk, 0, len(det.Disks)), NetworkAdapters: make([]api.NetworkAdapter, 0, len(det.NetworkAdapters))}
	if det.Generation != 0 {
		g := det.Generation
		out.Generation = &g
	}
	for _, d := range det.Disks {
		out.Disks = append(out.Disks, api.Disk{ID: d.ID, Path: d.Path, FileSize: d.FileSize, VirtualSize: d.VirtualSize})
	}
	for _, n := range det.NetworkAdapters {
		a := api.NetworkAdapter{ID: n.ID, Connected: n.Connected}
		if n.Switch != "" {
			a.Switch = &n.Switch
		}
		if n.SwitchID != "" {
			a.SwitchID = &n.SwitchID
		}
		out.NetworkAdapters = append(out.NetworkAdapters, a)
	}
	for _, s := range snaps {
		as := api.Snapshot{ID: s.ID, Name: s.Name, CreatedAt: s.CreatedAt}
		if s.ParentID != "" {
			p := s.ParentID
			as.ParentID = &p
		}
		out.Snapshots = append(out.Snapshots, as)
	}
	return out, nil
}

func toVM(vm hyperv.VM) api.VM { return api.VM{ID: vm.ID, Name: vm.Name, State: vm.State} }

// findVisibleVM finds the route's {vm} among the VMs the caller may see.
func findVisibleVM(r *http.Request, d *hyperv.Driver) (hyperv.VM, error) {
	ref := chi.URLParam(r, "vm")
	vm, err := d.FindVM(r.Context(), ref)
	if err != nil {
		return vm, err
	}
	if !canSee(r, vm.ID, vm.Name) {
		return hyperv.VM{}, vmNotFound(ref)
	}
	return vm, nil
}
