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
// Arrows: handlers → imports → hyperv (the driver), exports (to name an
// export by id), internal/fcopy (the copy engine).
package imports
