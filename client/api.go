package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hvport/hvport/client/gen"
)

// list is the envelope of every collection.
type list[T any] struct {
	Items []T `json:"items"`
}

// decode reads a want answer into a T; any other status is a *Problem.
func decode[T any](a answer, err error, want int) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	if a.status != want {
		return v, problemOf(a)
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		return v, fmt.Errorf("hvport client: %s %s: the %d answer is not what the API describes: %w", a.method, a.path, a.status, err)
	}
	return v, nil
}

func items[T any](l list[T], err error) ([]T, error) { return l.Items, err }

// get sends a read, which is safe to repeat after a connection error.
func (c *Client) get(ctx context.Context, call func(context.Context) (*http.Response, error)) (answer, error) {
	return c.send(ctx, true, call)
}

// Health is the server's health; with credentials it also names the
// backend and the Hyper-V API in use.
func (c *Client) Health(ctx context.Context) (Health, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetHealth(ctx) })
	return decode[Health](a, err, http.StatusOK)
}

// OpenAPI is the server's API description (YAML).
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetOpenAPI(ctx) })
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK {
		return nil, problemOf(a)
	}
	return a.body, nil
}

// ListVMs lists the VMs the credentials may see, by name.
func (c *Client) ListVMs(ctx context.Context) ([]VM, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.ListVMs(ctx) })
	return items(decode[list[VM]](a, err, http.StatusOK))
}

// GetVM is one VM, named by its id or its unique name, with its
// checkpoints, disks and network adapters.
func (c *Client) GetVM(ctx context.Context, vm string) (VMDetail, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetVM(ctx, vm) })
	return decode[VMDetail](a, err, http.StatusOK)
}

// ExportSettings are the export settings Hyper-V would use for the VM.
func (c *Client) ExportSettings(ctx context.Context, vm string) (ExportSettings, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetExportSettings(ctx, vm) })
	return decode[ExportSettings](a, err, http.StatusOK)
}

// StartExport queues an export of the VM and returns the queued job.
// Omitted settings take the VM's defaults. The request carries an
// Idempotency-Key (a new one per call, or ContextWithIdempotencyKey's)
// and is repeated with the same key after a connection error, so a lost
// answer never starts a second export: the server answers the repeat with
// the first job.
func (c *Client) StartExport(ctx context.Context, vm string, req ExportRequest) (Job, error) {
	params := &gen.StartExportParams{IdempotencyKey: ptr(idempotencyKey(ctx))}
	a, err := c.send(ctx, true, func(ctx context.Context) (*http.Response, error) { return c.gen.StartExport(ctx, vm, params, req) })
	return decode[Job](a, err, http.StatusAccepted)
}

// ImportSettings are the import settings Hyper-V would use for an export
// (src names its directory or its export id), with what Hyper-V would
// object to and a fix for each.
func (c *Client) ImportSettings(ctx context.Context, src ImportSource) (ImportReport, error) {
	// A POST, but a read: the server plans a VM to read the settings and
	// always discards it.
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.PostImportSettings(ctx, src) })
	return decode[ImportReport](a, err, http.StatusOK)
}

// StartImport queues an import and returns the queued job; submissions
// are repeated safely as StartExport's.
func (c *Client) StartImport(ctx context.Context, req ImportRequest) (Job, error) {
	params := &gen.StartImportParams{IdempotencyKey: ptr(idempotencyKey(ctx))}
	a, err := c.send(ctx, true, func(ctx context.Context) (*http.Response, error) { return c.gen.StartImport(ctx, params, req) })
	return decode[Job](a, err, http.StatusAccepted)
}

// ListPlannedVMs lists the planned VMs interrupted imports left behind.
func (c *Client) ListPlannedVMs(ctx context.Context) ([]VMRef, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.ListPlannedVMs(ctx) })
	return items(decode[list[VMRef]](a, err, http.StatusOK))
}

// DeletePlannedVM discards a planned VM (admin).
func (c *Client) DeletePlannedVM(ctx context.Context, id string) (VMRef, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) { return c.gen.DeletePlannedVM(ctx, id) })
	return decode[VMRef](a, err, http.StatusOK)
}

// ListJobs lists the jobs, newest first, as summaries (GetJob has a
// whole job).
func (c *Client) ListJobs(ctx context.Context) ([]JobSummary, error) {
	var all []JobSummary
	var cursor *string
	for {
		page, next, err := c.ListJobsPage(ctx, JobFilter{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == nil {
			if all == nil {
				all = []JobSummary{}
			}
			return all, nil
		}
		cursor = next
	}
}

// JobFilter selects jobs on the server (GET /v1/jobs): every set field
// must hold. Limit 0 is the server's default page (100).
type JobFilter struct {
	State, Kind, VM string
	Since           time.Time
	Limit           int
	Cursor          *string // the previous page's next
}

// ListJobsPage is one page of the jobs that match f, newest first, as
// summaries, and the cursor of the next page (nil on the last).
func (c *Client) ListJobsPage(ctx context.Context, f JobFilter) ([]JobSummary, *string, error) {
	p := &gen.ListJobsParams{Cursor: f.Cursor}
	if f.State != "" {
		s := gen.JobState(f.State)
		p.State = &s
	}
	if f.Kind != "" {
		k := gen.JobKind(f.Kind)
		p.Kind = &k
	}
	if f.VM != "" {
		p.VM = &f.VM
	}
	if !f.Since.IsZero() {
		p.Since = &f.Since
	}
	if f.Limit > 0 {
		n := int64(f.Limit)
		p.Limit = &n
	}
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.ListJobs(ctx, p) })
	page, err := decode[jobPage](a, err, http.StatusOK)
	if err != nil {
		return nil, nil, err
	}
	if page.Items == nil {
		page.Items = []JobSummary{}
	}
	return page.Items, page.Next, nil
}

type jobPage struct {
	Items []JobSummary `json:"items"`
	Next  *string      `json:"next"`
}

// GetJob is one job.
func (c *Client) GetJob(ctx context.Context, id string) (Job, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetJob(ctx, id, nil) })
	return decode[Job](a, err, http.StatusOK)
}

// CancelJob cancels a queued or running job and returns it as it is then
// (cancelling, or cancelled); a finished job is a 409 Problem.
func (c *Client) CancelJob(ctx context.Context, id string) (Job, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) { return c.gen.CancelJob(ctx, id) })
	return decode[Job](a, err, http.StatusOK)
}

// ListExports lists the complete exports under the export roots, newest
// first.
func (c *Client) ListExports(ctx context.Context) ([]Export, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.ListExports(ctx) })
	return items(decode[list[Export]](a, err, http.StatusOK))
}

// GetExport is one export with its manifest's files.
func (c *Client) GetExport(ctx context.Context, id string) (ExportDetail, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetExport(ctx, id) })
	return decode[ExportDetail](a, err, http.StatusOK)
}

// VerifyExport queues a job that re-hashes the export against its
// manifest (the result: j.Result.AsVerifyResult()); submissions are
// repeated safely as StartExport's.
func (c *Client) VerifyExport(ctx context.Context, id string) (Job, error) {
	params := &gen.VerifyExportParams{IdempotencyKey: ptr(idempotencyKey(ctx))}
	a, err := c.send(ctx, true, func(ctx context.Context) (*http.Response, error) { return c.gen.VerifyExport(ctx, id, params) })
	return decode[Job](a, err, http.StatusAccepted)
}

// DeleteExport deletes an export (admin) and returns what it was.
func (c *Client) DeleteExport(ctx context.Context, id string) (Export, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) { return c.gen.DeleteExport(ctx, id) })
	return decode[Export](a, err, http.StatusOK)
}

// ListTokens lists the API tokens, without their secrets (admin).
func (c *Client) ListTokens(ctx context.Context) ([]Token, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.ListTokens(ctx) })
	return items(decode[list[Token]](a, err, http.StatusOK))
}

// CreateToken creates a token (admin); the answer is the only time its
// secret (CreatedToken.Token) is shown.
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (CreatedToken, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) { return c.gen.CreateToken(ctx, req) })
	return decode[CreatedToken](a, err, http.StatusCreated)
}

// RevokeToken revokes a token by name (admin).
func (c *Client) RevokeToken(ctx context.Context, name string) (Token, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) { return c.gen.RevokeToken(ctx, name) })
	return decode[Token](a, err, http.StatusOK)
}

func ptr[T any](v T) *T { return &v }
