package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/metrics"
)

// The decision alone, on an injected clock: a failure is reported once it
// has lasted a minute (not before), again when the failing checks change,
// and its end once; a blip shorter than a minute is never reported.
func TestReadinessWatchReportsLongFailuresOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	w := &readinessWatch{after: time.Minute}
	steps := []struct {
		sec    int
		failed []string
		want   string // "" none, "down wmi", "up"
	}{
		{0, nil, ""},
		{15, []string{"wmi"}, ""},
		{30, nil, ""}, // a blip: never reported
		{45, []string{"wmi"}, ""},
		{90, []string{"wmi"}, ""},          // 45 s
		{105, []string{"wmi"}, "down wmi"}, // 60 s: reported
		{120, []string{"wmi"}, ""},         // once
		{135, []string{"wmi", "data-dir"}, "down wmi,data-dir"},
		{150, []string{"wmi", "data-dir"}, ""},
		{165, nil, "up"},
		{180, nil, ""},
		{195, []string{"audit-log"}, ""},
	}
	for _, s := range steps {
		ev := w.observe(at(s.sec), s.failed)
		got := ""
		switch {
		case ev == nil:
		case ev.notReady:
			got = "down " + strings.Join(ev.checks, ",")
			if !ev.since.Equal(at(45)) {
				t.Errorf("at %ds: since %v, want the failure's start", s.sec, ev.since)
			}
		default:
			got = "up"
			if ev.lasted != 120*time.Second {
				t.Errorf("ready again after %v, want 2m", ev.lasted)
			}
		}
		if got != s.want {
			t.Fatalf("at %ds with %v failing: %q, want %q", s.sec, s.failed, got, s.want)
		}
	}
}

// The watcher itself, driven by ticks and a fake clock: the readiness
// gauges follow the checks, a check's change is logged, and only the
// minute-long failure and its end reach the Windows event log (through the
// service's event core), as events 4 and 5.
func TestWatchReadinessWritesTheEventLog(t *testing.T) {
	var mu sync.Mutex
	var wmiErr error
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	checks := []readiness.Check{
		{Name: "wmi", Run: func(context.Context) error { mu.Lock(); defer mu.Unlock(); return wmiErr }},
		{Name: "data-dir", Run: func(context.Context) error { return nil }},
	}
	sink := &fakeSink{}
	log := zap.New(newEventCore(sink))
	m := metrics.New()
	tick := make(chan time.Time) // unbuffered: a send waits for the previous tick's work
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); watchReadiness(ctx, tick, clock, checks, m, log) }()
	step := func(advance time.Duration, err error) {
		mu.Lock()
		now, wmiErr = now.Add(advance), err
		mu.Unlock()
		tick <- now
	}
	step(0, nil)
	down := errors.New("the RPC server is unavailable")
	for i := 0; i < 5; i++ { // 0, 15, 30, 45, 60 s
		step(15*time.Second, down)
	}
	step(15*time.Second, down) // once more: reported already
	step(15*time.Second, nil)
	step(15*time.Second, nil) // let the last tick's work finish
	cancel()
	<-done
	got := strings.Join(sink.events, "\n")
	if len(sink.events) != 2 || !strings.HasPrefix(sink.events[0], "warning 4 readiness\thvport is not ready") ||
		!strings.Contains(sink.events[0], `"failing": ["wmi"]`) || !strings.Contains(sink.events[0], "RPC server is unavailable") ||
		!strings.HasPrefix(sink.events[1], "info 5 readiness\thvport is ready again") {
		t.Fatalf("event log:\n%s", got)
	}
	rec := m.Gatherer()
	fams, err := rec.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fams {
		if f.GetName() == "hvport_readiness_check_ok" {
			for _, s := range f.GetMetric() {
				n++
				if s.GetGauge().GetValue() != 1 {
					t.Errorf("%v = %v after recovery", s.GetLabel(), s.GetGauge().GetValue())
				}
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d readiness gauges", n)
	}
}
