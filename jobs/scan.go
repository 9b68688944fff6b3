package jobs

import "slices"

// Scan calls visit with the jobs newest first, starting after the job
// with id after (from the newest when after is ""), until visit returns
// false. It reports false when after names no job the registry holds.
//
// Unlike List it copies only the job visit is looking at, so a page of
// GET /v1/jobs costs the jobs it passes over, not all of them
// (docs/BENCHMARKS.md). Snapshots share their Warnings with the job,
// capped: appending to them copies.
func (r *Registry) Scan(after string, visit func(Snapshot) bool) bool {
	r.mu.Lock()
	js := slices.Clone(r.order)
	start := r.jobs[after]
	r.mu.Unlock()
	i := len(js) - 1
	if after != "" {
		if start == nil {
			return false
		}
		for i >= 0 && js[i] != start {
			i--
		}
		if i < 0 {
			return false
		}
		i--
	}
	for ; i >= 0; i-- {
		j := js[i]
		j.mu.Lock()
		s := j.snap
		j.mu.Unlock()
		s.Warnings = s.Warnings[:len(s.Warnings):len(s.Warnings)]
		if !visit(s) {
			break
		}
	}
	return true
}
