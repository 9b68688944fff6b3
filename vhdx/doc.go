// Package vhdx reads and writes VHDX virtual hard disk files as
// Microsoft's MS-VHDX specification (v20180912 and later; cited as
// "MS-VHDX 2.x") defines them, for the simulated Hyper-V host: dynamic
// disks, differencing disks and their chains, merging a chain into one
// disk, re-pointing a child at a moved parent, and a validator.
//
//	err := vhdx.Create("base.vhdx", 20<<30, vhdx.Options{})
//	err = vhdx.CreateDifferencing("base_<GUID>.avhdx", "base.vhdx", vhdx.Options{})
//	d, err := vhdx.Open("base_<GUID>.avhdx", nil) // nil: DefaultResolver
//	n, err := d.WriteAt(p, off)
//	err = d.Close()
//	err = vhdx.Merge("base_<GUID>.avhdx", "export/base.vhdx", nil)
//	err = vhdx.Check("export/base.vhdx")
//
// MergeWith is Merge with hooks (before each data write, after each piece
// read) for a caller that reports progress, throttles, accounts for disk
// space or stops a long merge; MergeLength is the total its progress
// hook sees.
//
// # Files written
//
// Offsets in the file; every region is 1 MiB aligned (MS-VHDX 2.2.3.2,
// 2.5):
//
//	0        file type identifier "vhdxfile", creator "hvport vhdx" (2.2.1)
//	64 KiB   header 1, SequenceNumber 1                           (2.2.2)
//	128 KiB  header 2, SequenceNumber 2: current at creation
//	192 KiB  region table 1: metadata region, BAT region, both Required (2.2.3)
//	256 KiB  region table 2, a copy
//	1 MiB    log, 1 MiB of zeros; LogGuid is zero, so it is empty     (2.3)
//	2 MiB    metadata region, 1 MiB: the table, then from 64 KiB the items
//	         File Parameters (BlockSize, HasParent), Virtual Disk Size,
//	         Virtual Disk ID (Page 83), Logical and Physical Sector Size,
//	         and for a differencing disk the Parent Locator        (2.6)
//	3 MiB    BAT, rounded up to 1 MiB                                  (2.5)
//	…        payload blocks and sector bitmap blocks, appended as written
//
// The BAT starts all zeros (PAYLOAD_BLOCK_NOT_PRESENT), so a new 20 GiB
// disk is a 4 MiB file. A write to a block the file does not hold grows
// the file by one block (zero-filled, sparse where the file system is)
// and marks it PAYLOAD_BLOCK_FULLY_PRESENT. In a differencing disk a
// partly written block is PAYLOAD_BLOCK_PARTIALLY_PRESENT: the chunk's
// 1 MiB sector bitmap block is allocated, and its bits say which sectors
// are here and which are read from the parent (2.4, 2.5.1); writes there
// store whole logical sectors, completing a partial first or last sector
// from the parent, and a block whose sectors are then all present
// becomes FULLY_PRESENT.
//
// Headers are updated as MS-VHDX 2.2.2.1 says: the non-current header is
// written with the next SequenceNumber and flushed, twice, so both copies
// are current. The first change of a session gives the file a new
// FileWriteGuid; the first data write also a new DataWriteGuid, which is
// what a child's parent_linkage records (2.6.2.6.3): once a parent is
// written, its children no longer open (ErrParent).
//
// # No log
//
// The spec routes metadata updates through the log (2.3); this package
// does not. It keeps the log empty (LogGuid zero) and makes each
// metadata change a single small in-place write ordered so that a crash
// leaves the old state or the new one: data, then sector bitmap, then the
// 8-byte BAT entry; a new parent locator is written to free space before
// its 32-byte metadata table entry is switched. This is enough for a
// simulator, not for power-loss guarantees: nothing is flushed between
// those writes until Flush or Close. A file whose log holds entries for
// its LogGuid (a file Hyper-V did not close cleanly) is refused by Open,
// CreateDifferencing and Merge with ErrUnsupported, as replaying the log
// is not implemented; Check reports it.
//
// # Parent paths
//
// Parent locators hold Windows paths ("\" separators), as Hyper-V
// writes them. CreateDifferencing records relative_path (".\base.vhdx"
// for a parent in the same folder, "..\x\base.vhdx" otherwise) and
// absolute_win32_path (on Linux the absolute path with "\" for "/", see
// WindowsPath). DefaultResolver tries relative_path first, resolved
// against the child's folder with "\" read as a separator on every
// system, then volume_path (Windows only), then absolute_win32_path (on
// Linux only a path without drive letter, see NativePath). An import
// that moves a chain calls SetParentPaths on each child.
//
// # Not supported
//
//   - Fixed disks (LeaveBlockAllocated) are not created; they open like
//     dynamic ones if their BAT is valid.
//   - Log replay (above), and writing through the log.
//   - Trim/unmap: blocks are never freed or set to ZERO/UNMAPPED; such
//     states written by others read as zeros (a choice 2.5.1.1 allows).
//   - Resizing, changing sector sizes, user metadata items (kept when
//     present, never written), parent locator types other than the VHDX
//     one (2.6.2.6.3), and parents that are not VHDX files.
//   - Updating stale parent paths automatically on open (2.6.2.6.3 asks
//     implementations to); the caller does it with SetParentPaths.
//   - Concurrent users of one file: a file is assumed to be opened by
//     one Disk at a time (Hyper-V locks it; this package does not).
//
// # Helpers for the simulator
//
// FillDeterministic gives a demo disk real, seed-determined content in a
// few MiB of file; ContentHash fingerprints a disk's virtual content
// (through its chain) so copies, exports and merges can be compared
// without reading unallocated space; ContentHashOf computes the same
// from a raw image.
//
// # Interoperability
//
// qemu-img reads and checks the dynamic disks this package writes, and
// this package reads the dynamic disks qemu writes (the tests run both
// directions when qemu-img is installed). qemu has no differencing VHDX
// support, so differencing disks are verified with this package's own
// reader only; qemu 7 also refuses 4096-byte logical sectors.
package vhdx
