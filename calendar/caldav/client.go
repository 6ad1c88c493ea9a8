// Package caldav is oneonone's CalDAV source (RFC 4791): it discovers the
// calendars of an account (RFC 6764, RFC 5397), lists what changed in each of
// them with RFC 6578 sync-collection where the server has it, else getctag and
// an ETag listing, fetches objects with calendar-multiget, and writes them back
// with conditional PUTs.
//
// It makes its own PROPFIND, REPORT and OPTIONS requests: go-webdav v0.6.0's
// client lacks If-Match on PUT, sync-collection, getctag and the raw bytes
// of calendar-data, and its discovery reduces every href to a path on the
// configured host (iCloud names calendar homes on other hosts).
//
// Hrefs, in and out (calendar.Ref.ID, calendar.Object.Href), are keys that
// name one resource exactly as the server wrote it (see keyOf):
//
//   - on the configured host (scheme and host of Options.URL), the
//     percent-decoded absolute path ("/user/calendars/work/a@b.ics") when the
//     server's encoding of it is the one Go writes, as before; else the path
//     as the server wrote it, percent-encoding kept ("/u/work/a%40b.ics").
//     A key holds a "%" only in that second form.
//   - on another host (iCloud's partition hosts), the full URL with that
//     path: "https://p12-caldav.icloud.com/123/calendars/home/".
//
// Every request goes to the key's host with the path's bytes as the server
// wrote them.
package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/publicsuffix"

	"oneonone/calendar"
	"oneonone/calendar/ical"
)

// Options configure a Client.
type Options struct {
	// URL is the server, the principal or a calendar collection URL.
	URL string
	// Username and Password are for HTTP Basic auth; an empty Username
	// means none.
	Username, Password string
	// Calendars are the calendar collections to sync (absolute URLs, or
	// paths on URL's host); empty means all that discovery finds. A URL on
	// another host must pass the rule for credentials (see Client).
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
	// ical.Parse; nil means its default (UTC).
	Zone *time.Location
	// Logger receives the client's logs (discovery steps, refused sync
	// tokens, skipped responses, all at debug level); nil means they are
	// discarded. The client never logs through slog's default logger.
	Logger *slog.Logger
}

// ErrAuthFailed is matched (errors.Is) by the error of a request the server
// answered with 401 Unauthorized although it carried the credentials.
var ErrAuthFailed = errors.New("authentication failed")

// ErrCredentialsWithheld is matched (errors.Is) by the error of a request
// answered with 401 that went without the credentials because its host may
// not have them (see Client). It is not a wrong password.
var ErrCredentialsWithheld = errors.New("credentials withheld")

// Client is a CalDAV source. It is safe for concurrent use.
//
// Credentials (HTTP Basic) go to the configured host, and to another host
// only when (a) the server named it: a redirect from a host that has the
// credentials, or an href in a discovery answer (principal, calendar home,
// calendars), or the user did (a URL in Options.Calendars); and (b) it is
// in the same registrable domain as the configured host (publicsuffix:
// p12-caldav.icloud.com and caldav.icloud.com are both icloud.com), or for
// an IP address the same IP (any port); and (c) it is reached over HTTPS,
// or is a loopback address (127.0.0.0/8, ::1; "localhost" is a name, not an
// IP, and follows (b)). A request elsewhere goes without them; a 401 it
// gets is reported as ErrCredentialsWithheld, naming the host.
type Client struct {
	base        *url.URL // Options.URL without user info
	user        string
	pass        string
	hc          *http.Client
	zone        *time.Location
	log         *slog.Logger // never nil
	calendars   []string     // configured calendar keys
	fingerprint string       // of URL, user, calendars: see Discovery

	memMu    sync.Mutex
	mem      []byte // the snapshot last remembered or recalled, as JSON
	requests atomic.Int64
	idle     time.Duration // IdleTimeout

	// hosts are the origins ("https://host:port") the credentials go to.
	hostsMu sync.Mutex
	hosts   map[string]bool

	// What discovery found last, so that a cycle over unchanged calendars
	// costs one request each and no discovery; found again every refsTTL,
	// or when a remembered calendar is gone. nil when nothing is.
	refsMu sync.Mutex
	disc   *Discovery
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

	c := &Client{base: u, user: user, pass: pass, zone: opt.Zone, idle: opt.IdleTimeout,
		log: opt.Logger, hosts: map[string]bool{origin(u): true}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
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
		if cu.Scheme != "http" && cu.Scheme != "https" || cu.Host == "" {
			return nil, fmt.Errorf("caldav: bad calendar URL %s: want an http(s) URL or a path", cu.Redacted())
		}
		cu.User, cu.RawQuery, cu.Fragment, cu.RawFragment = nil, "", "", ""
		if err := c.mayHave(cu); err != nil {
			return nil, fmt.Errorf("caldav: calendar URL %s: %w", cu.Redacted(), err)
		}
		c.hosts[origin(cu)] = true
		c.calendars = append(c.calendars, collectionKey(c.keyOf(cu)))
	}
	c.fingerprint = fingerprint(u.String(), user, c.calendars)
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

// collectionKey gives a collection's key its trailing slash.
func collectionKey(k string) string {
	if !strings.HasSuffix(k, "/") {
		k += "/"
	}
	return k
}

// origin is a URL's scheme and host, lower-case, without a default port:
// what credentials are granted to.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if p := u.Port(); scheme == "https" && p == "443" || scheme == "http" && p == "80" {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return scheme + "://" + host
}

// sameResource compares two URLs by origin and decoded path, ignoring a
// trailing slash: servers write one resource's href in more than one way.
func sameResource(a, b *url.URL) bool {
	return origin(a) == origin(b) && strings.TrimSuffix(a.Path, "/") == strings.TrimSuffix(b.Path, "/")
}

// resourceID is what sameResource compares, as a map key.
func resourceID(u *url.URL) string {
	return origin(u) + strings.TrimSuffix(u.Path, "/")
}

// keyOf names u the way this package hands hrefs out (see the package
// comment): the decoded path on the configured host, unless the server's
// encoding differs from Go's (then the raw path), with the origin (scheme,
// lower-case host, no default port) in front for another host.
func (c *Client) keyOf(u *url.URL) string {
	k := u.Path
	if raw := u.EscapedPath(); raw != escapePath(u.Path) || strings.Contains(u.Path, "%") {
		k = raw
	}
	if origin(u) == origin(c.base) {
		return k
	}
	return origin(u) + k
}

// url returns the URL a key (or a path or URL) names, its raw path kept.
func (c *Client) url(ref string) (*url.URL, error) {
	u, err := resolveHref(c.base, ref)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// mayHave tells whether the credentials may go to u's host once it is
// named (by the server or the user): nil, or why not in one line.
func (c *Client) mayHave(u *url.URL) error {
	if origin(u) == origin(c.base) {
		return nil
	}
	host, base := strings.ToLower(u.Hostname()), strings.ToLower(c.base.Hostname())
	if u.Scheme != "https" && !isLoopback(host) {
		return fmt.Errorf("oneonone sends the credentials for %s only over HTTPS (or to a loopback address), and %s is %s", c.base.Host, u.Host, u.Scheme)
	}
	if !sameSite(host, base) {
		return fmt.Errorf("oneonone sends the credentials for %s only to hosts in its domain, and %s is not", c.base.Host, u.Host)
	}
	return nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameSite: two IP addresses are the same site when they are the same IP;
// two names when their registrable domains (eTLD+1, publicsuffix) are the
// same, or they are the same name when it has none.
func sameSite(a, b string) bool {
	ipa, ipb := net.ParseIP(a), net.ParseIP(b)
	if ipa != nil || ipb != nil {
		return ipa != nil && ipb != nil && ipa.Equal(ipb)
	}
	da, erra := publicsuffix.EffectiveTLDPlusOne(a)
	db, errb := publicsuffix.EffectiveTLDPlusOne(b)
	if erra != nil || errb != nil {
		return a == b
	}
	return da == db
}

// named records that the server named u (an href in a discovery answer, a
// redirect's Location): its host gets the credentials if mayHave allows.
func (c *Client) named(u *url.URL) {
	if u == nil || c.mayHave(u) != nil {
		return
	}
	c.hostsMu.Lock()
	c.hosts[origin(u)] = true
	c.hostsMu.Unlock()
}

// hasCredentials tells whether requests to u carry the credentials.
func (c *Client) hasCredentials(u *url.URL) bool {
	c.hostsMu.Lock()
	defer c.hostsMu.Unlock()
	return c.hosts[origin(u)]
}

// credentialHosts lists the origins that have the credentials, sorted.
func (c *Client) credentialHosts() []string {
	c.hostsMu.Lock()
	defer c.hostsMu.Unlock()
	out := make([]string, 0, len(c.hosts))
	for h := range c.hosts {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// counterKey carries a per-call request counter in a context.
type counterKey struct{}

func withCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, n), n
}

// do sends one request, with Basic auth when it goes to a host that has the
// credentials, and follows up to 5 redirects itself, keeping method and body
// (Go's client turns a redirected PROPFIND into a GET); a redirect from a
// host that has the credentials names its target (see Client). Every
// request sent, each hop, is counted. The response is returned whatever its
// status.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	for hop := 0; ; hop++ {
		req.Header.Del("Authorization")
		authed := c.user != "" && c.hasCredentials(req.URL)
		if authed {
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
		if err != nil || next.Scheme != "http" && next.Scheme != "https" || next.Host == "" {
			return resp, nil
		}
		next.User, next.Fragment, next.RawFragment = nil, "", ""
		if authed {
			c.named(next)
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
	req, err := newRequestURL(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// newRequestURL builds a request to u whose request line carries u's raw
// path as it is (not parsed again from a string).
func newRequestURL(ctx context.Context, method string, u *url.URL, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	uu := *u
	req.URL = &uu
	return req, nil
}

// StatusError is a response with an unexpected HTTP status. It matches
// (errors.Is) calendar.ErrNotFound for 404, calendar.ErrConflict for 412,
// calendar.ErrForbidden for 403 and ErrAuthFailed for 401, or
// ErrCredentialsWithheld for a 401 to a request sent without them.
type StatusError struct {
	Method string
	URL    string // redacted
	Code   int
	Status string // "404 Not Found"
	Body   string // the start of the response body
	User   string // for 401
	// Withheld is set for a 401 to a request that went without the
	// credentials, because its host may not have them.
	Withheld bool
	Host     string // the host of such a request
	// DAVError lists the local names of the DAV:error conditions in the
	// body ("valid-sync-token").
	DAVError []string
}

func (e *StatusError) Error() string {
	switch e.Code {
	case http.StatusUnauthorized:
		if e.Withheld {
			return fmt.Sprintf("caldav: %s asks for credentials, and oneonone does not send those of %s to it: it is not the configured host, or one the server named in its domain over HTTPS", e.Host, e.User)
		}
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
		if e.Withheld {
			return ErrCredentialsWithheld
		}
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
	final := req
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request
		e.URL = final.URL.Redacted()
	}
	if e.Code == http.StatusUnauthorized && c.user != "" && final.Header.Get("Authorization") == "" {
		e.Withheld, e.Host = true, final.URL.Host
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
	ms.base = req.URL
	if resp.Request != nil && resp.Request.URL != nil {
		ms.base = resp.Request.URL
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
	// Cyrus gzips a GET when asked to and then gives a weak ETag (W/"x")
	// where its listings say "x": ask for the bytes as they are.
	req.Header.Set("Accept-Encoding", "identity")
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
	obj := calendar.Object{Href: c.keyOf(req.URL), ETag: unquoteETag(resp.Header.Get("ETag")), Data: data}
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
	req, err := newRequestURL(ctx, http.MethodPut, u, bytes.NewReader(data))
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

// Decode parses one object into events (ical.Parse) and stamps each with
// the calendar, the object's href and its ETag.
func (c *Client) Decode(cal string, obj calendar.Object) ([]calendar.Event, error) {
	evs, err := ical.Parse(obj.Data, ical.ParseOptions{Href: obj.Href, DefaultZone: c.zone})
	for i := range evs {
		evs[i].Calendar = cal
		evs[i].Href = obj.Href
		evs[i].ETag = obj.ETag
	}
	return evs, err // Parse names the href
}

// SetDescription returns obj's data with the DESCRIPTION of one event set to
// desc, every other byte as it was (ical.SetDescription).
func (c *Client) SetDescription(obj calendar.Object, uid string, rid time.Time, desc string) ([]byte, error) {
	out, _, err := ical.SetDescription(obj.Data, uid, rid, desc)
	return out, err
}

// HTMLDescriptions is false: iCalendar descriptions are plain text.
func (c *Client) HTMLDescriptions() bool { return false }
