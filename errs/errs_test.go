package errs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestKindThroughWrapping(t *testing.T) {
	base := E(Busy, "VM %s is busy", "web-01")
	wrapped := fmt.Errorf("export: %w", base)
	if KindOf(wrapped) != Busy || !Is(wrapped, Busy) || Is(nil, Busy) {
		t.Fatalf("kind lost through wrapping: %v", KindOf(wrapped))
	}
	if KindOf(errors.New("plain")) != Internal {
		t.Fatal("a plain error must be Internal")
	}
	cause := errors.New("disk unplugged")
	w := Wrap(HostFailed, cause, "copy failed")
	if !errors.Is(w, cause) || !strings.Contains(w.Error(), "disk unplugged") {
		t.Fatalf("cause lost: %v", w)
	}
}

func TestFieldErrorMessage(t *testing.T) {
	e := Field("settings.copySnapshotConfiguration", "unknown value", "a", "b").WithOp("export")
	if e.Kind != Invalid || len(e.Fields) != 1 || e.Fields[0].Allowed[1] != "b" {
		t.Fatalf("%+v", e)
	}
	// The reason is not repeated when the message already says it.
	if got := e.Error(); strings.Count(got, "unknown value") != 1 || !strings.HasPrefix(got, "export: ") {
		t.Fatalf("Error() = %q", got)
	}
	multi := &Error{Kind: Invalid, Msg: "invalid settings", Fields: []FieldError{{Field: "a", Reason: "bad"}, {Field: "b", Reason: "worse"}}}
	if got := multi.Error(); !strings.Contains(got, "a: bad") || !strings.Contains(got, "b: worse") {
		t.Fatalf("Error() = %q", got)
	}
}
