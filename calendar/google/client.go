// Package google is oneonone's Google Calendar source: it lists what changed
// in one calendar with events.list and sync tokens (the Calendar API's
// "Synchronize resources efficiently" guide), turns each event's JSON into a
// calendar.Event, and writes agenda blocks back with events.patch of the
// description only, If-Match and sendUpdates=none.
//
// It uses google.golang.org/api/calendar/v3 to build requests and read
// errors; the raw JSON of every event is kept as Google sent it. Rate limits
// (403 rateLimitExceeded, userRateLimitExceeded; 429) and 5xx answers are
// retried here with exponential backoff and full jitter, bound to the context;
// the Go client retries nothing itself.
//
// Hrefs are Google event ids: a master's or one-off's id, or an exception's
// ("<master id>_20250325T130000Z").
package google

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"oneonone/calendar"
)

// Options configure a Client.
type Options struct {
	// Calendar is the calendar id; "" means "primary".
	Calendar string
	// Endpoint overrides the API base URL (a fake server, a proxy); ""
	// means Google's.
	Endpoint string
	// HTTPClient makes the requests and authenticates them (an oauth2
	// client). It may be nil only with a loopback http:// Endpoint.
	HTTPClient *http.Client
	// Zone is the zone of an event that names none, and of all-day dates;
	// nil means the event's UTC offset (UTC for dates).
	Zone *time.Location
	// Retry bounds the retries of rate-limited and failed requests.
	Retry RetryPolicy
	// Subject is the user a service account acts for (domain-wide
	// delegation), "" for a person's own login. With it, a refused
	// authorisation and a 403 on listing the calendar come back as a
	// *DelegationError naming the subject.
	Subject string
	// Limiter, when not nil, is waited on before every request (retries
	// included): the ceiling of all the clients that share it.
	Limiter *Limiter
	// Logger receives the client's logs (retried requests, skipped items,
	// at debug level); nil means they are discarded. The client never logs
	// through slog's default logger.
	Logger *slog.Logger
}

// RetryPolicy says how rate limits (403 rateLimitExceeded and
// userRateLimitExceeded, 429) and server errors (500, 502, 503, 504) are
// retried: exponential backoff with full jitter, attempt k waiting a random
// time up to min(Max, Initial·2^k), bound to the context.
type RetryPolicy struct {
	Initial, Max time.Duration // default 1s and 32s
	// Attempts is the number of tries of one request, the first included;
	// default 6.
	Attempts int
	// Sleep waits d or until ctx is done; nil means a timer. Tests pass a
	// recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter picks the wait from its ceiling; nil means uniform in
	// [0, ceiling] (full jitter). Tests pass the identity.
	Jitter func(ceiling time.Duration) time.Duration
}

// Client is a Google Calendar source for one calendar. It is safe for
// concurrent use.
type Client struct {
	cal      string
	subject  string
	limit    *Limiter
	zone     *time.Location
	retry    RetryPolicy
	log      *slog.Logger // never nil
	svc      *gcal.Service
	requests atomic.Int64
}

// New checks opt and returns a client. It makes no request.
func New(ctx context.Context, opt Options) (*Client, error) {
	c := &Client{cal: opt.Calendar, subject: opt.Subject, limit: opt.Limiter, zone: opt.Zone, retry: opt.Retry.withDefaults(), log: opt.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.cal == "" {
		c.cal = "primary"
	}
	var opts []option.ClientOption
	if opt.Endpoint != "" {
		u, err := url.Parse(opt.Endpoint)
		if err != nil {
			return nil, errors.New("google: bad endpoint: want an http:// or https:// URL")
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("google: bad endpoint %s: want an http:// or https:// URL", u.Redacted())
		}
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
		// The library resolves "calendars/…" against the endpoint: without
		// a trailing slash its last path element would be replaced.
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		opts = append(opts, option.WithEndpoint(u.String()))
	}
	hc := opt.HTTPClient
	if hc == nil {
		if !loopbackHTTP(opt.Endpoint) {
			return nil, errors.New("google: no authenticated HTTP client (only a loopback http:// endpoint may go without)")
		}
		hc = &http.Client{Timeout: 60 * time.Second}
		opts = append(opts, option.WithoutAuthentication())
	}
	counted := *hc
	base := counted.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	counted.Transport = &transport{base: base, c: c}
	opts = append(opts, option.WithHTTPClient(&counted))
	svc, err := gcal.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("google: %w", err)
	}
	c.svc = svc
	return c, nil
}

// loopbackHTTP reports whether endpoint is an http:// URL on a loopback
// address, the only place requests may go without authentication.
func loopbackHTTP(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Requests returns the number of HTTP requests the client has made,
// retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Calendars returns the configured calendar. It makes no request, so that an
// unchanged calendar costs one request per cycle.
func (c *Client) Calendars(ctx context.Context) ([]calendar.Ref, error) {
	return []calendar.Ref{{ID: c.cal, Name: c.cal}}, nil
}

// HTMLDescriptions is true: Google stores descriptions as HTML.
func (c *Client) HTMLDescriptions() bool { return true }

// counterKey carries a per-call request counter in a context.
type counterKey struct{}

func withCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, n), n
}

// bodyKey carries a capture of the body of a call's successful response, so
// that the JSON Google sent can be kept byte for byte while the generated
// client reads its own copy.
type bodyKey struct{}

type bodyCapture struct{ buf bytes.Buffer }

func withCapture(ctx context.Context) (context.Context, *bodyCapture) {
	b := new(bodyCapture)
	return context.WithValue(ctx, bodyKey{}, b), b
}

// transport waits on the limiter before every request, counts it, and
// captures 2xx bodies for the calls that ask for them.
type transport struct {
	base http.RoundTripper
	c    *Client
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.c.limit.Wait(ctx); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, errors included
		}
		return nil, err
	}
	t.c.requests.Add(1)
	if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	capture, _ := ctx.Value(bodyKey{}).(*bodyCapture)
	if capture != nil {
		capture.buf.Reset()
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || capture == nil || resp.StatusCode/100 != 2 || resp.Body == nil {
		return resp, err
	}
	resp.Body = teeBody{Reader: io.TeeReader(resp.Body, &capture.buf), Closer: resp.Body}
	return resp, nil
}

type teeBody struct {
	io.Reader
	io.Closer
}
