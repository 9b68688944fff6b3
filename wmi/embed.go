package wmi

import "context"

// InstanceTexter is implemented by transports that can write an instance's
// CIM-XML themselves. On a real host that is what every Microsoft sample
// and os-win send as an embedded instance: the live object, edited, then
// SWbemObjectEx.GetText_(1)
// (learn.microsoft.com/windows/win32/wmisdk/swbemobjectex-gettext-;
// docs/HYPERV.md#embedded-instances). The simulator does not implement it: its
// embedded instances are EncodeInstance's.
type InstanceTexter interface {
	// InstanceText returns o as a CIM-XML (DTD 2.0) INSTANCE: the instance
	// at o.Path (a new instance of o.Class when o has no path) with every
	// property of o set on it. Failures are *Error.
	InstanceText(ctx context.Context, o *Object) (string, error)
}

// Embed returns o's embedded-instance text for a method parameter: the
// transport's own when it has one (InstanceTexter), else EncodeInstance's.
//
// fallback is not nil when the transport has its own text but could not
// produce it: it is why, and text is EncodeInstance's. A transport without
// its own text (the simulator) is no fallback. A context that ended is an
// error, not a fallback.
func Embed(ctx context.Context, s Services, o *Object) (text string, fallback error, err error) {
	if t, ok := s.(InstanceTexter); ok {
		text, terr := t.InstanceText(ctx, o)
		if terr == nil {
			return text, nil, nil
		}
		if ctx.Err() != nil {
			return "", nil, terr
		}
		fallback = terr
	}
	text, err = EncodeInstance(o)
	if err != nil {
		return "", fallback, err
	}
	return text, fallback, nil
}
