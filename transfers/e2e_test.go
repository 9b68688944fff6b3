package transfers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/testserver"
)

// Two agents in this process (each a real server on its own simulated
// host): A serves web-01's export with one byte of a file inverted, B
// pulls it. A byte flipped once is caught by the hash and the file
// fetched again; a file that is always wrong fails the job naming it,
// and nothing is imported or kept.

// flipper inverts byte 100 of one file, for the first n answers.
type flipper struct {
	mu   sync.Mutex
	path string
	n    int
}

func (f *flipper) fault(exportID, path string) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if path != f.path || f.n == 0 {
		return 0, false
	}
	f.n--
	return 100, true
}

func start(t *testing.T, opts testserver.Options) (*testserver.Server, *client.Client) {
	t.Helper()
	s, err := testserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := client.New(s.URL, client.WithTokenFile(s.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func copyWithFlips(t *testing.T, flips int) (client.Job, *client.Client, string) {
	ctx := context.Background()
	f := &flipper{}
	a, ca := start(t, testserver.Options{ServeFault: f.fault})
	_, cb := start(t, testserver.Options{Transfers: client.PullOptions{Retries: 2}})
	job, err := ca.StartExport(ctx, "web-01", client.ExportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if job, err = ca.WaitJob(ctx, job.ID, nil); err != nil {
		t.Fatal(err)
	}
	x, err := ca.ListExports(ctx)
	if err != nil || len(x) != 1 {
		t.Fatalf("exports on A: %v %v", x, err)
	}
	id := x[0].ID
	detail, err := ca.GetExport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range detail.Files {
		if strings.HasSuffix(file.Path, ".vhdx") {
			f.path = file.Path
		}
	}
	f.n = flips
	g, err := ca.CreateGrant(ctx, id, client.GrantRequest{})
	if err != nil {
		t.Fatal(err)
	}
	url, grant, yes := a.URL+"/v1/exports/"+id, g.Token, true
	name := "web-01-copy"
	imp, err := cb.StartImport(ctx, client.ImportRequest{Source: &client.RemoteSource{URL: url, Grant: &grant},
		Settings: &client.ImportSettingsPatch{CreateCopy: &yes, GenerateNewID: &yes, Name: &name}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := cb.WaitJob(ctx, imp.ID, nil)
	var p *client.Problem
	if err != nil && !errors.As(err, &p) {
		t.Fatal(err)
	}
	return done, cb, f.path
}

func TestAFlippedByteIsFetchedAgain(t *testing.T) {
	done, cb, path := copyWithFlips(t, 1)
	if done.State != client.JobCompleted {
		t.Fatalf("the copy ended %s: %+v", done.State, done.Error)
	}
	found := false
	for _, w := range done.Warnings {
		found = found || strings.Contains(w, path) && strings.Contains(w, "fetching it again")
	}
	if !found {
		t.Fatalf("no warning that %s was fetched again: %v", path, done.Warnings)
	}
	if _, err := cb.GetVM(context.Background(), "web-01-copy"); err != nil {
		t.Fatal(err)
	}
}

func TestAFileThatNeverMatchesFailsTheJobNamingIt(t *testing.T) {
	done, cb, path := copyWithFlips(t, 1000)
	if done.State != client.JobFailed || done.Error == nil || done.Error.Detail == nil || !strings.Contains(*done.Error.Detail, path) {
		t.Fatalf("the copy ended %s: %+v", done.State, done.Error)
	}
	ctx := context.Background()
	if _, err := cb.GetVM(ctx, "web-01-copy"); err == nil {
		t.Fatal("a VM was imported from a damaged transfer")
	}
	if x, err := cb.ListExports(ctx); err != nil || len(x) != 0 {
		t.Fatalf("B kept a damaged export: %v %v", x, err)
	}
}

// exportAndGrant exports web-01 on a and returns the export's URL and a
// grant for it.
func exportAndGrant(t *testing.T, a *testserver.Server, ca *client.Client) (string, string) {
	t.Helper()
	ctx := context.Background()
	job, err := ca.StartExport(ctx, "web-01", client.ExportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if job, err = ca.WaitJob(ctx, job.ID, nil); err != nil {
		t.Fatal(err)
	}
	x, err := ca.ListExports(ctx)
	if err != nil || len(x) != 1 {
		t.Fatalf("exports on A: %v %v", x, err)
	}
	g, err := ca.CreateGrant(ctx, x[0].ID, client.GrantRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return a.URL + "/v1/exports/" + x[0].ID, g.Token
}

// Not enough room for the export where it would be received: 507 before
// any byte moves.
func TestNoRoomForTheExportIs507(t *testing.T) {
	a, ca := start(t, testserver.Options{})
	b, cb := start(t, testserver.Options{FreeSpace: func(string) (uint64, error) { return 1 << 20, nil }})
	url, grant := exportAndGrant(t, a, ca)
	yes := true
	_, err := cb.StartImport(context.Background(), client.ImportRequest{Source: &client.RemoteSource{URL: url, Grant: &grant},
		Settings: &client.ImportSettingsPatch{CreateCopy: &yes, GenerateNewID: &yes}})
	var p *client.Problem
	if !errors.As(err, &p) || p.Status != 507 {
		t.Fatalf("err = %v, want 507", err)
	}
	if left, _ := os.ReadDir(b.ExportRoot); len(left) != 0 {
		t.Fatalf("B's export root after a refused pull: %v", left)
	}
}

// Cancelling a pull mid-transfer removes what was received and the grant.
func TestCancelledPullLeavesNothing(t *testing.T) {
	a, ca := start(t, testserver.Options{})
	b, cb := start(t, testserver.Options{Transfers: client.PullOptions{BytesPerSecond: 2 << 20, Parallel: 1}})
	url, grant := exportAndGrant(t, a, ca)
	ctx := context.Background()
	yes := true
	imp, err := cb.StartImport(ctx, client.ImportRequest{Source: &client.RemoteSource{URL: url, Grant: &grant},
		Settings: &client.ImportSettingsPatch{CreateCopy: &yes, GenerateNewID: &yes}})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	done, err := cb.WaitJob(ctx, imp.ID, func(j client.Job) {
		if j.Phase == "transferring" && j.BytesDone > 0 {
			once.Do(func() {
				if _, err := cb.CancelJob(ctx, imp.ID); err != nil {
					t.Error(err)
				}
			})
		}
	})
	var p *client.Problem
	if err != nil && !errors.As(err, &p) {
		t.Fatal(err)
	}
	if done.State != client.JobCancelled {
		t.Fatalf("the cancelled pull ended %s: %s %v", done.State, *done.Error.Detail, done.Warnings)
	}
	if left, _ := os.ReadDir(b.ExportRoot); len(left) != 0 {
		t.Fatalf("B's export root after a cancelled pull: %v", left)
	}
	if left, _ := os.ReadDir(filepath.Join(b.DataDir, "transfers")); len(left) != 0 {
		t.Fatalf("the grant outlived the cancelled job: %v", left)
	}
}
