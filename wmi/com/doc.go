// Package com is the real-host transport behind wmi.Services: it drives the
// WMI scripting objects (SWbemLocator, SWbemServices, SWbemObject) through
// COM automation with github.com/go-ole/go-ole.
//
// # Threading
//
// COM state belongs to an OS thread, and Go moves goroutines between
// threads. So each Conn owns one goroutine that locks itself to its thread,
// initialises COM there (multithreaded apartment), creates one SWbemLocator
// and one SWbemServices, and then runs every request sent to it over a
// channel, one at a time. Nothing COM ever leaves that goroutine: results
// are converted to plain wmi.Object values before they are handed back.
// Creating SWbemLocators over and over leaks on Windows 10 / Server 2016,
// and each Connect creates one: keep one Conn for the life of the process
// rather than connecting per request.
//
// A request whose context is done before the goroutine picks it up is not
// run. A caller whose context ends while its request runs gets the context
// error back at once; the COM call itself cannot be interrupted, so it runs
// to completion on the goroutine and its result is dropped.
//
// # Objects
//
// Objects are read only through SWbemObject.Properties_ (and the system
// members Path_ and Derivation_), never by naming a property on the object
// itself: named access depends on each object's dynamic IDispatch (Wine's,
// for one, answers a plain property get with E_NOTIMPL), while Properties_
// also yields each property's CIM type, array flag and origin. Values
// arrive as automation VARIANTs (uint16 and uint32 as VT_I4, sint8 as
// VT_I2, 64-bit integers as decimal strings, embedded objects as IDispatch)
// and are brought to the canonical Go types of wmi.Property with
// wmi.Convert and the property's CIMType.
//
// Where Path_, Derivation_ or the enumeration of Properties_ answer "not
// implemented" (Wine's wbemdisp does; Windows does not), an object is read
// by name instead: Class, Path and Derivation from the system properties
// __CLASS, __PATH and __DERIVATION through Properties_.Item, the property
// names from the object's MOF text (GetObjectText_), each value from
// Properties_.Item(name).Value. Such properties carry the type their VARIANT
// shows (uint16 and uint32 read as sint32, 64-bit integers and datetimes
// as strings), no origin, and NULL properties are missing; the fallback
// exists so that CI can run this transport under Wine, not for production.
//
// Methods are called the way the Hyper-V samples do it: spawn the method's
// InParameters, set each named parameter through Properties_.Item(name), and
// call ExecMethod_. Each value is converted to the automation type of the
// parameter's declared CIM type first, and passed by value in a VARIANT
// built here (SAFEARRAYs for arrays) through a property put of our own:
// go-ole can pass a VARIANT only by reference, and its []string argument
// leaks the BSTRs it copies.
//
// Where the scripting objects cannot do a step of that (Wine's wbemdisp:
// SpawnInstance_, SWbemProperty.CIMType, IsArray and the Value put, and the
// enumeration of the out-parameters all answer E_NOTIMPL), each step falls
// back where it gets that answer: Wine's InParameters is already an instance,
// the declared types and the out-parameters' names come from the method's
// signature (IWbemClassObject::GetMethod through the native API,
// signature_windows.go), and a value is set through the object's own named
// property. On Windows none of this runs.
//
// # Embedded instances
//
// Conn implements wmi.InstanceTexter: the text of an embedded instance is
// WMI's own, as in Microsoft's samples: the live object (Get by path, or
// SpawnInstance_ of the class), every property set on it, then
// SWbemObjectEx.GetText_(1). Wine has no GetText_ (and no SpawnInstance_),
// so there wmi.Embed falls back to wmi.EncodeInstance.
//
// # Errors
//
// A failing COM call becomes a *wmi.Error whose HResult is the WBEM code
// from the exception (for example 0x80041002, not found), not the generic
// DISP_E_EXCEPTION that IDispatch::Invoke reports.
//
// # Building and testing
//
// The COM code is in _windows.go files. On other systems Connect returns
// ErrNotWindows, so callers build everywhere. The parts that need no COM
// (the request goroutine, value conversion, error mapping) build and are
// tested on every system. The Windows tests talk to the local WMI service
// (root\cimv2 read-only; root\default's StdRegProv, which they let write
// one key under HKEY_CURRENT_USER\Software and delete it again) and need no
// Hyper-V; CI runs them under Wine (ci/wine/run-smoke.sh), where they
// assert what Wine's scripting objects refuse (docs/WINDOWS.md lists it).
package com
