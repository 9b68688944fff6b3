package progress

import "testing"

type rec struct {
	discard
	last int
}

func (r *rec) Progress(p int) { r.last = p }

func TestScale(t *testing.T) {
	r := &rec{}
	s := Scale(r, 10, 90)
	for in, want := range map[int]int{0: 10, 50: 50, 100: 90} {
		s.Progress(in)
		if r.last != want {
			t.Errorf("%d → %d, want %d", in, r.last, want)
		}
	}
	Scale(Scale(r, 0, 50), 50, 100).Progress(100) // nested: 100 of the upper half of 0-50
	if r.last != 50 {
		t.Errorf("nested = %d", r.last)
	}
}
