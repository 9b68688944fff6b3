package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A stream that stays silent past the heartbeat (a proxy holding the
// connection) is given up for polling.
func TestWaitJobLeavesASilentStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/jobs/j1/events":
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			http.NewResponseController(w).Flush()
			<-r.Context().Done() // silent until the client gives up
		case "/v1/jobs/j1":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"j1","state":"completed","percentComplete":100}`))
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c.streamIdle = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	j, err := c.WaitJob(ctx, "j1", nil)
	if err != nil || j.State != JobCompleted {
		t.Fatalf("WaitJob = %+v, %v", j, err)
	}
}
