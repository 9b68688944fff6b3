//go:build windows

package com

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"github.com/hvport/hvport/wmi"
)

// The method path of the transport — ExecMethod with in-parameters, every
// shape of out-parameter, ReturnValue — against StdRegProv, the registry
// provider that Windows and Wine both have
// (learn.microsoft.com/previous-versions/windows/desktop/regprov/stdregprov).
// Each method is uint32 Name([in] uint32 hDefKey, [in] string sSubKeyName,
// ...) and returns 0 or a winerror.h code in ReturnValue. The test writes
// only under HKEY_CURRENT_USER\Software\hvport-test-<pid>-<time> and
// deletes that key again.
//
// Under Wine (CI's smoke test) this runs the same calls through the
// fallbacks of ops_windows.go, each taken only on the HRESULT Wine gives:
// SWbemObject.SpawnInstance_ on InParameters → 0x80004001 (Wine's
// InParameters already is an instance), SWbemProperty.CIMType/IsArray →
// 0x80004001 (the types come from the method's signature,
// signature_windows.go), SWbemProperty.Value put → 0x80004001 (the
// object's named property is set instead), SWbemPropertySet._NewEnum →
// 0x80004001 (the out-parameters are read by their declared names).

const (
	// HKEY_CURRENT_USER (winreg.h): above MaxInt32, so the uint32
	// in-parameter travels as a negative VT_I4.
	hkeyCurrentUser = uint32(0x80000001)
	// ERROR_FILE_NOT_FOUND (winerror.h), StdRegProv's ReturnValue for a
	// key or value that does not exist.
	errorFileNotFound = 2
	// REG_SZ (winnt.h), a string value's type in EnumValues' Types[].
	regSZ = 1
)

// hkey is a predefined registry key (a hive) as hDefKey's declared type
// takes it: the uint32 Microsoft declares. Wine declares hDefKey sint32
// (dlls/wbemprox/builtin.c), so there it is the int32 with the same 32
// bits. Either way the VARIANT on the wire is the same VT_I4, and
// CreateKey's key must turn up in that hive.
func hkey(k uint32) any {
	if onWine() {
		return int32(k)
	}
	return k
}

// regCall calls a StdRegProv method on HKEY_CURRENT_USER and checks the
// out-parameters' shape: class __PARAMETERS and a ReturnValue declared
// uint32.
func regCall(t *testing.T, c *Conn, method string, in wmi.Params) *wmi.Object {
	t.Helper()
	if in == nil {
		in = wmi.Params{}
	}
	in["hDefKey"] = hkey(hkeyCurrentUser)
	out, err := c.ExecMethod(context.Background(), "StdRegProv", method, in)
	if err != nil {
		t.Fatalf("%s(%v): %v", method, in, err)
	}
	if out.Class != wmi.ClassParameters {
		t.Errorf("%s: out-parameters of class %q", method, out.Class)
	}
	if p := out.Prop("ReturnValue"); p == nil || p.Type != wmi.CIMUint32 || p.Array {
		t.Errorf("%s: ReturnValue = %+v, want a uint32", method, p)
	}
	return out
}

func wantReturn(t *testing.T, method string, out *wmi.Object, want uint32) {
	t.Helper()
	if got := wmi.ReturnValue(out); got != want {
		t.Fatalf("%s: ReturnValue %d, want %d (out-parameters %+v)", method, got, want, out)
	}
}

// TestRegistryMethods: CreateKey, SetStringValue, GetStringValue, EnumKey,
// EnumValues and DeleteKey, each checked against the registry itself
// (golang.org/x/sys/windows/registry), so an in-parameter that arrives
// wrong cannot pass by coming back just as wrong.
func TestRegistryMethods(t *testing.T) {
	c := connect(t, `root\default`)
	key := fmt.Sprintf(`Software\hvport-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
	subkeys := []string{"alpha", "beta"}
	t.Cleanup(func() {
		for _, k := range []string{key + `\alpha`, key + `\beta`, key} {
			registry.DeleteKey(registry.CURRENT_USER, k) // what DeleteKey below did not
		}
	})

	t.Run("CreateKey", func(t *testing.T) {
		wantReturn(t, "CreateKey", regCall(t, c, "CreateKey", wmi.Params{"sSubKeyName": key}), 0)
		for _, sub := range subkeys {
			wantReturn(t, "CreateKey", regCall(t, c, "CreateKey", wmi.Params{"sSubKeyName": key + `\` + sub}), 0)
		}
		// The key is where hDefKey = 0x80000001 says: HKEY_CURRENT_USER.
		k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.ENUMERATE_SUB_KEYS)
		if err != nil {
			t.Fatalf("the key CreateKey made is not under HKEY_CURRENT_USER: %v", err)
		}
		k.Close()
	})

	const valueName = "greeting"
	value := `hvport ✓ <&> "quoted" \ end`
	t.Run("SetAndGetStringValue", func(t *testing.T) {
		out := regCall(t, c, "SetStringValue", wmi.Params{"sSubKeyName": key, "sValueName": valueName, "sValue": value})
		wantReturn(t, "SetStringValue", out, 0)
		k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := k.GetStringValue(valueName)
		k.Close()
		if err != nil || got != value {
			t.Fatalf("the registry holds %q, %v; want %q", got, err, value)
		}
		out = regCall(t, c, "GetStringValue", wmi.Params{"sSubKeyName": key, "sValueName": valueName})
		wantReturn(t, "GetStringValue", out, 0)
		if p := out.Prop("sValue"); p == nil || p.Type != wmi.CIMString || p.Array || p.Value != value {
			t.Fatalf("GetStringValue: sValue = %+v, want the string %q", p, value)
		}
	})

	t.Run("EnumKeyStringArray", func(t *testing.T) {
		out := regCall(t, c, "EnumKey", wmi.Params{"sSubKeyName": key})
		wantReturn(t, "EnumKey", out, 0)
		p := out.Prop("sNames")
		if p == nil || p.Type != wmi.CIMString || !p.Array {
			t.Fatalf("EnumKey: sNames = %+v, want a string array", p)
		}
		names := slices.Clone(p.Value.([]string))
		slices.Sort(names) // the registry does not promise an order
		if !reflect.DeepEqual(names, subkeys) {
			t.Fatalf("EnumKey: sNames = %q, want %q", names, subkeys)
		}
	})

	t.Run("EnumValuesTwoArrays", func(t *testing.T) {
		out := regCall(t, c, "EnumValues", wmi.Params{"sSubKeyName": key})
		wantReturn(t, "EnumValues", out, 0)
		if p := out.Prop("sNames"); p == nil || !p.Array || !reflect.DeepEqual(p.Value, []string{valueName}) {
			t.Errorf("EnumValues: sNames = %+v, want [%s]", p, valueName)
		}
		if p := out.Prop("Types"); p == nil || p.Type != wmi.CIMSint32 || !p.Array || !reflect.DeepEqual(p.Value, []int32{regSZ}) {
			t.Errorf("EnumValues: Types = %+v, want the sint32 array [%d]", p, regSZ)
		}
	})

	t.Run("MissingKeyIsANonZeroReturnValue", func(t *testing.T) {
		missing := key + `\hvport-no-such-key`
		out := regCall(t, c, "GetStringValue", wmi.Params{"sSubKeyName": missing, "sValueName": valueName})
		wantReturn(t, "GetStringValue", out, errorFileNotFound)
		// Wine leaves a NULL BSTR there, which COM reads as "", where
		// Windows leaves the property NULL.
		if v := out.Get("sValue"); v != nil && !(onWine() && v == "") {
			t.Errorf("GetStringValue of a missing key: sValue = %#v, want NULL", v)
		}
		out = regCall(t, c, "EnumKey", wmi.Params{"sSubKeyName": missing})
		wantReturn(t, "EnumKey", out, errorFileNotFound)
		if v := out.Get("sNames"); v != nil {
			t.Errorf("EnumKey of a missing key: sNames = %#v, want NULL", v)
		}
	})

	t.Run("ParameterErrors", func(t *testing.T) {
		var we *wmi.Error
		_, err := c.ExecMethod(context.Background(), "StdRegProv", "EnumKey", wmi.Params{"sSubKeyNmae": key})
		if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethodParam {
			t.Errorf("misspelt parameter: %v, want 0x%08X", err, wmi.WBEMInvalidMethodParam)
		}
		// The declared type decides: a number is no string.
		_, err = c.ExecMethod(context.Background(), "StdRegProv", "EnumKey", wmi.Params{"sSubKeyName": 42})
		if !errors.As(err, &we) || we.HResult != wmi.WBEMTypeMismatch {
			t.Errorf("a number for a string parameter: %v, want 0x%08X", err, wmi.WBEMTypeMismatch)
		}
		// ... and a uint32 takes no negative number (where hDefKey is the
		// sint32 Wine declares, no number above MaxInt32).
		bad := any(-1)
		if onWine() {
			bad = hkeyCurrentUser
		}
		_, err = c.ExecMethod(context.Background(), "StdRegProv", "EnumKey", wmi.Params{"hDefKey": bad, "sSubKeyName": key})
		if !errors.As(err, &we) || we.HResult != wmi.WBEMTypeMismatch {
			t.Errorf("hDefKey %v: %v, want 0x%08X", bad, err, wmi.WBEMTypeMismatch)
		}
	})

	t.Run("DeleteKey", func(t *testing.T) {
		for _, k := range []string{key + `\alpha`, key + `\beta`, key} {
			wantReturn(t, "DeleteKey", regCall(t, c, "DeleteKey", wmi.Params{"sSubKeyName": k}), 0)
		}
		if k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE); err == nil {
			k.Close()
			t.Fatal("the key is still there after DeleteKey")
		}
		wantReturn(t, "EnumKey", regCall(t, c, "EnumKey", wmi.Params{"sSubKeyName": key}), errorFileNotFound)
	})
}
