package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/wmi"
)

// jobsResource serves /v1/jobs.
type jobsResource struct {
	jobs  *jobs.Registry
	drain drain // ends event streams and long polls at shutdown
	// bodies holds each job's last answer, so that a poll of a job that
	// did not change sends bytes already made (jobcache.go).
	bodies *jobBodies
}

// list answers one page of the jobs the caller may see that match the
// query's filters, newest first.
func (j jobsResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	q, err := parseJobQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	out := api.Page[api.JobSummary]{Items: []api.JobSummary{}}
	after := ""
	if q.cursor != nil {
		after = q.cursor.id
	}
	// Newest first, copying only the jobs passed over (Registry.Scan): a
	// page costs what it skips, not the whole registry.
	known := j.jobs.Scan(after, func(s jobs.Snapshot) bool {
		if !q.since.IsZero() && s.CreatedAt.Before(q.since) {
			return false // older ones only follow
		}
		if !canSee(r, s.VM.ID, s.VM.Name) || !q.match(s) {
			return true
		}
		if len(out.Items) == q.limit {
			next := encodeCursor(out.Items[len(out.Items)-1].ID)
			out.Next = &next
			return false
		}
		out.Items = append(out.Items, toJobSummary(s))
		return true
	})
	if !known {
		return nil, errs.Field("cursor", "names no job the registry still holds; start again without a cursor")
	}
	return out, nil
}

func (j jobsResource) get(w http.ResponseWriter, r *http.Request) (any, error) {
	id := chi.URLParam(r, "id")
	s, err := j.visibleJob(r, id)
	if err != nil {
		return nil, err
	}
	wait, seen, err := parseJobWait(r.URL.Query(), s.State)
	if err != nil {
		return nil, err
	}
	if wait == 0 {
		return j.bodies.json(s)
	}
	// Long poll: answer once the state moved on from what the caller saw,
	// the job finished, the time is up, the caller left or the server
	// shuts down; woken by the job's changes, not by a clock.
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		s, changed, err := j.jobs.Next(id)
		if err != nil {
			return nil, err
		}
		if s.State != seen || s.State.Terminal() {
			return j.bodies.json(s)
		}
		select {
		case <-timer.C:
			return j.bodies.json(s)
		case <-r.Context().Done():
			return j.bodies.json(s)
		case <-j.drain:
			return j.bodies.json(s)
		case <-changed:
		}
	}
}

// maxJobWait bounds a long poll below the server's write timeout (60 s).
const maxJobWait = 55 * time.Second

// parseJobWait reads ?wait= and ?state=; no wait means answer at once.
func parseJobWait(v url.Values, current jobs.State) (time.Duration, jobs.State, error) {
	for k := range v {
		if k != "wait" && k != "state" {
			return 0, "", &errs.Error{Kind: errs.BadRequest, Msg: "unknown query parameter " + quote(k) + "; GET /v1/jobs/{id} takes wait and state",
				Fields: []errs.FieldError{{Field: k, Reason: "unknown query parameter", Allowed: []string{"wait", "state"}}}}
		}
	}
	seen := current
	if st := v.Get("state"); st != "" {
		if !slices.Contains(jobStates, st) {
			return 0, "", errs.Field("state", "unknown job state "+quote(st), jobStates...)
		}
		seen = jobs.State(st)
	}
	w := v.Get("wait")
	if w == "" {
		return 0, seen, nil
	}
	d, err := time.ParseDuration(w)
	if err != nil || d <= 0 || d > maxJobWait {
		return 0, "", errs.Field("wait", "a duration from 1s to "+maxJobWait.String()+", such as 30s, not "+quote(w))
	}
	return d, seen, nil
}

// visibleJob finds a job of a VM the caller may see; another VM's job is
// "not found", as the registry says.
func (j jobsResource) visibleJob(r *http.Request, id string) (jobs.Snapshot, error) {
	s, err := j.jobs.Get(id)
	if err != nil {
		return s, err
	}
	if !canSee(r, s.VM.ID, s.VM.Name) {
		return jobs.Snapshot{}, errs.E(errs.NotFound, "no job with id %q", id)
	}
	return s, nil
}

// cancel stops a job: an operator its own, an admin any.
func (j jobsResource) cancel(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := j.visibleJob(r, chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	if s.Submitter == nil || s.Submitter.ID != identityOf(r).Principal() {
		if err := requireRole(r, auth.Admin, "cancelling a job another identity started"); err != nil {
			return nil, err
		}
	}
	if err := auditEffect(r, effect{VM: s.VM.ID, Target: s.ID}); err != nil {
		return nil, err
	}
	s, err = j.jobs.Cancel(s.ID)
	if err != nil {
		return nil, err
	}
	return toJob(s), nil
}

// eventsPoll is how often a job's event stream looks for changes, and
// eventsHeartbeat how often it proves it is alive when nothing changes.
var (
	eventsPoll      = 100 * time.Millisecond
	eventsHeartbeat = 15 * time.Second
)

// events streams a job as server-sent events: one "job" event with the
// whole job each time it changes, the last one in a finished state, then
// the stream ends. A comment line every eventsHeartbeat keeps proxies from
// closing an idle stream. When the server shuts down the stream ends after
// the job's current state, asking EventSource clients to reconnect in 5 s.
func (j jobsResource) events(w http.ResponseWriter, r *http.Request) (any, error) {
	id := chi.URLParam(r, "id")
	s, err := j.visibleJob(r, id)
	if err != nil {
		return nil, err
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's WriteTimeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	var last []byte
	tick := time.NewTicker(eventsPoll)
	defer tick.Stop()
	beat := time.NewTimer(eventsHeartbeat)
	defer beat.Stop()
	for {
		b, err := json.Marshal(toJob(s))
		if err != nil {
			return streamed{}, nil
		}
		if !bytes.Equal(b, last) {
			fmt.Fprintf(w, "event: job\ndata: %s\n\n", b)
			rc.Flush()
			last = b
		}
		if jobs.State(s.State).Terminal() {
			return streamed{}, nil
		}
		select {
		case <-r.Context().Done():
			return streamed{}, nil
		case <-j.drain:
			fmt.Fprintf(w, ": the server is shutting down\nretry: %d\n\n", sseRetryMillis)
			rc.Flush()
			return streamed{}, nil
		case <-beat.C:
			fmt.Fprint(w, ": still running\n\n")
			rc.Flush()
			beat.Reset(eventsHeartbeat)
		case <-tick.C:
		}
		if s, err = j.jobs.Get(id); err != nil {
			return streamed{}, nil // pruned meanwhile
		}
	}
}

// jobLocation is the URL of a job resource.
func jobLocation(id string) string { return "/v1/jobs/" + id }

func toJob(s jobs.Snapshot) api.Job {
	vm, source := jobVMs(s)
	j := api.Job{
		ID: s.ID, Kind: string(s.Kind), State: string(s.State), PercentComplete: s.PercentComplete,
		Phase: s.Phase, BytesDone: s.BytesDone, BytesTotal: s.BytesTotal, BytesPerSecond: s.BytesPerSecond, ETASeconds: s.ETASeconds,
		VM: vm, Source: source, Directory: s.Directory, Settings: s.Settings, Warnings: s.Warnings, Result: jobResult(s),
		CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
	}
	if j.Warnings == nil {
		j.Warnings = []string{}
	}
	if s.Submitter != nil {
		j.SubmittedBy = &api.Principal{Kind: s.Submitter.Kind, ID: s.Submitter.ID, Name: s.Submitter.Name}
	}
	if s.RequestID != "" {
		id := s.RequestID
		j.RequestID = &id
	}
	if s.WMIJob != "" {
		p := s.WMIJob
		j.WMIJob = &p
		if id := hypervJobID(p); id != "" {
			j.HypervJob = &id
		}
	}
	if s.Err != nil {
		j.Error = ProblemOf(s.Err)
		j.Error.Instance = jobLocation(s.ID)
	}
	return j
}

// toJobSummary is a job as the list shows it: no settings, result,
// warnings or problem details (an import's whole job is kilobytes).
func toJobSummary(s jobs.Snapshot) api.JobSummary {
	vm, source := jobVMs(s)
	j := api.JobSummary{
		ID: s.ID, Kind: string(s.Kind), State: string(s.State), Phase: s.Phase, PercentComplete: s.PercentComplete,
		BytesPerSecond: s.BytesPerSecond, ETASeconds: s.ETASeconds, VM: vm, Source: source,
		CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
	}
	if s.Err != nil {
		p := ProblemOf(s.Err)
		j.Error = &api.ProblemSummary{Type: p.Type, Title: p.Title}
	}
	return j
}

// jobVMs names the VMs of a job: an import's vm is the VM it created
// (from its result: nil until it has) and its source the exported VM it
// imports, the job's VM in the registry; any other job's vm is that VM,
// and it has no source.
func jobVMs(s jobs.Snapshot) (vm, source *api.VMRef) {
	ref := &api.VMRef{ID: s.VM.ID, Name: s.VM.Name}
	if s.Kind != jobs.KindImport {
		return ref, nil
	}
	return importedVM(s.Result), ref
}

// importedVM is the VM an import job's result names: an imports.Result
// while the server that ran it lives, its JSON after a restart.
func importedVM(result any) *api.VMRef {
	var vm imports.VMRef
	switch r := result.(type) {
	case nil:
		return nil
	case imports.Result:
		vm = r.VM
	default:
		var v struct {
			VM imports.VMRef `json:"vm"`
		}
		b, err := json.Marshal(r)
		if err != nil || json.Unmarshal(b, &v) != nil {
			return nil
		}
		vm = v.VM
	}
	if vm.ID == "" {
		return nil
	}
	return &api.VMRef{ID: vm.ID, Name: vm.Name}
}

// jobResult is a job's result as the API names it today: an export job
// recorded before its result took the export resource's names (files
// and bytes, now fileCount and totalBytes) is renamed on the way out.
func jobResult(s jobs.Snapshot) any {
	raw, ok := s.Result.(json.RawMessage)
	if !ok || s.Kind != jobs.KindExport {
		return s.Result
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m["files"] == nil || m["fileCount"] != nil {
		return s.Result
	}
	m["fileCount"], m["totalBytes"] = m["files"], m["bytes"]
	delete(m, "files")
	delete(m, "bytes")
	return m
}

// hypervJobID is the Hyper-V job's own id, the InstanceID key of its WMI
// path (…:Msvm_ConcreteJob.InstanceID="<GUID>"), or "" when the path has
// none. Reading a path is not talking to WMI: only the wmi package's
// parser is used here.
func hypervJobID(path string) string {
	p, err := wmi.ParsePath(path)
	if err != nil {
		return ""
	}
	return p.Key("InstanceID")
}

// submitter names the caller in a job record (never a secret).
func submitter(r *http.Request) *jobs.Submitter {
	id := identityOf(r)
	if id == nil {
		return nil
	}
	return &jobs.Submitter{Kind: id.Kind, ID: id.Principal(), Name: id.Name}
}

// vmExclusive is the resource a job on a VM holds: one job per VM at a
// time, in submission order (Hyper-V answers 32774 "System is in use" to a
// second export of a VM that is exporting).
func vmExclusive(id string) string { return "vm:" + strings.ToUpper(id) }
