package sim

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// copyEngine copies files for a job the way the simulator wants a long
// copy to behave: in chunks, so that progress can be reported and a Kill
// can stop the copy between two chunks; throttled to a byte rate on the
// host's Clock (Options.CopyBytesPerSecond), so tests can make a copy slow
// and step it deterministically with a FakeClock; durable, each file
// fsynced when it is complete; and, for a job's engine (Host.jobCopyEngine
// in diskfull.go), bounded by the simulated disk space, each chunk charged
// before it is written.
type copyEngine struct {
	clock     Clock
	rate      int64 // bytes per second; 0 = unlimited
	chunkSize int
	start     time.Time // throttling starts with the engine
	copied    int64     // bytes copied by this engine, for throttling

	space       *diskCharge // the job's account of simulated disk space; nil: none
	fullSummary string      // ErrorSummaryDescription when the disk is full
}

func newCopyEngine(clock Clock, bytesPerSecond int64) *copyEngine {
	chunk := 256 * kib
	if bytesPerSecond > 0 {
		// About twenty chunks a second, so progress moves smoothly.
		chunk = int(min(max(bytesPerSecond/20, 4*kib), 256*kib))
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
	buf := make([]byte, e.chunkSize)
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		n, rerr := io.ReadFull(in, buf)
		if n > 0 {
			if e.space != nil && !e.space.reserve(dst, int64(n)) {
				return e.diskFull()
			}
			if _, err := out.Write(buf[:n]); err != nil {
				return err
			}
			if err := e.throttle(ctx, int64(n)); err != nil {
				return err
			}
			if err := progress(int64(n)); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	return out.Sync()
}

// throttle accounts for n more bytes and waits until the rate allows them.
func (e *copyEngine) throttle(ctx context.Context, n int64) error {
	e.copied += n
	if e.rate <= 0 {
		return nil
	}
	due := e.start.Add(time.Duration(float64(e.copied) / float64(e.rate) * float64(time.Second)))
	return sleep(ctx, e.clock, due.Sub(e.clock.Now()))
}
