package sim

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/hvport/hvport/internal/fcopy"
	"github.com/hvport/hvport/vhdx"
)

// copyEngine copies files for a job the way the simulator wants a long
// copy to behave: in chunks, so that progress can be reported and a Kill
// can stop the copy between two chunks; sparse, jumping over the holes
// the file system reports without reading them (a VHDX is mostly zeros:
// its log, the unused parts of its metadata region and BAT, the unwritten
// parts of its blocks) and copying its data extents in the kernel, both
// as internal/fcopy does (fcopy.Extents, fcopy.CopyRange), or, where the file system
// reports no extents, writing only the 4 KiB pages that are not all
// zeros; throttled to a byte rate on the host's Clock
// (Options.CopyBytesPerSecond), so tests can make a copy slow and step it
// deterministically with a FakeClock; durable, each file fsynced when it
// is complete; and, for a job's engine (Host.jobCopyEngine in
// diskfull.go), bounded by the simulated disk space, each chunk charged
// before it is written.
//
// Progress counts the bytes read (a file's size); throttling and the
// simulated disk space count the bytes written (a data extent's, or the
// non-zero pages'), so a sparse file copies as fast, and takes as much
// room, as the data it holds.
//
// mergeChain is the engine's other path: it writes the merged disk of a
// differencing chain (vhdx.MergeWith) with the same chunked progress,
// throttling, space accounting and cancellation.
type copyEngine struct {
	clock     Clock
	rate      int64 // bytes per second; 0 = unlimited
	chunkSize int
	start     time.Time // throttling starts with the engine
	copied    int64     // bytes written by this engine, for throttling

	space       *diskCharge // the job's account of simulated disk space; nil: none
	fullSummary string      // ErrorSummaryDescription when the disk is full
}

// copyPage is the unit of the sparse copy (fcopy.DataRuns): a page of
// zeros is skipped.
const copyPage = 4 * kib

func newCopyEngine(clock Clock, bytesPerSecond int64) *copyEngine {
	chunk := 256 * kib
	if bytesPerSecond > 0 {
		// About twenty chunks a second, so progress moves smoothly.
		chunk = int(min(max(bytesPerSecond/20, 4*kib), 256*kib))
		chunk = max(chunk/copyPage*copyPage, copyPage)
	}
	return &copyEngine{clock: clock, rate: bytesPerSecond, chunkSize: chunk, start: clock.Now()}
}

// copyFile copies src to dst, which must not exist yet. It calls created
// with dst as soon as dst exists (so a failed job can remove it), and
// progress after each chunk with the chunk's size; an error from progress
// stops the copy. A cancelled ctx stops it too, with ctx's cause. A chunk
// that does not fit on the simulated disk stops it with a *jobFailure
// (DiskFullDescription).
func (e *copyEngine) copyFile(ctx context.Context, src, dst string, created func(string), progress func(int64) error) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	created(dst)
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	buf := make([]byte, e.chunkSize)
	var off int64
	ext := fcopy.NewExtents(in, size)
	for off < size {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if end, data, ok := ext.At(off); ok {
			if !data {
				// A hole is jumped over, not read: it counts as read
				// for progress, and costs neither time nor space.
				skipped := end - off
				off = end
				if err := progress(skipped); err != nil {
					return err
				}
				continue
			}
			// A data extent is copied in the kernel, as it is, a chunk
			// at a time: it takes the room the source's extent takes,
			// which is what is charged.
			n := min(end, off+int64(e.chunkSize)) - off
			if e.space != nil && !e.space.reserve(dst, n) {
				return e.diskFull()
			}
			copied, cerr := fcopy.CopyRange(out, in, off, n)
			off += copied
			if err := e.throttle(ctx, copied); err != nil {
				return err
			}
			if err := progress(copied); err != nil {
				return err
			}
			if cerr != nil {
				return cerr
			}
			continue
		}
		// Where the file system says nothing of extents: read, and write
		// the pages that are not all zeros.
		n, rerr := in.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n > 0 {
			runs, data := fcopy.DataRuns(buf[:n])
			if data > 0 && e.space != nil && !e.space.reserve(dst, data) {
				return e.diskFull()
			}
			for _, r := range runs {
				if _, err := out.WriteAt(buf[r[0]:r[1]], off+int64(r[0])); err != nil {
					return err
				}
			}
			off += int64(n)
			if err := e.throttle(ctx, data); err != nil {
				return err
			}
			if err := progress(int64(n)); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	// A file that ends in zeros ends in a hole: give it its size.
	if err := out.Truncate(off); err != nil {
		return err
	}
	return out.Sync()
}

// mergeChain writes dst, which must not exist yet, a new dynamic VHDX
// holding what top reads through its differencing chain (vhdx.MergeWith;
// the parents are found through the files' parent locators). Each 1 MiB
// piece of data is charged to the simulated disk before it is written and
// throttled like a copy's chunk; progress gets the bytes of the chain read
// after each piece, adding up to vhdx.MergeLength(top). A cancelled ctx,
// an error from progress or a full disk stop the merge, which removes dst.
// created is called with dst once the merge has completed (a merge that
// fails removes its own output).
func (e *copyEngine) mergeChain(ctx context.Context, top, dst string, created func(string), progress func(int64) error) error {
	var pending int64 // bytes written since the last throttle
	err := vhdx.MergeWith(top, dst, vhdx.MergeOptions{
		BeforeWrite: func(n int64) error {
			if err := context.Cause(ctx); err != nil {
				return err
			}
			if e.space != nil && !e.space.reserve(dst, n) {
				return e.diskFull()
			}
			pending += n
			return nil
		},
		Progress: func(n int64) error {
			w := pending
			pending = 0
			if err := e.throttle(ctx, w); err != nil {
				return err
			}
			if err := context.Cause(ctx); err != nil {
				return err
			}
			return progress(n)
		},
	})
	if err != nil {
		return err
	}
	created(dst)
	return nil
}

// throttle accounts for n more bytes and waits until the rate allows them.
func (e *copyEngine) throttle(ctx context.Context, n int64) error {
	e.copied += n
	if e.rate <= 0 || n == 0 {
		return nil
	}
	due := e.start.Add(time.Duration(float64(e.copied) / float64(e.rate) * float64(time.Second)))
	return sleep(ctx, e.clock, due.Sub(e.clock.Now()))
}
