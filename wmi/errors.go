package wmi

import (
	"errors"
	"fmt"
)

// WBEM HRESULTs that the seam produces and the driver recognises
// (WbemErrorEnum, wbemcli.h). The simulator returns these same numbers.
const (
	WBEMFailed             uint32 = 0x80041001
	WBEMNotFound           uint32 = 0x80041002
	WBEMAccessDenied       uint32 = 0x80041003
	WBEMInvalidParameter   uint32 = 0x80041008
	WBEMInvalidClass       uint32 = 0x80041010
	WBEMTransportFailure   uint32 = 0x80041015
	WBEMInvalidQuery       uint32 = 0x80041017
	WBEMInvalidQueryType   uint32 = 0x80041018
	WBEMInvalidMethod      uint32 = 0x8004102E
	WBEMTypeMismatch       uint32 = 0x80041005
	WBEMNotSupported       uint32 = 0x8004100C
	WBEMInvalidNamespace   uint32 = 0x8004100E
	WBEMInvalidObjectPath  uint32 = 0x8004103A
	WBEMInvalidMethodParam uint32 = 0x8004102F
	WBEMTimedOut           uint32 = 0x80043001
	WBEMCallCancelled      uint32 = 0x80041032
)

// Error is a WMI-level failure (an HRESULT from the transport), as opposed
// to a method's ReturnValue (MethodError) or a failed job (JobError).
type Error struct {
	Op      string // ExecQuery, Get, ExecMethod, Connect, Set, ...
	Path    string // object path, query or method the call was about
	HResult uint32
	Msg     string
	Err     error // underlying cause, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("wmi %s %s: 0x%08X", e.Op, e.Path, e.HResult)
	if e.Msg != "" {
		s += " " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports whether err is a WMI "not found" (no such instance).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.HResult == WBEMNotFound || e.HResult == WBEMInvalidObjectPath)
}

// MethodError is a non-zero, non-4096 method return code.
type MethodError struct {
	Method string
	Path   string
	Code   uint32
	// CIMStyle is set for methods that use the CIM codes 1-6
	// (DestroySystem, ModifySystemSettings, ModifyResourceSettings).
	CIMStyle bool
}

func (e *MethodError) Error() string {
	return fmt.Sprintf("%s returned %d (%s)", e.Method, e.Code, e.Meaning())
}

// Meaning is the documented text for the code.
func (e *MethodError) Meaning() string {
	if e.CIMStyle {
		return CIMReturnText(e.Code)
	}
	return ReturnText(e.Code)
}

// JobError is a WMI job that ended in a state other than Completed, or
// completed with a non-zero ErrorCode.
type JobError struct {
	Path        string
	JobState    uint16
	ErrorCode   uint16
	Description string
	// Errors are the Msvm_Error instances from GetErrorEx, when the job
	// class has it.
	Errors []*Object
}

func (e *JobError) Error() string {
	msg := fmt.Sprintf("job %s ended in state %d (%s), error code %d", e.Path, e.JobState, JobStateText(e.JobState), e.ErrorCode)
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}
