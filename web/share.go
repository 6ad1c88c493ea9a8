package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
)

// The shared page (docs/DESIGN.md, "The shared page"): a page per pair,
// reached without an account through a signed link, where the counterpart
// reads the pair's open talking points and actions, adds a talking point,
// ticks an action done and a point discussed.
//
//	GET  /s/{token}                          the page
//	POST /s/{token}/points                   text=…&csrf=… : a new talking point, by the counterpart
//	POST /s/{token}/points/{id}/discussed    csrf=… : the point is discussed
//	POST /s/{token}/actions/{id}/done        csrf=… : the action is done
//
//	GET  /api/share/link?with=EMAIL          {"link","pair","expires"} (the command line)
//	POST /api/share/revoke  {"with"}         every link of the pair issued so far is refused
//	POST /api/share/rotate  {}               a new key: every link issued so far is refused

// Limits of the shared page.
const (
	// SharePointsPerDay is how many talking points the counterpart may add
	// from the page in 24 hours, counted in the store.
	SharePointsPerDay = 20
	// shareWritesPerMinute is the rate of POSTs of one link (a token
	// bucket of as many, in memory); shareReadsPerMinute that of every
	// request of one link.
	shareWritesPerMinute = 10
	shareReadsPerMinute  = 60
	// shareMaxBody bounds a form: MaxPointText characters of 4 bytes,
	// percent-encoded, and the rest.
	shareMaxBody = 16 << 10
	// shareMaxToken bounds a token before it is parsed.
	shareMaxToken = 1024
	// defaultShareDays is web.share_days' default.
	defaultShareDays = 30
	day              = 24 * 60 * 60 // seconds
)

// Refusals of a token. ShareError.Code is the HTTP status of each.
var (
	ErrShareMalformed = errors.New("the link is damaged")
	ErrShareSignature = errors.New("the link's signature does not match")
	ErrShareExpired   = errors.New("the link has expired")
	ErrShareRevoked   = errors.New("the link was revoked")
)

// shareStatus is the HTTP status of a token's refusal.
func shareStatus(err error) int {
	switch {
	case errors.Is(err, ErrShareMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrShareExpired):
		return http.StatusGone
	case errors.Is(err, ErrShareSignature), errors.Is(err, ErrShareRevoked):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// ShareLinks makes and checks the signed links of the shared pages. Its
// keys and revocations are facts of Store (store.FactsShareKeys,
// store.FactsShareRevoked); it keeps nothing else, so any number of
// ShareLinks over one store agree. Safe for concurrent use.
type ShareLinks struct {
	Store *store.Store
	// PublicURL is web.public_url: the links are PublicURL + "/s/" + token.
	PublicURL string
	// Days is web.share_days; 0 means 30.
	Days int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Agenda returns the pair's agenda document link, shown on the page;
	// nil or "" shows none.
	Agenda func(p calendar.Pair) string
}

// shareKeyMu serializes the creation and rotation of keys in this process
// (the state file's lock keeps other processes out).
var shareKeyMu gosync.Mutex

// ShareClaims are what a valid token says.
type ShareClaims struct {
	Pair    calendar.Pair
	KeyID   uint64
	Issued  time.Time
	Expires time.Time
	key     []byte
}

func (l *ShareLinks) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

func (l *ShareLinks) days() int64 {
	if l.Days <= 0 {
		return defaultShareDays
	}
	return int64(l.Days)
}

// period is how many days a link stays the same: a quarter of its life,
// from 1 to 7 days. The block is rewritten when its link changes, so a
// longer period means fewer writes; each link is valid at least Days days
// after the period in which it first appears ends.
func (l *ShareLinks) period() int64 { return min(max(l.days()/4, 1), 7) }

// Link returns the link of p's shared page, "" when there is none (no
// public URL, or the store failed: logged by the caller of NewLink). It is
// the same for every call in one period, so the block it goes into is not
// rewritten each cycle.
func (l *ShareLinks) Link(p calendar.Pair) string {
	link, _, err := l.NewLink(p)
	if err != nil {
		return ""
	}
	return link
}

// NewLink returns the link of p's shared page and when it expires.
func (l *ShareLinks) NewLink(p calendar.Pair) (string, time.Time, error) {
	if l == nil || l.PublicURL == "" {
		return "", time.Time{}, errors.New("shared page: web.public_url is not set")
	}
	if p.A == "" || p.B == "" {
		return "", time.Time{}, errors.New("shared page: no pair")
	}
	tok, exp, err := l.Token(p)
	if err != nil {
		return "", time.Time{}, err
	}
	return strings.TrimSuffix(l.PublicURL, "/") + "/s/" + tok, exp, nil
}

// Token returns the token of p's shared page for now and when it expires:
//
//	1.<key id>.<issued>.<expires>.<pair>.<mac>
//
// "1" the format's version; key id, issued and expires decimal (Unix
// seconds); pair the base64url (no padding) of "a@x|b@y"; mac the
// base64url of HMAC-SHA256(key, "oneonone share\x00" + everything before
// ".<mac>"). Issued is the start of the current period (a whole number of
// period() days since the Unix epoch), or the pair's revoked-before time
// when that is later; expires is the period's start plus Days + period()
// days.
func (l *ShareLinks) Token(p calendar.Pair) (string, time.Time, error) {
	kid, key, err := l.currentKey()
	if err != nil {
		return "", time.Time{}, err
	}
	rb, err := l.revokedBefore(p)
	if err != nil {
		return "", time.Time{}, err
	}
	per := l.period() * day
	start := floorDiv(l.now().Unix(), per) * per
	issued := max(start, rb)
	expires := start + (l.days()+l.period())*day
	body := "1." + strconv.FormatUint(kid, 10) + "." + strconv.FormatInt(issued, 10) + "." +
		strconv.FormatInt(expires, 10) + "." + base64.RawURLEncoding.EncodeToString([]byte(p.String()))
	return body + "." + base64.RawURLEncoding.EncodeToString(shareMAC(key, body)), time.Unix(expires, 0), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func shareMAC(key []byte, body string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("oneonone share\x00"))
	m.Write([]byte(body))
	return m.Sum(nil)
}

// formToken is the hidden field of the page's forms: an HMAC of the share
// token under its key, with another label than the token's own.
func formToken(key []byte, tok string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("oneonone share form\x00"))
	m.Write([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseShareToken splits a token into its fields, strictly: one spelling
// of each number, a canonical pair. It does not check the signature.
func parseShareToken(tok string) (c ShareClaims, body string, mac []byte, err error) {
	if len(tok) > shareMaxToken {
		return c, "", nil, ErrShareMalformed
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 6 || parts[0] != "1" {
		return c, "", nil, ErrShareMalformed
	}
	num := func(s string) (uint64, bool) {
		n, err := strconv.ParseUint(s, 10, 63)
		return n, err == nil && strconv.FormatUint(n, 10) == s
	}
	kid, ok1 := num(parts[1])
	iat, ok2 := num(parts[2])
	exp, ok3 := num(parts[3])
	if !ok1 || !ok2 || !ok3 || iat > exp || exp > math.MaxInt32*4 {
		return c, "", nil, ErrShareMalformed
	}
	rawPair, err1 := base64.RawURLEncoding.Strict().DecodeString(parts[4])
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(mac) != sha256.Size {
		return c, "", nil, ErrShareMalformed
	}
	pair, ok := calendar.ParsePair(string(rawPair))
	if !ok || pair.String() != string(rawPair) || pair.A == pair.B {
		return c, "", nil, ErrShareMalformed
	}
	c = ShareClaims{Pair: pair, KeyID: kid, Issued: time.Unix(int64(iat), 0), Expires: time.Unix(int64(exp), 0)}
	return c, strings.Join(parts[:5], "."), mac, nil
}

// Verify checks a token: its form, its key (the current one: a rotation
// refuses every older link), its signature (compared in constant time),
// its expiry and the pair's revocation, in this order.
func (l *ShareLinks) Verify(tok string) (ShareClaims, error) {
	c, body, mac, err := parseShareToken(tok)
	if err != nil {
		return ShareClaims{}, err
	}
	kid, key, ok, err := l.loadKey()
	if err != nil {
		return ShareClaims{}, err
	}
	// A link of an older key, or before any key, matches no key: the same
	// refusal as a forged one.
	if !ok || kid != c.KeyID || !hmac.Equal(mac, shareMAC(key, body)) {
		return ShareClaims{}, ErrShareSignature
	}
	if !l.now().Before(c.Expires) {
		return ShareClaims{}, ErrShareExpired
	}
	rb, err := l.revokedBefore(c.Pair)
	if err != nil {
		return ShareClaims{}, err
	}
	if c.Issued.Unix() < rb {
		return ShareClaims{}, ErrShareRevoked
	}
	c.key = key
	return c, nil
}

// loadKey returns the current key: the one of the highest ID (there is
// only one unless a rotation was cut short).
func (l *ShareLinks) loadKey() (uint64, []byte, bool, error) {
	f := l.Store.Facts(store.FactsShareKeys)
	ids, err := f.Keys("")
	if err != nil {
		return 0, nil, false, err
	}
	var best uint64
	found := false
	for _, id := range ids {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil && (!found || n > best) {
			best, found = n, true
		}
	}
	if !found {
		return 0, nil, false, nil
	}
	key, ok, err := f.Bytes(strconv.FormatUint(best, 10))
	if err != nil || !ok || len(key) < 32 {
		return 0, nil, false, err
	}
	return best, key, true, nil
}

// currentKey returns the current key, made on first use.
func (l *ShareLinks) currentKey() (uint64, []byte, error) {
	if kid, key, ok, err := l.loadKey(); err != nil || ok {
		return kid, key, err
	}
	shareKeyMu.Lock()
	defer shareKeyMu.Unlock()
	if kid, key, ok, err := l.loadKey(); err != nil || ok {
		return kid, key, err
	}
	return l.putKey(1)
}

func (l *ShareLinks) putKey(kid uint64) (uint64, []byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return 0, nil, err
	}
	if err := l.Store.Facts(store.FactsShareKeys).PutBytes(strconv.FormatUint(kid, 10), key); err != nil {
		return 0, nil, err
	}
	return kid, key, nil
}

// Rotate makes a new key and deletes the others: every link made so far
// is refused (403), and the blocks get new links at the next cycle. It
// returns the new key's ID.
func (l *ShareLinks) Rotate() (uint64, error) {
	shareKeyMu.Lock()
	defer shareKeyMu.Unlock()
	old, _, _, err := l.loadKey()
	if err != nil {
		return 0, err
	}
	kid, _, err := l.putKey(old + 1)
	if err != nil {
		return 0, err
	}
	f := l.Store.Facts(store.FactsShareKeys)
	ids, err := f.Keys("")
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if id != strconv.FormatUint(kid, 10) {
			if err := f.Delete(id); err != nil {
				return 0, err
			}
		}
	}
	return kid, nil
}

// Revoke refuses every link of p issued until now; the next link of p
// (the next cycle's block, or NewLink) is issued after, and valid. It
// returns the revoked-before time.
func (l *ShareLinks) Revoke(p calendar.Pair) (time.Time, error) {
	shareKeyMu.Lock()
	defer shareKeyMu.Unlock()
	old, err := l.revokedBefore(p)
	if err != nil {
		return time.Time{}, err
	}
	// A second past now, and past the last revocation: a link issued in
	// this second, or after the last revocation, is refused too.
	rb := max(l.now().Unix()+1, old+1)
	if err := l.Store.Facts(store.FactsShareRevoked).PutInt64(p.String(), rb); err != nil {
		return time.Time{}, err
	}
	return time.Unix(rb, 0), nil
}

func (l *ShareLinks) revokedBefore(p calendar.Pair) (int64, error) {
	rb, _, err := l.Store.Facts(store.FactsShareRevoked).Int64(p.String())
	return rb, err
}

// publicHost returns the public URL's scheme://host and its host.
func (l *ShareLinks) publicOrigin() (origin, host string) {
	u, err := url.Parse(l.PublicURL)
	if err != nil || u.Host == "" {
		return "", ""
	}
	return u.Scheme + "://" + u.Host, u.Host
}

// ---- the page

//go:embed share.html.tmpl
var shareSource string

var shareTemplates = template.Must(template.New("share").Parse(shareSource))

// shareCSP is the pages' policy, with forms allowed to post to the page's
// own origin.
const shareCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// isShare reports whether r is for a shared page: those requests need no
// web.token (the link is their credential) and are checked by the share
// handlers themselves. Only clean paths: "/s/../api/x" is not one.
func (s *Server) isShare(r *http.Request) bool {
	p := r.URL.Path
	return s.opt.Share != nil && strings.HasPrefix(p, "/s/") && path.Clean(p) == p
}

// sharePublicHost reports whether r is for a shared page under the host of
// web.public_url, which the Host rule accepts besides loopback names.
func (s *Server) sharePublicHost(r *http.Request) bool {
	if !s.isShare(r) {
		return false
	}
	_, host := s.opt.Share.publicOrigin()
	return host != "" && sameHost(r.Host, host)
}

// sameHost compares two Host values, without a default port.
func sameHost(a, b string) bool {
	norm := func(h string) string {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if n, p, err := net.SplitHostPort(h); err == nil && (p == "80" || p == "443") {
			h = n
		}
		return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	}
	return a != "" && norm(a) == norm(b)
}

// shareRoutes registers the shared page's routes.
func (s *Server) shareRoutes(mux *http.ServeMux) {
	if s.opt.Share == nil {
		return
	}
	s.limits = &shareLimits{writes: map[string]*bucket{}, reads: map[string]*bucket{}}
	mux.HandleFunc("GET /s/{token}", s.sharePage)
	mux.HandleFunc("POST /s/{token}/points", s.shareAddPoint)
	mux.HandleFunc("POST /s/{token}/points/{id}/discussed", s.shareDiscussed)
	mux.HandleFunc("POST /s/{token}/actions/{id}/done", s.shareDone)
}

// shareAPI registers the command line's API of the shared pages (on the
// web face, behind its token, and on the control socket).
func (s *Server) shareAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/share/link", s.apiShareLink)
	mux.HandleFunc("POST /api/share/revoke", s.apiShareRevoke)
	mux.HandleFunc("POST /api/share/rotate", s.requireAdmin(s.apiShareRotate))
}

// shared is a checked request of a shared page.
type shared struct {
	tok         string
	claims      ShareClaims
	counterpart string
	me          string
}

// shareMessage is a page of the shared page's refusals: no link to the
// rest of the web face, which the counterpart cannot read.
func (s *Server) shareMessage(w http.ResponseWriter, code int, title, text string) {
	var b bytes.Buffer
	if err := shareTemplates.ExecuteTemplate(&b, "message", message{Style: style(), Title: title, Text: text}); err != nil {
		http.Error(w, title, code)
		return
	}
	writeHTML(w, code, b.Bytes())
}

// shareOpen checks a request of a shared page: the headers, the token, the
// pair, the rate; for a POST the origin, the body's size and the form
// token too. It answers the refusals itself.
func (s *Server) shareOpen(w http.ResponseWriter, r *http.Request) (shared, bool) {
	h := w.Header()
	h.Set("Content-Security-Policy", shareCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	tok := r.PathValue("token")
	c, err := s.opt.Share.Verify(tok)
	if err != nil {
		code := shareStatus(err)
		if code == http.StatusInternalServerError {
			s.internalError(w, r, err)
			return shared{}, false
		}
		s.opt.Log.Info("shared page refused", slog.String("method", r.Method), slog.String("reason", err.Error()))
		text := map[int]string{
			http.StatusBadRequest: "This link is not complete. Copy it again from the calendar event.",
			http.StatusForbidden:  "This link is no longer valid: it was replaced or withdrawn. The calendar event has the current one.",
			http.StatusGone:       "This link has expired. The calendar event has a newer one.",
		}[code]
		s.shareMessage(w, code, "This link does not work", text)
		return shared{}, false
	}
	sh := shared{tok: tok, claims: c}
	for _, m := range s.opt.Me {
		if c.Pair.Has(m) {
			sh.me = calendar.NormalizeEmail(m)
		}
	}
	if sh.me == "" {
		s.shareMessage(w, http.StatusNotFound, "Not found", "There is no page at this address.")
		return shared{}, false
	}
	sh.counterpart = c.Pair.Other(sh.me)
	post := r.Method == http.MethodPost
	if !s.limits.allow(tok, post, s.now()) {
		h.Set("Retry-After", "60")
		s.shareMessage(w, http.StatusTooManyRequests, "Too many requests", "Wait a minute and try again.")
		return shared{}, false
	}
	if !post {
		return sh, true
	}
	if !s.shareSameOrigin(r) {
		s.opt.Log.Info("shared page refused", slog.String("method", r.Method), slog.String("origin", r.Header.Get("Origin")), slog.String("reason", "cross-site"))
		s.shareMessage(w, http.StatusForbidden, "Refused", "This form was sent from another site.")
		return shared{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, shareMaxBody)
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			s.shareMessage(w, http.StatusRequestEntityTooLarge, "Too long", fmt.Sprintf("A talking point is at most %d characters.", agenda.MaxPointText))
			return shared{}, false
		}
		s.shareMessage(w, http.StatusBadRequest, "Not understood", "The form could not be read.")
		return shared{}, false
	}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(formToken(c.key, tok))) {
		s.shareMessage(w, http.StatusForbidden, "Refused", "This form is not from this page. Reload the page and try again.")
		return shared{}, false
	}
	return sh, true
}

// shareSameOrigin is the origin check of the shared page's forms. The
// page sends no referrer, so a browser posts its forms with "Origin:
// null" (or none) and Sec-Fetch-Site: same-origin. Accepted: an Origin
// (else a Referer) naming the public URL's origin or the request's own
// host; without either, Sec-Fetch-Site: same-origin, which no page can
// forge. Anything else is refused: a script (curl) must send an Origin.
func (s *Server) shareSameOrigin(r *http.Request) bool {
	public, _ := s.opt.Share.publicOrigin()
	ok := func(o string) bool {
		return o != "" && (strings.EqualFold(o, public) || strings.EqualFold(o, "http://"+r.Host) || strings.EqualFold(o, "https://"+r.Host))
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return ok(o)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && ok(u.Scheme+"://"+u.Host)
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// back sends the browser to the page again (303). The Location is
// relative, so that the page works under a public URL with a path.
func back(w http.ResponseWriter, r *http.Request, sh shared, done string) {
	depth := strings.Count(strings.TrimPrefix(r.URL.Path, "/s/"), "/")
	loc := strings.Repeat("../", depth) + url.PathEscape(sh.tok) + "?ok=" + done
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusSeeOther)
}

// sharePageData is what the page shows.
type sharePageData struct {
	Style      template.CSS
	Me         string
	With       string
	Agenda     string
	Points     []sharePoint
	Actions    []shareAction
	Form       string // the form token
	Token      string // the share token, for the forms' relative actions
	MaxText    int
	Expires    string
	Notice     string
	PointsLeft int
}

type sharePoint struct {
	ID, Author, Text, Added string
}

type shareAction struct {
	ID, Owner, Text, Since, Due string
	Stored                      bool
}

// sharePage is GET /s/{token}.
func (s *Server) sharePage(w http.ResponseWriter, r *http.Request) {
	sh, ok := s.shareOpen(w, r)
	if !ok {
		return
	}
	loc := s.opt.Location
	d := sharePageData{
		Style: style(), Me: sh.me, With: sh.counterpart, Form: formToken(sh.claims.key, sh.tok),
		Token: sh.tok, MaxText: agenda.MaxPointText, Expires: sh.claims.Expires.In(loc).Format("2 Jan 2006"),
	}
	if s.opt.Share.Agenda != nil {
		d.Agenda = s.opt.Share.Agenda(sh.claims.Pair)
	}
	d.Notice = map[string]string{
		"point": "Added. It is in the agenda of your next 1:1.", "done": "Marked done.", "discussed": "Marked discussed.",
	}[r.URL.Query().Get("ok")]
	points, err := s.opt.Store.Points(sh.claims.Pair)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, p := range agenda.OpenPoints(points) {
		d.Points = append(d.Points, sharePoint{ID: p.ID, Author: p.Author, Text: p.Text, Added: p.Added.In(loc).Format("2 Jan")})
	}
	n, err := s.sharePointsToday(sh)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	d.PointsLeft = max(SharePointsPerDay-n, 0)
	for _, a := range s.openActions(r.Context(), sh.claims.Pair) {
		if !a.Done.IsZero() {
			continue
		}
		sa := shareAction{ID: a.ID, Owner: a.Owner, Text: a.Text, Since: a.Since.In(loc).Format("2 Jan"), Stored: a.Origin == agenda.OriginStore && a.ID != ""}
		if !a.Due.IsZero() {
			sa.Due = a.Due.In(loc).Format("2 Jan")
		}
		d.Actions = append(d.Actions, sa)
	}
	var b bytes.Buffer
	if err := shareTemplates.ExecuteTemplate(&b, "page", d); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, http.StatusOK, b.Bytes())
}

// sharePointsToday counts the points the counterpart added in the last 24
// hours.
func (s *Server) sharePointsToday(sh shared) (int, error) {
	points, err := s.opt.Store.Points(sh.claims.Pair)
	if err != nil {
		return 0, err
	}
	since := s.now().Add(-24 * time.Hour)
	n := 0
	for _, p := range points {
		if p.Author == sh.counterpart && p.Added.After(since) {
			n++
		}
	}
	return n, nil
}

// shareAddPoint is POST /s/{token}/points: text= is a new talking point of
// the pair, by the counterpart.
func (s *Server) shareAddPoint(w http.ResponseWriter, r *http.Request) {
	sh, ok := s.shareOpen(w, r)
	if !ok {
		return
	}
	n, err := s.sharePointsToday(sh)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if n >= SharePointsPerDay {
		s.shareMessage(w, http.StatusTooManyRequests, "Enough for today", fmt.Sprintf("At most %d talking points a day can be added here. Raise the rest in your 1:1.", SharePointsPerDay))
		return
	}
	p, err := agenda.NewPoint(agenda.PointInput{
		Me: []string{sh.me}, With: sh.counterpart, Author: sh.counterpart, Text: r.PostForm.Get("text"), Now: s.now(),
	})
	if err != nil {
		var fe *agenda.FieldError
		msg := "The talking point could not be added."
		if errors.As(err, &fe) {
			msg = "The talking point could not be added: " + fe.Msg + "."
		}
		s.shareMessage(w, http.StatusBadRequest, "Not added", msg)
		return
	}
	p.Pair = sh.claims.Pair
	if _, err := s.opt.Store.AddPoint(p); err != nil {
		s.internalError(w, r, err)
		return
	}
	back(w, r, sh, "point")
}

// shareDone is POST /s/{token}/actions/{id}/done: a stored action of the
// pair is done. Another pair's, or none, is 404.
func (s *Server) shareDone(w http.ResponseWriter, r *http.Request) {
	sh, ok := s.shareOpen(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	a, found, err := s.opt.Store.Action(id)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !found || a.Pair != sh.claims.Pair {
		s.shareMessage(w, http.StatusNotFound, "Not found", "This page has no such action.")
		return
	}
	if a.Done.IsZero() {
		if _, _, err := s.opt.Store.SetActionDone(id, s.now()); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	back(w, r, sh, "done")
}

// shareDiscussed is POST /s/{token}/points/{id}/discussed: a point of the
// pair is discussed, in the 1:1 it was (agenda.DiscussedIn).
func (s *Server) shareDiscussed(w http.ResponseWriter, r *http.Request) {
	sh, ok := s.shareOpen(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	p, found, err := s.opt.Store.Point(id)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !found || p.Pair != sh.claims.Pair {
		s.shareMessage(w, http.StatusNotFound, "Not found", "This page has no such talking point.")
		return
	}
	if _, _, err := MarkDiscussed(s.opt.Store, id, true, s.now()); err != nil {
		s.internalError(w, r, err)
		return
	}
	back(w, r, sh, "discussed")
}

// ---- rate limits

// bucket is a token bucket: n tokens, refilled at rate per minute up to
// rate.
type bucket struct {
	n    float64
	last time.Time
}

type shareLimits struct {
	mu     gosync.Mutex
	writes map[string]*bucket
	reads  map[string]*bucket
}

// allow takes a token from tok's read bucket, and for a write from its
// write bucket too. Only valid tokens get here, so the maps hold at most
// the links we made; full buckets are dropped when they grow past 1000.
func (l *shareLimits) allow(tok string, write bool, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	take := func(m map[string]*bucket, rate float64) bool {
		b, ok := m[tok]
		if !ok {
			if len(m) >= 1000 {
				for k, v := range m {
					if v.n+now.Sub(v.last).Minutes()*rate >= rate {
						delete(m, k)
					}
				}
			}
			b = &bucket{n: rate, last: now}
			m[tok] = b
		}
		if d := now.Sub(b.last); d > 0 {
			b.n = min(rate, b.n+d.Minutes()*rate)
		}
		b.last = now
		if b.n < 1 {
			return false
		}
		b.n--
		return true
	}
	if !take(l.reads, shareReadsPerMinute) {
		return false
	}
	return !write || take(l.writes, shareWritesPerMinute)
}

// ---- the command line's API

type shareLinkAnswer struct {
	Link    string    `json:"link"`
	Pair    string    `json:"pair"`
	Expires time.Time `json:"expires"`
}

func (s *Server) shareOff(w http.ResponseWriter) bool {
	if s.opt.Share == nil {
		writeError(w, http.StatusConflict, "no shared pages: web.public_url is not set")
		return true
	}
	return false
}

// sharePair returns the pair of the request's user (the viewer behind a
// sign-in proxy) with the counterpart with.
func (s *Server) sharePair(w http.ResponseWriter, r *http.Request, with string) (calendar.Pair, bool) {
	with = calendar.NormalizeEmail(with)
	if with == "" || !strings.Contains(with, "@") {
		writeFieldError(w, "with", "want the counterpart's address")
		return calendar.Pair{}, false
	}
	me := s.me(r.Context())
	if slices.ContainsFunc(me, func(m string) bool { return calendar.NormalizeEmail(m) == with }) {
		writeFieldError(w, "with", "that is your own address")
		return calendar.Pair{}, false
	}
	return calendar.NewPair(me[0], with), true
}

// apiShareLink is GET /api/share/link?with=EMAIL.
func (s *Server) apiShareLink(w http.ResponseWriter, r *http.Request) {
	if s.shareOff(w) {
		return
	}
	p, ok := s.sharePair(w, r, r.URL.Query().Get("with"))
	if !ok {
		return
	}
	me := s.me(r.Context())[0]
	known, err := s.known(r.Context())(p.Other(me))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !known {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "with: no 1:1 with " + p.Other(me) + " is known", Field: "with"})
		return
	}
	link, exp, err := s.opt.Share.NewLink(p)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, shareLinkAnswer{Link: link, Pair: p.String(), Expires: exp.In(s.opt.Location)})
}

// apiShareRevoke is POST /api/share/revoke {"with"}.
func (s *Server) apiShareRevoke(w http.ResponseWriter, r *http.Request) {
	if s.shareOff(w) {
		return
	}
	var in struct {
		With string `json:"with"`
	}
	if field, msg := decodeBody(r.Body, &in); msg != "" {
		writeFieldError(w, field, msg)
		return
	}
	p, ok := s.sharePair(w, r, in.With)
	if !ok {
		return
	}
	rb, err := s.opt.Share.Revoke(p)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"pair": p.String(), "revoked_before": rb.In(s.opt.Location)})
}

// apiShareRotate is POST /api/share/rotate.
func (s *Server) apiShareRotate(w http.ResponseWriter, r *http.Request) {
	if s.shareOff(w) {
		return
	}
	kid, err := s.opt.Share.Rotate()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": kid})
}
