// Per-VM serialisation inside this process: one inspection of an export
// at a time per VM id (two would collide in Hyper-V), and the planned VMs
// an import job is working on (not to be discarded under it).

package imports

import (
	"strings"
	"sync"
)

// lockVM serializes work that creates a planned VM with a given VM id in
// this process: two at once would collide in Hyper-V ("file in use").
func (s *Service) lockVM(id string) func() {
	s.mu.Lock()
	if s.readings == nil {
		s.readings = map[string]*sync.Mutex{}
	}
	m := s.readings[strings.ToUpper(id)]
	if m == nil {
		m = &sync.Mutex{}
		s.readings[strings.ToUpper(id)] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// PlannedInUse reports whether an import job of this process is working on
// the planned VM (so it must not be discarded under it).
func (s *Service) PlannedInUse(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[strings.ToUpper(id)]
}

func (s *Service) setActive(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		s.active = map[string]bool{}
	}
	if on {
		s.active[strings.ToUpper(id)] = true
	} else {
		delete(s.active, strings.ToUpper(id))
	}
}
