package client_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hvport/hvport/client"
)

// Export a VM with edited settings and wait for the export, here against
// a server on the simulated host started for the example (srv.URL is
// http://127.0.0.1:<port>, srv.TokenFile an admin token as the server's
// <data-dir>/admin.token).
func ExampleClient_StartExport() {
	srv, err := startServer()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, client.WithTokenFile(srv.TokenFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The settings Hyper-V would use, with one changed.
	settings, err := c.ExportSettings(ctx, "web-01")
	if err != nil {
		fmt.Println(err)
		return
	}
	settings.CopySnapshotConfiguration = client.ExportNoSnapshots
	patch := client.SettingsPatch(settings)

	job, err := c.StartExport(ctx, "web-01", client.ExportRequest{
		Directory: filepath.Join(srv.ExportRoot, "web-01"),
		Settings:  &patch,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("started:", job.Kind, "of", job.VM.Name)

	job, err = c.WaitJob(ctx, job.ID, func(j client.Job) {
		// Called on each change: a progress bar would show
		// j.Phase, j.PercentComplete, j.BytesDone and j.BytesTotal.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("finished:", job.State)
	if p := client.JobProblem(job); p != nil {
		fmt.Println(p)
		return
	}
	result, err := job.Result.AsExportResult()
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := c.GetExport(ctx, result.ExportID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("published:", x.VM.Name, x.Settings.CopySnapshotConfiguration, x.FileCount == int64(len(x.Files)))
	// Output:
	// started: export of web-01
	// finished: completed
	// published: web-01 exportNoSnapshots true
}
