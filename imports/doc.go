// Package imports runs imports the way users know them from Hyper-V:
// read the default import settings for an export directory (with the
// problems Hyper-V would report and a concrete fix for each), edit them,
// then import in one of the three modes of PowerShell's Import-VM —
// register in place (createCopy false, keep the id), restore (copy, keep
// the id) or copy (copy, new id).
//
// The REST model is v1's Msvm_VirtualSystemImportSettingData. On the v2
// API (the only one on current hosts) it is mapped onto the planned-VM
// flow: ImportSystemDefinition → fix-ups (ModifySystemSettings,
// ModifyResourceSettings) → the service's own copy of the disks →
// ValidatePlannedSystem → RealizePlannedSystem, and DestroySystem of the
// planned VM plus removal of copied files on any failure or cancel.
//
// Arrows (docs/ARCHITECTURE.md): handlers → imports → hyperv (the
// driver), roots (import roots), exports (to name an export by id, and to
// publish one pulled from another agent), transfers (the pull),
// internal/fcopy (the copy engine), vhdx (copied chains re-pointed),
// internal/secfile (a pull's grant), and wmi for values only (v1's import
// setting data as the driver hands it over, path comparison). Imports
// knows no job registry and never calls WMI itself.
package imports
