package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/testserver"
)

// BenchmarkGetJob is GET /v1/jobs/{id} through the whole server (token
// authentication, routing, the audit and logging middleware, JSON) from
// parallel clients: the request path the jobs pair measures, in a form
// `go test -cpuprofile` can look into.
func BenchmarkGetJob(b *testing.B) {
	s, err := testserver.Start(testserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := client.New(s.URL, client.WithTokenFile(s.TokenFile))
	if err != nil {
		b.Fatal(err)
	}
	job, err := c.StartExport(context.Background(), "db-01", client.ExportRequest{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.WaitJob(context.Background(), job.ID, nil); err != nil {
		b.Fatal(err)
	}
	tok, _ := os.ReadFile(s.TokenFile)
	auth := "Bearer " + strings.TrimSpace(string(tok))
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	hc := &http.Client{Transport: tr}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", s.URL+"/v1/jobs/"+job.ID, nil)
			req.Header.Set("Authorization", auth)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("%d", resp.StatusCode)
			}
		}
	})
}
