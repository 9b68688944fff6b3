package main

import (
	"encoding/json"

	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
)

// resumers tell the job registry how to finish, after a restart, the jobs
// a previous process left unfinished (jobs.Options.Resume): each kind's
// application room decides from the job's checkpoint, its Hyper-V job and
// what is on disk (exports/resume.go, imports/resume.go).
func resumers(exp *exports.Service, imp *imports.Service) map[jobs.Kind]jobs.Resume {
	return map[jobs.Kind]jobs.Resume{
		jobs.KindExport: func(s jobs.Snapshot, cp json.RawMessage) (jobs.Work, error) {
			work, err := exp.Resume(cp, s.WMIJob, s.CreatedAt)
			return jobs.Work(work), err
		},
		jobs.KindImport: func(s jobs.Snapshot, cp json.RawMessage) (jobs.Work, error) {
			work, err := imp.Resume(cp, s.WMIJob)
			return jobs.Work(work), err
		},
		jobs.KindVerify: func(s jobs.Snapshot, cp json.RawMessage) (jobs.Work, error) {
			work, err := exp.ResumeVerify(cp)
			return jobs.Work(work), err
		},
	}
}
