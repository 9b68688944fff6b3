package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// fakeSink records what the event core writes, as "<kind> <id> <msg>".
type fakeSink struct{ events []string }

func (s *fakeSink) add(kind string, id uint32, msg string) error {
	s.events = append(s.events, kind+" "+string(rune('0'+id))+" "+msg)
	return nil
}
func (s *fakeSink) Info(id uint32, msg string) error    { return s.add("info", id, msg) }
func (s *fakeSink) Warning(id uint32, msg string) error { return s.add("warning", id, msg) }
func (s *fakeSink) Error(id uint32, msg string) error   { return s.add("error", id, msg) }

func readFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}

func TestEventCore(t *testing.T) {
	sink := &fakeSink{}
	log := zap.New(newEventCore(sink))
	log.Info("hvport listening", zap.String("listen", "127.0.0.1:8080"))
	log.Named("service").Info("service note")
	log.Debug("never")
	log.Named("http").Info("request") // per-request lines stay out
	log.Named("jobs").Info("job started")
	log.Named("http").Warn("slow", zap.Int("ms", 900))
	log.Named("jobs").With(zap.String("job_id", "j1")).Error("job failed", zap.Error(errors.New("boom")))
	want := []string{
		`info 1 hvport listening	{"listen": "127.0.0.1:8080"}`,
		"info 1 service	service note",
		`warning 2 http	slow	{"ms": 900}`,
		`error 3 jobs	job failed	{"job_id": "j1", "error": "boom"}`,
	}
	if strings.Join(sink.events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(sink.events, "\n"), strings.Join(want, "\n"))
	}
}

// The readiness watcher's episode lines have their own event IDs; its
// per-check lines stay out of the event log.
func TestEventCoreReadinessIDs(t *testing.T) {
	sink := &fakeSink{}
	log := zap.New(newEventCore(sink))
	log.Named(readinessLogger).Warn("hvport is not ready")
	log.Named(readinessLogger).Info("hvport is ready again")
	log.Named(readinessLogger).Named("checks").Info("readiness check fails")
	want := "warning 4 readiness\thvport is not ready\ninfo 5 readiness\thvport is ready again"
	if got := strings.Join(sink.events, "\n"); got != want {
		t.Fatalf("events:\n%s\nwant:\n%s", got, want)
	}
}
