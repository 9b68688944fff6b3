package exports

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/atomicfile"
	"github.com/hvport/hvport/roots"
)

// An export arriving from another agent (transfers/): its files are
// written into a staging directory next to its final place under the
// first export root, and published — with the source's manifest bytes,
// unchanged — only once every file matched it. It is then an export of
// this host like any other, under the source's export id.

// ParseManifest decodes and checks a manifest (one received from another
// agent).
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the manifest is not valid JSON: %w", err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Incoming is an export being received.
type Incoming struct {
	s       *Store
	ID      string
	Final   string // where it is published
	Staging string // where its files are written
}

// Receive claims the place for an arriving export: <first export
// root>/<VM name>-<id's first 8 characters>, staged next to it. When an
// export with this id is complete under the roots already, it returns
// that one instead (a pull that finished before).
func (s *Store) Receive(m *Manifest) (*Incoming, *Export, error) {
	if e, err := s.Get(m.ID); err == nil {
		return nil, &e, nil
	}
	name := m.VM.Name + "-" + shortID(m.ID)
	if roots.CheckName(roots.Native(), name) != nil {
		name = "export-" + shortID(m.ID)
	}
	final := filepath.Join(s.set.Dirs()[0], name)
	staging := filepath.Join(filepath.Dir(final), hiddenName(stagingPrefix, m.ID, final))
	in, err := s.ReceiveAt(m.ID, final, staging)
	return in, nil, err
}

// ReceiveAt claims a place Receive chose before (a restart resuming a
// pull).
func (s *Store) ReceiveAt(id, final, staging string) (*Incoming, error) {
	if err := checkDestination(final, false); err != nil {
		return nil, err
	}
	if err := s.claim(final, id); err != nil {
		return nil, err
	}
	s.useStaging(staging)
	if err := os.MkdirAll(staging, 0o755); err != nil {
		s.release(final)
		s.doneStaging(staging)
		return nil, errs.Wrap(errs.Internal, err, "create the staging directory for the arriving export")
	}
	return &Incoming{s: s, ID: id, Final: final, Staging: staging}, nil
}

// Publish checks the received files against the manifest (every file
// there with its size, nothing more — their SHA-256 was checked as they
// arrived), writes the manifest bytes and renames the export into place.
func (in *Incoming) Publish(manifest []byte) (Export, error) {
	m, err := ParseManifest(manifest)
	if err != nil {
		return Export{}, errs.Wrap(errs.HostFailed, err, "the source's manifest")
	}
	if !strings.EqualFold(m.ID, in.ID) {
		return Export{}, errs.E(errs.HostFailed, "the source's manifest is for export %s, not %s", m.ID, in.ID)
	}
	want := map[string]int64{}
	for _, f := range m.Files {
		want[f.Path] = f.Size
	}
	var extra []string
	err = filepath.WalkDir(in.Staging, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(in.Staging, p)
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size, ok := want[rel]
		switch {
		case !ok:
			extra = append(extra, rel)
		case fi.Size() != size:
			return fmt.Errorf("%s has %d bytes, the manifest says %d", rel, fi.Size(), size)
		}
		delete(want, rel)
		return nil
	})
	if err == nil && len(want) > 0 {
		for p := range want {
			err = fmt.Errorf("%s is missing", p)
			break
		}
	}
	if err == nil && len(extra) > 0 {
		err = fmt.Errorf("%s is not in the manifest", extra[0])
	}
	if err != nil {
		return Export{}, errs.Wrap(errs.HostFailed, err, "the received export does not match its manifest")
	}
	if err := atomicfile.WriteFile(filepath.Join(in.Staging, ManifestName), manifest); err != nil {
		return Export{}, errs.Wrap(errs.Internal, err, "write the received manifest")
	}
	if err := os.Rename(in.Staging, in.Final); err != nil {
		return Export{}, errs.Wrap(errs.Internal, err, "publish the received export")
	}
	if err := atomicfile.SyncDir(filepath.Dir(in.Final)); err != nil {
		in.s.log.Warn("cannot flush the export's parent directory", zap.Error(err))
	}
	in.Release()
	return Export{Dir: in.Final, Manifest: m}, nil
}

// Discard removes what was received and gives the place up.
func (in *Incoming) Discard() {
	if err := os.RemoveAll(in.Staging); err != nil && !errors.Is(err, os.ErrNotExist) {
		in.s.log.Warn("cannot remove a discarded transfer's staging directory", zap.String("dir", in.Staging), zap.Error(err))
	}
	in.Release()
}

// Release gives the place up, leaving the files (a shutdown: a restart
// resumes the transfer).
func (in *Incoming) Release() {
	in.s.release(in.Final)
	in.s.doneStaging(in.Staging)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ReceiveSpace reports the bytes available where an export would be
// received (the first export root's volume).
func (s *Store) ReceiveSpace() (uint64, error) { return s.freeSpace(s.set.Dirs()[0]) }
