package sim

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/hvport/hvport/wmi"
)

// Simulated disk space (Options.DiskQuotaBytes, FullVolumes,
// DiskFullAfterBytes). A job's copy engine charges every chunk it is about
// to write to the host's volume and to each full volume the destination is
// under; a chunk that does not fit fails the copy with
// DiskFullDescription, as a write fails with ERROR_DISK_FULL on a real
// volume, and the job removes its partial output as for any failure.
//
// The volumes only fill up. A job's bytes count from the moment they are
// written; when the job ends failed or stopped (it removed what it wrote)
// they are given back, when it completes they stay counted for the life of
// the Host. Deleting or moving an export does not free space: the
// simulator cannot tell a deleted export from one that was renamed, and
// the REST service publishes every export by renaming its staging folder
// after the job. Host.SetDiskQuota (or a new Host: usage starts at 0 in
// New) makes room. Only the copy engine's writes count — copies of disks
// and runtime state — not configuration files, not the files a seed
// creates, not what other programs write.
//
// This is not the free space the REST service checks before it exports:
// that preflight asks the operating system (statfs, GetDiskFreeSpaceEx)
// about the real file system, which the simulator cannot fake. A quota
// here makes the Hyper-V job fail during the copy, as when the disk fills
// up after the preflight passed.

// DiskFullDescription is the ErrorDescription of a job whose copy ran out
// of simulated space: Windows' text for ERROR_DISK_FULL as an HRESULT
// (0x80070070). The job's ErrorCode is 32768 (Failed).
const DiskFullDescription = "There is not enough space on the disk. (0x80070070)"

// simDisk is the simulated volumes of one host.
type simDisk struct {
	mu      sync.Mutex
	quota   int64 // 0 = unlimited
	used    int64 // bytes counted on the host's volume
	volumes []*fullVolume
	open    []*diskCharge // charges of jobs not seen ended yet
}

// fullVolume is one of Options.FullVolumes.
type fullVolume struct {
	root string // absolute
	free int64  // bytes that may be written under root
	used int64
}

// diskCharge is what one job wrote: the bytes on the host's volume and on
// each full volume, and how to learn how the job ended.
type diskCharge struct {
	disk    *simDisk
	bytes   int64
	volumes map[*fullVolume]int64
	// ended reports whether the job has ended and whether it completed;
	// it takes Host.mu, so simDisk.mu comes first in the lock order.
	ended  func() (ended, completed bool)
	opened bool // in simDisk.open (guarded by simDisk.mu)
}

func newSimDisk(quota int64, roots []string, free int64) *simDisk {
	d := &simDisk{quota: quota}
	for _, r := range roots {
		d.volumes = append(d.volumes, &fullVolume{root: filepath.Clean(r), free: free})
	}
	return d
}

// under tells whether path is root or inside it (by whole path elements;
// filepath.Rel compares case-insensitively on Windows, as NTFS does).
func under(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil || filepath.IsAbs(rel) {
		return false
	}
	return rel != ".." && (len(rel) < 3 || rel[:3] != ".."+string(filepath.Separator))
}

// newCharge makes the account of a job; it is opened at the job's first
// charge, so newCharge takes no lock and may run under Host.mu.
func (d *simDisk) newCharge(ended func() (bool, bool)) *diskCharge {
	return &diskCharge{disk: d, volumes: map[*fullVolume]int64{}, ended: ended}
}

// reserve charges n more bytes written to path and reports whether they
// fit. Before it refuses, it gives back the bytes of jobs that failed.
func (c *diskCharge) reserve(path string, n int64) bool {
	d := c.disk
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	var vols []*fullVolume
	for _, v := range d.volumes {
		if under(path, v.root) {
			vols = append(vols, v)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !c.opened {
		c.opened = true
		d.open = append(d.open, c)
	}
	if !d.fitsLocked(vols, n) {
		d.settleLocked()
		if !d.fitsLocked(vols, n) {
			return false
		}
	}
	c.bytes += n
	d.used += n
	for _, v := range vols {
		c.volumes[v] += n
		v.used += n
	}
	return true
}

func (d *simDisk) fitsLocked(vols []*fullVolume, n int64) bool {
	if d.quota > 0 && d.used+n > d.quota {
		return false
	}
	for _, v := range vols {
		if v.used+n > v.free {
			return false
		}
	}
	return true
}

// settleLocked closes the accounts of the jobs that ended: a completed
// job's bytes stay, a failed or stopped job's are given back.
func (d *simDisk) settleLocked() {
	open := d.open[:0]
	for _, c := range d.open {
		ended, completed := c.ended()
		switch {
		case !ended:
			open = append(open, c)
		case !completed:
			d.used -= c.bytes
			for v, n := range c.volumes {
				v.used -= n
			}
		}
	}
	clear(d.open[len(open):])
	d.open = open
}

func (d *simDisk) setQuota(bytes int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.quota = max(bytes, 0)
}

func (d *simDisk) usedBytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.settleLocked()
	return d.used
}

// SetDiskQuota changes Options.DiskQuotaBytes at run time; 0 (or less)
// removes the quota. What was written so far stays counted: a quota below
// DiskUsedBytes makes the next copy fail. Copies already running see the
// new quota at their next chunk.
func (h *Host) SetDiskQuota(bytes int64) {
	if h.opts.ctl == nil {
		return
	}
	h.opts.ctl.disk.setQuota(bytes)
}

// DiskUsedBytes is what the host's volume holds against DiskQuotaBytes:
// the bytes the copy engine wrote for jobs that completed or still run. A
// test can set a quota relative to it: SetDiskQuota(h.DiskUsedBytes() + n).
func (h *Host) DiskUsedBytes() int64 {
	if h.opts.ctl == nil {
		return 0
	}
	return h.opts.ctl.disk.usedBytes()
}

// jobCopyEngine is the copy engine of a job: throttled by
// Options.CopyBytesPerSecond and charging the simulated volumes, failing
// the job with DiskFullDescription when they are full. Every job that
// copies makes its engine here, once.
func (h *Host) jobCopyEngine(j *job) *copyEngine {
	e := newCopyEngine(h.clock, h.opts.CopyBytesPerSecond)
	if h.opts.ctl != nil {
		e.space = h.opts.ctl.disk.newCharge(func() (bool, bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return wmi.JobStateTerminal(j.state), j.state == wmi.JobCompleted
		})
	}
	switch j.jobType {
	case wmi.JobTypeExportVM:
		e.fullSummary = fmt.Sprintf("Failed to export virtual machine '%s'.", j.vmName)
	default:
		e.fullSummary = j.caption + " failed."
	}
	return e
}

// diskFull is the failure of a copy that ran out of simulated space.
func (e *copyEngine) diskFull() error {
	return &jobFailure{code: uint16(wmi.ReturnFailed), summary: e.fullSummary, description: DiskFullDescription}
}
