// Package caldav is oneonone's CalDAV source (RFC 4791): it discovers the
// calendars of an account (RFC 6764, RFC 5397), lists what changed in each of
// them with RFC 6578 sync-collection where the server has it, else getctag and
// an ETag listing, fetches objects with calendar-multiget, and writes them back
// with conditional PUTs.
//
// It uses github.com/emersion/go-webdav for discovery and raw PROPFIND and
// REPORT requests for what go-webdav v0.6.0 lacks (If-Match on PUT,
// sync-collection, getctag, the raw bytes of calendar-data).
//
// Hrefs, in and out, are percent-decoded absolute paths on the server
// ("/user/calendars/work/a@b.ics").
package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-webdav/caldav"

	"oneonone/calendar"
)

// Options configure a Client.
type Options struct {
	// URL is the server, the principal or a calendar collection URL.
	URL string
	// Username and Password are for HTTP Basic auth; an empty Username
	// means none.
	Username, Password string
	// Calendars are the calendar collections to sync (absolute URLs, or
	// paths on URL's host); empty means all that discovery finds.
	Calendars []string
	// HTTPClient makes the requests; nil means a client whose transport
	// waits at most HeaderTimeout for a response's headers. Either way no
	// deadline bounds a whole request: a long answer that is still
	// streaming is read to its end, and only IdleTimeout without a byte
	// cuts it off. Its redirect policy is not used: the client follows
	// redirects itself, keeping the method (PROPFIND, REPORT) and the body.
	HTTPClient *http.Client
	// HeaderTimeout bounds the wait for a response's headers once the
	// request is sent (default 60s); IdleTimeout the wait for the next
	// bytes of a body being read (default 60s).
	HeaderTimeout, IdleTimeout time.Duration
	// Zone is the zone of floating times and dates, passed to
	// calendar.Parse; nil means its default (UTC).
	Zone *time.Location
}

// ErrAuthFailed is matched (errors.Is) by the error of a request the server
// answered with 401 Unauthorized.
var ErrAuthFailed = errors.New("authentication failed")

// Client is a CalDAV source. It is safe for concurrent use.
type Client struct {
	base      *url.URL // Options.URL without user info
	user      string
	pass      string
	hc        *http.Client
	zone      *time.Location
	calendars []string // configured calendar paths
	dav       *caldav.Client
	requests  atomic.Int64
	idle      time.Duration // IdleTimeout

	// The calendars found last, so that a cycle over unchanged calendars
	// costs one request each and no discovery; found again every refsTTL.
	refsMu sync.Mutex
	refs   []calendar.Ref
	refsAt time.Time
}

// defaultTimeout is the default of Options.HeaderTimeout and IdleTimeout.
const defaultTimeout = 60 * time.Second

// refsTTL is how long the calendars found are trusted before looking again.
const refsTTL = time.Hour

// New checks opt and returns a client. It makes no request.
func New(opt Options) (*Client, error) {
	if opt.URL == "" {
		return nil, errors.New("caldav: no URL")
	}
	u, err := url.Parse(opt.URL)
	if err != nil {
		return nil, fmt.Errorf("caldav: bad URL: %v", redactParseError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("caldav: bad URL %s: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("caldav: bad URL %s: no host", u.Redacted())
	}
	user, pass := opt.Username, opt.Password
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
			pass, _ = u.User.Password()
		}
		u.User = nil
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""

	c := &Client{base: u, user: user, pass: pass, zone: opt.Zone, idle: opt.IdleTimeout}
	if c.idle <= 0 {
		c.idle = defaultTimeout
	}
	if opt.HTTPClient != nil {
		hc := *opt.HTTPClient
		c.hc = &hc
	} else {
		header := opt.HeaderTimeout
		if header <= 0 {
			header = defaultTimeout
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = header
		c.hc = &http.Client{Transport: tr}
	}
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for i, s := range opt.Calendars {
		cu, err := u.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("caldav: bad calendar URL #%d: %v", i+1, redactParseError(err))
		}
		if cu.Host != u.Host || cu.Scheme != u.Scheme {
			return nil, fmt.Errorf("caldav: calendar URL %s is not on %s", cu.Redacted(), u.Redacted())
		}
		c.calendars = append(c.calendars, collectionPath(cu.Path))
	}

	c.dav, err = caldav.NewClient(webdavDoer{c}, u.String())
	if err != nil {
		return nil, fmt.Errorf("caldav: %v", err)
	}
	return c, nil
}

func redactParseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Requests returns the number of HTTP requests the client has made.
func (c *Client) Requests() int64 { return c.requests.Load() }

// collectionPath gives a collection path its trailing slash.
func collectionPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// samePath compares two decoded paths, ignoring a trailing slash.
func samePath(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// url returns the absolute URL of a path (or of a URL on the server).
func (c *Client) url(ref string) (*url.URL, error) {
	u, err := c.base.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("bad href %q: %v", ref, redactParseError(err))
	}
	if u.Host != c.base.Host {
		return nil, fmt.Errorf("href %s is not on %s", u.Redacted(), c.base.Host)
	}
	// Rebuild from the decoded path so that the encoding is ours.
	return &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Path: u.Path}, nil
}

// counterKey carries a per-call request counter in a context.
type counterKey struct{}

func withCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, n), n
}

// do sends one request, with Basic auth when it goes to the configured host,
// and follows up to 5 redirects itself, keeping method and body (Go's client
// turns a redirected PROPFIND into a GET). Every request sent is counted.
// The response is returned whatever its status.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	for hop := 0; ; hop++ {
		if c.user != "" && req.URL.Host == c.base.Host && req.URL.Scheme == c.base.Scheme {
			req.SetBasicAuth(c.user, c.pass)
		}
		c.requests.Add(1)
		if n, ok := req.Context().Value(counterKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
		resp, err := c.send(req)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return resp, nil
		}
		loc := resp.Header.Get("Location")
		if loc == "" || hop >= 5 {
			return resp, nil
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			return resp, nil
		}
		drain(resp)
		nreq := req.Clone(req.Context())
		nreq.URL = next
		nreq.Host = ""
		nreq.Header.Del("Authorization")
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			nreq.Body = body
		} else if req.Body != nil && req.Body != http.NoBody {
			return nil, fmt.Errorf("%s %s: redirected to %s, cannot resend the body", req.Method, req.URL.Redacted(), next.Redacted())
		}
		req = nreq
	}
}

// send makes one request whose body, once the headers are in, may take as
// long as it takes, as long as no IdleTimeout passes without a byte.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	resp, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = newIdleBody(resp.Body, c.idle, cancel)
	return resp, nil
}

// errIdle is the cause of a request cut off by IdleTimeout.
var errIdle = errors.New("no data from the server")

// idleBody cancels its request when no Read returns data for idle.
type idleBody struct {
	rc     io.ReadCloser
	idle   time.Duration
	timer  *time.Timer
	cancel context.CancelCauseFunc
	timed  atomic.Bool
}

func newIdleBody(rc io.ReadCloser, idle time.Duration, cancel context.CancelCauseFunc) *idleBody {
	b := &idleBody{rc: rc, idle: idle, cancel: cancel}
	b.timer = time.AfterFunc(idle, func() {
		b.timed.Store(true)
		cancel(errIdle)
	})
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF && b.timed.Load() {
		err = fmt.Errorf("%w for %s while reading the answer", errIdle, b.idle)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// newRequest builds a request to a path on the server.
func (c *Client) newRequest(ctx context.Context, method, ref string, body string, contentType string) (*http.Request, error) {
	u, err := c.url(ref)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// StatusError is a response with an unexpected HTTP status. It matches
// (errors.Is) calendar.ErrNotFound for 404, calendar.ErrConflict for 412,
// calendar.ErrForbidden for 403 and ErrAuthFailed for 401.
type StatusError struct {
	Method string
	URL    string // redacted
	Code   int
	Status string // "404 Not Found"
	Body   string // the start of the response body
	User   string // for 401
	// DAVError lists the local names of the DAV:error conditions in the
	// body ("valid-sync-token").
	DAVError []string
}

func (e *StatusError) Error() string {
	switch e.Code {
	case http.StatusUnauthorized:
		return fmt.Sprintf("caldav: authentication failed for %s at %s", e.User, e.URL)
	case http.StatusNotFound, http.StatusPreconditionFailed, http.StatusForbidden:
		return fmt.Sprintf("%s (%s %s: %s)", e.Unwrap(), e.Method, e.URL, e.Status)
	}
	msg := fmt.Sprintf("%s %s: server answered %s", e.Method, e.URL, e.Status)
	if len(e.DAVError) > 0 {
		msg += " (" + strings.Join(e.DAVError, ", ") + ")"
	} else if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Unwrap returns the calendar error the status maps to, if any.
func (e *StatusError) Unwrap() error {
	switch e.Code {
	case http.StatusUnauthorized:
		return ErrAuthFailed
	case http.StatusForbidden:
		return calendar.ErrForbidden
	case http.StatusNotFound:
		return calendar.ErrNotFound
	case http.StatusPreconditionFailed:
		return calendar.ErrConflict
	}
	return nil
}

// statusError consumes resp and describes its status.
func (c *Client) statusError(req *http.Request, resp *http.Response) *StatusError {
	defer drain(resp)
	e := &StatusError{
		Method: req.Method,
		URL:    req.URL.Redacted(),
		Code:   resp.StatusCode,
		Status: resp.Status,
		User:   c.user,
	}
	if resp.Request != nil && resp.Request.URL != nil {
		e.URL = resp.Request.URL.Redacted()
	}
	if e.User == "" {
		e.User = "(no user)"
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		e.DAVError = davErrorConditions(b)
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	e.Body = s
	return e
}

// davErrorConditions returns the local names of the conditions in an RFC
// 4918 §16 DAV:error body, sorted; nil when b is not one.
func davErrorConditions(b []byte) []string {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Space != nsDAV || se.Name.Local != "error" {
			return nil
		}
		var n nameSet
		if err := d.DecodeElement(&n, &se); err != nil {
			return nil
		}
		var out []string
		for name := range n {
			out = append(out, name.Local)
		}
		slices.Sort(out)
		return out
	}
}

// webdavDoer hands go-webdav our transport, with non-2xx responses turned
// into *StatusError so that errors.Is works through go-webdav's calls.
type webdavDoer struct{ c *Client }

func (w webdavDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := w.c.do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, w.c.statusError(req, resp)
	}
	return resp, nil
}

// davRequest sends a PROPFIND or REPORT and decodes its 207 answer.
func (c *Client) davRequest(ctx context.Context, method, ref, depth, body string) (*multistatus, error) {
	req, err := c.newRequest(ctx, method, ref, body, `text/xml; charset="utf-8"`)
	if err != nil {
		return nil, err
	}
	if depth != "" {
		req.Header.Set("Depth", depth)
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusMultiStatus {
		if resp.StatusCode/100 == 2 {
			drain(resp)
			return nil, fmt.Errorf("%s %s: server answered %s, want 207 Multi-Status", method, req.URL.Redacted(), resp.Status)
		}
		return nil, c.statusError(req, resp)
	}
	defer drain(resp)
	ms, err := decodeMultistatus(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, req.URL.Redacted(), err)
	}
	return ms, nil
}

// quoteETag turns a stored ETag value into an If-Match header value.
func quoteETag(etag string) string {
	if strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
		return etag
	}
	return `"` + etag + `"`
}

// unquoteETag turns an ETag header or getetag value into the value stored
// and compared: the opaque tag without quotes. A weak ETag keeps its W/.
func unquoteETag(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// Get fetches one object. A missing object gives calendar.ErrNotFound.
func (c *Client) Get(ctx context.Context, href string) (calendar.Object, error) {
	req, err := c.newRequest(ctx, http.MethodGet, href, "", "")
	if err != nil {
		return calendar.Object{}, fmt.Errorf("get %s: %w", href, err)
	}
	req.Header.Set("Accept", "text/calendar")
	resp, err := c.do(req)
	if err != nil {
		return calendar.Object{}, fmt.Errorf("get %s: %w", href, err)
	}
	if resp.StatusCode != http.StatusOK {
		return calendar.Object{}, fmt.Errorf("get %s: %w", href, c.statusError(req, resp))
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return calendar.Object{}, fmt.Errorf("get %s: %w", href, err)
	}
	obj := calendar.Object{Href: req.URL.Path, ETag: unquoteETag(resp.Header.Get("ETag")), Data: data}
	if obj.ETag == "" {
		if obj.ETag, err = c.etag(ctx, obj.Href); err != nil {
			return calendar.Object{}, fmt.Errorf("get %s: %w", href, err)
		}
	}
	return obj, nil
}

// etag asks for the ETag of one object (PROPFIND Depth 0).
func (c *Client) etag(ctx context.Context, p string) (string, error) {
	ms, err := c.davRequest(ctx, "PROPFIND", p, "0", propfindETag)
	if err != nil {
		return "", err
	}
	for _, r := range ms.Responses {
		if pr := r.props(); pr.GetETag != nil {
			return unquoteETag(*pr.GetETag), nil
		}
	}
	return "", nil
}

// Put writes one object with a conditional PUT: If-Match ifMatch, or
// If-None-Match * when ifMatch is "" (create only). It returns the new ETag,
// "" when the server gives none (Cyrus, for a scheduling object, answers
// with a Schedule-Tag instead): the next sync reports the object as changed
// and fetches it with its ETag, which costs no request per write. A failed
// precondition gives calendar.ErrConflict, a refusal calendar.ErrForbidden.
//
// Every PUT asks the server not to run implicit scheduling (RFC 6638) for
// it, in the words each server knows: Schedule-Reply: F (sabre/dav, so
// Nextcloud and Baikal: Schedule/Plugin.php) and Scheduling-Enabled: F
// (Cyrus, so Fastmail: http_caldav.c). A server ignores a header it does
// not know; both were checked on the real servers (sync's suite counts
// the messages they log).
func (c *Client) Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error) {
	u, err := c.url(href)
	if err != nil {
		return "", fmt.Errorf("put %s: %w", href, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("put %s: %w", href, err)
	}
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	req.Header.Set("Schedule-Reply", "F")
	req.Header.Set("Scheduling-Enabled", "F")
	if ifMatch != "" {
		req.Header.Set("If-Match", quoteETag(ifMatch))
	} else {
		req.Header.Set("If-None-Match", "*")
	}
	resp, err := c.do(req)
	if err != nil {
		return "", fmt.Errorf("put %s: %w", href, err)
	}
	switch {
	case resp.StatusCode == http.StatusMultiStatus:
		// Some servers (Xandikos) report a failed precondition inside a
		// multistatus.
		ms, err := decodeMultistatus(resp.Body)
		drain(resp)
		if err != nil {
			return "", fmt.Errorf("put %s: %w", href, err)
		}
		if err := multistatusError(req, ms); err != nil {
			return "", fmt.Errorf("put %s: %w", href, err)
		}
	case resp.StatusCode/100 == 2:
		drain(resp)
	default:
		se := c.statusError(req, resp)
		if refusedWrite(se.Code) {
			return "", fmt.Errorf("put %s: %w: %w", href, calendar.ErrWriteRefused, se)
		}
		return "", fmt.Errorf("put %s: %w", href, se)
	}
	return unquoteETag(resp.Header.Get("ETag")), nil
}

// refusedWrite tells the answers to a PUT that are about the object (the
// server will not store it: a 5xx, 400, 415, 422, 507…) from those that
// are about us or the account (401, 403, 404, 412 and the like).
func refusedWrite(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusPreconditionFailed, http.StatusProxyAuthRequired,
		http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return false
	}
	return code/100 == 4 || code/100 == 5
}

// multistatusError returns the first failure reported inside a multistatus.
func multistatusError(req *http.Request, ms *multistatus) error {
	for _, r := range ms.Responses {
		codes := []int{statusCode(r.Status)}
		for _, ps := range r.PropStats {
			codes = append(codes, statusCode(ps.Status))
		}
		for _, code := range codes {
			if code != 0 && code/100 != 2 {
				return &StatusError{
					Method: req.Method,
					URL:    req.URL.Redacted(),
					Code:   code,
					Status: fmt.Sprintf("%d %s in a 207 Multi-Status", code, http.StatusText(code)),
				}
			}
		}
	}
	return nil
}

// Decode parses one object into events (calendar.Parse) and stamps each with
// the calendar, the object's href and its ETag.
func (c *Client) Decode(cal string, obj calendar.Object) ([]calendar.Event, error) {
	evs, err := calendar.Parse(obj.Data, calendar.ParseOptions{Href: obj.Href, DefaultZone: c.zone})
	for i := range evs {
		evs[i].Calendar = cal
		evs[i].Href = obj.Href
		evs[i].ETag = obj.ETag
	}
	return evs, err // Parse names the href
}

// SetDescription returns obj's data with the DESCRIPTION of one event set to
// desc, every other byte as it was (calendar.SetDescription).
func (c *Client) SetDescription(obj calendar.Object, uid string, rid time.Time, desc string) ([]byte, error) {
	out, _, err := calendar.SetDescription(obj.Data, uid, rid, desc)
	return out, err
}

// HTMLDescriptions is false: iCalendar descriptions are plain text.
func (c *Client) HTMLDescriptions() bool { return false }
