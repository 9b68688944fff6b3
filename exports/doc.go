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
// Exports may only be written under the configured export roots.
//
// Arrows: handlers → exports → hyperv (the driver) and jobs (for the
// Reporter it is handed); exports never talks WMI itself.
package exports
