package transfers

import (
	"context"
	"errors"
	"syscall"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/errs"
)

// The pull itself is the Go client's (client/pull.go: parallel files,
// Range resumes, hashing as written, checkpoints), shared with the hvport
// command's "exports download"; this room adds what a server needs: the
// source as an export with a manifest, and errors a job can report.

// Remote is the source agent, as a pull sees it.
type Remote interface {
	client.PullSource
	// Manifest returns the export's manifest bytes as the source stores
	// them (the received export keeps them verbatim; exports parses them).
	Manifest(ctx context.Context) ([]byte, error)
}

// File is one file to pull: a manifest entry.
type File = client.PullFile

// Options tune pulls (client.PullOptions: Parallel, BytesPerSecond,
// MaxConcurrent, Retries, CheckpointEvery).
type Options = client.PullOptions

// Checkpoint is a pull's durable state.
type Checkpoint = client.PullCheckpoint

// Progress is what a pull reports to.
type Progress = client.PullProgress

// Puller runs pulls under shared limits (one per server).
type Puller struct{ p *client.Puller }

// NewPuller applies the defaults.
func NewPuller(o Options) *Puller { return &Puller{client.NewPuller(o)} }

// Pull fetches files into dir, going on from cp; see client.Puller.Pull.
// Its errors are domain errors naming the file.
func (p *Puller) Pull(ctx context.Context, r Remote, files []File, dir string, cp *Checkpoint, save func(Checkpoint), prog Progress) error {
	return explain(p.p.Pull(ctx, r, files, dir, cp, save, prog))
}

func explain(err error) error {
	if errors.Is(err, errs.ErrCancelled) {
		return errs.Wrap(errs.Cancelled, err, "the transfer was cancelled")
	}
	var pe *client.PullError
	if !errors.As(err, &pe) {
		return err
	}
	extra := map[string]any{"file": pe.Path}
	var e *errs.Error
	switch {
	case pe.Local && errors.Is(pe.Err, syscall.ENOSPC):
		return &errs.Error{Kind: errs.InsufficientStorage, Msg: "the disk filled up while receiving " + pe.Path, Err: err, Extra: extra}
	case pe.Local:
		return &errs.Error{Kind: errs.Internal, Msg: pe.Error(), Err: err, Extra: extra}
	case errors.As(pe.Err, &e):
		for k, v := range e.Extra {
			extra[k] = v
		}
		return &errs.Error{Kind: e.Kind, Msg: e.Msg, Fields: e.Fields, Err: err, Extra: extra}
	}
	return &errs.Error{Kind: errs.HostFailed, Msg: pe.Error(), Err: err, Extra: extra}
}
