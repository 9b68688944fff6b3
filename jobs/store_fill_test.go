package jobs

import (
	"encoding/json"
	"iter"

	bolt "go.etcd.io/bbolt"
)

// fill writes records as save would, many to a transaction (benchmark
// setup: a commit per record is not what is measured).
func (s *store) fill(recs iter.Seq[record]) error {
	batch := make(map[string][]byte, 5000)
	put := func() error {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for id, b := range batch {
				if err := tx.Bucket(jobsBucket).Put([]byte(id), b); err != nil {
					return err
				}
			}
			return nil
		})
		clear(batch)
		return err
	}
	for rec := range recs {
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if batch[rec.ID] = b; len(batch) == 5000 {
			if err := put(); err != nil {
				return err
			}
		}
	}
	return put()
}
