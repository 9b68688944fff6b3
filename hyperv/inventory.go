package hyperv

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hvport/hvport/wmi"
)

// inventory is the VM listing ListVMs shares: one WMI query in flight at a
// time (singleflight), and its answer reused for Options.InventoryMaxAge
// unless the driver changed something meanwhile. On a real host a query
// costs tens of milliseconds and a thousand clients poll; VMs change
// rarely, and the changes this server makes are seen at once:
//
//   - every method the driver calls on Hyper-V (execMethod) and every
//     Hyper-V job it sees end (waitJob, killJob) moves the generation on,
//     and an answer is reused only under the generation it was asked in;
//     a job reports completion after that, so a client that saw its
//     import complete lists the new VM;
//   - what others do (Hyper-V Manager, PowerShell) shows within MaxAge.
type inventory struct {
	maxAge time.Duration
	now    func() time.Time

	gen    atomic.Uint64
	flight singleflight.Group
	last   atomic.Pointer[listing] // the last answer, with the generation it was asked in
}

type listing struct {
	gen uint64
	at  time.Time
	vms []VM
}

// changed says the driver may have changed a VM: no answer asked before
// it is reused.
func (in *inventory) changed() { in.gen.Add(1) }

// list returns a reusable answer, or runs query (shared with the callers
// that arrive while it is in flight) and keeps its answer.
func (in *inventory) list(query func() ([]VM, error)) ([]VM, error) {
	if in.maxAge > 0 {
		if l := in.last.Load(); l != nil && l.gen == in.gen.Load() && in.now().Sub(l.at) < in.maxAge {
			return l.vms, nil
		}
	}
	v, err, _ := in.flight.Do("vms", func() (any, error) {
		gen, at := in.gen.Load(), in.now()
		vms, err := query()
		if err == nil && in.maxAge > 0 {
			in.last.Store(&listing{gen: gen, at: at, vms: vms})
		}
		return vms, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]VM), nil
}

// execMethod calls a Hyper-V method: the one way the driver changes the
// host, so the inventory's answers so far are not reused.
func (d *Driver) execMethod(ctx context.Context, path, method string, in wmi.Params) (*wmi.Object, error) {
	defer d.inventory.changed()
	return d.svc.ExecMethod(ctx, path, method, in)
}
