package hyperv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// fromWMI turns a seam error into a domain error. This is the one place
// where Hyper-V's numbers become Kinds; handlers never see them.
func fromWMI(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *errs.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Unavailable, err, "%s: the Hyper-V host did not answer in time", op)
	}
	var me *wmi.MethodError
	if errors.As(err, &me) {
		e := errs.Wrap(methodKind(me), err, "%s: Hyper-V %s returned %d (%s)", op, me.Method, me.Code, me.Meaning())
		e.Extra = map[string]any{"hyperv": map[string]any{"method": me.Method, "returnValue": me.Code, "meaning": me.Meaning()}}
		return e
	}
	var je *wmi.JobError
	if errors.As(err, &je) {
		e := errs.Wrap(jobKind(je), err, "%s: %s", op, jobMessage(je))
		e.Extra = map[string]any{"hyperv": jobDetails(je)}
		return e
	}
	var we *wmi.Error
	if errors.As(err, &we) {
		switch we.HResult {
		case wmi.WBEMNotFound, wmi.WBEMInvalidObjectPath:
			return errs.Wrap(errs.NotFound, err, "%s: the object no longer exists on the Hyper-V host", op)
		case wmi.WBEMTransportFailure, wmi.WBEMInvalidNamespace, wmi.WBEMTimedOut:
			return errs.Wrap(errs.Unavailable, err, "%s: the Hyper-V WMI provider is not reachable", op)
		case wmi.WBEMAccessDenied:
			return errs.Wrap(errs.HostFailed, err, "%s: access denied by WMI; run the service as a member of Administrators or Hyper-V Administrators", op)
		}
		return errs.Wrap(errs.HostFailed, err, "%s: WMI call failed (0x%08X)", op, we.HResult)
	}
	return errs.Wrap(errs.Internal, err, "%s failed", op)
}

// methodKind classifies a Hyper-V-style method return code.
func methodKind(me *wmi.MethodError) errs.Kind {
	if me.CIMStyle {
		switch me.Code {
		case wmi.CIMReturnInvalidParameter, wmi.CIMReturnIncompatibleParameters:
			return errs.Invalid
		case wmi.CIMReturnInvalidState:
			return errs.InvalidState
		case wmi.CIMReturnNotSupported:
			return errs.NotSupported
		}
		if me.Code >= 32768 { // Hyper-V's own codes, as CIMReturnText names them
			return codeKind(me.Code)
		}
		return errs.HostFailed
	}
	return codeKind(me.Code)
}

func codeKind(code uint32) errs.Kind {
	switch code {
	case wmi.ReturnInvalidParameter, wmi.ReturnIncorrectType, wmi.ReturnUnsupportedVersion:
		return errs.Invalid
	case wmi.ReturnSystemInUse:
		return errs.Busy
	case wmi.ReturnInvalidState:
		return errs.InvalidState
	case wmi.ReturnFileInUse:
		return errs.Conflict
	case wmi.ReturnNotSupported:
		return errs.NotSupported
	case wmi.ReturnNotAvailable:
		return errs.Unavailable
	}
	return errs.HostFailed
}

// jobKind classifies a failed job by its ErrorCode, which uses the same
// numbers as method return codes (docs/HYPERV.md#return-codes).
func jobKind(je *wmi.JobError) errs.Kind {
	if je.JobState == wmi.JobKilled || je.JobState == wmi.JobTerminated {
		return errs.Cancelled
	}
	if diskFull(je) {
		return errs.InsufficientStorage
	}
	return codeKind(uint32(je.ErrorCode))
}

// diskFull reports whether a job failed for lack of space. Hyper-V reports
// the Win32 error as an HRESULT in the job's ErrorDescription or its
// Msvm_Error messages: ERROR_DISK_FULL (112, 0x80070070, "There is not
// enough space on the disk.") or ERROR_HANDLE_DISK_FULL (39, 0x80070027),
// as listed in Microsoft's System Error Codes (0-499); the job's ErrorCode
// itself is only 32768 Failed.
func diskFull(je *wmi.JobError) bool {
	texts := []string{je.Description}
	for _, e := range je.Errors {
		texts = append(texts, e.String("Message"), e.String("ErrorDescription"))
	}
	for _, t := range texts {
		t = strings.ToLower(t)
		if strings.Contains(t, "0x80070070") || strings.Contains(t, "0x80070027") || strings.Contains(t, "not enough space on the disk") {
			return true
		}
	}
	return false
}

func jobMessage(je *wmi.JobError) string {
	msg := fmt.Sprintf("the Hyper-V job ended in state %s with error code %d", wmi.JobStateText(je.JobState), je.ErrorCode)
	if je.Description != "" {
		msg += ": " + je.Description
	}
	for _, e := range je.Errors {
		if m := e.String("Message"); m != "" && m != je.Description {
			msg += "; " + m
		}
	}
	return msg
}

func jobDetails(je *wmi.JobError) map[string]any {
	d := map[string]any{
		"job": je.Path, "jobState": je.JobState, "jobStateText": wmi.JobStateText(je.JobState),
		"errorCode": je.ErrorCode, "errorDescription": je.Description,
	}
	var list []map[string]any
	for _, e := range je.Errors {
		list = append(list, map[string]any{"messageId": e.String("MessageID"), "message": e.String("Message"), "source": e.String("ErrorSource")})
	}
	if len(list) > 0 {
		d["errors"] = list
	}
	return d
}
