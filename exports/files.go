package exports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/hvport/hvport/errs"
)

// Serving a published export to another agent (issue #13): its manifest
// as it is on disk, and its files by their manifest paths. A path is only
// ever looked up in the manifest's list — never joined from what a client
// sent — and the file is opened through the export's directory (os.Root)
// after a walk that refuses links, so nothing outside the export can be
// named.

// maxManifestBytes bounds a manifest read into memory (one entry per file
// of an export: kilobytes).
const maxManifestBytes = 64 << 20

// ManifestBytes returns x's hvport-manifest.json as it is on disk (the
// bytes its ETag is computed from) and those bytes parsed. An export
// replaced or removed since x was found is NotFound.
func (s *Store) ManifestBytes(x Export) ([]byte, *Manifest, error) {
	f, _, err := s.openIn(x, ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, exportGone(x.Manifest.ID)
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, nil, errs.Wrap(errs.Internal, err, "read the manifest of export %s", x.Manifest.ID)
	}
	var m Manifest
	if len(b) > maxManifestBytes || json.NewDecoder(bytes.NewReader(b)).Decode(&m) != nil || m.validate() != nil || !strings.EqualFold(m.ID, x.Manifest.ID) {
		return nil, nil, exportGone(x.Manifest.ID)
	}
	return b, &m, nil
}

// OpenFile opens the file of export x whose manifest path is exactly p
// (forward slashes, as the manifest writes it) and returns it with its
// manifest entry. A path the manifest does not list is NotFound with a
// message that does not repeat it; a file whose size on disk is not the
// manifest's is a Conflict (it is not served: the export no longer is
// what its manifest says). The caller closes the file.
func (s *Store) OpenFile(x Export, p string) (*os.File, File, error) {
	var entry *File
	for i := range x.Manifest.Files {
		if x.Manifest.Files[i].Path == p {
			entry = &x.Manifest.Files[i]
			break
		}
	}
	if entry == nil {
		return nil, File{}, errs.E(errs.NotFound, "export %s has no file of that path in its manifest", x.Manifest.ID)
	}
	f, fi, err := s.openIn(x, entry.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, File{}, &errs.Error{Kind: errs.Conflict, Msg: "a file the manifest of export " + x.Manifest.ID + " lists is missing; verify the export",
			Extra: map[string]any{"target": entry.Path}}
	}
	if err != nil {
		return nil, File{}, err
	}
	if fi.Size() != entry.Size {
		f.Close()
		return nil, File{}, &errs.Error{Kind: errs.Conflict,
			Msg:   fmt.Sprintf("%s of export %s has %d bytes on disk, its manifest says %d: it is not served; verify the export", entry.Path, x.Manifest.ID, fi.Size(), entry.Size),
			Extra: map[string]any{"target": entry.Path}}
	}
	return f, *entry, nil
}

// openIn opens rel (a clean, slash-separated path from the manifest)
// below x's directory for reading. The directory is confined to the
// export roots again (it may have changed since the scan found it); below
// it every component is looked at with Lstat through an os.Root and must
// be a directory (the last one a regular file): a link of any kind, a
// device or a pipe is refused, and the handle opened must be the file the
// walk saw.
func (s *Store) openIn(x Export, rel string) (*os.File, fs.FileInfo, error) {
	if rel == "" || path.IsAbs(rel) || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || rel == ".." || strings.Contains(rel, `\`) {
		return nil, nil, &errs.Error{Kind: errs.Conflict, Msg: "a path in the manifest of export " + x.Manifest.ID + " is not a clean relative path; it is not served",
			Extra: map[string]any{"target": rel}}
	}
	where, err := s.Resolve("directory", x.Dir)
	if err != nil || !where.Exists || !where.IsDir {
		return nil, nil, exportGone(x.Manifest.ID)
	}
	root, err := os.OpenRoot(where.Abs)
	if err != nil {
		return nil, nil, exportGone(x.Manifest.ID)
	}
	defer root.Close()
	comps := strings.Split(rel, "/")
	var last fs.FileInfo
	for i := range comps {
		name := strings.Join(comps[:i+1], string(os.PathSeparator))
		fi, err := root.Lstat(name)
		if err != nil {
			return nil, nil, err // fs.ErrNotExist: the caller says what is missing
		}
		mode := fi.Mode()
		want := mode.IsDir()
		if i == len(comps)-1 {
			want = mode.IsRegular()
		}
		if !want || mode&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return nil, nil, &errs.Error{Kind: errs.Conflict, Msg: "a file of export " + x.Manifest.ID + " is not a regular file reached without links; it is not served",
				Extra: map[string]any{"target": rel}}
		}
		last = fi
	}
	f, err := root.Open(strings.Join(comps, string(os.PathSeparator)))
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || !os.SameFile(fi, last) {
		f.Close()
		return nil, nil, &errs.Error{Kind: errs.Conflict, Msg: "a file of export " + x.Manifest.ID + " changed while it was being opened; ask again",
			Extra: map[string]any{"target": rel}}
	}
	return f, fi, nil
}

func exportGone(id string) error {
	return errs.E(errs.NotFound, "no complete export with id %q under the export roots", id)
}
