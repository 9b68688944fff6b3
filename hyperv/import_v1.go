package hyperv

import (
	"context"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/wmi"
)

// ImportSettingData returns v1's Msvm_VirtualSystemImportSettingData for an
// export directory (GetVirtualSystemImportSettingData). Its out-parameter
// is an embedded object; a transport that hands it over as CIM-XML text is
// accepted too (docs/HYPERV.md#v1-methods, #references).
func (d *Driver) ImportSettingData(ctx context.Context, dir string) (*wmi.Object, error) {
	if d.api != V1 {
		return nil, errs.E(errs.NotSupported, "import setting data exists only in the v1 API")
	}
	out, _, err := d.call(ctx, "read the import settings", "GetVirtualSystemImportSettingData", wmi.Params{"ImportDirectory": dir}, false, progress.Discard)
	if err != nil {
		return nil, err
	}
	switch v := out.Get("ImportSettingData").(type) {
	case *wmi.Object:
		return v, nil
	case string:
		o, err := wmi.DecodeInstance(v)
		if err != nil {
			return nil, errs.Wrap(errs.HostFailed, err, "Hyper-V returned unreadable import setting data")
		}
		return o, nil
	}
	return nil, errs.E(errs.HostFailed, "GetVirtualSystemImportSettingData returned no ImportSettingData")
}

// ImportV1 runs ImportVirtualSystemEx with the edited import setting data;
// with CreateCopy Hyper-V copies the files itself, and its job's
// PercentComplete is the import's progress.
func (d *Driver) ImportV1(ctx context.Context, dir string, settings *wmi.Object, vmID string, prog Progress) (VM, error) {
	text, err := d.embed(ctx, settings)
	if err != nil {
		return VM{}, errs.Wrap(errs.Internal, err, "encode the import setting data")
	}
	out, job, err := d.call(ctx, "import", "ImportVirtualSystemEx", wmi.Params{"ImportDirectory": dir, "ImportSettingData": text}, false, prog)
	if err != nil {
		return VM{}, err
	}
	_ = out
	if job != "" {
		if objs, err := d.affected(ctx, job, wmi.ClassComputerSystem); err == nil && len(objs) > 0 {
			return vmFrom(objs[0]), nil
		}
	}
	// No job association: find the VM by id (kept) or by name (new id).
	vms, err := d.ListVMs(ctx)
	if err != nil {
		return VM{}, err
	}
	name := settings.String("Name")
	for _, vm := range vms {
		if (!settings.Bool("GenerateNewId") && strings.EqualFold(vm.ID, vmID)) || (settings.Bool("GenerateNewId") && vm.Name == name) {
			return vm, nil
		}
	}
	return VM{}, errs.E(errs.HostFailed, "ImportVirtualSystemEx finished but the imported VM was not found")
}
