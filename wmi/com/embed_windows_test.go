//go:build windows

package com

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hvport/hvport/wmi"
)

// Embedded instances from the transport (InstanceText, through wmi.Embed):
// on Windows SWbemObjectEx.GetText_(1) writes the live object, edited. Wine
// refuses three steps of that, each with its own HRESULT, and Embed must
// then fall back to wmi.EncodeInstance and say which call was refused:
//
//   - SWbemObject.GetText_: Wine's SWbemObject is no SWbemObjectEx, the name
//     is unknown (DISP_E_UNKNOWNNAME, 0x80020006);
//   - SWbemObject.SpawnInstance_: not implemented (E_NOTIMPL, 0x80004001);
//   - setting most properties of an instance read with Get (through the
//     object's named property, since SWbemProperty.Value cannot be set
//     there): WBEM_E_FAILED, 0x80041001 (a datetime: WBEM_E_TYPE_MISMATCH,
//     0x80041005). Caption is one Wine takes.

// HRESULTs Wine answers (winerror.h, wbemcli.h).
const (
	hrWineUnknownName = hrDispUnknownName // GetText_
	hrWineNotImpl     = hrNotImpl         // SpawnInstance_
	hrWineFailed      = wmi.WBEMFailed    // a property put
)

func TestInstanceText(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	objs, err := c.ExecQuery(ctx, "SELECT * FROM Win32_OperatingSystem")
	if err != nil || len(objs) != 1 {
		t.Fatalf("ExecQuery = %d objects, %v", len(objs), err)
	}
	// An edited copy of a live instance, as the driver sends them.
	live := objs[0].Clone()
	const desc = `hvport ✓ <&> "edited"`
	if err := live.Set("Caption", desc); err != nil {
		t.Fatal(err)
	}
	// Only the edit: the live instance keeps the rest.
	edit := &wmi.Object{Class: live.Class, Path: live.Path, Props: []wmi.Property{*live.Prop("Caption")}}
	// A new instance (no path): spawned from the class.
	spawned := live.Clone()
	spawned.Path = ""

	for _, tc := range []struct {
		name   string
		o      *wmi.Object
		wineHR uint32 // how Wine refuses
		wineAt string // which call
	}{
		{"EveryPropertyByPath", live, hrWineFailed, "property "},
		{"OneEditByPath", edit, hrWineUnknownName, "GetText_"},
		{"Spawned", spawned, hrWineNotImpl, "SpawnInstance_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, fallback, err := wmi.Embed(ctx, c, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if onWine() {
				var we *wmi.Error
				if !errors.As(fallback, &we) || we.HResult != tc.wineHR || !strings.Contains(we.Msg, tc.wineAt) {
					t.Fatalf("fallback = %v; want Wine to refuse %s with 0x%08X", fallback, tc.wineAt, tc.wineHR)
				}
				t.Logf("Wine refuses it, Embed falls back: %v", fallback)
				if want, _ := wmi.EncodeInstance(tc.o); text != want {
					t.Fatalf("the fallback text is not EncodeInstance's:\n%s", text)
				}
			} else if fallback != nil {
				t.Fatalf("GetText_ failed, Embed fell back: %v", fallback)
			}
			back, err := wmi.DecodeInstance(text)
			if err != nil {
				t.Fatalf("DecodeInstance: %v\n%s", err, text)
			}
			if back.Class != tc.o.Class || !wmi.SamePath(back.Path, tc.o.Path) {
				t.Errorf("decoded class %q path %q, want %q %q", back.Class, back.Path, tc.o.Class, tc.o.Path)
			}
			if got := back.String("Caption"); got != desc {
				t.Errorf("Caption = %q, want the edited %q", got, desc)
			}
			for _, p := range tc.o.Props {
				q := back.Prop(p.Name)
				if q == nil || q.Type != p.Type || q.Array != p.Array || !sameValue(q.Value, p.Value) {
					t.Errorf("property %s: decoded %+v, want %+v", p.Name, q, p)
				}
			}
		})
	}
}

// sameValue compares property values, taking an empty array for NULL: WMI
// writes an empty array as a PROPERTY.ARRAY without VALUE.ARRAY
// (docs/HYPERV.md#embedded-instances), which decodes as NULL.
func sameValue(a, b any) bool {
	empty := func(v any) bool {
		r := reflect.ValueOf(v)
		return v == nil || (r.Kind() == reflect.Slice && r.Len() == 0)
	}
	if empty(a) && empty(b) {
		return true
	}
	return reflect.DeepEqual(a, b)
}
