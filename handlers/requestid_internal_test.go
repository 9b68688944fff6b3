package handlers

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// Request ids are UUIDv7 as RFC 9562 defines them (checked with another
// implementation's parser): version 7, the RFC variant, the time of the
// request in their first 48 bits, and no two alike.
func TestRequestIDsAreUUIDv7(t *testing.T) {
	before := time.Now().UnixMilli()
	seen := map[string]bool{}
	var last string
	for range 10000 {
		id := newRequestID()
		u, err := uuid.Parse(id)
		if err != nil || u.String() != id {
			t.Fatalf("%q: %v", id, err)
		}
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d, variant %v", id, u.Version(), u.Variant())
		}
		sec, nsec := u.Time().UnixTime()
		ms := sec*1000 + nsec/1e6
		if ms < before || ms > time.Now().UnixMilli() {
			t.Fatalf("%s holds %d ms, made between %d and now", id, ms, before)
		}
		if seen[id] {
			t.Fatalf("%s twice", id)
		}
		seen[id] = true
		// Ids of later milliseconds sort after earlier ones.
		if last != "" && id[:13] < last[:13] {
			t.Fatalf("%s sorts before the earlier %s", id, last)
		}
		last = id
	}
}
