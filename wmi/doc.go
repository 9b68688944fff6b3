// Package wmi is the seam between the Hyper-V driver and whatever answers
// WMI calls: the COM transport on a real host (package wmi/com) or the
// simulated Hyper-V provider (package wmi/sim).
//
// The seam is shaped like SWbemServices: run a WQL query, get an object by
// its path, execute a method with named in-parameters and read the
// out-parameters. Objects are plain Go values (Object, Property) carrying
// their CIM types, so the driver can edit an instance it read and send it
// back as an embedded instance in CIM-XML (DTD 2.0), which this package
// encodes and decodes.
//
// Hyper-V's own numbers (method return codes, JobState, EnabledState, ...)
// live in msvm.go, each with its source (docs/HYPERV.md), so that the
// driver and the simulator share one copy of them.
//
// Only the driver (package hyperv) calls through the seam; the rooms above
// it may hold its values (Object, the msvm.go numbers, paths) but not use
// Services, Params, Embed or the CIM-XML codec (internal/archtest).
package wmi
