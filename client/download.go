package client

// Downloading an export into a local directory — what "hvport exports
// download" runs: the pull engine (pull.go) with this client as the
// source, a checkpoint kept in the directory so that running it again
// goes on where it stopped, and the manifest written last, so that a
// directory holding hvport-manifest.json holds the whole export, every
// file checked against it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Names of the files DownloadExport writes next to the export's files.
const (
	// ManifestFileName is the export's manifest, written last: its
	// bytes exactly as the server stores them.
	ManifestFileName = "hvport-manifest.json"
	// DownloadCheckpointName is an unfinished download's state: which
	// export, and how far each file got. It is removed on success.
	DownloadCheckpointName = ".hvport-download.json"
)

// DownloadOptions tune DownloadExport.
type DownloadOptions struct {
	// Pull tunes the transfer: files fetched at once (default 2),
	// retries, a bound on the rate, how often the checkpoint is written.
	// Zero values take NewPuller's defaults.
	Pull PullOptions
	// Progress, when not nil, is told the bytes in the directory against
	// the export's size as they arrive (what an interrupted run left
	// counts as done from the start), the percent, and warnings (a file
	// that arrived damaged and is fetched again).
	Progress PullProgress
}

// ErrDirectoryInUse is returned (wrapped, naming what is there) by
// DownloadExport for a directory that holds something other than this
// export's download: another export or its unfinished download, or any
// other file.
var ErrDirectoryInUse = errors.New("directory in use")

// downloadState is DownloadCheckpointName's content.
type downloadState struct {
	Format   int    `json:"format"` // 1
	ExportID string `json:"exportId"`
	// ManifestSHA256 is the SHA-256 of the manifest's bytes the download
	// was started with: the files' offsets and hash states are of it.
	ManifestSHA256 string         `json:"manifestSha256"`
	Pull           PullCheckpoint `json:"pull"`
}

// DownloadExport reads the export's manifest and fetches every file of it
// into dir (created if needed), several at once, each hashed while it is
// written and compared with the manifest (a damaged file is fetched
// again; one that never matches fails the download with a *PullError
// naming it). The manifest's bytes are written last, as
// hvport-manifest.json, exactly as the server stores them.
//
// The download's state is kept in dir/.hvport-download.json, replaced
// atomically at every checkpoint: running DownloadExport again after an
// interruption (a cancelled ctx, a dropped connection, a killed process)
// goes on from there — each file from its last flushed offset, with a
// Range request — instead of starting over. The file is removed on
// success. A directory that already holds this export whole (its
// manifest, and every file of the manifest's size) is left as it is.
// Any other directory that is not empty — another export, another
// export's unfinished download, other files — is refused with
// ErrDirectoryInUse: nothing in it is touched.
//
// Works with a grant as the credential (WithToken(grant.Token)).
func (c *Client) DownloadExport(ctx context.Context, exportID, dir string, opts DownloadOptions) (Manifest, error) {
	m, raw, err := c.ExportManifest(ctx, exportID)
	if err != nil {
		return Manifest{}, err
	}
	if !strings.EqualFold(m.ID, exportID) {
		return Manifest{}, fmt.Errorf("hvport client: asked for export %s, the server answered with the manifest of %s", exportID, m.ID)
	}
	files := make([]PullFile, 0, len(m.Files))
	var total int64
	for _, f := range m.Files {
		if f.Path == ManifestFileName || f.Path == DownloadCheckpointName {
			return m, fmt.Errorf("hvport client: export %s lists a file named %s, which a download keeps for itself", m.ID, f.Path)
		}
		files = append(files, PullFile{Path: f.Path, Size: f.Size, SHA256: f.Sha256})
		total += f.Size
	}
	prog := opts.Progress
	if prog == nil {
		prog = nopPullProgress{}
	}
	sum := sha256.Sum256(raw)
	d := &download{dir: dir, state: downloadState{Format: 1, ExportID: m.ID, ManifestSHA256: hex.EncodeToString(sum[:])}, prog: prog}
	complete, err := d.prepare(raw, files)
	if err != nil {
		return m, err
	}
	if complete {
		prog.Bytes(total, total)
		prog.Progress(100)
		return m, nil
	}
	// The checkpoint names the export before the first file is created,
	// so the directory is this export's download from now on.
	if err := d.save(d.state.Pull); err != nil {
		return m, err
	}
	if d.dropManifest {
		if err := os.Remove(filepath.Join(dir, ManifestFileName)); err != nil {
			return m, fmt.Errorf("hvport client: %w", err)
		}
	}
	cp := d.state.Pull
	err = NewPuller(opts.Pull).Pull(ctx, exportSource{c: c, id: m.ID}, files, dir, &cp, d.saveLogged, prog)
	if err != nil {
		return m, err
	}
	if err := writeFileAtomic(filepath.Join(dir, ManifestFileName), raw); err != nil {
		return m, fmt.Errorf("hvport client: writing the manifest: %w", err)
	}
	if err := os.Remove(d.checkpointPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("hvport client: the download is complete, but its checkpoint stays: %w", err)
	}
	removeOurTemps(dir)
	syncDir(dir)
	return m, nil
}

// exportSource reads an export's files through the client, for the pull
// engine.
type exportSource struct {
	c  *Client
	id string
}

func (s exportSource) Open(ctx context.Context, path string, offset int64, etag string) (io.ReadCloser, int64, error) {
	body, info, err := s.c.DownloadExportFile(ctx, s.id, path, offset, etag)
	if err != nil {
		return nil, 0, err // a *Problem says itself whether asking again can help
	}
	return body, info.Offset, nil
}

type download struct {
	dir   string
	state downloadState
	prog  PullProgress

	// dropManifest: the manifest in dir is of an export that is not
	// whole there; it is removed before any file is fetched.
	dropManifest bool

	mu     sync.Mutex // serialises the checkpoint's writes
	warned bool       // guarded by mu
}

func (d *download) checkpointPath() string { return filepath.Join(d.dir, DownloadCheckpointName) }

// prepare decides what dir holds: nothing (a new download), this export's
// unfinished download (its checkpoint, in d.state.Pull), this export
// complete, or something else (ErrDirectoryInUse).
func (d *download) prepare(raw []byte, files []PullFile) (complete bool, err error) {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return false, fmt.Errorf("hvport client: %w", err)
	}
	inUse := func(format string, args ...any) error {
		return fmt.Errorf("hvport client: %w: %s %s", ErrDirectoryInUse, d.dir, fmt.Sprintf(format, args...))
	}
	b, err := os.ReadFile(d.checkpointPath())
	switch {
	case err == nil:
		var st downloadState
		if jerr := json.Unmarshal(b, &st); jerr != nil || st.Format != 1 || st.ExportID == "" {
			return false, inUse("has a %s that is not a download hvport can read (remove it to start over)", DownloadCheckpointName)
		}
		if !strings.EqualFold(st.ExportID, d.state.ExportID) {
			return false, inUse("holds an unfinished download of export %s", st.ExportID)
		}
		if st.ManifestSHA256 != d.state.ManifestSHA256 {
			// The same id with another manifest: the export was made
			// again. What is here is of the old one.
			d.prog.Warn("the export's manifest changed since the download began: starting it over")
			return false, nil
		}
		d.state.Pull = st.Pull
		return false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("hvport client: %w", err)
	}
	b, err = os.ReadFile(filepath.Join(d.dir, ManifestFileName))
	switch {
	case err == nil:
		if !bytes.Equal(b, raw) {
			var other struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(b, &other) != nil || !strings.EqualFold(other.ID, d.state.ExportID) {
				return false, inUse("holds another export (%s)", orUnknown(other.ID))
			}
		} else if sizesMatch(d.dir, files) {
			return true, nil
		}
		// This export, but not as the server has it now, or with files
		// missing or cut short: fetched again, whole. The manifest goes
		// once the checkpoint says whose download this is.
		d.dropManifest = true
		d.prog.Warn("the export in the directory is not whole, or not the server's: fetching it again")
		return false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("hvport client: %w", err)
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return false, fmt.Errorf("hvport client: %w", err)
	}
	for _, e := range entries {
		if !isOurTemp(e.Name()) {
			return false, inUse("is not empty (%s, …) and holds no download of export %s", e.Name(), d.state.ExportID)
		}
	}
	return false, nil
}

// isOurTemp reports whether name is a temporary file writeFileAtomic left
// when the process was killed.
func isOurTemp(name string) bool {
	return strings.HasSuffix(name, ".tmp") &&
		(strings.HasPrefix(name, "."+DownloadCheckpointName+".") || strings.HasPrefix(name, "."+ManifestFileName+"."))
}

// removeOurTemps removes what killed runs left of writeFileAtomic's.
func removeOurTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if isOurTemp(e.Name()) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// sizesMatch reports whether every file is in dir with its size.
func sizesMatch(dir string, files []PullFile) bool {
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || !st.Mode().IsRegular() || st.Size() != f.Size {
			return false
		}
	}
	return true
}

// save replaces the checkpoint file with cp. The pull engine calls it
// from several goroutines; a copy it made earlier may be written after
// a later one, which loses progress, never correctness: every state it
// records was true on disk when it was made.
func (d *download) save(cp PullCheckpoint) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state
	st.Pull = cp
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(d.checkpointPath(), b); err != nil {
		return fmt.Errorf("hvport client: keeping the download's checkpoint: %w", err)
	}
	return nil
}

// saveLogged is save for the pull engine: a checkpoint that cannot be
// written costs only a resume's head start, so it is a warning (once).
func (d *download) saveLogged(cp PullCheckpoint) {
	if err := d.save(cp); err != nil {
		d.mu.Lock()
		warn := !d.warned
		d.warned = true
		d.mu.Unlock()
		if warn {
			d.prog.Warn(err.Error() + " (an interrupted download may have to fetch more again)")
		}
	}
}

// writeFileAtomic replaces path with b: a temporary file beside it,
// flushed, renamed over it, and the directory flushed where the system
// allows it.
func writeFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir flushes a directory's entries; best effort (Windows cannot
// flush a directory handle, and NTFS journals renames).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

type nopPullProgress struct{}

func (nopPullProgress) Bytes(int64, int64) {}
func (nopPullProgress) Progress(int)       {}
func (nopPullProgress) Warn(string)        {}
