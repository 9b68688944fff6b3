package wmi

import "testing"

// JobState 11 (Service) and 12 (Query Pending) are not ends: a job there
// goes on (issue #10, point 2; they counted as terminal before).
func TestJobStateTerminal(t *testing.T) {
	for s, want := range map[uint16]bool{2: false, 3: false, 4: false, 5: false, 6: false, 11: false, 12: false,
		7: true, 8: true, 9: true, 10: true, 32768: true} {
		if got := JobStateTerminal(s); got != want {
			t.Errorf("JobStateTerminal(%d = %s) = %v, want %v", s, JobStateText(s), got, want)
		}
	}
}
