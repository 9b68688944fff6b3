package handlers

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hvport/hvport/jobs"
)

// The cache answers what writeJSON(toJob(s)) would, for every version and
// rate estimate: a stale body would show a client an old job.
func TestJobBodiesFollowTheSnapshot(t *testing.T) {
	var c jobBodies
	want := func(s jobs.Snapshot) []byte {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(toJob(s))
		return buf.Bytes()
	}
	s := jobs.Snapshot{ID: "j1", Kind: jobs.KindExport, State: jobs.Running, Phase: "exporting <&>", Version: 3, BytesDone: 10}
	check := func(what string, s jobs.Snapshot) {
		t.Helper()
		got, err := c.json(s)
		if err != nil {
			t.Fatal(err)
		}
		if got.contentType != "application/json" || !bytes.Equal(got.body, want(s)) {
			t.Fatalf("%s: %s\nwant %s", what, got.body, want(s))
		}
	}
	check("first", s)
	check("again", s)
	s.BytesDone, s.Version = 20, 4
	check("a new version", s)
	rate, eta := int64(5), int64(2)
	s.BytesPerSecond, s.ETASeconds = &rate, &eta
	check("a new estimate, same version", s)
	eta = 1
	check("another estimate", s)
	// An older snapshot (a slower reader) does not replace a newer body,
	// and is still answered as itself.
	old := s
	old.Version, old.BytesDone = 3, 10
	check("an older version", old)
	if c.m["j1"].version != 4 {
		t.Fatalf("the cache went back to version %d", c.m["j1"].version)
	}
	for i := range maxJobBodies + 10 {
		c.json(jobs.Snapshot{ID: string(rune('a'+i%26)) + string(rune('0'+i/26)), Version: 1})
	}
	if len(c.m) > maxJobBodies {
		t.Fatalf("%d bodies kept, bound %d", len(c.m), maxJobBodies)
	}
}
