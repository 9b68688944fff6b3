//go:build windows

package com

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

// This file asks the native WMI API (wbemcli.h: IWbemLocator,
// IWbemServices, IWbemClassObject) for one thing the scripting objects
// normally tell: the declared names and CIM types of a method's
// parameters. It runs only where the scripting objects cannot describe a
// parameter: Wine's wbemdisp answers SWbemProperty.CIMType and IsArray,
// SWbemPropertySet._NewEnum and SWbemMethod.OutParameters with E_NOTIMPL,
// and its GetObjectText_ leaves out array properties and what a method put
// into its out-parameters (wine dlls/wbemdisp/locator.c, property_get_CIMType,
// propertyset_get__NewEnum, method_get_OutParameters; dlls/wbemprox/class.c,
// get_body_text). Without the declarations an in-parameter could not be
// converted to its declared type and an out-parameter such as
// StdRegProv.EnumKey's sNames[] could not even be found. On Windows the
// scripting objects answer, so nothing here runs.
//
// The declarations come from IWbemClassObject::GetMethod on the class
// (learn.microsoft.com/windows/win32/api/wbemcli/nf-wbemcli-iwbemclassobject-getmethod)
// and an enumeration of each signature object's properties with
// BeginEnumeration/Next, whose CIMTYPE carries CIM_FLAG_ARRAY for arrays
// (nf-wbemcli-iwbemclassobject-next).

// decl is one declared property (a method parameter): its name, CIM type
// and whether it is an array.
type decl struct {
	name  string
	t     wmi.CIMType
	array bool
}

// signature holds a method's declared in- and out-parameters.
type signature struct {
	in, out []decl
}

// find returns the declaration of name (case-insensitive, as WMI compares
// names), or nil.
func find(decls []decl, name string) *decl {
	for i := range decls {
		if strings.EqualFold(decls[i].name, name) {
			return &decls[i]
		}
	}
	return nil
}

var (
	clsidWbemLocator = ole.NewGUID("{4590F811-1D3A-11D0-891F-00AA004B2E24}")
	iidIWbemLocator  = ole.NewGUID("{DC12A687-737F-11CF-884D-00AA004B2E24}")
)

// Vtable slots (wbemcli.h), counted from IUnknown's three.
const (
	slotLocatorConnectServer = 3  // IWbemLocator::ConnectServer
	slotServicesGetObject    = 6  // IWbemServices::GetObject
	slotObjectBeginEnum      = 8  // IWbemClassObject::BeginEnumeration
	slotObjectNext           = 9  // IWbemClassObject::Next
	slotObjectEndEnum        = 10 // IWbemClassObject::EndEnumeration
	slotObjectGetMethod      = 19 // IWbemClassObject::GetMethod
)

const (
	wbemFlagNonSystemOnly = 0x40    // WBEM_FLAG_NONSYSTEM_ONLY
	wbemSNoMoreData       = 0x40005 // WBEM_S_NO_MORE_DATA
)

// vcall calls slot of obj's vtable with obj as this. Like syscall.SyscallN
// and windows.Proc.Call, it takes pointers converted to uintptr in its
// argument list: uintptrescapes moves what they point to to the heap and
// keeps it alive for the call, so a stack that grows meanwhile cannot
// leave them dangling.
//
//go:uintptrescapes
func vcall(obj *ole.IUnknown, slot int, args ...uintptr) uint32 {
	fn := *(*uintptr)(unsafe.Add(unsafe.Pointer(obj.RawVTable), slot*int(unsafe.Sizeof(uintptr(0)))))
	hr, _, _ := syscall.SyscallN(fn, append([]uintptr{uintptr(unsafe.Pointer(obj))}, args...)...)
	return uint32(hr)
}

func hrError(step string, hr uint32) error {
	if int32(hr) >= 0 {
		return nil
	}
	return at(step, ole.NewError(uintptr(hr)))
}

// signature returns method's declared parameters on class, asking the
// native API once per class and method. It runs on the COM goroutine.
func (c *Conn) signature(class, method string) (*signature, error) {
	key := strings.ToLower(class + "." + method)
	if s, ok := c.sigs[key]; ok {
		return s, nil
	}
	svc, err := c.nativeServices()
	if err != nil {
		return nil, err
	}
	path := ole.SysAllocStringLen(class)
	defer ole.SysFreeString(path)
	var cls *ole.IUnknown
	if err := hrError("IWbemServices::GetObject", vcall(svc, slotServicesGetObject,
		uintptr(unsafe.Pointer(path)), 0, 0, uintptr(unsafe.Pointer(&cls)), 0)); err != nil {
		return nil, err
	}
	defer cls.Release()
	name, err := syscall.UTF16PtrFromString(method)
	if err != nil {
		return nil, err
	}
	var in, out *ole.IUnknown
	if err := hrError("IWbemClassObject::GetMethod", vcall(cls, slotObjectGetMethod,
		uintptr(unsafe.Pointer(name)), 0, uintptr(unsafe.Pointer(&in)), uintptr(unsafe.Pointer(&out)))); err != nil {
		return nil, err
	}
	s := &signature{}
	var errIn, errOut error
	if in != nil { // nil: the method has no in-parameters
		s.in, errIn = declarations(in)
		in.Release()
	}
	if out != nil {
		s.out, errOut = declarations(out)
		out.Release()
	}
	if err := errors.Join(errIn, errOut); err != nil {
		return nil, fmt.Errorf("parameters of %s.%s: %w", class, method, err)
	}
	if c.sigs == nil {
		c.sigs = map[string]*signature{}
	}
	c.sigs[key] = s
	return s, nil
}

// declarations enumerates the non-system properties of a class object.
func declarations(obj *ole.IUnknown) ([]decl, error) {
	if err := hrError("IWbemClassObject::BeginEnumeration", vcall(obj, slotObjectBeginEnum, wbemFlagNonSystemOnly)); err != nil {
		return nil, err
	}
	defer vcall(obj, slotObjectEndEnum)
	var out []decl
	for {
		var name *uint16
		var val ole.VARIANT
		var cimtype int32
		hr := vcall(obj, slotObjectNext, 0, uintptr(unsafe.Pointer(&name)), uintptr(unsafe.Pointer(&val)),
			uintptr(unsafe.Pointer(&cimtype)), 0)
		if hr == wbemSNoMoreData {
			return out, nil
		}
		if err := hrError("IWbemClassObject::Next", hr); err != nil {
			return nil, err
		}
		ole.VariantClear(&val)
		n := ole.BstrToString(name)
		ole.SysFreeString((*int16)(unsafe.Pointer(name)))
		if strings.HasPrefix(n, "__") { // a system property, where the flag was not honoured
			continue
		}
		t, array := splitCIMType(int64(cimtype))
		out = append(out, decl{name: n, t: t, array: array})
	}
}

// nativeServices connects an IWbemServices to the Conn's namespace, once.
// It is released with the Conn.
func (c *Conn) nativeServices() (*ole.IUnknown, error) {
	if c.native != nil {
		return c.native, nil
	}
	loc, err := ole.CreateInstance(clsidWbemLocator, iidIWbemLocator)
	if err != nil {
		return nil, at("WbemLocator", err)
	}
	defer loc.Release()
	resource := c.namespace
	if c.server != "." {
		resource = `\\` + c.server + `\` + c.namespace
	}
	ns := ole.SysAllocStringLen(resource)
	defer ole.SysFreeString(ns)
	var svc *ole.IUnknown
	if err := hrError("IWbemLocator::ConnectServer", vcall(loc, slotLocatorConnectServer,
		uintptr(unsafe.Pointer(ns)), 0, 0, 0, 0, 0, 0, uintptr(unsafe.Pointer(&svc)))); err != nil {
		return nil, err
	}
	c.native = svc
	return svc, nil
}
