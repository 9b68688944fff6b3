package imports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/internal/failpoint"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/internal/secfile"
	"github.com/hvport/hvport/transfers"
)

// Importing from another agent (issue #13): the job pulls the export
// into this host's first export root (transfers/), publishes it there
// under the source's id once every byte matched the source's manifest,
// tells the source it may delete its copy when the grant allows it, and
// imports it like a local export. Phases: transferring → verifying →
// the import's own.
//
// The grant is a secret: it is never in the job's record. It waits for
// a restart in <data-dir>/transfers/<export id>.grant (owner-only) and
// is removed when the job ends.

// RemoteSource names an export on another agent.
type RemoteSource struct {
	URL         string `json:"url"`                   // https://host:port/v1/exports/{id}
	Fingerprint string `json:"fingerprint,omitempty"` // the source's certificate, sha256:…
	CA          string `json:"ca,omitempty"`          // or a PEM CA certificate that signed it
	Grant       string `json:"-"`                     // the source's grant: never stored with the job
}

// Connector opens a Remote for a source (transfers.Connect in
// production).
type Connector func(base, exportID, grant, fingerprint, caPEM string) (transfers.Remote, error)

// PullState is a pull's part of an import's checkpoint.
type PullState struct {
	Source   RemoteSource         `json:"source"`
	ExportID string               `json:"exportId"`
	Final    string               `json:"final"`
	Staging  string               `json:"staging"`
	Manifest json.RawMessage      `json:"manifest"`
	Transfer transfers.Checkpoint `json:"transfer"`
	// Published is set once the pulled export is in place: the rest is
	// an import of a local export.
	Published bool `json:"published,omitempty"`
	// Patch is the import settings the caller asked for.
	Patch *Patch `json:"patch,omitempty"`
}

// TransferResult is, in an import job's result, what was received from
// the other agent.
type TransferResult struct {
	Source   string `json:"source"`   // the export's URL on the other agent
	ExportID string `json:"exportId"` // the received export, on this host until a copying import removes it
	// TotalBytes is the export's size; ReceivedBytes what came over the
	// network for it, every attempt and restart included (0 when it was
	// here already).
	TotalBytes    int64 `json:"totalBytes"`
	ReceivedBytes int64 `json:"receivedBytes"`
}

// result is the transfer's part of the import's result.
func (st *PullState) result() *TransferResult {
	m, _ := exports.ParseManifest(st.Manifest)
	var total int64
	if m != nil {
		total = m.TotalBytes
	}
	return &TransferResult{Source: st.Source.URL, ExportID: st.ExportID, TotalBytes: total, ReceivedBytes: st.Transfer.Received}
}

// PullPlan is an import from another agent, ready to run.
type PullPlan struct {
	s        *Service
	state    PullState
	manifest *exports.Manifest
	in       *exports.Incoming // nil: the export is here already
	remote   transfers.Remote
	grant    string
}

// VM is the exported VM.
func (p *PullPlan) VM() VMRef { return VMRef{ID: p.manifest.VM.ID, Name: p.manifest.VM.Name} }

// Directory is where the export is received.
func (p *PullPlan) Directory() string { return p.state.Final }

// Checkpoint is the job's first resume state.
func (p *PullPlan) Checkpoint() Checkpoint {
	st := p.state
	return Checkpoint{Step: stepTransferring, Directory: st.Final, Source: p.VM(), Pull: &st}
}

// stepTransferring: the export is being received (Checkpoint.Pull).
const stepTransferring = "transferring"

// parseSourceURL checks a source's URL: HTTPS, or plain HTTP to a
// loopback address only, naming /v1/exports/{id}.
func parseSourceURL(raw string) (base, id string, err error) {
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" {
		return "", "", errs.Field("source.url", "not an absolute URL such as https://source-host:8443/v1/exports/{id}")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if !(host == "localhost" || ip != nil && ip.IsLoopback()) {
			return "", "", errs.Field("source.url", "plain http is refused off loopback: the grant and the disks would cross the network in clear; use https")
		}
	default:
		return "", "", errs.Field("source.url", "scheme "+quoteField(u.Scheme)+": want https (or http to a loopback address)")
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(u.Path, "/"), "/v1/exports/")
	if !ok || rest == "" || strings.Contains(rest, "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", errs.Field("source.url", "must name an export: https://source-host:port/v1/exports/{id}")
	}
	return u.Scheme + "://" + u.Host, rest, nil
}

func quoteField(s string) string { return fmt.Sprintf("%q", s) }

// PlanPull checks an import from another agent before any byte moves:
// the URL, the source's certificate and the grant (by reading the
// manifest), the free space for the whole export (507), and claims the
// place it will be received.
func (s *Service) PlanPull(ctx context.Context, src RemoteSource, patch *Patch) (*PullPlan, error) {
	if s.Connect == nil || s.Puller == nil {
		return nil, errs.Field("source", "this server does not pull from other agents")
	}
	base, id, err := parseSourceURL(src.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(src.Grant) == "" {
		return nil, errs.Field("source.grant", "required: the grant the source's POST /v1/exports/{id}/grants returned")
	}
	remote, err := s.Connect(base, id, src.Grant, src.Fingerprint, src.CA)
	if err != nil {
		return nil, err
	}
	mctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	raw, err := remote.Manifest(mctx)
	if err != nil {
		return nil, err
	}
	m, err := exports.ParseManifest(raw)
	if err != nil {
		return nil, errs.Wrap(errs.HostFailed, err, "the source's manifest of export %s", id)
	}
	if !strings.EqualFold(m.ID, id) {
		return nil, errs.Field("source.url", "the source answered with export "+m.ID+", not "+id)
	}
	if free, err := s.Exports.ReceiveSpace(); err == nil && uint64(m.TotalBytes) > free {
		return nil, &errs.Error{Kind: errs.InsufficientStorage,
			Msg:   fmt.Sprintf("the export is %d bytes but only %d are free where it would be received", m.TotalBytes, free),
			Extra: map[string]any{"requiredBytes": m.TotalBytes, "availableBytes": free}}
	}
	in, existing, err := s.Exports.Receive(m)
	if err != nil {
		return nil, err
	}
	p := &PullPlan{s: s, manifest: m, in: in, remote: remote, grant: src.Grant,
		state: PullState{Source: RemoteSource{URL: src.URL, Fingerprint: src.Fingerprint, CA: src.CA}, ExportID: m.ID, Manifest: raw, Patch: patch}}
	if existing != nil {
		p.state.Final, p.state.Published = existing.Dir, true
	} else {
		p.state.Final, p.state.Staging = in.Final, in.Staging
		if err := s.keepGrant(m.ID, src.Grant); err != nil {
			in.Discard()
			return nil, err
		}
	}
	return p, nil
}

// Release gives up the place claimed, for a plan that will not run.
func (p *PullPlan) Release() {
	if p.in != nil {
		p.in.Discard()
		p.s.dropGrant(p.state.ExportID)
	}
}

// Run receives the export, publishes it, and imports it.
func (p *PullPlan) Run(ctx context.Context, prog Progress) (err error) {
	st := &p.state
	shutdown := func() bool { return errors.Is(context.Cause(ctx), errs.ErrShutdown) }
	defer func() {
		if shutdown() {
			if p.in != nil {
				p.in.Release() // a restart resumes the transfer
			}
			return
		}
		p.s.dropGrant(st.ExportID)
		if err != nil && p.in != nil && !st.Published {
			p.in.Discard()
			prog.Warn("cleaned up: removed what was received of export " + st.ExportID)
		}
	}()
	save := func(c Checkpoint) { prog.Checkpoint(c) }
	if !st.Published {
		prog.Phase("transferring")
		files := make([]transfers.File, len(p.manifest.Files))
		for i, f := range p.manifest.Files {
			files[i] = transfers.File{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
		}
		// The pull's goroutines change st.Transfer while they run: a
		// checkpoint is the rest of st (fixed during the pull) with the
		// copy of the transfer's state the engine hands over.
		fixed := *st
		fixed.Transfer = transfers.Checkpoint{}
		err := p.s.Puller.Pull(ctx, p.remote, files, st.Staging, &st.Transfer, func(t transfers.Checkpoint) {
			cur := fixed
			cur.Transfer = t
			save(Checkpoint{Step: stepTransferring, Directory: st.Final, Source: p.VM(), Pull: &cur})
			for _, f := range t.Files {
				if f.Offset > 0 && !f.Done {
					failpoint.Hit(failpoint.TransferCheckpointed)
				}
			}
		}, progress.Scale(prog, 0, 60))
		if err != nil {
			return err
		}
		prog.Phase("verifying")
		if _, err := p.in.Publish(st.Manifest); err != nil {
			return err
		}
		st.Published = true
		save(Checkpoint{Step: stepTransferring, Directory: st.Final, Source: p.VM(), Pull: st})
		logctx.From(ctx, p.s.Log).Info("export received", zap.String("export_id", st.ExportID), zap.String("dir", st.Final),
			zap.Int64("received", st.Transfer.Received))
		p.releaseSource(ctx, prog)
	}
	plan, err := p.s.Plan(ctx, Source{Directory: st.Final}, st.Patch)
	if err == nil {
		plan.pull = st
		err = plan.Run(ctx, progress.Scale(prog, 60, 100))
	}
	if err != nil {
		if !shutdown() {
			prog.Warn("the received export stays on this host at " + st.Final + " (export " + st.ExportID + "): import it again from there with exportId")
		}
		return err
	}
	p.dropReceivedCopy(plan, prog)
	return nil
}

// releaseSource deletes the source's export when the grant says the mover
// wanted that once the destination has it; a grant without that right is
// answered 403, which is fine.
func (p *PullPlan) releaseSource(ctx context.Context, prog Progress) {
	d, ok := p.remote.(interface {
		DeleteExport(ctx context.Context) (bool, error)
	})
	if !ok {
		return
	}
	deleted, err := d.DeleteExport(ctx)
	switch {
	case err != nil:
		prog.Warn("the source's export could not be deleted: " + err.Error())
	case deleted:
		prog.Warn("the source's export " + p.state.ExportID + " was deleted, as its grant asked, now that this host has it")
	}
}

// dropReceivedCopy removes the received export once a copying import put
// the VM's files elsewhere; a registered-in-place VM lives in it.
func (p *PullPlan) dropReceivedCopy(plan *Plan, prog Progress) {
	if !plan.Settings.CreateCopy {
		return
	}
	if _, err := p.s.Exports.Delete(p.state.ExportID); err != nil {
		prog.Warn("the received export " + p.state.Final + " could not be removed: " + err.Error())
	}
}

// The grant waits for a restart in an owner-only file.
func (s *Service) grantFile(exportID string) string {
	return filepath.Join(s.SecretsDir, exportID+".grant")
}

func (s *Service) keepGrant(exportID, grant string) error {
	if s.SecretsDir == "" {
		return nil
	}
	if err := secfile.MkdirPrivate(s.SecretsDir); err != nil {
		return errs.Wrap(errs.Internal, err, "keep the grant for a restart")
	}
	if err := secfile.WritePrivate(s.grantFile(exportID), []byte(grant)); err != nil {
		return errs.Wrap(errs.Internal, err, "keep the grant for a restart")
	}
	return nil
}

func (s *Service) dropGrant(exportID string) {
	if s.SecretsDir != "" {
		os.Remove(s.grantFile(exportID))
	}
}

// resumePull rebuilds a pull a restart interrupted.
func (s *Service) resumePull(cp Checkpoint) (func(context.Context, Progress) error, error) {
	st := *cp.Pull
	m, err := exports.ParseManifest(st.Manifest)
	if err != nil {
		return nil, errs.Wrap(errs.Interrupted, err, "the job's record holds no usable manifest")
	}
	p := &PullPlan{s: s, state: st, manifest: m}
	if !st.Published {
		b, err := os.ReadFile(s.grantFile(st.ExportID))
		if err != nil {
			return nil, errs.E(errs.Interrupted, "the grant for export %s is gone (%v): the transfer cannot go on; start the import again with a new grant", st.ExportID, err)
		}
		base, id, err := parseSourceURL(st.Source.URL)
		if err != nil {
			return nil, err
		}
		if p.remote, err = s.Connect(base, id, string(b), st.Source.Fingerprint, st.Source.CA); err != nil {
			return nil, err
		}
		if p.in, err = s.Exports.ReceiveAt(st.ExportID, st.Final, st.Staging); err != nil {
			return nil, err
		}
		p.grant = string(b)
	}
	return p.Run, nil
}
