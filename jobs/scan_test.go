package jobs

import (
	"context"
	"slices"
	"testing"
)

func TestScanNewestFirstFromACursor(t *testing.T) {
	r := newRegistry(t, Options{})
	var ids []string
	for i := 0; i < 5; i++ {
		s, _ := r.Submit(Spec{Kind: KindExport}, func(ctx context.Context, rep Reporter) error { rep.Warn("w"); return nil })
		wait(t, r, s.ID)
		ids = append(ids, s.ID)
	}
	collect := func(after string, n int) ([]string, bool) {
		var got []string
		ok := r.Scan(after, func(s Snapshot) bool {
			got = append(got, s.ID)
			if len(s.Warnings) != 1 {
				t.Errorf("warnings %v", s.Warnings)
			}
			return len(got) < n
		})
		return got, ok
	}
	if got, ok := collect("", 2); !ok || !slices.Equal(got, []string{ids[4], ids[3]}) {
		t.Fatalf("first page %v %v", got, ok)
	}
	if got, ok := collect(ids[3], 10); !ok || !slices.Equal(got, []string{ids[2], ids[1], ids[0]}) {
		t.Fatalf("after %s: %v %v", ids[3], got, ok)
	}
	if got, ok := collect(ids[0], 10); !ok || len(got) != 0 {
		t.Fatalf("after the oldest: %v %v", got, ok)
	}
	if _, ok := collect("gone", 10); ok {
		t.Fatal("a cursor naming no job was accepted")
	}
	// A snapshot's warnings are its own to append to.
	r.Scan("", func(s Snapshot) bool {
		s.Warnings = append(s.Warnings, "mine")
		return false
	})
	if s, _ := r.Get(ids[4]); len(s.Warnings) != 1 {
		t.Fatalf("the job's warnings changed: %v", s.Warnings)
	}
}
