package main

import (
	"strings"

	"go.uber.org/zap/zapcore"
)

// eventSink is the part of the Windows event log (*eventlog.Log of
// golang.org/x/sys/windows/svc/eventlog) that the service writes to.
type eventSink interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// Event IDs. The event source is registered with EventCreate.exe as its
// message file (eventlog.InstallAsEventCreate), which shows any ID from 1
// to 1000 with the text as written.
const (
	eventIDInfo    uint32 = 1
	eventIDWarning uint32 = 2
	eventIDError   uint32 = 3
	// The readiness watcher's episodes (readiness.go), each with its own
	// ID so that monitoring can match them: not ready for more than a
	// minute (a warning), ready again (information).
	eventIDNotReady   uint32 = 4
	eventIDReadyAgain uint32 = 5
)

// eventCore is a zap core that copies log entries to the Windows event
// log. Per-request and per-job lines would flood it, so it takes warnings
// and errors from every logger but informational lines only from the
// loggers named in infoFrom: the server's own ("", start, listening,
// shutting down) and the service's.
type eventCore struct {
	enc      zapcore.Encoder
	sink     eventSink
	infoFrom map[string]bool
}

// newEventCore returns the core; entries below info are never sent.
func newEventCore(sink eventSink) zapcore.Core {
	encCfg := zapcore.EncoderConfig{
		// Event Viewer shows time and level itself.
		MessageKey:     "msg",
		NameKey:        "logger",
		StacktraceKey:  "stacktrace",
		LineEnding:     "\n",
		EncodeDuration: zapcore.StringDurationEncoder,
		EncodeName:     zapcore.FullNameEncoder,
	}
	return &eventCore{
		enc:      zapcore.NewConsoleEncoder(encCfg),
		sink:     sink,
		infoFrom: map[string]bool{"": true, "service": true, readinessLogger: true},
	}
}

func (c *eventCore) Enabled(l zapcore.Level) bool { return l >= zapcore.InfoLevel }

func (c *eventCore) With(fields []zapcore.Field) zapcore.Core {
	enc := c.enc.Clone()
	for _, f := range fields {
		f.AddTo(enc)
	}
	return &eventCore{enc: enc, sink: c.sink, infoFrom: c.infoFrom}
}

func (c *eventCore) wants(e zapcore.Entry) bool {
	return e.Level >= zapcore.WarnLevel || (e.Level == zapcore.InfoLevel && c.infoFrom[e.LoggerName])
}

func (c *eventCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.wants(e) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *eventCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	buf, err := c.enc.EncodeEntry(e, fields)
	if err != nil {
		return err
	}
	msg := strings.TrimRight(buf.String(), "\n")
	buf.Free()
	readiness := e.LoggerName == readinessLogger
	switch {
	case e.Level >= zapcore.ErrorLevel:
		return c.sink.Error(eventIDError, msg)
	case e.Level == zapcore.WarnLevel && readiness:
		return c.sink.Warning(eventIDNotReady, msg)
	case e.Level == zapcore.WarnLevel:
		return c.sink.Warning(eventIDWarning, msg)
	case readiness:
		return c.sink.Info(eventIDReadyAgain, msg)
	}
	return c.sink.Info(eventIDInfo, msg)
}

func (c *eventCore) Sync() error { return nil }
