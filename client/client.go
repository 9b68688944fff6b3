// Package client is the Go client of hvport's REST API: what a program
// or the hvport command line uses to list VMs, export and import them and
// follow the jobs.
//
//	c, err := client.New("https://hyperv-01:8443",
//		client.WithTokenFile("admin.token"),
//		client.WithFingerprint("sha256:AB:CD:…")) // as the server logs it
//	job, err := c.StartExport(ctx, "web-01", client.ExportRequest{Directory: `D:\exports\web-01`})
//	job, err = c.WaitJob(ctx, job.ID, func(j client.Job) { fmt.Println(j.Phase, j.PercentComplete) })
//
// Errors the server answers are *Problem (RFC 9457 problem details, with
// the field errors and extensions): `var p *client.Problem;
// errors.As(err, &p)`. Anything else is a network or TLS error.
//
// The wire types are those generated from api/openapi.yaml in package
// client/gen, re-exported here under the same names (types.go).
package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hvport/hvport/client/gen"
)

// Client talks to one hvport server. It is safe for concurrent use.
type Client struct {
	base    string
	gen     *gen.Client
	timeout time.Duration // per request; not the event stream

	retries int           // extra attempts after a connection error
	backoff time.Duration // before the first retry; doubles up to maxBackoff

	poll       time.Duration // WaitJob's polling interval
	streamIdle time.Duration // an event stream silent this long is broken
	outage     time.Duration // WaitJob gives up after this long without an answer
}

// Defaults of the options.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultRetries      = 3
	DefaultPollInterval = time.Second
	// The server sends a comment every 15 s on an idle event stream.
	defaultStreamIdle = 50 * time.Second
	defaultOutage     = time.Minute
	defaultBackoff    = 250 * time.Millisecond
	maxBackoff        = 4 * time.Second
	// Bodies of answers are small (lists of VMs, jobs, exports); the
	// limit only guards against a wrong server.
	maxBodyBytes = 64 << 20
)

// Option configures New.
type Option func(*config) error

type config struct {
	token, tokenFile string
	caFile           string
	caPEM            []byte
	fingerprint      []byte
	timeout          time.Duration
	httpClient       *http.Client
	retries          int
	poll             time.Duration
}

// WithToken authenticates with a bearer token (hvp_<id>_<secret>).
func WithToken(token string) Option {
	return func(c *config) error {
		c.token = strings.TrimSpace(token)
		if c.token == "" {
			return errors.New("hvport client: WithToken: the token is empty")
		}
		return nil
	}
}

// WithTokenFile reads the bearer token from a file (such as the server's
// <data-dir>/admin.token), once, in New.
func WithTokenFile(path string) Option {
	return func(c *config) error {
		c.tokenFile = path
		return nil
	}
}

// WithCAFile trusts the PEM certificates in path (for instance the
// server's self-signed <data-dir>/tls/cert.pem) instead of the system's.
func WithCAFile(path string) Option {
	return func(c *config) error {
		c.caFile = path
		return nil
	}
}

// WithCAPEM trusts the PEM certificates in pem (a CA certificate handed
// over in a request, say) instead of the system's, as WithCAFile does with
// a file's; the two cannot be combined.
func WithCAPEM(pem []byte) Option {
	return func(c *config) error {
		if len(pem) == 0 {
			return errors.New("hvport client: WithCAPEM: no certificate given")
		}
		c.caPEM = append([]byte(nil), pem...)
		return nil
	}
}

// WithFingerprint pins the server certificate's SHA-256 fingerprint: the
// connection is accepted only when the certificate the server presents
// has this hash, whoever signed it (without WithCAFile the chain and the
// host name are not checked). The server logs it at every start as
// uppercase hex pairs joined by colons; "sha256:" before it, lowercase and
// plain hex are accepted too.
func WithFingerprint(fingerprint string) Option {
	return func(c *config) error {
		fp, err := ParseFingerprint(fingerprint)
		if err != nil {
			return err
		}
		c.fingerprint = fp
		return nil
	}
}

// WithTimeout bounds each request (default DefaultTimeout; 0 means none).
// Following a job's event stream in WaitJob is not bounded by it, only by
// the context.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("hvport client: WithTimeout: negative duration")
		}
		c.timeout = d
		return nil
	}
}

// WithHTTPClient sends the requests through hc (its Transport, proxies,
// client certificates …). It cannot be combined with WithCAFile or
// WithFingerprint, which configure the client's own transport; set the
// TLS configuration on hc instead. hc.Timeout, if set, also cuts WaitJob's
// event stream (WaitJob then polls).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("hvport client: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithRetries sets how many times a request is repeated after a
// connection error (default DefaultRetries; 0 never repeats). Only
// requests that are safe to repeat are: reads, and job submissions, which
// carry an Idempotency-Key so that the server answers a repeat with the
// job the first attempt started.
func WithRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return errors.New("hvport client: WithRetries: negative count")
		}
		c.retries = n
		return nil
	}
}

// WithPollInterval sets how often WaitJob asks for the job when it cannot
// follow its event stream (default DefaultPollInterval).
func WithPollInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("hvport client: WithPollInterval: the interval must be positive")
		}
		c.poll = d
		return nil
	}
}

// New returns a client of the server at serverURL (http://127.0.0.1:8080,
// https://host:8443 …).
func New(serverURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("hvport client: server URL %q: %w", serverURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("hvport client: server URL %q: want http(s)://host[:port]", serverURL)
	}
	cfg := config{timeout: DefaultTimeout, retries: DefaultRetries, poll: DefaultPollInterval}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.tokenFile != "" {
		if cfg.token != "" {
			return nil, errors.New("hvport client: WithToken and WithTokenFile both given")
		}
		b, err := os.ReadFile(cfg.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("hvport client: token file: %w", err)
		}
		if cfg.token = strings.TrimSpace(string(b)); cfg.token == "" {
			return nil, fmt.Errorf("hvport client: token file %s is empty", cfg.tokenFile)
		}
	}
	if cfg.caFile != "" && cfg.caPEM != nil {
		return nil, errors.New("hvport client: WithCAFile and WithCAPEM both given")
	}
	hc := cfg.httpClient
	if hc == nil {
		tr, err := transport(cfg.caFile, cfg.caPEM, cfg.fingerprint)
		if err != nil {
			return nil, err
		}
		hc = &http.Client{Transport: tr}
	} else if cfg.caFile != "" || cfg.caPEM != nil || cfg.fingerprint != nil {
		return nil, errors.New("hvport client: WithCAFile, WithCAPEM and WithFingerprint configure the client's own transport; with WithHTTPClient set the TLS configuration on that client")
	}
	base := strings.TrimRight(u.String(), "/")
	token := cfg.token
	g, err := gen.NewClient(base, gen.WithHTTPClient(hc), gen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		r.Header.Set("User-Agent", "hvport-go-client")
		return nil
	}))
	if err != nil {
		return nil, err
	}
	return &Client{base: base, gen: g, timeout: cfg.timeout, retries: cfg.retries, backoff: defaultBackoff,
		poll: cfg.poll, streamIdle: defaultStreamIdle, outage: defaultOutage}, nil
}

// URL is the server's URL as given to New, without a trailing slash.
func (c *Client) URL() string { return c.base }

// Gen is the generated client underneath, with this client's transport
// and credentials, for operations this package does not wrap.
func (c *Client) Gen() *gen.Client { return c.gen }

type idemKey struct{}

// ContextWithIdempotencyKey makes the next job submission with ctx
// (StartExport, StartImport, VerifyExport) send key as its Idempotency-Key
// instead of a fresh one: a program that stored the key can repeat the
// submission after a crash and get the job the first one started.
func ContextWithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

// idempotencyKey is the context's key, or a new random one.
func idempotencyKey(ctx context.Context) string {
	if k, ok := ctx.Value(idemKey{}).(string); ok && k != "" {
		return k
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail (Go 1.24+)
	}
	return "hvport-client-" + hex.EncodeToString(b[:])
}

// answer is one HTTP response, read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
	method string
	path   string
}

// send runs call (one generated request) with the per-request timeout and
// reads the whole answer. With retry it repeats call after a connection
// error, up to c.retries times with a growing pause; call must then be
// safe to repeat.
func (c *Client) send(ctx context.Context, retry bool, call func(context.Context) (*http.Response, error)) (answer, error) {
	pause := c.backoff
	for attempt := 0; ; attempt++ {
		a, err := c.once(ctx, call)
		if err == nil {
			wait, busy := a.retryAfter()
			if !retry || !busy || attempt >= c.retries {
				return a, nil
			}
			// The same submission is still being processed (409), or the
			// server is draining for a restart (503): ask again when it
			// says to, with the same Idempotency-Key.
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return a, nil
			case <-t.C:
			}
			continue
		}
		if !retry || attempt >= c.retries || ctx.Err() != nil || !Retryable(err) {
			return answer{}, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return answer{}, err
		case <-t.C:
		}
		pause = min(2*pause, maxBackoff)
	}
}

// maxRetryAfter bounds how long a retried submission waits on the
// server's Retry-After.
const maxRetryAfter = 30 * time.Second

// retryAfter reports, for a 409 (the same submission still in progress)
// or a 503 (the server draining) that carries Retry-After in seconds, how
// long to wait before asking again.
func (a answer) retryAfter() (time.Duration, bool) {
	if a.status != http.StatusConflict && a.status != http.StatusServiceUnavailable {
		return 0, false
	}
	n, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || n < 0 {
		return 0, false
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter), true
}

func (c *Client) once(ctx context.Context, call func(context.Context) (*http.Response, error)) (answer, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	resp, err := call(ctx)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body, method: resp.Request.Method, path: resp.Request.URL.Path}, nil
}
