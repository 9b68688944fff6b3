package com

import (
	"errors"
	"strings"
	"testing"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

func TestHResult(t *testing.T) {
	hr, desc, ok := hresult(at("Get", ole.NewErrorWithDescription(uintptr(wmi.WBEMNotFound), "Not found ")))
	if !ok || hr != wmi.WBEMNotFound || desc != "Not found" {
		t.Errorf("hresult = %#x, %q, %v", hr, desc, ok)
	}
	// go-ole reports an exception without text as "<nil>".
	_, desc, _ = hresult(ole.NewErrorWithSubError(hrDispException, "<nil>", ole.EXCEPINFO{}))
	if desc != "" {
		t.Errorf("desc = %q, want empty", desc)
	}
	if _, _, ok := hresult(errors.New("plain")); ok {
		t.Error("plain error has an HRESULT")
	}
}

func TestPickHResult(t *testing.T) {
	if got := pickHResult(hrDispException, wmi.WBEMNotFound); got != wmi.WBEMNotFound {
		t.Errorf("exception with scode: %#x", got)
	}
	if got := pickHResult(hrDispException, 0); got != hrDispException {
		t.Errorf("exception without scode: %#x", got)
	}
	if got := pickHResult(0x80070005, 0); got != 0x80070005 {
		t.Errorf("plain HRESULT: %#x", got)
	}
}

func TestComError(t *testing.T) {
	err := comError("Get", "Msvm_ComputerSystem.Name=\"x\"", at("Get", ole.NewErrorWithDescription(uintptr(wmi.WBEMNotFound), "Not found ")))
	var we *wmi.Error
	if !errors.As(err, &we) || we.HResult != wmi.WBEMNotFound || we.Op != "Get" || we.Path == "" {
		t.Fatalf("comError = %#v", err)
	}
	if we.Msg != "Get: Not found" {
		t.Errorf("Msg = %q", we.Msg)
	}
	if !wmi.IsNotFound(err) {
		t.Error("IsNotFound = false")
	}

	// No description: a short text for the code instead.
	err = comError("ExecQuery", "SELECT", ole.NewError(uintptr(wmi.WBEMInvalidQuery)))
	if !errors.As(err, &we) || we.Msg != "invalid query" {
		t.Errorf("Msg = %q", we.Msg)
	}

	// A *wmi.Error passes through; other errors become WBEMFailed.
	inner := &wmi.Error{Op: "ExecMethod", HResult: wmi.WBEMInvalidMethodParam}
	if got := comError("ExecMethod", "p", at("x", inner)); got != inner {
		t.Errorf("comError(*wmi.Error) = %v", got)
	}
	err = comError("Get", "p", at("property X", errors.New("want uint8, got string")))
	if !errors.As(err, &we) || we.HResult != wmi.WBEMFailed || !strings.Contains(we.Msg, "property X: want uint8") {
		t.Errorf("plain error: %#v", err)
	}
	if comError("Get", "p", nil) != nil {
		t.Error("comError(nil) != nil")
	}
}

func TestIsMissingMember(t *testing.T) {
	for _, hr := range []uint32{hrNotImpl, hrDispMemberNotFound, hrDispUnknownName} {
		if !isMissingMember(at("Derivation_", ole.NewError(uintptr(hr)))) {
			t.Errorf("%#x is not a missing member", hr)
		}
	}
	if isMissingMember(ole.NewError(uintptr(wmi.WBEMAccessDenied))) || isMissingMember(errors.New("x")) {
		t.Error("false positive")
	}
}

func TestStepErrorText(t *testing.T) {
	err := at("property Foo", at("Value", ole.NewErrorWithDescription(uintptr(wmi.WBEMTypeMismatch), "")))
	if got := err.Error(); got != "property Foo: Value: type mismatch" {
		t.Errorf("Error() = %q", got)
	}
	if at("x", nil) != nil {
		t.Error("at(nil) != nil")
	}
}

func TestParamErrors(t *testing.T) {
	var we *wmi.Error
	err := noParam("p", "ExportSystemDefinition", "ExportDirectroy", nil)
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethodParam || !strings.Contains(we.Msg, "ExportDirectroy") {
		t.Errorf("noParam = %#v", err)
	}
	for cause, want := range map[error]uint32{
		errObjectParam:             wmi.WBEMNotSupported,
		errors.Join(errEncode):     wmi.WBEMInvalidParameter,
		errors.New("want boolean"): wmi.WBEMTypeMismatch,
	} {
		err := paramError("p", "M", "N", cause)
		if !errors.As(err, &we) || we.HResult != want || !strings.Contains(we.Msg, "parameter N") {
			t.Errorf("paramError(%v) = %#v, want %#x", cause, err, want)
		}
	}
	if got := sortedNames(wmi.Params{"b": 1, "a": 2}); strings.Join(got, ",") != "a,b" {
		t.Errorf("sortedNames = %v", got)
	}
}
