package exports

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/roots"
)

// Hidden names next to an export's final place: a staging directory being
// written, and an old export being replaced. Listing skips both; start-up
// sweeps them.
const (
	stagingPrefix = ".hvport-staging-"
	retiredPrefix = ".hvport-retired-"
)

// maxScanDepth bounds how deep below a root exports are looked for
// (root/name and root/dir/<VM name> are the usual places).
const maxScanDepth = 4

// Store knows the export roots and the exports under them.
type Store struct {
	set       *roots.Set
	log       *zap.Logger
	freeSpace func(path string) (uint64, error)

	mu           sync.Mutex
	destinations map[string]string   // guarded by mu; an export's final path → the id of the export (or delete) that holds it
	staging      map[string]struct{} // guarded by mu; staging directories of this process's exports
}

// StoreOptions configure a Store.
type StoreOptions struct {
	// Roots are the directories exports may be written under; required.
	Roots []string
	// FreeSpace reports the bytes available on a path's volume; default
	// the OS's (tests inject a small disk).
	FreeSpace func(path string) (uint64, error)
	Logger    *zap.Logger
}

// NewStore creates the roots if needed and returns the store.
func NewStore(o StoreOptions) (*Store, error) {
	if len(o.Roots) == 0 {
		return nil, errors.New("exports: at least one export root is required")
	}
	s := &Store{log: o.Logger, freeSpace: o.FreeSpace, destinations: map[string]string{}, staging: map[string]struct{}{}}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.freeSpace == nil {
		s.freeSpace = FreeSpace
	}
	for _, r := range o.Roots {
		if !filepath.IsAbs(r) {
			return nil, errors.New("exports: export root " + r + " is not absolute")
		}
		if err := os.MkdirAll(filepath.Clean(r), 0o755); err != nil {
			return nil, err
		}
	}
	set, err := roots.New("export", o.Roots)
	if err != nil {
		return nil, err
	}
	s.set = set
	return s, nil
}

// Roots returns the export roots, canonical (symlinks resolved).
func (s *Store) Roots() []string { return s.set.Dirs() }

// Resolve confines a client's export directory to the export roots
// (package roots: lexical rules, then no links or mounts on the way; a
// path outside every root is refused the same whether it exists or not).
func (s *Store) Resolve(field, dir string) (roots.Path, error) { return s.set.Resolve(field, dir) }

// claim reserves a final path for one export at a time.
func (s *Store) claim(final, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, busy := s.destinations[final]; busy {
		return &errs.Error{Kind: errs.Conflict, Msg: "export " + other + " is already being written to " + final,
			Extra: map[string]any{"target": final}}
	}
	s.destinations[final] = id
	return nil
}

func (s *Store) release(final string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.destinations, final)
}

// Export is a complete export found on disk.
type Export struct {
	Dir      string
	Manifest *Manifest
}

// List returns the complete exports under the roots, newest first.
func (s *Store) List() []Export {
	var out []Export
	seen := map[string]bool{}
	for _, root := range s.set.Dirs() {
		s.scan(root, 0, func(e Export) {
			if !seen[e.Manifest.ID] {
				seen[e.Manifest.ID] = true
				out = append(out, e)
			}
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Manifest.FinishedAt.After(out[j].Manifest.FinishedAt) })
	return out
}

func (s *Store) scan(dir string, depth int, found func(Export)) {
	if m, err := readManifest(dir); err == nil {
		found(Export{Dir: dir, Manifest: m})
		return // an export's own folders hold no further exports
	} else if !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("ignoring an invalid export manifest", zap.String("dir", dir), zap.Error(err))
	}
	if depth >= maxScanDepth {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			s.scan(filepath.Join(dir, e.Name()), depth+1, found)
		}
	}
}

// Get finds one export by id.
func (s *Store) Get(id string) (Export, error) {
	for _, e := range s.List() {
		if strings.EqualFold(e.Manifest.ID, id) {
			return e, nil
		}
	}
	return Export{}, errs.E(errs.NotFound, "no complete export with id %q under the export roots", id)
}

// Delete removes an export: first its manifest, so that a crash half way
// never leaves a directory that looks complete, then the files.
func (s *Store) Delete(id string) (Export, error) {
	e, err := s.Get(id)
	if err != nil {
		return Export{}, err
	}
	if err := s.claim(e.Dir, "delete-"+id); err != nil {
		return Export{}, err
	}
	defer s.release(e.Dir)
	if err := os.Remove(filepath.Join(e.Dir, ManifestName)); err != nil {
		return Export{}, errs.Wrap(errs.Internal, err, "delete export %s", id)
	}
	if err := os.RemoveAll(e.Dir); err != nil {
		return Export{}, errs.Wrap(errs.Internal, err, "delete export %s: its manifest is gone, some files remain in %s", id, e.Dir)
	}
	s.log.Info("export deleted", zap.String("export_id", id), zap.String("dir", e.Dir))
	return e, nil
}

// useStaging and doneStaging mark a staging directory as this process's,
// so a sweep leaves it alone.
func (s *Store) useStaging(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staging[dir] = struct{}{}
}

func (s *Store) doneStaging(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.staging, dir)
}

func (s *Store) ownStaging(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.staging[dir]
	return ok
}

// SweepStaging removes staging and retired directories left by a crash or
// a restart. It must not run while Hyper-V may still be writing into a
// staging directory of a detached export (see cmd/server: it sweeps once
// no Hyper-V job is running); this process's own exports are skipped.
func (s *Store) SweepStaging() {
	for _, root := range s.set.Dirs() {
		s.sweep(root, 0)
	}
}

func (s *Store) sweep(dir string, depth int) {
	entries, err := os.ReadDir(dir)
	if err != nil || depth > maxScanDepth {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), stagingPrefix) || strings.HasPrefix(e.Name(), retiredPrefix) {
			if s.ownStaging(p) {
				continue
			}
			s.recover(p)
			continue
		}
		if _, err := os.Stat(filepath.Join(p, ManifestName)); err == nil {
			continue
		}
		s.sweep(p, depth+1)
	}
}

// hiddenName is the name of a staging or retired directory next to final:
// prefix, export id, ".", final's name — so that after a crash the sweep
// knows where its content belongs.
func hiddenName(prefix, id, final string) string {
	return prefix + id + "." + filepath.Base(final)
}

// recover handles one staging or retired directory a crash left:
//
//   - a retired export whose destination is empty again (the crash came
//     between moving it aside and publishing its replacement) goes back;
//   - a staging directory holding a complete export (its manifest was
//     written: only the final rename was missing) is published, when its
//     destination is free;
//   - anything else is incomplete and removed.
//
// Nothing that was complete is lost.
func (s *Store) recover(p string) {
	log := s.log.With(zap.String("dir", p))
	name := filepath.Base(p)
	final := ""
	if i := strings.Index(name[len(stagingPrefix):], "."); i >= 0 && len(name) > len(stagingPrefix) {
		// Both prefixes have the same length; the id is a UUID (no dot).
		final = filepath.Join(filepath.Dir(p), name[len(stagingPrefix)+i+1:])
	}
	free := final != "" && !exists(final)
	switch {
	case strings.HasPrefix(name, retiredPrefix) && free && validExport(p):
		if err := os.Rename(p, final); err == nil {
			log.Warn("restored an export that a crash left moved aside", zap.String("export", final))
			return
		}
	case strings.HasPrefix(name, stagingPrefix) && free:
		for _, layout := range []string{filepath.Join(p, filepath.Base(final)), p} {
			if !validExport(layout) {
				continue
			}
			if err := os.Rename(layout, final); err == nil {
				log.Warn("published an export that a crash left complete in staging", zap.String("export", final))
				if layout != p {
					os.RemoveAll(p)
				}
				return
			}
		}
	}
	if err := os.RemoveAll(p); err != nil {
		log.Warn("cannot remove a stale staging directory", zap.Error(err))
	} else {
		log.Info("removed a stale staging directory")
	}
}

func validExport(dir string) bool {
	_, err := readManifest(dir)
	return err == nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
