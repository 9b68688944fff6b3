// Package exports turns a Hyper-V export into a published, verifiable
// export on disk, and serves the exports found under the export roots.
//
// An export is written by Hyper-V into a staging directory next to its
// final place (same volume), checked (the expected layout is there, every
// file is readable), hashed, described by a manifest written last and
// flushed (hvport-manifest.json), and only then renamed to its final name.
// A directory without a valid manifest is never reported as an export, so
// a crash at any point leaves nothing that looks complete; stale staging
// directories are swept at start-up.
//
// Exports may only be written under the configured export roots: every
// client path goes through Store.Resolve (package roots) first.
//
// Arrows (docs/ARCHITECTURE.md): handlers → exports → hyperv (the
// driver), roots, vhdx (every exported disk is checked), internal/atomicfile
// (the manifest), and wmi for a value only (a Hyper-V enum number).
// Exports knows no job registry (its work is handed a progress.Reporter)
// and never calls WMI itself.
package exports
