package jobs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/hvport/hvport/internal/atomicfile"
)

// migrateBatch is how many job files one transaction moves: it bounds the
// memory a migration of a large directory holds.
const migrateBatch = 5000

// migrate moves the records of the one-file-per-job store (<dir>/<id>.json,
// before jobs.db) into the database: each batch is committed (fsync)
// before its files are removed, so a crash in between leaves a record in
// both places, and the next Open keeps the newer revision. A file that
// does not decode is left where it is, and logged.
func (s *store) migrate() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	moved := 0
	for len(names) > 0 {
		batch := names[:min(migrateBatch, len(names))]
		names = names[len(batch):]
		var keys, vals [][]byte
		var files []string
		for _, name := range batch {
			b, err := os.ReadFile(filepath.Join(s.dir, name))
			if err != nil {
				s.log.Warn("cannot read a job record to move it into the database", zap.String("file", name), zap.Error(err))
				continue
			}
			keys, vals, files = append(keys, []byte(name)), append(vals, b), append(files, name)
		}
		recs := decodeRecords(keys, vals, s.log)
		var done []string
		err := s.db.Update(func(tx *bolt.Tx) error {
			jb := tx.Bucket(jobsBucket)
			for i, rec := range recs {
				if rec.ID == "" {
					continue // not a record: left for a person to look at
				}
				done = append(done, files[i])
				if cur := jb.Get([]byte(rec.ID)); cur != nil {
					var have struct{ Rev uint64 }
					if json.Unmarshal(cur, &have) == nil && have.Rev >= rec.Rev {
						continue
					}
				}
				if err := jb.Put([]byte(rec.ID), vals[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range done {
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		moved += len(done)
	}
	if moved > 0 {
		s.log.Info("moved job records from one file per job into the database", zap.Int("jobs", moved), zap.String("database", storeFile))
		return atomicfile.SyncDir(s.dir)
	}
	return nil
}
