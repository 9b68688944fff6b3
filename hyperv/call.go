package hyperv

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/wmi"
)

// call runs a management service method and, when it starts a job, waits
// for it (a user cancel kills it). It returns the out-parameters and the
// job's path ("" when the method finished synchronously).
func (d *Driver) call(ctx context.Context, op, method string, in wmi.Params, cimStyle bool, prog Progress) (*wmi.Object, string, error) {
	svc, err := d.managementService(ctx)
	if err != nil {
		return nil, "", err
	}
	// The call itself is not cancelled with ctx: once Hyper-V may have
	// started a job we must learn its path so a cancel can kill it.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	out, err := d.execMethod(callCtx, svc, method, in)
	if err != nil {
		return nil, "", fromWMI(op, err)
	}
	job, err := wmi.CheckReturn(method, svc, out, cimStyle)
	if err != nil {
		return nil, "", fromWMI(op, err)
	}
	if job != "" {
		prog.WMIJob(job)
		if err := d.waitJob(ctx, op, job, prog, logctx.From(ctx, d.log).With(zap.String("op", op))); err != nil {
			return out, job, err
		}
	}
	return out, job, nil
}

// affected returns the objects of class resultClass that a finished job
// names through Msvm_AffectedJobElement: how the planned VM of
// ImportSystemDefinition and the VM of RealizePlannedSystem are found when
// the methods ran as jobs (their out-parameters are not filled then,
// docs/HYPERV.md#pitfall-jobs).
func (d *Driver) affected(ctx context.Context, job, resultClass string) ([]*wmi.Object, error) {
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = "+wmi.ClassAffectedJobElement+" ResultClass = "+resultClass)
	if err != nil {
		return nil, fromWMI("follow the Hyper-V job", err)
	}
	return objs, nil
}
