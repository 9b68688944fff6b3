// Package fcopy is the service's own file copy engine (used where Hyper-V
// leaves copying to the caller, e.g. disks in the v2 import flow): it
// keeps holes (sparse output), reports progress in bytes, stops between
// chunks when its context is cancelled, flushes the copy to disk, and never
// leaves a partial file behind.
package fcopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// chunk is the unit of reading and cancellation checks; page the unit of
// hole detection (a file system's block).
const (
	chunk = 1 << 20
	page  = 4 << 10
	// extentChunk is how much of a data extent is copied between two
	// cancellation checks and progress reports.
	extentChunk = 4 << 20
)

var zeros = make([]byte, page)

// writeData writes the pages of b that are not all zeros at off, runs of
// them in one write each.
func writeData(out *os.File, b []byte, off int64) error {
	start := -1 // the current run of data pages
	flush := func(end int) error {
		if start < 0 {
			return nil
		}
		_, err := out.WriteAt(b[start:end], off+int64(start))
		start = -1
		return err
	}
	for p := 0; p < len(b); p += page {
		end := min(p+page, len(b))
		if bytes.Equal(b[p:end], zeros[:end-p]) {
			if err := flush(p); err != nil {
				return err
			}
			continue
		}
		if start < 0 {
			start = p
		}
	}
	return flush(len(b))
}

// Copy copies src to dst. dst must not exist (it is created exclusively, so
// a copy never overwrites anything); parent directories are created.
// progress, if not nil, is called with the bytes of src handled so far
// (holes count as handled). On any error or cancellation dst is removed.
func Copy(ctx context.Context, src, dst string, progress func(done int64)) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	size := fi.Size()
	var done int64
	report := func() {
		if progress != nil {
			progress(done)
		}
	}
	buf := make([]byte, chunk)
	// dataEnd is the end of the data extent off is in, once asked: the
	// file system is asked once per extent, not once per chunk (on tmpfs
	// a SEEK_HOLE walks the extent's pages, so asking per chunk of a large
	// extent is quadratic).
	var dataEnd int64
	for off := int64(0); off < size; {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if off >= dataEnd {
			dataEnd = 0
		}
		// Jump over a hole when the file system can say where data is.
		if dataEnd == 0 {
			if next, ok := NextData(in, off); ok && next > off {
				if next > size {
					next = size
				}
				done += next - off
				off = next
				report()
				continue
			}
			if end, ok := NextHole(in, off); ok && end > off {
				dataEnd = end
			}
		}
		// Inside a data extent the file system reports, copy it as it is,
		// in the kernel (io.Copy between files is copy_file_range on
		// Linux): the copy allocates what the source allocates there.
		if dataEnd > off {
			n := min(dataEnd, size, off+extentChunk) - off
			if _, err := in.Seek(off, io.SeekStart); err != nil {
				return err
			}
			if _, err := out.Seek(off, io.SeekStart); err != nil {
				return err
			}
			copied, cerr := io.CopyN(out, in, n)
			off += copied
			done += copied
			report()
			if cerr != nil {
				return cerr
			}
			continue
		}
		n, rerr := in.ReadAt(buf, off)
		if n > 0 {
			// All-zero pages are left as holes in the copy, so it never
			// takes more room than the source.
			if werr := writeData(out, buf[:n], off); werr != nil {
				return werr
			}
			off += int64(n)
			done += int64(n)
			report()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	// Trailing holes: give the copy its full length.
	if err := out.Truncate(size); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if done != size {
		return errors.New("fcopy: " + src + " changed size while it was copied")
	}
	return nil
}
