package hyperv

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/wmi"
)

// What a restarted server needs from the driver to reattach to work a
// previous process started: follow a Hyper-V job by its recorded path,
// find the job it started when the path was never recorded, and carry
// export settings through a job's checkpoint.
//
// A Hyper-V job belongs to the Virtual Machine Management Service, not to
// the WMI client that started it: it goes on when hvport stops, and its
// Msvm_ConcreteJob stays queryable until TimeBeforeRemoval (5 minutes by
// default) after it ends (docs/HYPERV.md#jobs).

// FollowJob follows the Hyper-V job at path until it ends, as a job that
// started it would (progress, kill on a user's cancel, detach on
// shutdown). found is false, with a nil error, when Hyper-V no longer
// knows the job: it ended TimeBeforeRemoval ago or the host restarted.
func (d *Driver) FollowJob(ctx context.Context, op, path string, prog Progress) (found bool, err error) {
	if _, err := d.svc.Get(context.WithoutCancel(ctx), path); err != nil {
		if wmi.IsNotFound(err) {
			return false, nil
		}
		return true, fromWMI("follow the Hyper-V job", err)
	}
	log := logctx.From(ctx, d.log).With(zap.String("wmi_job", path), zap.String("op", op))
	err = d.waitJob(ctx, op, path, prog, log)
	if errs.Is(err, errs.NotFound) {
		// Removed between two polls: it ended long enough ago.
		return false, nil
	}
	return true, err
}

// FindExportJob returns the path of the newest export job Hyper-V knows
// for vm that was submitted at or after since (hvport runs on the Hyper-V
// host: one clock), or "" for none. It finds the job of an export whose process
// stopped after calling Hyper-V but before recording the job's path: a
// VM's Msvm_AffectedJobElement names the jobs working on it.
func (d *Driver) FindExportJob(ctx context.Context, vm VM, since time.Time) (string, error) {
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm.Path+"} WHERE AssocClass = "+wmi.ClassAffectedJobElement+" ResultClass = "+wmi.ClassConcreteJob)
	if err != nil {
		return "", fromWMI("list the VM's Hyper-V jobs", err)
	}
	type found struct {
		path string
		at   time.Time
	}
	var jobs []found
	for _, o := range objs {
		if o.Has("JobType") && uint16(o.Uint("JobType")) != wmi.JobTypeExportVM {
			continue
		}
		at, _ := wmi.ParseDatetime(o.String("TimeSubmitted"))
		if !since.IsZero() && !at.IsZero() && at.Before(since.Truncate(time.Second)) {
			continue
		}
		jobs = append(jobs, found{o.Path, at})
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].at.After(jobs[j].at) })
	if len(jobs) == 0 {
		return "", nil
	}
	return jobs[0].path, nil
}

// exportSettingsJSON is ExportSettings as a checkpoint stores it: the
// exported fields and which optional properties the host declares.
type exportSettingsJSON struct {
	CopyVmStorage                       bool          `json:"copyVmStorage"`
	CopyVmRuntimeInformation            bool          `json:"copyVmRuntimeInformation"`
	CopySnapshotConfiguration           SnapshotMode  `json:"copySnapshotConfiguration"`
	SnapshotVirtualSystem               string        `json:"snapshotVirtualSystem,omitempty"`
	CreateVmExportSubdirectory          bool          `json:"createVmExportSubdirectory"`
	CaptureLiveState                    *LiveState    `json:"captureLiveState,omitempty"`
	BackupIntent                        *BackupIntent `json:"backupIntent,omitempty"`
	ExportForLiveMigration              *bool         `json:"exportForLiveMigration,omitempty"`
	DisableDifferentialOfIgnoredStorage *bool         `json:"disableDifferentialOfIgnoredStorage,omitempty"`
	ExcludedVirtualHardDisks            []string      `json:"excludedVirtualHardDisks,omitempty"`
	DifferentialBackupBase              string        `json:"differentialBackupBase,omitempty"`
	HostHas                             []string      `json:"hostHas,omitempty"`
}

// MarshalJSON keeps what HostHas needs, so settings survive a restart.
func (s ExportSettings) MarshalJSON() ([]byte, error) {
	j := exportSettingsJSON{s.CopyVmStorage, s.CopyVmRuntimeInformation, s.CopySnapshotConfiguration, s.SnapshotVirtualSystem,
		s.CreateVmExportSubdirectory, s.CaptureLiveState, s.BackupIntent, s.ExportForLiveMigration,
		s.DisableDifferentialOfIgnoredStorage, s.ExcludedVirtualHardDisks, s.DifferentialBackupBase, nil}
	for p, ok := range s.has {
		if ok {
			j.HostHas = append(j.HostHas, p)
		}
	}
	sort.Strings(j.HostHas)
	return json.Marshal(j)
}

// UnmarshalJSON is MarshalJSON's inverse.
func (s *ExportSettings) UnmarshalJSON(b []byte) error {
	var j exportSettingsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = ExportSettings{CopyVmStorage: j.CopyVmStorage, CopyVmRuntimeInformation: j.CopyVmRuntimeInformation,
		CopySnapshotConfiguration: j.CopySnapshotConfiguration, SnapshotVirtualSystem: j.SnapshotVirtualSystem,
		CreateVmExportSubdirectory: j.CreateVmExportSubdirectory, CaptureLiveState: j.CaptureLiveState,
		BackupIntent: j.BackupIntent, ExportForLiveMigration: j.ExportForLiveMigration,
		DisableDifferentialOfIgnoredStorage: j.DisableDifferentialOfIgnoredStorage,
		ExcludedVirtualHardDisks:            j.ExcludedVirtualHardDisks, DifferentialBackupBase: j.DifferentialBackupBase,
		has: map[string]bool{}}
	for _, p := range j.HostHas {
		s.has[strings.TrimSpace(p)] = true
	}
	return nil
}
