package hyperv

import (
	"context"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// Ping asks the host for its management service, the cheapest query that
// says the WMI backend answers and Hyper-V is there (readiness). It does
// not use the path the driver keeps: it must reach the host each time.
func (d *Driver) Ping(ctx context.Context) error {
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassManagementService)
	if err != nil {
		return fromWMI("query the management service", err)
	}
	if len(objs) == 0 {
		return errs.E(errs.Unavailable, "the Hyper-V management service (%s) was not found in %s", wmi.ClassManagementService, d.svc.Namespace())
	}
	return nil
}
