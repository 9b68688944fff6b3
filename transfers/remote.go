package transfers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/errs"
)

// Connect opens the source agent's API with a grant: the destination is
// one more client of the source (the Go client, client/). The source's
// certificate is pinned by fingerprint or checked against a CA (else the
// system's roots); plain http is the caller's to refuse off loopback.
// No per-request timeout: a file of a hundred gigabytes is one request;
// a stalled connection is the transport's to notice.
func Connect(base, exportID, grant, fingerprint, caPEM string) (Remote, error) {
	opts := []client.Option{client.WithToken(grant), client.WithTimeout(0)}
	if fingerprint != "" {
		opts = append(opts, client.WithFingerprint(fingerprint))
	}
	if caPEM != "" {
		opts = append(opts, client.WithCAPEM([]byte(caPEM)))
	}
	c, err := client.New(base, opts...)
	if err != nil {
		return nil, errs.Field("source", "cannot talk to the source: "+err.Error())
	}
	return &remote{c: c, id: exportID}, nil
}

type remote struct {
	c  *client.Client
	id string
}

func (r *remote) Manifest(ctx context.Context) ([]byte, error) {
	_, raw, err := r.c.ExportManifest(ctx, r.id)
	if err != nil {
		return nil, r.explain(err, "")
	}
	return raw, nil
}

func (r *remote) Open(ctx context.Context, path string, offset int64, etag string) (io.ReadCloser, int64, error) {
	body, info, err := r.c.DownloadExportFile(ctx, r.id, path, offset, etag)
	if err != nil {
		return nil, 0, r.explain(err, path)
	}
	return body, info.Offset, nil
}

// DeleteExport asks the source to delete its export (allowed when the
// grant was made with deleteExportWhenDone); false when the grant does
// not allow it.
func (r *remote) DeleteExport(ctx context.Context) (bool, error) {
	_, err := r.c.DeleteExport(ctx, r.id)
	var p *client.Problem
	if errors.As(err, &p) && (p.Status == http.StatusForbidden || p.Status == http.StatusNotFound) {
		return false, nil
	}
	return err == nil, err
}

// permanent marks an error that asking again cannot mend (client.Permanent).
type permanent struct{ error }

func (permanent) Permanent() bool { return true }
func (p permanent) Unwrap() error { return p.error }

// explain turns the client's errors into what the import's caller reads:
// which field of the source was wrong, or what the source said.
func (r *remote) explain(err error, path string) error {
	var (
		p   *client.Problem
		pin *client.FingerprintError
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &pin):
		return permanent{errs.Field("source.fingerprint", pin.Error())}
	case errors.As(err, &cv), errors.As(err, &ua):
		return permanent{errs.Field("source.ca", "the source's certificate is not trusted: "+err.Error())}
	case errors.As(err, &p) && (p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden):
		return permanent{errs.Field("source.grant", "the source refused the grant ("+p.Title+"): it may have expired, been revoked, or be for another export")}
	case errors.As(err, &p) && p.Status == http.StatusNotFound && path == "":
		return permanent{errs.Field("source.url", "the source has no export "+r.id)}
	case errors.As(err, &p) && p.Status == http.StatusNotFound:
		return permanent{&errs.Error{Kind: errs.HostFailed, Msg: "the source no longer has " + path + " of export " + r.id, Extra: map[string]any{"file": path}}}
	case errors.As(err, &p) && p.Status == http.StatusConflict:
		return permanent{&errs.Error{Kind: errs.HostFailed, Msg: "the source's copy of " + path + " no longer matches its manifest: " + p.Detail, Extra: map[string]any{"file": path}}}
	case errors.As(err, &p):
		return &errs.Error{Kind: errs.HostFailed, Msg: "the source answered " + p.Title + ": " + p.Detail, Err: err}
	case path == "":
		return errs.Field("source.url", "cannot reach the source: "+err.Error())
	}
	return err // a dropped connection: fetched again from where it stopped
}
