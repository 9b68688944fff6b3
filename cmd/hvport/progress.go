package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/hvport/hvport/client"
)

// display shows the progress of the jobs being followed: live bars on a
// terminal, one line per phase change elsewhere, or nothing.
type display interface {
	// update shows a change of job i.
	update(i int, j client.Job)
	// finish shows job i's end (err: following it failed).
	finish(i int, j client.Job, err error)
	// close waits until everything is drawn.
	close()
}

func jobLabel(j client.Job) string {
	return fmt.Sprintf("%s %s [%s]", j.Kind, subjectName(j.VM, j.Source), shortID(j.ID))
}

func (a *app) newDisplay(ctx context.Context, jobs []client.Job) display {
	labels := make([]string, len(jobs))
	for i, j := range jobs {
		labels[i] = jobLabel(j)
	}
	return a.newLabeledDisplay(ctx, jobs, labels)
}

// newLabeledDisplay is newDisplay with the labels given: for progress
// that is not one server job (a download, a copy across two hosts), fed
// with jobs made up to show it.
func (a *app) newLabeledDisplay(ctx context.Context, jobs []client.Job, labels []string) display {
	switch {
	case a.quiet || a.noProgress:
		return nopDisplay{}
	case a.stderrTTY:
		return newBarDisplay(ctx, a.stderr, jobs, labels)
	}
	return newLineDisplay(a.stderr, labels)
}

type nopDisplay struct{}

func (nopDisplay) update(int, client.Job)        {}
func (nopDisplay) finish(int, client.Job, error) {}
func (nopDisplay) close()                        {}

// lineDisplay writes one line per phase change of each job and a final
// line with its outcome and duration.
type lineDisplay struct {
	mu     sync.Mutex
	w      io.Writer
	labels []string
	phase  []string
	start  time.Time
}

func newLineDisplay(w io.Writer, labels []string) *lineDisplay {
	return &lineDisplay{w: w, labels: labels, phase: make([]string, len(labels)), start: time.Now()}
}

func (d *lineDisplay) update(i int, j client.Job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if client.Finished(j) || j.Phase == d.phase[i] {
		return
	}
	d.phase[i] = j.Phase
	line := fmt.Sprintf("%s: %s %d%%", d.labels[i], j.Phase, j.PercentComplete)
	if j.BytesTotal > 0 {
		line += fmt.Sprintf(" (%s of %s)", bytesText(j.BytesDone), bytesText(j.BytesTotal))
	}
	fmt.Fprintln(d.w, line)
}

func (d *lineDisplay) finish(i int, j client.Job, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	took := time.Since(d.start).Round(100 * time.Millisecond)
	switch {
	case err != nil:
		fmt.Fprintf(d.w, "%s: stopped following the job: %v\n", d.labels[i], err)
	case j.State == client.JobCompleted:
		fmt.Fprintf(d.w, "%s: completed 100%% in %s\n", d.labels[i], took)
	default:
		fmt.Fprintf(d.w, "%s: %s after %s\n", d.labels[i], j.State, took)
	}
}

func (d *lineDisplay) close() {}

// barDisplay draws a live bar per job: label, phase, bar, percent,
// bytes of the phase, rate and ETA.
type barDisplay struct {
	p      *mpb.Progress
	bars   []*mpb.Bar
	states []*barState
}

type barState struct {
	mu         sync.Mutex
	job        client.Job
	phaseStart time.Time
	bytes0     int64
	rate       float64 // bytes per second in this phase
	final      string
}

func newBarDisplay(ctx context.Context, w io.Writer, jobs []client.Job, labels []string) *barDisplay {
	d := &barDisplay{p: mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithRefreshRate(120*time.Millisecond))}
	for i, j := range jobs {
		st := &barState{job: j, phaseStart: time.Now()}
		bar := d.p.New(100, mpb.BarStyle().Lbound("[").Rbound("]"),
			mpb.PrependDecorators(
				decor.Name(labels[i], decor.WCSyncSpaceR),
				decor.Any(st.phaseText, decor.WCSyncSpaceR),
			),
			mpb.AppendDecorators(
				decor.Percentage(decor.WC{W: 5}),
				decor.Any(st.bytesText, decor.WC{W: 22}),
				decor.Any(st.rateText, decor.WC{W: 13}),
				decor.Any(st.etaText, decor.WC{W: 10}),
			),
		)
		d.bars = append(d.bars, bar)
		d.states = append(d.states, st)
	}
	return d
}

func (d *barDisplay) update(i int, j client.Job) {
	st := d.states[i]
	st.mu.Lock()
	now := time.Now()
	if j.Phase != st.job.Phase || j.BytesTotal != st.job.BytesTotal || j.BytesDone < st.job.BytesDone {
		st.phaseStart, st.bytes0, st.rate = now, j.BytesDone, 0
	} else if el := now.Sub(st.phaseStart).Seconds(); el > 0.2 && j.BytesDone > st.bytes0 {
		st.rate = float64(j.BytesDone-st.bytes0) / el
	}
	if j.BytesPerSecond != nil { // the server's moving average, when it has one
		st.rate = float64(*j.BytesPerSecond)
	}
	st.job = j
	st.mu.Unlock()
	if !client.Finished(j) {
		d.bars[i].SetCurrent(min(j.PercentComplete, 99))
	}
}

func (d *barDisplay) finish(i int, j client.Job, err error) {
	st := d.states[i]
	st.mu.Lock()
	if j.ID != "" {
		st.job = j
	}
	switch {
	case err != nil:
		st.final = "stopped following"
	default:
		st.final = string(j.State)
	}
	st.mu.Unlock()
	if err == nil && j.State == client.JobCompleted {
		d.bars[i].SetCurrent(100)
		return
	}
	d.bars[i].Abort(false)
}

func (d *barDisplay) close() { d.p.Wait() }

func (st *barState) phaseText(decor.Statistics) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.final != "" {
		return st.final
	}
	return st.job.Phase
}

func (st *barState) bytesText(decor.Statistics) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.job.BytesTotal <= 0 || st.final != "" {
		return ""
	}
	return bytesText(st.job.BytesDone) + " / " + bytesText(st.job.BytesTotal)
}

func (st *barState) rateText(decor.Statistics) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rate <= 0 || st.final != "" {
		return ""
	}
	return bytesText(int64(st.rate)) + "/s"
}

func (st *barState) etaText(decor.Statistics) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rate <= 0 || st.job.BytesTotal <= 0 || st.final != "" {
		return ""
	}
	left := time.Duration(float64(st.job.BytesTotal-st.job.BytesDone) / st.rate * float64(time.Second))
	return "ETA " + left.Round(time.Second).String()
}

// follow waits for the jobs at the same time, showing their progress, and
// returns them in their final states. err is the first error following
// them (not a job's failure, which is in its final state).
func (a *app) follow(ctx context.Context, c *client.Client, jobs []client.Job) ([]client.Job, error) {
	d := a.newDisplay(ctx, jobs)
	finals := make([]client.Job, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fin, err := c.WaitJob(ctx, j.ID, func(j client.Job) { d.update(i, j) })
			if fin.ID == "" {
				fin = j
			}
			finals[i], errs[i] = fin, err
			d.finish(i, fin, err)
		}()
	}
	wg.Wait()
	d.close()
	for i, err := range errs {
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(a.stderr, "hvport: interrupted; the jobs go on on the server (hvport job watch %s, hvport job cancel %s)\n", jobs[i].ID, jobs[i].ID)
				return finals, silent(130)
			}
			return finals, err
		}
	}
	return finals, nil
}
