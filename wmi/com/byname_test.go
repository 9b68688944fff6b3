package com

import (
	"reflect"
	"testing"

	"github.com/hvport/hvport/wmi"
)

// wineProcessText is what Wine 8's SWbemObject.GetObjectText_ returned for
// a Win32_Process instance (strings are not escaped, and the text ends in
// padding spaces).
const wineProcessText = "\ninstance of Win32_Process\n{\n" +
	"\tCaption = \"probe.exe\";\n" +
	"\tCommandLine = \"\"Z:\\tmp\\p3\\probe\\probe.exe\"\";\n" +
	"\tHandle = \"32\";\n" +
	"\tParentProcessID = 0;\n" +
	"\tProcessID = 32;\n" +
	"\tThreadCount = 7;\n" +
	"};                                                  "

func TestMOFPropertyNamesWine(t *testing.T) {
	class, names := mofPropertyNames(wineProcessText)
	want := []string{"Caption", "CommandLine", "Handle", "ParentProcessID", "ProcessID", "ThreadCount"}
	if class != "Win32_Process" || !reflect.DeepEqual(names, want) {
		t.Errorf("got %q %q, want Win32_Process %q", class, names, want)
	}
}

func TestMOFPropertyNamesNestedAndQualified(t *testing.T) {
	// The shape Windows writes: CRLF, escaped strings, qualifiers, an
	// embedded instance whose lines are one tab deeper, and an array.
	text := "\r\ninstance of Msvm_Error\r\n{\r\n" +
		"\t[key] InstanceID = \"Microsoft:1\\\\2\";\r\n" +
		"\tMessage = \"a = b\";\r\n" +
		"\tEmbedded = \r\n\tinstance of Inner\r\n\t{\r\n\t\tInnerProp = 1;\r\n\t};\r\n" +
		"\tMessageArguments = {\"x\", \"y\"};\r\n" +
		"\tinstanceid = \"duplicate, in another case\";\r\n" +
		"\t9Bad = 1;\r\n" +
		"\tNo equals sign;\r\n" +
		"};\r\n"
	class, names := mofPropertyNames(text)
	want := []string{"InstanceID", "Message", "Embedded", "MessageArguments"}
	if class != "Msvm_Error" || !reflect.DeepEqual(names, want) {
		t.Errorf("got %q %q, want Msvm_Error %q", class, names, want)
	}
	if class, names := mofPropertyNames(""); class != "" || names != nil {
		t.Errorf("empty text: %q %q", class, names)
	}
}

func TestIsCIMName(t *testing.T) {
	for s, want := range map[string]bool{
		"Name": true, "_x": true, "__PATH": true, "A1": true,
		"": false, "1A": false, "a b": false, "a-b": false, "é": false,
	} {
		if got := isCIMName(s); got != want {
			t.Errorf("isCIMName(%q) = %v", s, got)
		}
	}
}

func TestInferCIMType(t *testing.T) {
	obj := &wmi.Object{Class: "X"}
	for _, c := range []struct {
		raw   any
		t     wmi.CIMType
		array bool
	}{
		{"s", wmi.CIMString, false},
		{true, wmi.CIMBoolean, false},
		{int8(1), wmi.CIMSint8, false},
		{uint8(1), wmi.CIMUint8, false},
		{int16(1), wmi.CIMSint16, false},
		{uint16(1), wmi.CIMUint16, false},
		{int32(1), wmi.CIMSint32, false},
		{int(1), wmi.CIMSint32, false},
		{uint32(1), wmi.CIMUint32, false},
		{int64(1), wmi.CIMSint64, false},
		{uint64(1), wmi.CIMUint64, false},
		{float32(1), wmi.CIMReal32, false},
		{float64(1), wmi.CIMReal64, false},
		{obj, wmi.CIMObject, false},
		{nil, wmi.CIMString, false},
		{[]any{}, wmi.CIMString, true},
		{[]any{int32(4), int32(5)}, wmi.CIMSint32, true},
		{[]any{"a", "b"}, wmi.CIMString, true},
	} {
		gt, ga := inferCIMType(c.raw)
		if gt != c.t || ga != c.array {
			t.Errorf("inferCIMType(%#v) = %s %v, want %s %v", c.raw, gt, ga, c.t, c.array)
			continue
		}
		// Whatever is inferred must convert.
		if _, err := fromAutomation(gt, ga, c.raw); err != nil {
			t.Errorf("fromAutomation(%s, %v, %#v): %v", gt, ga, c.raw, err)
		}
	}
}

func TestTrimNUL(t *testing.T) {
	if got := trimNUL("\\\\VM\\ROOT\\CIMV2:Win32_Process.Handle=\"32\"\x00\x00\x00"); got != `\\VM\ROOT\CIMV2:Win32_Process.Handle="32"` {
		t.Errorf("trimNUL = %q", got)
	}
}
