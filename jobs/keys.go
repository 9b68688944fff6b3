package jobs

import "time"

// Idempotency keys. A key (already scoped to the caller by the handler)
// names the job the first request with it started and that request's
// fingerprint. It lives as long as its job is retained, and at least
// KeyRetention after it was first used: a job pruned sooner (Retain,
// MaxAge) leaves its key behind, in memory and in the store's key index,
// so that a late retry is told the job is gone instead of starting a
// second export. Expired keys are dropped by the pruner.

// KeyRetention is how long an idempotency key is kept at least. The IETF
// draft (draft-ietf-httpapi-idempotency-key-header) leaves the expiry to
// the server; 24 h covers a client retrying over a night.
const KeyRetention = 24 * time.Hour

// keyed is what an idempotency key refers to. at is when the key was
// first used, set once its job is pruned (until then the job's CreatedAt
// is that time).
type keyed struct {
	id, fingerprint string
	at              time.Time
}

// KeyUse is what an idempotency key was used for.
type KeyUse struct {
	JobID       string
	Fingerprint string // of the request that first used the key
	// Job is that job; nil once the registry pruned it: the key still
	// stands for it until Expires.
	Job     *Snapshot
	Expires time.Time // set when Job is nil
}

// Key reports what a request with this idempotency key started: a job the
// registry holds, or one it pruned within the key's KeyRetention.
func (r *Registry) Key(key string) (KeyUse, bool) {
	r.mu.Lock()
	k, ok := r.keys[key]
	j := r.jobs[k.id]
	now := r.opts.Now()
	r.mu.Unlock()
	if !ok {
		return KeyUse{}, false
	}
	u := KeyUse{JobID: k.id, Fingerprint: k.fingerprint}
	if j != nil {
		s := j.snapshot()
		u.Job = &s
		return u, true
	}
	// Expired and not yet dropped by the pruner: the key is free again.
	if u.Expires = k.at.Add(KeyRetention); !now.Before(u.Expires) {
		return KeyUse{}, false
	}
	return u, true
}

// forgetKeyLocked deals with the key of a job being pruned: it goes with
// the job, or stays (and is written to the store's key index) while it is
// younger than KeyRetention.
func (r *Registry) forgetKeyLocked(key, id string, used, now time.Time) {
	k, ok := r.keys[key]
	if key == "" || !ok || k.id != id {
		return
	}
	if now.Sub(used) >= KeyRetention {
		delete(r.keys, key)
		return
	}
	k.at = used
	r.keys[key] = k
	if r.store != nil {
		if r.pruned.keep == nil {
			r.pruned.keep = map[string]keyEntry{}
		}
		r.pruned.keep[key] = keyEntry{Job: id, Fingerprint: k.fingerprint, At: used}
	}
}

// expireKeysLocked drops the keys that outlived their job and are now
// KeyRetention old.
func (r *Registry) expireKeysLocked(now time.Time) {
	for key, k := range r.keys {
		if r.jobs[k.id] == nil && now.Sub(k.at) >= KeyRetention {
			delete(r.keys, key)
			r.dropKeyLocked(key)
		}
	}
}

func (r *Registry) dropKeyLocked(key string) {
	if r.store == nil {
		return
	}
	delete(r.pruned.keep, key)
	r.pruned.drop = append(r.pruned.drop, key)
	r.signalPruner()
}

// loadKeysLocked brings back, at Open, the keys that outlive their job;
// the expired ones are dropped from the store.
func (r *Registry) loadKeysLocked() {
	now := r.opts.Now()
	for key, e := range r.store.loadKeys() {
		if _, ok := r.keys[key]; ok {
			continue // its job is back too: a crash came between the two writes
		}
		if now.Sub(e.At) >= KeyRetention {
			r.dropKeyLocked(key)
			continue
		}
		r.keys[key] = keyed{id: e.Job, fingerprint: e.Fingerprint, at: e.At}
	}
}
