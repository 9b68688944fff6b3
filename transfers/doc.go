// Package transfers pulls a published export from another hvport agent
// (issue #13): the destination agent reads the source's manifest and
// files over HTTPS with a short-lived grant, several files at once, each
// hashed while it is written and compared with the manifest, resuming
// with Range after a dropped connection and — from a durable checkpoint —
// after a restart of the destination.
//
// The transfer engine is the Go client's (client/pull.go), which the
// hvport command's "exports download" runs too; this room connects to
// the source (remote.go: the Go client with the grant, the certificate
// pinned) and turns what goes wrong into errors a job reports. It knows
// no job registry and no Hyper-V: imports/ runs a pull as the first phase
// of an import job (parsing the manifest), and exports/ publishes the
// result as an export of this host.
package transfers
