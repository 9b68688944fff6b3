//go:build windows

package com

import (
	"context"
	"sync"

	ole "github.com/go-ole/go-ole"
	"github.com/go-ole/go-ole/oleutil"
	"golang.org/x/sys/windows"

	"github.com/hvport/hvport/wmi"
)

var _ wmi.Services = (*Conn)(nil)

// Conn is a connection to one WMI namespace. It is safe for concurrent
// use; its calls run one at a time on the connection's COM goroutine.
type Conn struct {
	namespace string
	w         *worker

	// Used only on the COM goroutine.
	server   string         // the host, "." for this one
	locator  *ole.IDispatch // SWbemLocator
	services *ole.IDispatch // SWbemServices
	// native and sigs serve only where the scripting objects cannot
	// describe a method's parameters (Wine; see signature_windows.go).
	native *ole.IUnknown         // IWbemServices, connected on first use
	sigs   map[string]*signature // by lower-case "class.method"
}

// Connect connects to namespace (for example wmi.NamespaceV2) on the host
// named by opts, or on this host. It fails with a *wmi.Error, for instance
// WBEMInvalidNamespace when the namespace does not exist, or
// 0x80070005 when the process is not elevated.
func Connect(ctx context.Context, namespace string, opts Options) (*Conn, error) {
	if namespace == "" {
		return nil, &wmi.Error{Op: "Connect", HResult: wmi.WBEMInvalidNamespace, Msg: "empty namespace"}
	}
	c := &Conn{namespace: namespace}
	w, err := startWorker(ctx, "Connect", namespace, func() (func(), error) {
		return c.open(opts.server())
	})
	if err != nil {
		return nil, err
	}
	c.w = w
	return c, nil
}

// Close releases the connection and ends its COM goroutine, after the call
// in progress, if any, has finished. Calls made after Close fail with an
// error that wraps ErrClosed. Close always returns nil.
func (c *Conn) Close() error {
	if c != nil && c.w != nil {
		c.w.close()
	}
	return nil
}

// Namespace is the namespace passed to Connect.
func (c *Conn) Namespace() string { return c.namespace }

// ExecQuery implements wmi.Services.
func (c *Conn) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	return call(c.w, ctx, "ExecQuery", wql, func() ([]*wmi.Object, error) {
		objs, err := c.execQuery(wql)
		return objs, comError("ExecQuery", wql, err)
	})
}

// Get implements wmi.Services.
func (c *Conn) Get(ctx context.Context, path string) (*wmi.Object, error) {
	if path == "" {
		return nil, &wmi.Error{Op: "Get", HResult: wmi.WBEMInvalidObjectPath, Msg: "empty object path"}
	}
	return call(c.w, ctx, "Get", path, func() (*wmi.Object, error) {
		o, err := c.get(path)
		return o, comError("Get", path, err)
	})
}

// ExecMethod implements wmi.Services.
func (c *Conn) ExecMethod(ctx context.Context, path, method string, in wmi.Params) (*wmi.Object, error) {
	if path == "" {
		return nil, &wmi.Error{Op: "ExecMethod", HResult: wmi.WBEMInvalidObjectPath, Msg: "empty object path"}
	}
	return call(c.w, ctx, "ExecMethod", path, func() (*wmi.Object, error) {
		o, err := c.execMethod(path, method, in)
		return o, comError("ExecMethod", path, err)
	})
}

// open runs on the COM goroutine: it initialises COM, connects, and returns
// what undoes that.
func (c *Conn) open(server string) (func(), error) {
	fail := func(step string, err error) error {
		return comError("Connect", c.namespace, at(step, err))
	}
	// S_FALSE means COM was already initialised on this thread; the call
	// still counts and still needs its CoUninitialize.
	if err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED); err != nil && !isHR(err, hrSFalse) {
		return nil, fail("CoInitializeEx", err)
	}
	c.server = server
	undo := func() {
		if c.native != nil {
			c.native.Release()
		}
		release(c.services)
		release(c.locator)
		c.native, c.services, c.locator, c.sigs = nil, nil, nil, nil
		ole.CoUninitialize()
	}
	if err := c.connect(server); err != nil {
		undo()
		return nil, err
	}
	return undo, nil
}

// connect creates the locator and the services object; open undoes any
// part of it that succeeded.
func (c *Conn) connect(server string) error {
	fail := func(err error) error { return comError("Connect", c.namespace, err) }
	if err := initSecurity(); err != nil {
		return fail(at("CoInitializeSecurity", err))
	}
	unk, err := oleutil.CreateObject("WbemScripting.SWbemLocator")
	if err != nil {
		return fail(at("SWbemLocator", err))
	}
	c.locator, err = unk.QueryInterface(ole.IID_IDispatch)
	unk.Release()
	if err != nil {
		return fail(at("SWbemLocator", err))
	}
	if c.services, err = callObject(c.locator, "ConnectServer", server, c.namespace); err != nil {
		return fail(err)
	}
	if err := setSecurity(c.services); err != nil {
		return fail(at("Security_", err))
	}
	return nil
}

// RPC authentication and impersonation levels (rpcdce.h) and EOAC_NONE.
const (
	rpcAuthnLevelPktPrivacy = 6
	rpcImpLevelImpersonate  = 3
	eoacNone                = 0
)

// security makes CoInitializeSecurity a once-per-process call. It is
// process-wide and must come before COM marshals anything; RPC_E_TOO_LATE
// means someone else (an earlier Conn, or other code in the process)
// already set it, which is fine.
var security struct {
	sync.Mutex
	done bool
}

var procCoInitializeSecurity = windows.NewLazySystemDLL("ole32.dll").NewProc("CoInitializeSecurity")

func initSecurity() error {
	security.Lock()
	defer security.Unlock()
	if security.done {
		return nil
	}
	hr, _, _ := procCoInitializeSecurity.Call(
		0,           // pSecDesc: default access permissions
		^uintptr(0), // cAuthSvc -1: let COM choose the authentication services
		0, 0,
		rpcAuthnLevelPktPrivacy,
		rpcImpLevelImpersonate,
		0, // pAuthList
		eoacNone,
		0)
	if uint32(hr) != 0 && uint32(hr) != hrRPCTooLate {
		return ole.NewError(hr)
	}
	security.done = true
	return nil
}

// setSecurity sets SWbemServices.Security_ to impersonate with packet
// privacy, as Hyper-V's management service requires.
func setSecurity(services *ole.IDispatch) error {
	sec, err := getObject(services, "Security_")
	if err != nil {
		return err
	}
	defer sec.Release()
	if err := putInt(sec, "ImpersonationLevel", rpcImpLevelImpersonate); err != nil {
		return err
	}
	return putInt(sec, "AuthenticationLevel", rpcAuthnLevelPktPrivacy)
}
