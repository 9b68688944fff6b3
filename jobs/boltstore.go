package jobs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// The store is one bbolt database, <dir>/jobs.db: a bucket of job records
// (JSON, by job id) and one of the idempotency keys that outlive their
// job (keyEntry). It replaced one JSON file per job, whose start-up read
// of 100,000 jobs missed its target (docs/BENCHMARKS.md, "Job store");
// openStore moves such files into it (migrate.go).
//
// Every write is a transaction committed with fsync before it returns, so
// a job is durable before Submit answers. Only one process may open the
// database (bbolt locks the file; a second server is refused earlier, by
// internal/dirlock). Within a process, stores of one directory share one
// handle (sharedDBs): a registry closes its store in Shutdown, and a save
// after that (a cancel still in flight during the drain) opens the
// database for the time of its write.

// storeFile is the database's name in the store's directory.
const storeFile = "jobs.db"

// storeLockWait bounds the wait for the database's file lock, held by
// another registry on the same directory that was not shut down.
const storeLockWait = 5 * time.Second

var (
	jobsBucket = []byte("jobs")
	keysBucket = []byte("idempotency-keys")
)

// store writes records; it drops a write older than one already made
// (saves of one job can race between a worker and a cancel).
type store struct {
	dir  string
	path string // the database
	db   *bolt.DB
	log  *zap.Logger

	mu      sync.Mutex
	rev     map[string]uint64 // guarded by mu; newest revision written per job
	closed  bool              // guarded by mu
	saveErr error             // guarded by mu; the last save's error, nil once one succeeds
}

// keyEntry is an idempotency key whose job was pruned before the key was
// KeyRetention old: what it was used for, and when.
type keyEntry struct {
	Job         string    `json:"job"`
	Fingerprint string    `json:"fingerprint"`
	At          time.Time `json:"at"`
}

func openStore(dir string, log *zap.Logger) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, storeFile))
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	db, err := acquireDB(path)
	if err != nil {
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{jobsBucket, keysBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	s := &store{dir: dir, path: path, db: db, log: log, rev: map[string]uint64{}}
	if err == nil {
		err = s.migrate()
	}
	if err != nil {
		releaseDB(path)
		return nil, fmt.Errorf("jobs: %s: %w", path, err)
	}
	return s, nil
}

// close lets the database go; a later write opens it again for its time.
func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return releaseDB(s.path)
}

// updateLocked runs a write transaction; call with s.mu held.
func (s *store) updateLocked(fn func(*bolt.Tx) error) error {
	if !s.closed {
		return s.db.Update(fn)
	}
	db, err := acquireDB(s.path)
	if err != nil {
		return err
	}
	defer releaseDB(s.path)
	return db.Update(fn)
}

// sharedDBs holds the databases open in this process, by path, with how
// many stores use each: bbolt's file lock would make a second handle on
// the same file wait for the first.
var sharedDBs = struct {
	sync.Mutex
	m map[string]*sharedDB
}{m: map[string]*sharedDB{}}

type sharedDB struct {
	db   *bolt.DB
	refs int
}

func acquireDB(path string) (*bolt.DB, error) {
	sharedDBs.Lock()
	defer sharedDBs.Unlock()
	if d := sharedDBs.m[path]; d != nil {
		d.refs++
		return d.db, nil
	}
	// The freelist is not written on each commit (etcd's setting): commits
	// write less, and opening rebuilds it from the pages.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: storeLockWait, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if err != nil {
		return nil, err
	}
	sharedDBs.m[path] = &sharedDB{db: db, refs: 1}
	return db, nil
}

func releaseDB(path string) error {
	sharedDBs.Lock()
	defer sharedDBs.Unlock()
	d := sharedDBs.m[path]
	if d == nil {
		return nil
	}
	if d.refs--; d.refs > 0 {
		return nil
	}
	delete(sharedDBs.m, path)
	return d.db.Close()
}

func (s *store) save(rec record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.Rev <= s.rev[rec.ID] && s.rev[rec.ID] != 0 {
		return
	}
	b, err := json.Marshal(rec)
	if err == nil {
		err = s.updateLocked(func(tx *bolt.Tx) error { return tx.Bucket(jobsBucket).Put([]byte(rec.ID), b) })
	}
	s.saveErr = err
	if err != nil {
		// The job goes on; only its history across a restart is at risk.
		s.log.Error("cannot persist job", zap.String("job_id", rec.ID), zap.Error(err))
		return
	}
	s.rev[rec.ID] = rec.Rev
}

// check reports why the store cannot be used now: closed, a read that
// fails, or a last write that failed.
func (s *store) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("the job store %s is closed", s.path)
	}
	if s.saveErr != nil {
		return fmt.Errorf("the job store's last write failed: %w", s.saveErr)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(jobsBucket) == nil {
			return fmt.Errorf("the job store %s has no jobs bucket", s.path)
		}
		return nil
	})
}

func (s *store) remove(id string) { s.prune([]string{id}, nil, nil) }

// prune removes jobs' records, records the keys that outlive them and
// drops expired keys, in one transaction: a key is never lost between its
// job's removal and its own entry.
func (s *store) prune(ids []string, keep map[string]keyEntry, drop []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.rev, id)
	}
	err := s.updateLocked(func(tx *bolt.Tx) error {
		jb, kb := tx.Bucket(jobsBucket), tx.Bucket(keysBucket)
		for _, id := range ids {
			if err := jb.Delete([]byte(id)); err != nil {
				return err
			}
		}
		for k, e := range keep {
			b, err := json.Marshal(e)
			if err == nil {
				err = kb.Put([]byte(k), b)
			}
			if err != nil {
				return err
			}
		}
		for _, k := range drop {
			if err := kb.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The records stay; the next Open prunes them again.
		s.log.Warn("cannot remove pruned jobs from the store", zap.Int("jobs", len(ids)), zap.Error(err))
	}
}

// load reads every record, oldest first; unreadable records are skipped
// and logged. Start-up time is decoding JSON (docs/BENCHMARKS.md), done on
// every CPU.
func (s *store) load() []record {
	var out []record
	err := s.db.View(func(tx *bolt.Tx) error {
		var keys, vals [][]byte // valid until the transaction ends
		if err := tx.Bucket(jobsBucket).ForEach(func(k, v []byte) error { keys, vals = append(keys, k), append(vals, v); return nil }); err != nil {
			return err
		}
		recs := decodeRecords(keys, vals, s.log)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, rec := range recs {
			if rec.ID != "" {
				out = append(out, rec)
				s.rev[rec.ID] = rec.Rev
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("cannot read the job store", zap.Error(err))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// decodeRecords decodes vals on every CPU; a value that does not decode is
// logged (with its key) and left as a zero record.
func decodeRecords(keys, vals [][]byte, log *zap.Logger) []record {
	recs := make([]record, len(vals))
	workers := min(runtime.GOMAXPROCS(0), len(vals)/256+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(vals); i += workers {
				if err := json.Unmarshal(vals[i], &recs[i]); err != nil || recs[i].ID == "" {
					log.Warn("skipping an unreadable job record", zap.ByteString("key", keys[i]), zap.Error(err))
					recs[i] = record{}
				}
			}
		}()
	}
	wg.Wait()
	return recs
}

// loadKeys reads the keys that outlive their jobs.
func (s *store) loadKeys() map[string]keyEntry {
	out := map[string]keyEntry{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(keysBucket).ForEach(func(k, v []byte) error {
			var e keyEntry
			if err := json.Unmarshal(v, &e); err != nil {
				s.log.Warn("skipping an unreadable idempotency key", zap.Error(err))
				return nil
			}
			out[string(k)] = e
			return nil
		})
	})
	if err != nil {
		s.log.Error("cannot read the idempotency keys", zap.Error(err))
	}
	return out
}
