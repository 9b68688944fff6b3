// Package logctx carries log fields in a context: the request id a request
// was given (handlers) and the job id (and the request that created it)
// a job's work runs under (jobs), so that every line logged on that
// context's behalf names them, whichever room logs it. It imports nothing
// of ours.
package logctx

import (
	"context"

	"go.uber.org/zap"
)

type key struct{}

// With returns ctx carrying fields after those it already carries.
func With(ctx context.Context, fields ...zap.Field) context.Context {
	if len(fields) == 0 {
		return ctx
	}
	old := Fields(ctx)
	all := make([]zap.Field, 0, len(old)+len(fields))
	return context.WithValue(ctx, key{}, append(append(all, old...), fields...))
}

// Fields returns the fields ctx carries (nil for none); the caller must
// not change them.
func Fields(ctx context.Context) []zap.Field {
	if ctx == nil {
		return nil
	}
	f, _ := ctx.Value(key{}).([]zap.Field)
	return f
}

// From returns log with the fields ctx carries.
func From(ctx context.Context, log *zap.Logger) *zap.Logger {
	if f := Fields(ctx); len(f) > 0 {
		return log.With(f...)
	}
	return log
}
