package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// WaitJob follows the job until it is finished and returns it in its final
// state: completed, failed or cancelled (JobProblem says why; a job that
// failed is not an error of WaitJob). onChange, if not nil, is called
// with the job each time it changes, the first time with the job as
// WaitJob first sees it, the last time with the final job.
//
// It follows GET /v1/jobs/{id}/events (server-sent events) and, when the
// stream is unavailable or breaks, polls GET /v1/jobs/{id} every poll
// interval (WithPollInterval) instead. Connection errors while polling
// are waited out for a minute; an answer such as 404 ends the wait with
// that *Problem. Only ctx bounds the wait.
func (c *Client) WaitJob(ctx context.Context, id string, onChange func(Job)) (Job, error) {
	w := &waiter{c: c, id: id, onChange: onChange}
	if j, done, err := w.stream(ctx); done || err != nil {
		return j, err
	}
	return w.poll(ctx)
}

type waiter struct {
	c        *Client
	id       string
	onChange func(Job)
	last     []byte // the last job seen, as JSON
	job      Job
}

// seen records a job and calls onChange when it differs from the last.
func (w *waiter) seen(j Job) {
	b, err := json.Marshal(j)
	if err == nil && bytes.Equal(b, w.last) {
		return
	}
	w.last, w.job = b, j
	if w.onChange != nil {
		w.onChange(j)
	}
}

// stream follows the event stream. done means the job finished; neither
// done nor an error means: poll instead.
func (w *waiter) stream(ctx context.Context) (job Job, done bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := w.c.gen.JobEvents(sctx, w.id, func(_ context.Context, r *http.Request) error {
		r.Header.Set("Accept", "text/event-stream")
		return nil
	})
	if err != nil {
		return Job{}, false, ctx.Err()
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		// Not a stream (an old server, a proxy, or an error such as 404
		// that polling reports with its problem).
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return Job{}, false, nil
	}
	// A stream that stays silent longer than the server's heartbeat is
	// broken (a proxy that holds the connection but passes nothing).
	idle := time.AfterFunc(w.c.streamIdle, cancel)
	defer idle.Stop()
	rd := bufio.NewReader(resp.Body)
	var event string
	var data bytes.Buffer
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			// The stream ended before the job did, or broke.
			return Job{}, false, ctx.Err()
		}
		idle.Reset(w.c.streamIdle)
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if event == "job" && data.Len() > 0 {
				var j Job
				if err := json.Unmarshal(data.Bytes(), &j); err == nil {
					w.seen(j)
					if Finished(j) {
						return j, true, nil
					}
				}
			}
			event = ""
			data.Reset()
		case strings.HasPrefix(line, ":"): // a comment: the heartbeat
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				event = value
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
		}
	}
}

// poll asks for the job every poll interval until it is finished.
func (w *waiter) poll(ctx context.Context) (Job, error) {
	t := time.NewTimer(0)
	defer t.Stop()
	var failingSince time.Time
	for {
		select {
		case <-ctx.Done():
			return w.job, ctx.Err()
		case <-t.C:
		}
		j, err := w.c.GetJob(ctx, w.id)
		switch {
		case err == nil:
			failingSince = time.Time{}
			w.seen(j)
			if Finished(j) {
				return j, nil
			}
		case ctx.Err() != nil:
			return w.job, ctx.Err()
		case Retryable(err) || errors.Is(err, context.DeadlineExceeded):
			// The server is restarting, or the network is down: wait
			// it out for a while.
			if failingSince.IsZero() {
				failingSince = time.Now()
			} else if time.Since(failingSince) > w.c.outage {
				return w.job, err
			}
		default:
			return w.job, err
		}
		t.Reset(w.c.poll)
	}
}
