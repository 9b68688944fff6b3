package exports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hvport/hvport/errs"
)

// hashChunk is how much is hashed between cancellation checks.
const hashChunk = 4 << 20

// hashTree hashes every regular file under root (except the manifest),
// reporting progress by bytes, and returns the files sorted by path.
func hashTree(ctx context.Context, root string, prog interface {
	Progress(int)
	Bytes(done, total int64)
}) ([]File, int64, error) {
	var files []File
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() == ManifestName || strings.HasPrefix(d.Name(), "."+ManifestName) {
			return nil
		}
		if !d.Type().IsRegular() {
			return errs.E(errs.HostFailed, "the export contains %s, which is not a regular file", p)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, File{Path: filepath.ToSlash(rel), Size: fi.Size()})
		total += fi.Size()
		return nil
	})
	if err != nil {
		return nil, 0, wrapFS("read the export", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var done int64
	for i := range files {
		sum, err := hashFile(ctx, filepath.Join(root, filepath.FromSlash(files[i].Path)), func(n int64) {
			done += n
			prog.Bytes(done, total)
			if total > 0 {
				prog.Progress(int(done * 100 / total))
			}
		})
		if err != nil {
			return nil, 0, err
		}
		files[i].SHA256 = sum
	}
	return files, total, nil
}

// hashFile returns a file's SHA-256, checking ctx between chunks.
func hashFile(ctx context.Context, path string, progress func(n int64)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", wrapFS("read the export", err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var sinceCheck int64
	for {
		n, err := f.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			progress(int64(n))
			sinceCheck += int64(n)
			if sinceCheck >= hashChunk {
				sinceCheck = 0
				if ctx.Err() != nil {
					return "", errs.Wrap(errs.Cancelled, context.Cause(ctx), "the export was cancelled while its files were hashed")
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", wrapFS("read the export", err)
		}
	}
	if ctx.Err() != nil {
		return "", errs.Wrap(errs.Cancelled, context.Cause(ctx), "the export was cancelled while its files were hashed")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func wrapFS(op string, err error) error {
	var de *errs.Error
	if errors.As(err, &de) {
		return err
	}
	return errs.Wrap(errs.Internal, err, "%s", op)
}
