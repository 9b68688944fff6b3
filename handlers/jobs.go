package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/jobs"
)

// jobsResource serves /v1/jobs.
type jobsResource struct{ jobs *jobs.Registry }

func (j jobsResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	snaps := j.jobs.List()
	out := api.List[api.Job]{Items: make([]api.Job, 0, len(snaps))}
	for _, s := range snaps {
		out.Items = append(out.Items, toJob(s))
	}
	return out, nil
}

func (j jobsResource) get(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := j.jobs.Get(chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	return toJob(s), nil
}

func (j jobsResource) cancel(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := j.jobs.Cancel(chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	return toJob(s), nil
}

// jobLocation is the URL of a job resource.
func jobLocation(id string) string { return "/v1/jobs/" + id }

func toJob(s jobs.Snapshot) api.Job {
	j := api.Job{
		ID: s.ID, Kind: string(s.Kind), State: string(s.State), PercentComplete: s.PercentComplete,
		Phase: s.Phase, BytesDone: s.BytesDone, BytesTotal: s.BytesTotal, VM: api.VMRef{ID: s.VM.ID, Name: s.VM.Name}, Directory: s.Directory,
		Settings: s.Settings, Warnings: s.Warnings, Result: s.Result, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
	}
	if j.Warnings == nil {
		j.Warnings = []string{}
	}
	if s.WMIJob != "" {
		p := s.WMIJob
		j.WMIJob = &p
	}
	if s.Err != nil {
		j.Error = ProblemOf(s.Err)
		j.Error.Instance = jobLocation(s.ID)
	}
	return j
}
