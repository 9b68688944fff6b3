package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvport/hvport/client"
)

func jobJSON(state string, percent int) string {
	return fmt.Sprintf(`{"id":"j1","kind":"export","state":%q,"percentComplete":%d,"phase":%q,"warnings":[]}`, state, percent, state)
}

// fakeJobs serves GET /v1/jobs/j1/events with events (then ends the
// stream, or fails with status when it is not 200) and GET /v1/jobs/j1
// with polls, one per request, repeating the last.
type fakeJobs struct {
	eventsStatus int
	events       []string // raw lines of the stream
	polls        []string // job bodies; "404" answers a not-found problem

	mu          sync.Mutex
	eventCalls  int
	pollCalls   int
	streamStart chan struct{}
}

func (f *fakeJobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/jobs/j1/events":
		f.mu.Lock()
		f.eventCalls++
		f.mu.Unlock()
		if f.eventsStatus != http.StatusOK {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(f.eventsStatus)
			fmt.Fprintf(w, `{"type":"urn:hvport:problem:not-found","title":"Not found","status":%d}`, f.eventsStatus)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, l := range f.events {
			fmt.Fprint(w, l)
			http.NewResponseController(w).Flush()
		}
	case "/v1/jobs/j1":
		f.mu.Lock()
		i := min(f.pollCalls, len(f.polls)-1)
		f.pollCalls++
		f.mu.Unlock()
		if f.polls[i] == "404" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"urn:hvport:problem:not-found","title":"Not found","status":404,"detail":"no job with id \"j1\""}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(f.polls[i]))
	default:
		http.NotFound(w, r)
	}
}

func waitOn(t *testing.T, f *fakeJobs) (client.Job, []string, error) {
	t.Helper()
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithToken("hvp_a_b"), client.WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// A hang guard only: every case here ends in milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var changes []string
	j, err := c.WaitJob(ctx, "j1", func(j client.Job) {
		changes = append(changes, fmt.Sprintf("%s %d", j.State, j.PercentComplete))
	})
	return j, changes, err
}

func event(state string, percent int) string {
	return "event: job\ndata: " + jobJSON(state, percent) + "\n\n"
}

func TestWaitJobFollowsTheEventStream(t *testing.T) {
	f := &fakeJobs{eventsStatus: 200, events: []string{
		event("queued", 0),
		": still running\n\n",
		event("running", 40),
		event("running", 40), // the same again: no change
		"event: job\r\ndata: " + jobJSON("running", 80) + "\r\n\r\n",
		"event: other\ndata: {}\n\n",
		event("completed", 100),
	}}
	j, changes, err := waitOn(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != client.JobCompleted || j.ID != "j1" {
		t.Errorf("final job = %+v", j)
	}
	want := []string{"queued 0", "running 40", "running 80", "completed 100"}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes = %q, want %q", changes, want)
	}
	if f.pollCalls != 0 {
		t.Errorf("polled %d times while the stream worked", f.pollCalls)
	}
}

func TestWaitJobPollsWhenTheStreamIsUnavailable(t *testing.T) {
	f := &fakeJobs{eventsStatus: http.StatusNotImplemented, polls: []string{
		jobJSON("running", 10), jobJSON("running", 10), jobJSON("running", 60), jobJSON("failed", 60),
	}}
	j, changes, err := waitOn(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != client.JobFailed {
		t.Errorf("final job = %+v", j)
	}
	want := []string{"running 10", "running 60", "failed 60"}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes = %q, want %q", changes, want)
	}
	if f.eventCalls != 1 || f.pollCalls != 4 {
		t.Errorf("event calls %d, polls %d; want 1 and 4", f.eventCalls, f.pollCalls)
	}
}

func TestWaitJobPollsWhenTheStreamBreaks(t *testing.T) {
	f := &fakeJobs{eventsStatus: 200,
		events: []string{event("queued", 0), event("running", 30)}, // then the stream ends
		polls:  []string{jobJSON("running", 30), jobJSON("cancelling", 30), jobJSON("cancelled", 30)},
	}
	j, changes, err := waitOn(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != client.JobCancelled {
		t.Errorf("final job = %+v", j)
	}
	want := []string{"queued 0", "running 30", "cancelling 30", "cancelled 30"}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes = %q, want %q", changes, want)
	}
}

func TestWaitJobForAJobThatIsGone(t *testing.T) {
	f := &fakeJobs{eventsStatus: http.StatusNotFound, polls: []string{"404"}}
	_, changes, err := waitOn(t, f)
	var p *client.Problem
	if !errors.As(err, &p) || p.Status != http.StatusNotFound || !strings.Contains(p.Detail, "j1") {
		t.Fatalf("err = %v, want the 404 problem", err)
	}
	if len(changes) != 0 {
		t.Errorf("changes = %q", changes)
	}
}

func TestWaitJobEndsWithTheContext(t *testing.T) {
	f := &fakeJobs{eventsStatus: http.StatusNotImplemented, polls: []string{jobJSON("running", 10)}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	j, err := c.WaitJob(ctx, "j1", func(client.Job) { cancel() })
	if !errors.Is(err, context.Canceled) || j.State != client.JobRunning {
		t.Errorf("WaitJob = %+v, %v; want the last job seen and context.Canceled", j, err)
	}
}
