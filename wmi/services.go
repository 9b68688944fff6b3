package wmi

import "context"

// Services is one connection to a WMI namespace, shaped like SWbemServices.
// Implementations: wmi/com (a real host) and wmi/sim (the simulator).
//
// Every method returns objects the caller owns (no aliasing with the
// transport's state) and errors of type *Error for WMI-level failures
// (HRESULTs); a method's ReturnValue is not an error at this level — see
// CheckReturn.
type Services interface {
	// Namespace is the connected namespace, e.g. `root\virtualization\v2`.
	Namespace() string
	// ExecQuery runs a WQL query: SELECT ... FROM ... [WHERE ...] or
	// ASSOCIATORS OF {path} WHERE ResultClass = ... [AssocClass = ...].
	ExecQuery(ctx context.Context, wql string) ([]*Object, error)
	// Get returns the instance at an object path. A path that names no
	// instance fails with an *Error whose HResult is WBEMNotFound.
	Get(ctx context.Context, path string) (*Object, error)
	// ExecMethod calls a method on the instance (or class) at path with
	// named in-parameters and returns the out-parameters object (class
	// __PARAMETERS), whose ReturnValue holds the method's return code.
	// Embedded-instance parameters are CIM-XML strings (Embed: the
	// transport's own GetText_ where it has one, else EncodeInstance);
	// REF parameters are object path strings.
	ExecMethod(ctx context.Context, path, method string, in Params) (*Object, error)
}

// Params are a method's named in-parameters. Values use the Go types of
// Property; a []string holds a string array such as ResourceSettings[].
type Params map[string]any

// ReturnValue reads the ReturnValue of a method's out-parameters.
func ReturnValue(out *Object) uint32 { return uint32(out.Uint("ReturnValue")) }
