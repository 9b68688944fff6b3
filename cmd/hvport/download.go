package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

func (a *app) exportsDownloadCommand() *cobra.Command {
	var to string
	var parallel int
	cmd := &cobra.Command{
		Use:   "download ID --to DIR [--parallel N]",
		Short: "Download an export's files into a local directory, each checked against its manifest; run it again to resume",
		Long: `Download the export's files into DIR on this machine: several files at once,
each hashed while it is written and compared with the export's manifest (a
damaged file is fetched again; one that never matches fails the download,
exit 1). The manifest, hvport-manifest.json, is written last: a directory that
has it holds the whole export, verified.

DIR is created if needed. It must be empty, or hold this export's unfinished
download: its state is kept in DIR/.hvport-download.json, so running the same
command again after an interruption (^C, a dropped connection, a reboot)
goes on where it stopped instead of starting over. A DIR that already holds
the whole export is left as it is. Anything else in DIR (other files, another
export) is refused (exit 2) and left untouched.

A grant for the export (--token with the grant's token) is enough to
download it.`,
		Example: `  hvport exports download 6f1c2a…  --to ./web-01
  hvport exports download 6f1c2a…  --to ./web-01 --host lab   # again after ^C: resumes`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeExports,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usageErrorf("--to DIR is required: the local directory to download into")
			}
			if parallel < 1 || parallel > 64 {
				return usageErrorf("--parallel %d: want 1 to 64", parallel)
			}
			c, _, err := a.client()
			if err != nil {
				return err
			}
			return a.download(ctxOf(cmd), c, args[0], to, parallel)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the local directory (created if needed; required)")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "files fetched at once")
	return cmd
}

// downloaded is what "exports download -o json" prints.
type downloaded struct {
	ExportID   string       `json:"exportId"`
	VM         client.VMRef `json:"vm"`
	Directory  string       `json:"directory"`
	Files      int          `json:"files"`
	TotalBytes int64        `json:"totalBytes"`
	Manifest   string       `json:"manifest"`
}

func (a *app) download(ctx context.Context, c *client.Client, id, to string, parallel int) error {
	dir, err := filepath.Abs(to)
	if err != nil {
		return usageErrorf("--to %s: %v", to, err)
	}
	x, err := c.GetExport(ctx, id)
	if err != nil {
		return err
	}
	job := client.Job{ID: x.ID, Kind: client.JobKind("download"), State: client.JobRunning, VM: &x.VM, Phase: "starting"}
	d := a.newLabeledDisplay(ctx, []client.Job{job}, []string{fmt.Sprintf("download %s [%s]", x.VM.Name, shortID(x.ID))})
	p := &downloadShow{d: d, job: job}
	m, err := c.DownloadExport(ctx, x.ID, dir, client.DownloadOptions{Pull: client.PullOptions{Parallel: parallel}, Progress: p})
	p.end(err)
	d.close()
	for _, w := range p.warnings {
		fmt.Fprintf(a.stderr, "hvport: warning: %s\n", w)
	}
	if err != nil {
		return a.downloadError(ctx, err, dir)
	}
	res := downloaded{ExportID: m.ID, VM: m.VM, Directory: dir, Files: len(m.Files), TotalBytes: m.TotalBytes,
		Manifest: filepath.Join(dir, client.ManifestFileName)}
	switch f := a.format("table"); {
	case a.quiet:
	case f == "json" || f == "yaml":
		return a.emit(f, res)
	default:
		fmt.Fprintf(a.stdout, "downloaded export %s of %s to %s: %d files, %s, each matching the manifest\n",
			res.ExportID, res.VM.Name, res.Directory, res.Files, bytesText(res.TotalBytes))
	}
	return nil
}

// downloadError explains a download that stopped, with its exit code.
func (a *app) downloadError(ctx context.Context, err error, dir string) error {
	var pe *client.PullError
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintf(a.stderr, "hvport: interrupted; run the same command again to go on from where it stopped (the state is in %s)\n",
			filepath.Join(dir, client.DownloadCheckpointName))
		return silent(130)
	case errors.Is(err, client.ErrDirectoryInUse):
		return usageErrorf("--to: %s; choose an empty or new directory", trimClient(err))
	case errors.As(err, &pe) && (pe.Local || errors.Is(err, client.ErrHashMismatch)):
		// This side's disk, or bytes that never matched the manifest:
		// the download failed, as a job would.
		fmt.Fprintf(a.stderr, "hvport: the download failed: %v\n", trimClient(err))
		if _, serr := os.Stat(filepath.Join(dir, client.DownloadCheckpointName)); serr == nil {
			fmt.Fprintf(a.stderr, "  what arrived is kept in %s; run the same command again to go on\n", dir)
		}
		return silent(exitJob)
	}
	return err // a *Problem (a 404, a refused token…) or the network: its own code
}

func trimClient(err error) string {
	s := err.Error()
	const p = "hvport client: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// downloadShow is a download's client.PullProgress: it feeds the display
// (at most every 100 ms; the pull reports every read) and keeps the
// warnings for after it.
type downloadShow struct {
	d display

	mu       sync.Mutex
	job      client.Job // guarded by mu
	last     time.Time  // guarded by mu
	warnings []string   // guarded by mu
}

func (p *downloadShow) Bytes(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < total && p.job.Phase == "downloading" {
		return
	}
	p.last = now
	p.job.Phase, p.job.BytesDone, p.job.BytesTotal = "downloading", done, total
	if total > 0 {
		p.job.PercentComplete = done * 100 / total
	}
	p.d.update(0, p.job)
}

func (p *downloadShow) Progress(int) {}

func (p *downloadShow) Warn(msg string) {
	p.mu.Lock()
	p.warnings = append(p.warnings, msg)
	p.mu.Unlock()
}

func (p *downloadShow) end(err error) {
	p.mu.Lock()
	j := p.job
	p.mu.Unlock()
	switch {
	case err == nil:
		j.State, j.PercentComplete = client.JobCompleted, 100
	case errors.Is(err, context.Canceled):
		j.State = client.JobState("interrupted")
	default:
		j.State = client.JobFailed
	}
	p.d.finish(0, j, nil)
}
