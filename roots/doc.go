// Package roots confines every client-supplied host path to configured
// root directories (goals P1, P2, P5, P6 of the security anchors, and the
// 32-row Windows path checklist in their Part 3).
//
// A client path is accepted in two steps:
//
//  1. Check, purely lexical and testable on any OS for both flavors: the
//     path must be an absolute local path (X:\ on Windows: no UNC, device
//     namespace, NT object namespace, drive- or root-relative form), contain
//     no '.' or '..' component anywhere (they are refused, never cleaned
//     away: CVE-2022-41722), lie inside a root compared component by
//     component (never as a string prefix; ASCII case-insensitively on
//     Windows), and every component below the root must pass the Windows
//     naming rules (componentReason) — on Linux too, because the simulator
//     stands in for a Windows host.
//  2. Set.Resolve walks the existing components from the root through
//     os.OpenRoot and Root.Lstat. Links are refused outright, even those
//     that stay inside the root, as kubectl cp finally did after four
//     CVEs (CVE-2019-1002101, -11246, -11249, -11251): a symbolic link (dangling or not), a junction or any
//     directory reparse point, a device, pipe or socket, and an entry on
//     another file system than its root (a mount point; os.Root does not
//     stop there). Set.ResolveFile also opens the file through the os.Root
//     and refuses a link count above 1 (hard links) and another volume.
//
// A path outside every root is refused before any file system call, with
// an error that neither repeats the path nor depends on whether it exists.
// Every accepted Path is rebuilt from the canonical root (symlinks of the
// configured spelling resolved once, by New) and the checked components.
//
// Errors from Resolve and ResolveFile are *errs.Error naming the request
// field: PathForbidden for anything outside, malformed, linked or mounted;
// Invalid for a file used as a directory (or a directory where a file is
// wanted); NotFound for a missing file in ResolveFile.
//
// # What this package cannot do
//
// Resolve decides about the tree as it is when it runs. A link planted
// after it returns (row 19) is stopped by the callers creating and opening
// through os.Root, Hyper-V writing only into a directory hvport created,
// and root ACLs that deny non-administrators write access.
//
// # Windows detection
//
// Go (≥ 1.23) reports a directory symlink as ModeSymlink and a junction or
// volume mount point (IO_REPARSE_TAG_MOUNT_POINT) or any other unknown
// reparse tag as ModeIrregular; both are refused. A directory carrying
// FILE_ATTRIBUTE_REPARSE_POINT is refused too, whatever its mode (so
// GODEBUG winsymlink=0 changes nothing). Deduplicated files stay regular.
// The link count and volume serial number come from
// GetFileInformationByHandle on the handle opened through the os.Root.
// filepath.EvalSymlinks follows symlinks but not junctions, so a root
// configured through a junction keeps that spelling; a root that is itself
// a mount point (a cluster shared volume) is accepted, since the walk
// starts below it. New refuses a root whose drive is not a fixed disk
// (GetDriveType: mapped network, removable, RAM drives).
//
// # What runs where
//
// On Linux (go test ./roots/), checklist_test.go holds Part 3 as a table:
//
//   - every lexical row (1-16, 22-28, 32) through Check with the Windows
//     flavor against C:\exports and D:\data\import, each relative input
//     joined to both roots and also tried as given;
//   - the same inputs, '\' read as '/', through Set.Resolve with the POSIX
//     flavor on a real temporary root with its neighbours on disk
//     (root-evil, root2, ROOT, a sentinel outside), checking that nothing
//     on disk changes;
//   - file-system rows on POSIX: symlinks of every kind, dangling, relative,
//     absolute, to inside and to outside the root (rows 17, 18), hard links
//     through ResolveFile (row 20), mount points with an injected device
//     function (row 21; resolve_unix_test.go also uses the real /proc below
//     a root of "/"), nested and non-ASCII positive controls (row 32);
//   - VM names through CheckName for both flavors (row 31);
//   - rows 29 and 30 are marked as covered by imports and exports.
//
// FuzzCheck (oracle: an independent containment test per flavor) and
// FuzzResolve (real tree with planted links; oracle: inside the root, no
// link on the way per os.Lstat, and the tree is unchanged) are seeded with
// every checklist input.
//
// windows_test.go runs on a Windows runner only: the grammar cross-checked
// against path/filepath built for Windows, a real junction (mklink /J), a
// Windows symlink, a hard link through NumberOfLinks, a real 8.3 alias and
// device names. Each skips, naming its row, when the runner cannot build
// the fixture.
//
// Needs Windows CI (windows_test.go runs what it can there; the rest needs
// fixtures a Windows runner provides):
//
//   - row 6: no outbound SMB or WebDAV connection for UNC input, checked with a fake SMB listener.
//   - row 11: which reserved names a Windows build treats as devices (golang/go#67245).
//   - row 14: a real 8.3 alias of an existing long name (8.3 generation on) is refused.
//   - row 15: NTFS upcase-table case folding versus Check's ASCII folding.
//   - row 17: junctions and volume mount points, including ones to a UNC path.
//   - row 18: Windows file and directory symlinks (need a privilege or developer mode).
//   - row 19: the link swap race, against the callers' os.Root use and root ACLs.
//   - row 20: NumberOfLinks from GetFileInformationByHandle.
//   - row 21: a volume mounted into a root (reparse point and volume serial checks).
//   - row 22: a root on a mapped network drive is refused by New (GetDriveType); SUBST and DFS need a runner.
package roots
