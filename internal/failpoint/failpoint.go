// Package failpoint names the steps of durable work where a crash must be
// survivable, so that a test can kill the real server exactly there and
// check what a restart makes of it (etcd's robustness tests do the same).
//
// Hit does nothing in a normal build: the points are compiled in only with
// the build tag "failpoints" (failpoint_on.go), and enabled there from the
// environment: HVPORT_FAILPOINTS=name[,name...] kills the process
// (SIGKILL, no deferred cleanup) the first time a named point is reached.
// cmd/server/reattach_test.go kills the server at each point and checks
// what a restart makes of it.
package failpoint

// The points, in the order an export or an import reaches them.
const (
	SubmitAcknowledged   = "submit-acknowledged"     // a 202 has been written and flushed
	ExportHyperVCalled   = "export-hyperv-called"    // ExportSystemDefinition returned; its job not yet recorded
	ExportWMIJobRecorded = "export-wmi-job-recorded" // the Hyper-V job's path is in the job record
	ExportHyperVFinished = "export-hyperv-finished"  // the Hyper-V job completed
	ExportHashed         = "export-hashed"           // every file hashed, no manifest yet
	ExportManifest       = "export-manifest-written" // manifest written in staging
	ExportRenamed        = "export-renamed"          // staging renamed to the destination
	ExportCleanedUp      = "export-cleaned-up"       // the old export and staging removed
	RecordUpdated        = "record-updated"          // a finished job's record written
	ImportPlanned        = "import-planned"          // the planned VM exists
	ImportCopied         = "import-copied"           // a disk has been copied
	ImportRealizeCalled  = "import-realize-called"   // RealizePlannedSystem is about to be called
	TransferCheckpointed = "transfer-checkpointed"   // a pull stored a checkpoint with a file half received
)

// Export lists the points an export passes, for tests.
var Export = []string{SubmitAcknowledged, ExportHyperVCalled, ExportWMIJobRecorded, ExportHyperVFinished,
	ExportHashed, ExportManifest, ExportRenamed, ExportCleanedUp, RecordUpdated}

// Import lists the points a copying v2 import passes, for tests.
var Import = []string{SubmitAcknowledged, ImportPlanned, ImportCopied, ImportRealizeCalled, RecordUpdated}
