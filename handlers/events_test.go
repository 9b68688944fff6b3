package handlers_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
)

func TestJobEventsStreamUntilFinished(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{copyRate: 8 << 20})
	j := e.startExport("web-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "sse")))
	resp, err := e.client.Get(e.srv.URL + "/v1/jobs/" + j.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []api.Job
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var job api.Job
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &job); err != nil {
			t.Fatalf("event data: %v: %s", err, line)
		}
		events = append(events, job)
	}
	if len(events) < 3 {
		t.Fatalf("only %d events", len(events))
	}
	for i := 1; i < len(events); i++ {
		if events[i].PercentComplete < events[i-1].PercentComplete {
			t.Fatalf("progress went back in the stream: %d → %d", events[i-1].PercentComplete, events[i].PercentComplete)
		}
	}
	if last := events[len(events)-1]; last.State != "completed" || last.PercentComplete != 100 {
		t.Fatalf("last event = %+v", last)
	}
	r, err := e.plain().Get(e.srv.URL + "/v1/jobs/nope/events")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 404 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("unknown job: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
}
