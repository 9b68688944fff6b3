package sim

import "github.com/hvport/hvport/wmi"

// JobDone returns a channel closed once the job at path has ended — its
// final state is recorded by then — or nil when the host has no such
// visible job. The package's tests wait on it, and on the FakeClock
// (Waiting), instead of polling a job against a real-time deadline.
func (h *Host) JobDone(path string) <-chan struct{} {
	p, err := wmi.ParsePath(path)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if j := h.jobLocked(p.Key("InstanceID")); j != nil {
		return j.done
	}
	return nil
}
