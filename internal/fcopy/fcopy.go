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
	runs, _ := DataRuns(b)
	for _, r := range runs {
		if _, err := out.WriteAt(b[r[0]:r[1]], off+int64(r[0])); err != nil {
			return err
		}
	}
	return nil
}

// DataRuns lists the runs of 4 KiB pages of b that are not all zeros, as
// [start, end) offsets, and how many bytes they hold: what a sparse copy
// writes of b (here, and in the simulator's copy engine).
func DataRuns(b []byte) (runs [][2]int, data int64) {
	for p := 0; p < len(b); p += page {
		end := min(p+page, len(b))
		if bytes.Equal(b[p:end], zeros[:end-p]) {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k][1] == p {
			runs[k][1] = end
		} else {
			runs = append(runs, [2]int{p, end})
		}
		data += int64(end - p)
	}
	return runs, data
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
	ext := NewExtents(in, size)
	for off := int64(0); off < size; {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if end, data, ok := ext.At(off); ok {
			if !data { // a hole: jumped over, not read
				done += end - off
				off = end
				report()
				continue
			}
			copied, cerr := CopyRange(out, in, off, min(end, off+extentChunk)-off)
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

// Extents walks a file's data extents for a copy, asking the file system
// once per extent: on tmpfs a SEEK_HOLE walks the extent's pages, so
// asking again for every chunk of a large extent is quadratic. Used by
// Copy and by the simulator's copy engine.
type Extents struct {
	f       *os.File
	size    int64
	dataEnd int64 // the end of the data extent last found
}

// NewExtents walks f, of size bytes.
func NewExtents(f *os.File, size int64) *Extents { return &Extents{f: f, size: size} }

// At tells what is at off: the end of the run it is in (at most the
// file's size) and whether that run is data — to be copied as it is —
// or a hole, to be jumped over. ok is false when the file system cannot
// tell: the caller reads and looks at the bytes.
func (e *Extents) At(off int64) (end int64, data, ok bool) {
	if off < e.dataEnd {
		return min(e.dataEnd, e.size), true, true
	}
	next, ok := NextData(e.f, off)
	if !ok {
		return 0, false, false
	}
	if next > off {
		return min(next, e.size), false, true
	}
	end, ok = NextHole(e.f, off)
	if !ok || end <= off {
		return 0, false, false
	}
	e.dataEnd = end
	return min(end, e.size), true, true
}

// CopyRange copies n bytes at off from in to the same offset of out, in
// the kernel (io.Copy between files is copy_file_range on Linux): the
// copy allocates what the source allocates there.
func CopyRange(out, in *os.File, off, n int64) (int64, error) {
	if _, err := in.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := out.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.CopyN(out, in, n)
}
