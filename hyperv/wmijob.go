package hyperv

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// firstJobPoll is how soon waitJob looks at a job again the first time.
const firstJobPoll = 2 * time.Millisecond

// waitJob follows a Hyper-V job until it ends, reporting PercentComplete.
//
//   - Completed (7, or 32768 "completed with warnings" as os-win treats it)
//     with ErrorCode 0 → nil.
//   - Any other end → a domain error carrying the job's ErrorCode,
//     ErrorDescription and Msvm_Error list (GetErrorEx).
//   - ctx cancelled by a user (cause errs.ErrCancelled) → ask Hyper-V to
//     kill the job, wait for it to stop, return a Cancelled error. If the
//     job completed before the kill landed, the export is kept (nil).
//   - ctx cancelled by shutdown → return at once without touching the job.
func (d *Driver) waitJob(ctx context.Context, op, path string, prog Progress, log *zap.Logger) error {
	// The first looks come soon and the wait doubles up to PollInterval:
	// the short jobs of an import (planning, validation, realization,
	// tenths of a second) are seen ending at once, a long copy is read
	// every PollInterval.
	wait := min(d.opts.PollInterval, firstJobPoll)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		job, err := d.svc.Get(context.WithoutCancel(ctx), path)
		if err != nil {
			return fromWMI("follow the Hyper-V job", err)
		}
		state := uint16(job.Uint("JobState"))
		if wmi.JobStateTerminal(state) {
			d.inventory.changed() // what the job did is done now
			return d.jobOutcome(ctx, op, path, job)
		}
		prog.Progress(int(job.Uint("PercentComplete")))
		select {
		case <-timer.C:
			wait = min(2*wait, d.opts.PollInterval)
			timer.Reset(wait)
		case <-ctx.Done():
			cause := context.Cause(ctx)
			if errors.Is(cause, errs.ErrShutdown) {
				log.Info("detaching from Hyper-V job at shutdown", zap.String("wmi_job", path))
				return errs.Wrap(errs.Unavailable, cause, "the server shut down while the Hyper-V job was running")
			}
			return d.killJob(op, path, job, prog, log)
		}
	}
}

// jobOutcome turns a finished job into nil or a domain error.
func (d *Driver) jobOutcome(ctx context.Context, op, path string, job *wmi.Object) error {
	state := uint16(job.Uint("JobState"))
	code := uint16(job.Uint("ErrorCode"))
	if (state == wmi.JobCompleted || state == wmi.JobCompletedWithWarnings) && code == 0 {
		return nil
	}
	je := &wmi.JobError{Path: path, JobState: state, ErrorCode: code, Description: job.String("ErrorDescription"),
		Errors: d.jobErrors(context.WithoutCancel(ctx), path)}
	return fromWMI(op, je)
}

// jobErrors reads the job's Msvm_Error list: GetErrorEx where the job class
// has it, else GetError (docs/HYPERV.md#jobs, #pitfall-job-classes). Failures here only lose
// detail, never the outcome.
func (d *Driver) jobErrors(ctx context.Context, path string) []*wmi.Object {
	var texts []string
	if out, err := d.svc.ExecMethod(ctx, path, "GetErrorEx", nil); err == nil && wmi.ReturnValue(out) == 0 {
		texts = out.Strings("Errors")
	} else if out, err := d.svc.ExecMethod(ctx, path, "GetError", nil); err == nil && wmi.ReturnValue(out) == 0 {
		if s := out.String("Error"); s != "" {
			texts = []string{s}
		}
	}
	var list []*wmi.Object
	for _, t := range texts {
		if o, err := wmi.DecodeInstance(t); err == nil {
			list = append(list, o)
		}
	}
	return list
}

// killJob asks Hyper-V to stop a job (RequestStateChange 5 Kill, as os-win
// does; whether 4 Terminate works for export jobs is UNCERTAIN) and waits,
// bounded by CancelTimeout, for it to reach an end state.
func (d *Driver) killJob(op, path string, job *wmi.Object, prog Progress, log *zap.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.CancelTimeout)
	defer cancel()
	defer d.inventory.changed() // whatever the killed job did or undid
	cancelled := errs.E(errs.Cancelled, "the %s was cancelled", op)
	if job.Has("Cancellable") && !job.Bool("Cancellable") {
		prog.Warn("Hyper-V reports this job as not cancellable; waiting for it to finish")
	} else {
		out, err := d.execMethod(ctx, path, "RequestStateChange", wmi.Params{"RequestedState": wmi.JobRequestKill})
		switch {
		case err != nil:
			log.Warn("kill request failed", zap.Error(err))
		case wmi.ReturnValue(out) != wmi.RSCCompleted && wmi.ReturnValue(out) != wmi.RSCTransitionStarted:
			// 4097: it ended meanwhile; the poll below sees how.
			log.Info("kill request refused", zap.Uint32("return", wmi.ReturnValue(out)))
		}
	}
	tick := time.NewTicker(d.opts.PollInterval)
	defer tick.Stop()
	for {
		j, err := d.svc.Get(ctx, path)
		if err != nil {
			if wmi.IsNotFound(err) {
				return cancelled
			}
			return fromWMI("follow the cancelled Hyper-V job", err)
		}
		state := uint16(j.Uint("JobState"))
		if wmi.JobStateTerminal(state) {
			if err := d.jobOutcome(ctx, op, path, j); err != nil {
				if errs.Is(err, errs.Cancelled) {
					return cancelled
				}
				return err
			}
			prog.Warn("the Hyper-V job completed before the cancel took effect")
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return errs.E(errs.HostFailed, "the Hyper-V job did not stop within %s of the cancel request", d.opts.CancelTimeout)
		}
	}
}
