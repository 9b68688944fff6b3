package com

import (
	"errors"
	"strings"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

// COM HRESULTs this package acts on (winerror.h).
const (
	hrSFalse             = 0x00000001
	hrNotImpl            = 0x80004001
	hrDispMemberNotFound = 0x80020003
	hrDispUnknownName    = 0x80020006
	hrDispException      = 0x80020009
	hrRPCTooLate         = 0x80010119
)

var hrTexts = map[uint32]string{
	wmi.WBEMFailed:             "generic failure",
	wmi.WBEMNotFound:           "not found",
	wmi.WBEMAccessDenied:       "access denied",
	wmi.WBEMTypeMismatch:       "type mismatch",
	wmi.WBEMInvalidParameter:   "invalid parameter",
	wmi.WBEMNotSupported:       "not supported",
	wmi.WBEMInvalidNamespace:   "invalid namespace",
	wmi.WBEMInvalidClass:       "invalid class",
	wmi.WBEMTransportFailure:   "transport failure",
	wmi.WBEMInvalidQuery:       "invalid query",
	wmi.WBEMInvalidQueryType:   "invalid query type",
	wmi.WBEMInvalidMethod:      "invalid method",
	wmi.WBEMInvalidMethodParam: "invalid method parameters",
	wmi.WBEMCallCancelled:      "call cancelled",
	wmi.WBEMInvalidObjectPath:  "invalid object path",
	wmi.WBEMTimedOut:           "timed out",
	0x80070005:                 "access denied (run elevated, as a member of Administrators or Hyper-V Administrators)",
	0x800706BA:                 "the RPC server is unavailable",
	0x80010106:                 "COM was already initialised on this thread in another apartment mode",
	hrNotImpl:                  "not implemented",
	hrDispMemberNotFound:       "member not found",
	hrDispUnknownName:          "unknown name",
	hrDispException:            "exception occurred",
	0x80020005:                 "type mismatch",
}

// hrText is a short text for an HRESULT, for when COM gave no description.
func hrText(hr uint32) string {
	if s, ok := hrTexts[hr]; ok {
		return s
	}
	return "COM error"
}

// hresult finds the go-ole error in err's chain and returns its HRESULT and
// description. The scripting objects raise failures as exceptions: Invoke
// returns DISP_E_EXCEPTION and the WBEM code is the scode in EXCEPINFO.
func hresult(err error) (hr uint32, desc string, ok bool) {
	var oe *ole.OleError
	if !errors.As(err, &oe) {
		return 0, "", false
	}
	hr = uint32(oe.Code())
	if ei, isEI := oe.SubError().(ole.EXCEPINFO); isEI {
		hr = pickHResult(hr, ei.SCODE())
	}
	desc = strings.TrimSpace(oe.Description())
	if desc == "<nil>" { // go-ole's stand-in for a missing bstrDescription
		desc = ""
	}
	return hr, desc, true
}

// pickHResult prefers the exception's scode over the generic HRESULT.
func pickHResult(hr, scode uint32) uint32 {
	if hr == hrDispException && scode != 0 {
		return scode
	}
	return hr
}

func isHR(err error, want uint32) bool {
	hr, _, ok := hresult(err)
	return ok && hr == want
}

// isMissingMember reports whether err says the object lacks the member
// (Wine's scripting objects do not implement them all): such members are
// read on a best-effort basis.
func isMissingMember(err error) bool {
	hr, _, ok := hresult(err)
	return ok && (hr == hrNotImpl || hr == hrDispMemberNotFound || hr == hrDispUnknownName)
}

// stepError names the COM member that failed, so that the *wmi.Error built
// from it says where, e.g. "property Name: Value: type mismatch".
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + describe(e.err) }
func (e *stepError) Unwrap() error { return e.err }

// at wraps err with the member that failed; nil stays nil.
func at(step string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{step, err}
}

// describe is err's text, using the COM description (or a short text for
// the HRESULT) instead of go-ole's FormatMessage output, which knows
// nothing about WBEM codes.
func describe(err error) string {
	if oe, ok := err.(*ole.OleError); ok {
		hr, desc, _ := hresult(oe)
		if desc != "" {
			return desc
		}
		return hrText(hr)
	}
	return err.Error()
}

// comError turns the error of a COM call into a *wmi.Error carrying its
// HRESULT. An error that already is a *wmi.Error is returned as it is; an
// error without HRESULT (a value that did not convert, say) becomes
// WBEMFailed.
func comError(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var we *wmi.Error
	if errors.As(err, &we) {
		return we
	}
	e := &wmi.Error{Op: op, Path: path, HResult: wmi.WBEMFailed, Msg: describe(err)}
	if hr, _, ok := hresult(err); ok {
		e.HResult = hr
	}
	return e
}
