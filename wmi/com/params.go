package com

import (
	"errors"
	"fmt"
	"sort"

	"github.com/hvport/hvport/wmi"
)

func sortedNames(in wmi.Params) []string {
	names := make([]string, 0, len(in))
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// noParam reports an in-parameter the method does not declare.
func noParam(path, method, name string, cause error) error {
	msg := fmt.Sprintf("method %s has no parameter %s", method, name)
	if cause != nil {
		msg += " (" + describe(cause) + ")"
	}
	return &wmi.Error{Op: "ExecMethod", Path: path, HResult: wmi.WBEMInvalidMethodParam, Msg: msg}
}

// paramError reports an in-parameter value that paramValue could not
// convert.
func paramError(path, method, name string, err error) error {
	hr := wmi.WBEMTypeMismatch
	switch {
	case errors.Is(err, errObjectParam):
		hr = wmi.WBEMNotSupported
	case errors.Is(err, errEncode):
		hr = wmi.WBEMInvalidParameter
	}
	return &wmi.Error{Op: "ExecMethod", Path: path, HResult: hr,
		Msg: fmt.Sprintf("method %s, parameter %s: %v", method, name, err)}
}
