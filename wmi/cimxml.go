package wmi

import "errors"

// EncodeInstance writes o as a CIM-XML (DTD 2.0) INSTANCE element, the form
// SWbemObject.GetText_(1) produces and that embedded-instance parameters
// (ExportSettingData, ResourceSettings[], SystemSettings, ...) take.
func EncodeInstance(o *Object) (string, error) {
	return "", errors.New("EncodeInstance: not implemented yet")
}

// DecodeInstance parses a CIM-XML (DTD 2.0) INSTANCE element.
func DecodeInstance(s string) (*Object, error) {
	return nil, errors.New("DecodeInstance: not implemented yet")
}
