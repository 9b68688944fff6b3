package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// jobs.json: the export jobs the simulated VMMS keeps while the process
// that called it is gone.
//
// On a real host a Hyper-V job belongs to the Virtual Machine Management
// Service (vmms.exe), not to the WMI client that started it: when the
// client process dies or restarts, the export goes on, and its
// Msvm_ConcreteJob stays queryable until TimeBeforeRemoval after it ends
// (Msvm_ConcreteJob's TimeBeforeRemoval and DeleteOnCompletion, [v2
// docs] msvm-concretejob; os-win's jobutils follows a job only by its
// path, never by the process that started it). The simulator lives in its
// client's process, so it keeps that continuity on disk: every export job
// (ExportSystemDefinition) is recorded with the call that started it when
// it starts and again when it ends; a host opened on the same DataDir
//
//   - runs a job that had not ended again from the beginning, under the
//     same InstanceID, after removing the files its interrupted run left
//     (only the plan's own targets: a plan never overwrites a file, so
//     any of them that exists was written by that run) — the time the
//     process was away is not simulated, the copy simply starts over;
//   - knows a job that had ended, with its outcome, until
//     TimeBeforeRemoval after it ended on the host's Clock.
//
// Options.InterruptedJobs = InterruptedJobsForgotten models coming back
// after Hyper-V has forgotten the jobs: an unfinished one is run to its
// end inside New and not kept, as are the ended ones.
//
// Close (a graceful stop of the client) records the running export jobs as
// running before it stops them, so they resume the same way. Import,
// realize and v1 jobs are not recorded: a restart finds them gone.

const (
	jobsFile   = "jobs.json"
	jobsFormat = "hvsim.jobs/1"
)

// InterruptedJobs says what a host opened on an existing DataDir does with
// the export jobs recorded there (Options.InterruptedJobs).
type InterruptedJobs string

const (
	// InterruptedJobsResume: unfinished jobs run on, ended ones are known
	// until their removal time (the default).
	InterruptedJobsResume InterruptedJobs = "resume"
	// InterruptedJobsForgotten: the client came back after the jobs ended
	// and were removed: unfinished ones run to their end inside New, and
	// no recorded job is known afterwards.
	InterruptedJobsForgotten InterruptedJobs = "forgotten"
)

type jobsFileData struct {
	Format string         `json:"format"`
	Jobs   []jobsFileItem `json:"jobs"`
}

type jobsFileItem struct {
	ID               string    `json:"id"`
	ComputerSystem   string    `json:"computerSystem"`
	ExportDirectory  string    `json:"exportDirectory"`
	SettingData      string    `json:"exportSettingData"`
	VMID             string    `json:"vmId"`
	VMName           string    `json:"vmName"`
	State            uint16    `json:"jobState"`
	Percent          uint16    `json:"percentComplete"`
	ErrorCode        uint16    `json:"errorCode,omitempty"`
	ErrorSummary     string    `json:"errorSummary,omitempty"`
	ErrorDescription string    `json:"errorDescription,omitempty"`
	Submitted        time.Time `json:"submitted"`
	Finished         time.Time `json:"finished,omitzero"`
}

// exportCallParams are the parameters of the ExportSystemDefinition call
// that started a job: enough to plan it again.
type exportCallParams struct {
	computerSystem, exportDirectory, settingData string
}

func (h *Host) jobsPath() string { return filepath.Join(h.dataDir, dirHyperV, jobsFile) }

// saveJobsLocked records the export jobs. Callers hold h.mu. Once the host
// is closed only Close itself writes (its running jobs stay "running").
func (h *Host) saveJobsLocked() {
	data := jobsFileData{Format: jobsFormat, Jobs: []jobsFileItem{}}
	for _, j := range h.jobs {
		if j.export == nil {
			continue
		}
		data.Jobs = append(data.Jobs, jobsFileItem{ID: j.id, ComputerSystem: j.export.computerSystem,
			ExportDirectory: j.export.exportDirectory, SettingData: j.export.settingData, VMID: j.vmID, VMName: j.vmName,
			State: j.state, Percent: j.percent, ErrorCode: j.errorCode, ErrorSummary: j.errorSummary,
			ErrorDescription: j.errorDescription, Submitted: j.submitted, Finished: j.finished})
	}
	b, err := json.MarshalIndent(data, "", "  ")
	if err == nil {
		err = writeFileAtomic(h.jobsPath(), append(b, '\n'))
	}
	if err != nil {
		h.log.Warn("cannot record the export jobs", zap.Error(err))
	}
}

// loadJobs brings back the export jobs recorded by a previous process
// (New, for an existing host).
func (h *Host) loadJobs() error {
	b, err := os.ReadFile(h.jobsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var data jobsFileData
	if err := json.Unmarshal(b, &data); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var inline []*job
	for _, it := range data.Jobs {
		params := &exportCallParams{computerSystem: it.ComputerSystem, exportDirectory: it.ExportDirectory, settingData: it.SettingData}
		if wmi.JobStateTerminal(it.State) {
			if h.opts.InterruptedJobs == InterruptedJobsForgotten {
				continue
			}
			h.addEndedExportLocked(it, params)
			continue
		}
		j, work := h.restartExportLocked(it, params)
		if j == nil {
			continue
		}
		if h.opts.InterruptedJobs == InterruptedJobsForgotten {
			inline = append(inline, j)
			j.resumeWork = work
			continue
		}
		go h.runJob(j.ctx, j, work)
		h.log.Info("export job resumed after a restart", zap.String("job", j.id), zap.String("vm", j.vmName))
	}
	h.saveJobsLocked()
	if len(inline) == 0 {
		return nil
	}
	// Forgotten: the jobs ran to their end while nobody looked, and were
	// removed.
	h.mu.Unlock()
	for _, j := range inline {
		h.runJob(j.ctx, j, j.resumeWork)
	}
	h.mu.Lock()
	h.jobs = slices.DeleteFunc(h.jobs, func(j *job) bool { return slices.Contains(inline, j) })
	h.saveJobsLocked()
	return nil
}

// restartExportLocked plans a recorded, unfinished export again and
// registers its job under the recorded InstanceID; a plan that no longer
// holds (the VM is gone, …) ends the job as failed.
func (h *Host) restartExportLocked(it jobsFileItem, params *exportCallParams) (*job, jobWork) {
	call := &methodCall{ctx: context.Background(), ns: nsV2, method: "ExportSystemDefinition",
		in: map[string]any{"ComputerSystem": it.ComputerSystem, "ExportDirectory": it.ExportDirectory, "ExportSettingData": it.SettingData}}
	vm := h.exportSourceLocked(it.ComputerSystem)
	plan, code, reason := h.planExportLocked(vm, call)
	if code != 0 {
		it.State, it.ErrorCode, it.Finished = wmi.JobException, uint16(wmi.ReturnFailed), h.now()
		it.ErrorSummary, it.ErrorDescription = "Failed to export virtual machine '"+it.VMName+"'.", reason
		h.addEndedExportLocked(it, params)
		h.log.Warn("a recorded export job cannot run again", zap.String("job", it.ID), zap.String("reason", reason))
		return nil, nil
	}
	for _, rel := range plan.targets() {
		if err := os.Remove(filepath.Join(plan.root, rel)); err == nil {
			h.log.Info("removed a file an interrupted export job left", zap.String("job", it.ID), zap.String("file", rel))
		}
	}
	j, ctx := h.newJobLocked(h.vmJobSpec(vm, wmi.JobTypeExportVM, exportJobCaption, exportJobDescription), false)
	j.id, j.submitted, j.export, j.ctx = it.ID, it.Submitted, params, ctx
	return j, h.exportWork(plan)
}

// addEndedExportLocked registers an export job that has ended, as
// recorded: known (Get, GetErrorEx) until its removal time.
func (h *Host) addEndedExportLocked(it jobsFileItem, params *exportCallParams) {
	done := make(chan struct{})
	close(done)
	h.jobs = append(h.jobs, &job{id: it.ID, vmID: it.VMID, vmName: it.VMName, jobType: wmi.JobTypeExportVM,
		caption: exportJobCaption, description: exportJobDescription, namespace: wmi.NamespaceV2, export: params,
		state: it.State, percent: it.Percent, errorCode: it.ErrorCode, errorSummary: it.ErrorSummary,
		errorDescription: it.ErrorDescription, status: endedJobStatus(it.State),
		submitted: it.Submitted, started: it.Submitted, changed: it.Finished, finished: it.Finished,
		cancel: func(error) {}, done: done})
}

// endedJobStatus is the Status a job that ended in state shows, as
// runJob and commitJob set it.
func endedJobStatus(state uint16) string {
	switch state {
	case wmi.JobCompleted:
		return "Job completed successfully"
	case wmi.JobException:
		return "Job failed"
	}
	return "Job was " + strings.ToLower(wmi.JobStateText(state))
}

// targets are the files an export plan writes, relative to its root.
func (p *exportPlan) targets() []string {
	var out []string
	for _, c := range p.copies {
		out = append(out, c.dst)
	}
	for _, c := range p.configs {
		out = append(out, c.rel)
	}
	return out
}
