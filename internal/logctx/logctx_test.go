package logctx

import (
	"context"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestFieldsAccumulateAndReachTheLogger(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	ctx := With(context.Background(), zap.String("request_id", "r1"))
	child := With(ctx, zap.String("job_id", "j1"))
	From(child, log).Info("in the job")
	From(ctx, log).Info("in the request")
	From(context.Background(), log).Info("neither")
	got := logs.All()
	if len(got) != 3 {
		t.Fatalf("%d entries", len(got))
	}
	want := []map[string]any{{"request_id": "r1", "job_id": "j1"}, {"request_id": "r1"}, {}}
	for i, e := range got {
		m := e.ContextMap()
		if len(m) != len(want[i]) {
			t.Errorf("entry %d = %v, want %v", i, m, want[i])
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Errorf("entry %d: %s = %v, want %v", i, k, m[k], v)
			}
		}
	}
	// The parent's fields are not changed by a child's.
	if n := len(Fields(ctx)); n != 1 {
		t.Fatalf("parent has %d fields after a child was made", n)
	}
}
