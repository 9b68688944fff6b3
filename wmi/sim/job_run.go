package sim

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Msvm_ConcreteJob (docs/HYPERV.md#jobs, [v2 docs] msvm-concretejob):
// an asynchronous method returns 4096 and the path of a job,
// …:Msvm_ConcreteJob.InstanceID="<GUID>". The job moves 3 Starting →
// 4 Running → 7 Completed, or ends in 10 Exception (a failure), or through
// 6 Shutting Down in 8 Terminated or 9 Killed (RequestStateChange 4 or 5,
// or the host closing).
// A finished job disappears TimeBeforeRemoval (5 minutes) after it ends,
// on the host's Clock; Get then fails with WBEMNotFound, as on a real host.
// The instance and its methods are in concrete_job_class.go.

const (
	// jobTimeBeforeRemoval is TimeBeforeRemoval's documented default.
	jobTimeBeforeRemoval = 5 * time.Minute
	// jobCancelledText is the ErrorDescription of a stopped job (with
	// ErrorCode 32768). INFERRED: Windows' text for ERROR_CANCELLED.
	jobCancelledText = "The operation was canceled by the user. (0x800704C7)"
)

// job is one Msvm_ConcreteJob.
type job struct {
	id          string
	vmID        string // the VM or planned VM the job works on (busy check)
	vmName      string
	jobType     uint16
	caption     string
	description string
	// namespace is the namespace of the method that started the job: the
	// job's Msvm_ConcreteJob is visible there only (v2 jobs in
	// root\virtualization\v2, v1 jobs in root\virtualization), while
	// the VM it works on is busy in both.
	namespace string
	// hidden marks the job of a method that runs inline
	// (Options.ImportSynchronous): it keeps its system busy, but no
	// Msvm_ConcreteJob is visible.
	hidden bool

	// Guarded by Host.mu.
	state            uint16
	percent          uint16
	errorCode        uint16
	errorDescription string
	errorSummary     string
	status           string
	submitted        time.Time
	started          time.Time
	changed          time.Time
	finished         time.Time
	stopRequest      uint16 // 0, JobTerminated or JobKilled once a stop was asked for
	// affected is the object path the job's Msvm_AffectedJobElement
	// names ("" for none yet): an import job's planned VM once created, a
	// realize job's planned VM and then the realized VM.
	affected string
	// errors are the job's own Msvm_Error instances (validation
	// incompatibilities); nil means the one generic error of a failed job.
	errors []*wmi.Object

	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the job's goroutine ends

	// export is the call of an export job, recorded in jobs.json so that
	// the job outlives its client's process (job_persist.go); nil for
	// other jobs.
	export *exportCallParams
	// ctx and resumeWork carry a recorded job from loadJobs to its run.
	ctx        context.Context
	resumeWork jobWork
}

// jobFailure is a job error with the ErrorCode to report and, when the
// failure has several causes, the Msvm_Error instances that GetErrorEx
// returns.
type jobFailure struct {
	code        uint16
	summary     string
	description string
	errors      []*wmi.Object
}

func (f *jobFailure) Error() string { return f.description }

// jobWork is the body of a job. It must remove its partial output before
// returning an error, and call Host.completeJob as its last step.
type jobWork func(ctx context.Context, j *job) error

// undoOnFailure makes job work that records what it creates in out: when
// the work fails or is stopped, everything it created — and nothing else —
// is removed, as a failed Hyper-V job leaves no partial output.
func (h *Host) undoOnFailure(what string, work func(ctx context.Context, j *job, out *createdPaths) error) jobWork {
	return func(ctx context.Context, j *job) error {
		out := &createdPaths{}
		err := work(ctx, j, out)
		if err != nil {
			if rerr := out.remove(); rerr != nil {
				h.log.Warn("removing "+what, zap.String("job", j.id), zap.Error(rerr))
			}
		}
		return err
	}
}

// jobSpec describes the job a method starts.
type jobSpec struct {
	systemID, systemName string // the VM or planned VM the job works on
	affected             string // initial Msvm_AffectedJobElement target, "" for none
	jobType              uint16
	caption, description string
	namespace            string // "" means root\virtualization\v2
}

// vmJobSpec is the spec of a job on a realized VM.
func (h *Host) vmJobSpec(vm *virtualMachine, jobType uint16, caption, description string) jobSpec {
	return jobSpec{systemID: vm.config.ID, systemName: vm.config.Name, affected: h.vmSystemPath(vm.config.ID),
		jobType: jobType, caption: caption, description: description}
}

// newJobLocked registers a job that has not started yet. The caller must
// run it with runJob (which balances jobsRunning).
func (h *Host) newJobLocked(spec jobSpec, hidden bool) (*job, context.Context) {
	now := h.now()
	ctx, cancel := context.WithCancelCause(context.Background())
	ns := spec.namespace
	if ns == "" {
		ns = wmi.NamespaceV2
	}
	j := &job{
		id: newGUID(), vmID: spec.systemID, vmName: spec.systemName, hidden: hidden, namespace: ns,
		jobType: spec.jobType, caption: spec.caption, description: spec.description,
		state: wmi.JobStarting, status: "Job is starting", affected: spec.affected,
		submitted: now, changed: now, cancel: cancel, done: make(chan struct{}),
	}
	h.jobs = append(h.jobs, j)
	h.jobsRunning.Add(1)
	return j, ctx
}

// startJobLocked creates a job and runs work in a goroutine.
func (h *Host) startJobLocked(spec jobSpec, work jobWork) *job {
	j, ctx := h.newJobLocked(spec, false)
	go h.runJob(ctx, j, work)
	h.log.Info("job started", zap.String("job", j.id), zap.String("vm", j.vmName), zap.String("caption", j.caption))
	return j
}

func (h *Host) runJob(ctx context.Context, j *job, work jobWork) {
	defer h.jobsRunning.Done()
	defer close(j.done)
	defer j.cancel(nil)
	h.mu.Lock()
	if j.stopRequest == 0 {
		now := h.now()
		j.state, j.status, j.started, j.changed = wmi.JobRunning, "Job is running", now, now
	}
	h.mu.Unlock()
	err := work(ctx, j)
	h.mu.Lock()
	defer h.mu.Unlock()
	if wmi.JobStateTerminal(j.state) {
		return // completeJob ran
	}
	if err == nil {
		err = errors.New("job ended without completing") // a bug in the job's work
	}
	now := h.now()
	j.changed, j.finished = now, now
	var f *jobFailure
	switch {
	case j.stopRequest != 0:
		j.state = j.stopRequest
		j.errorCode = uint16(wmi.ReturnFailed)
		j.errorSummary = j.caption + " was canceled."
		j.errorDescription = jobCancelledText
		j.status = "Job was " + strings.ToLower(wmi.JobStateText(j.state))
	case errors.As(err, &f):
		j.state, j.errorCode = wmi.JobException, f.code
		j.errorSummary, j.errorDescription = f.summary, f.description
		j.errors = f.errors
		j.status = "Job failed"
	default:
		j.state, j.errorCode = wmi.JobException, uint16(wmi.ReturnFailed)
		j.errorSummary, j.errorDescription = j.caption+" failed.", err.Error()
		j.status = "Job failed"
	}
	h.log.Info("job ended", zap.String("job", j.id), zap.Uint16("jobState", j.state),
		zap.Uint16("errorCode", j.errorCode), zap.String("error", j.errorDescription))
	if j.export != nil && !h.closed {
		h.saveJobsLocked()
	}
}

// completeJob marks the job Completed unless a stop was requested, in which
// case it returns the stop's cause and the work must undo its output. Doing
// both under h.mu makes "finished" and "stopped" exclusive.
func (h *Host) completeJob(ctx context.Context, j *job) error { return h.commitJob(ctx, j, nil) }

// commitJob is completeJob with a last step: unless a stop was requested,
// commit runs under h.mu (it changes the model: registers a VM, removes a
// planned one, ...) and the job completes only if it succeeds. A commit
// that fails must leave the model as it was.
func (h *Host) commitJob(ctx context.Context, j *job, commit func() error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if j.stopRequest != 0 {
		return context.Cause(ctx)
	}
	if commit != nil {
		if err := commit(); err != nil {
			return err
		}
	}
	now := h.now()
	j.state, j.percent, j.status, j.changed, j.finished = wmi.JobCompleted, 100, "Job completed successfully", now, now
	h.log.Info("job completed", zap.String("job", j.id), zap.String("vm", j.vmName))
	if j.export != nil && !h.closed {
		h.saveJobsLocked()
	}
	return nil
}

// setJobPercent records progress; PercentComplete never goes down and
// stays below 100 until the job completes.
func (h *Host) setJobPercent(j *job, pct int) {
	if pct > 99 {
		pct = 99
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if pct > int(j.percent) && !wmi.JobStateTerminal(j.state) {
		j.percent = uint16(pct)
	}
}

// stopJobLocked asks an unfinished job to stop and end in state end. Until
// its work has stopped and cleaned up, the job is 6 Shutting Down ("moving
// to a Completed, Terminated, or Killed state").
func (h *Host) stopJobLocked(j *job, end uint16, cause error) {
	if wmi.JobStateTerminal(j.state) || j.stopRequest != 0 {
		return
	}
	j.stopRequest = end
	j.state, j.status, j.changed = wmi.JobShuttingDown, "Job is shutting down", h.now()
	j.cancel(cause)
}

// removeExpiredJobsLocked drops jobs that ended TimeBeforeRemoval ago.
func (h *Host) removeExpiredJobsLocked() {
	now := h.now()
	kept := h.jobs[:0]
	removedExport := false
	for _, j := range h.jobs {
		if wmi.JobStateTerminal(j.state) && !now.Before(j.finished.Add(jobTimeBeforeRemoval)) {
			h.log.Debug("job removed", zap.String("job", j.id))
			removedExport = removedExport || j.export != nil
			continue
		}
		kept = append(kept, j)
	}
	for i := len(kept); i < len(h.jobs); i++ {
		h.jobs[i] = nil
	}
	h.jobs = kept
	if removedExport && !h.closed {
		h.saveJobsLocked()
	}
}
