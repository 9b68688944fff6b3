package hyperv

import (
	"context"

	"go.uber.org/zap"

	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/wmi"
)

// embed returns o as the embedded-instance text of a method parameter.
// On a real host the transport writes it (the live object, edited, then
// SWbemObjectEx.GetText_(1), as Microsoft's samples and os-win do; see
// wmi.Embed); where that fails, the text is wmi.EncodeInstance's, and the
// warning says why, since Hyper-V then gets hvport's own encoding. The
// simulator has no text of its own and is no fallback.
func (d *Driver) embed(ctx context.Context, o *wmi.Object) (string, error) {
	text, fallback, err := wmi.Embed(ctx, d.svc, o)
	if fallback != nil {
		logctx.From(ctx, d.opts.Logger).Warn("the WMI transport could not write an embedded instance; sending hvport's own CIM-XML",
			zap.String("class", o.Class), zap.Error(fallback))
	}
	return text, err
}
