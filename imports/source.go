// What to import from: a directory or an export by id, confined to the
// import roots, and the default settings Hyper-V would use for it.

package imports

import (
	"context"

	"github.com/hvport/hvport/errs"
)

// Source names what to import: a directory, or an export by id.
type Source struct {
	Directory string
	ExportID  string
}

// ResolveDirectory turns a Source into the export's directory.
func (s *Service) ResolveDirectory(src Source) (string, error) {
	switch {
	case src.Directory != "" && src.ExportID != "":
		return "", errs.Field("exportId", "give either directory or exportId, not both")
	case src.ExportID != "":
		if s.Exports == nil {
			return "", errs.Field("exportId", "this server keeps no export store; give a directory")
		}
		e, err := s.Exports.Get(src.ExportID)
		if err != nil {
			return "", err
		}
		return s.confineDirectory("exportId", e.Dir)
	case src.Directory == "":
		return "", errs.Field("directory", "required (or exportId): the absolute path of an export on the Hyper-V host")
	}
	return s.confineDirectory("directory", src.Directory)
}

// DefaultSettings returns the import settings Hyper-V would use for the
// export, with incompatibilities and fixes.
func (s *Service) DefaultSettings(ctx context.Context, src Source) (Report, error) {
	dir, err := s.ResolveDirectory(src)
	if err != nil {
		return Report{}, err
	}
	in, err := s.inspect(ctx, dir)
	if err != nil {
		return Report{}, err
	}
	return in.report, nil
}
