package exports

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/logctx"
)

// VerifyResult is what a verify job reports.
type VerifyResult struct {
	ExportID string          `json:"exportId"`
	Valid    bool            `json:"valid"`
	Checked  int             `json:"checked"`
	Bytes    int64           `json:"bytes"`
	Problems []VerifyProblem `json:"problems"`
}

// VerifyProblem is one file that does not match the manifest.
type VerifyProblem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"` // missing, size, checksum, unexpected
}

// Verify returns work that re-hashes an export's files against its
// manifest. The job completes with a VerifyResult; Valid is false when
// any file is missing, has another size or checksum, or was added.
func (s *Service) Verify(id string) (Export, func(ctx context.Context, prog Progress) error, error) {
	e, err := s.Store.Get(id)
	if err != nil {
		return Export{}, nil, err
	}
	work := func(ctx context.Context, prog Progress) error {
		prog.Phase("verifying")
		m, err := readManifest(e.Dir)
		if err != nil {
			return errs.Wrap(errs.NotFound, err, "export %s is gone or its manifest is unreadable", id)
		}
		res := VerifyResult{ExportID: id, Problems: []VerifyProblem{}}
		var total, done int64
		for _, f := range m.Files {
			total += f.Size
		}
		listed := map[string]bool{}
		for _, f := range m.Files {
			listed[f.Path] = true
			p := filepath.Join(e.Dir, filepath.FromSlash(f.Path))
			fi, err := os.Stat(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				res.Problems = append(res.Problems, VerifyProblem{f.Path, "missing"})
				done += f.Size
				continue
			case err != nil:
				return errs.Wrap(errs.Internal, err, "verify %s", f.Path)
			case fi.Size() != f.Size:
				res.Problems = append(res.Problems, VerifyProblem{f.Path, "size"})
				done += f.Size
				continue
			}
			sum, err := hashFile(ctx, p, func(n int64) {
				done += n
				prog.Bytes(done, total)
				if total > 0 {
					prog.Progress(int(done * 100 / total))
				}
			})
			if err != nil {
				return err
			}
			res.Checked++
			res.Bytes += f.Size
			if !strings.EqualFold(sum, f.SHA256) {
				res.Problems = append(res.Problems, VerifyProblem{f.Path, "checksum"})
			}
		}
		filepath.WalkDir(e.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == ManifestName {
				return nil
			}
			rel, _ := filepath.Rel(e.Dir, p)
			if !listed[filepath.ToSlash(rel)] {
				res.Problems = append(res.Problems, VerifyProblem{filepath.ToSlash(rel), "unexpected"})
			}
			return nil
		})
		res.Valid = len(res.Problems) == 0
		if !res.Valid {
			prog.Warn("the export does not match its manifest")
		}
		logctx.From(ctx, s.Log).Info("export verified", zap.String("export_id", id), zap.Bool("valid", res.Valid), zap.Int("problems", len(res.Problems)))
		prog.Result(res)
		return nil
	}
	return e, work, nil
}
