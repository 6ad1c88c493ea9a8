// Package caldavserver is an in-memory CalDAV server for one user, built on
// go-webdav's caldav.Handler. Tests and `oneonone demo` run it.
//
// Layout: principal /<user>/, calendar home /<user>/calendars/, calendars
// /<user>/calendars/<name>/. Objects are kept exactly as they were PUT (the
// raw bytes) and served back byte for byte (GET and calendar-multiget), with a
// strong ETag that is a hash of those bytes.
//
// Beyond go-webdav's handler it answers PROPFIND on calendar collections
// itself, with the calendarserver getctag property (so clients can use the
// ctag path; SetCTag(false) hides it), calendar-multiget with the stored bytes,
// and MKCALENDAR. It has no RFC 6578 sync-collection. With SetOutbox it has
// an RFC 6638 scheduling outbox that answers free/busy requests (outbox.go).
// Accounts puts many users, a Server each, behind one URL (accounts.go).
package caldavserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
)

// maxObjectSize bounds a PUT body.
const maxObjectSize = 10 << 20

// Server is an in-memory CalDAV server. It is safe for concurrent use.
type Server struct {
	user      string
	principal string // "/<user>/"
	home      string // "/<user>/calendars/"

	mu        gosync.RWMutex
	calendars map[string]*collection // by path, with trailing slash
	authUser  string
	authPass  string
	authOn    bool
	noCTag    bool
	outboxOn  bool     // SetOutbox
	addresses []string // SetOutbox's, lower case

	requests atomic.Int64
	dav      *caldav.Handler
}

type collection struct {
	path        string
	name        string
	description string
	objects     map[string]*object // by object path
}

type object struct {
	data    []byte
	etag    string
	modTime time.Time
}

// New returns a server for user (a single path segment; "" means "user").
func New(user string) *Server {
	user = strings.Trim(user, "/")
	if user == "" || strings.Contains(user, "/") {
		user = "user"
	}
	s := &Server{
		user:      user,
		principal: "/" + user + "/",
		home:      "/" + user + "/calendars/",
		calendars: map[string]*collection{},
	}
	s.dav = &caldav.Handler{Backend: &backend{s}}
	return s
}

// SetBasicAuth makes the server require HTTP Basic auth with these
// credentials.
func (s *Server) SetBasicAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authUser, s.authPass, s.authOn = user, pass, true
}

// SetCTag turns the calendarserver getctag property on (the default) or off.
// Off, clients find no token at all and compare ETag listings.
func (s *Server) SetCTag(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noCTag = !on
}

// Requests returns the number of HTTP requests the server has answered.
func (s *Server) Requests() int64 { return s.requests.Load() }

// PrincipalPath returns the user's principal, "/<user>/".
func (s *Server) PrincipalPath() string { return s.principal }

// CreateCalendar creates the calendar /<user>/calendars/<name>/ and returns
// its path.
func (s *Server) CreateCalendar(name, displayName string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return "", fmt.Errorf("create calendar %q: bad name", name)
	}
	p := s.home + name + "/"
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.calendars[p]; ok {
		return "", fmt.Errorf("create calendar %s: already exists", p)
	}
	s.calendars[p] = &collection{path: p, name: displayName, objects: map[string]*object{}}
	return p, nil
}

// PutObject stores data as object name of calendar calPath, bypassing HTTP
// and its preconditions, and returns the object's href and ETag. data must
// be an iCalendar object.
func (s *Server) PutObject(calPath, name string, data []byte) (href, etag string, err error) {
	if name == "" || strings.ContainsAny(name, "/\\") {
		return "", "", fmt.Errorf("put object %q: bad name", name)
	}
	if _, err := ical.NewDecoder(bytes.NewReader(data)).Decode(); err != nil {
		return "", "", fmt.Errorf("put object %s: not iCalendar: %v", name, err)
	}
	href = collectionPath(calPath) + name
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calendars[collectionPath(calPath)]
	if !ok {
		return "", "", fmt.Errorf("put object %s: no calendar %s", href, calPath)
	}
	o := newObject(data)
	c.objects[href] = o
	return href, o.etag, nil
}

// DeleteObject removes an object, bypassing HTTP.
func (s *Server) DeleteObject(href string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendars[parentPath(href)]
	if c == nil || c.objects[href] == nil {
		return fmt.Errorf("delete object %s: not found", href)
	}
	delete(c.objects, href)
	return nil
}

// Object returns a copy of an object's bytes and its ETag.
func (s *Server) Object(href string) (data []byte, etag string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.object(href)
	if o == nil {
		return nil, "", false
	}
	return bytes.Clone(o.data), o.etag, true
}

// Objects returns the hrefs of a calendar's objects, sorted.
func (s *Server) Objects(calPath string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.calendars[collectionPath(calPath)]
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.objects))
	for h := range c.objects {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

func newObject(data []byte) *object {
	sum := sha256.Sum256(data)
	return &object{data: bytes.Clone(data), etag: hex.EncodeToString(sum[:20]), modTime: time.Now().UTC().Truncate(time.Second)}
}

// object looks an object up; s.mu must be held.
func (s *Server) object(href string) *object {
	c := s.calendars[parentPath(href)]
	if c == nil {
		return nil
	}
	return c.objects[href]
}

// ctag hashes the calendar's hrefs and ETags; s.mu must be held.
func (c *collection) ctag() string {
	hrefs := make([]string, 0, len(c.objects))
	for h := range c.objects {
		hrefs = append(hrefs, h)
	}
	slices.Sort(hrefs)
	h := sha256.New()
	io.WriteString(h, c.path)
	for _, href := range hrefs {
		fmt.Fprintf(h, "\x00%s\x00%s", href, c.objects[href].etag)
	}
	return hex.EncodeToString(h.Sum(nil)[:20])
}

func collectionPath(p string) string {
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func parentPath(p string) string {
	return collectionPath(path.Dir(strings.TrimSuffix(p, "/")))
}

// isCalendarPath reports whether p has the shape of a calendar collection.
func (s *Server) isCalendarPath(p string) bool {
	p = collectionPath(p)
	return strings.HasPrefix(p, s.home) && p != s.home && !strings.Contains(strings.TrimSuffix(p[len(s.home):], "/"), "/")
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

type rawBodyKey struct{}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.RLock()
	authOn, au, ap := s.authOn, s.authUser, s.authPass
	s.mu.RUnlock()
	if authOn {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(au)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(ap)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="oneonone caldavserver"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
	}

	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if s.serveObject(w, r) {
			return
		}
	case http.MethodPut:
		// Keep the bytes as sent: go-webdav hands the backend a decoded
		// calendar only.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxObjectSize+1))
		if err != nil {
			http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(body) > maxObjectSize {
			http.Error(w, "object too large", http.StatusRequestEntityTooLarge)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), rawBodyKey{}, body))
		r.Body = io.NopCloser(bytes.NewReader(body))
	case http.MethodPost:
		if s.serveOutbox(w, r) {
			return
		}
	case "PROPFIND":
		if s.servePrincipal(w, r) {
			return
		}
		if s.isCalendarPath(r.URL.Path) {
			s.propfindCalendar(w, r)
			return
		}
	case "REPORT":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxObjectSize))
		if err != nil {
			http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if rootName(body) == (xmlName{nsCalDAV, "calendar-multiget"}) {
			s.multiget(w, r, body)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	case "MKCALENDAR":
		s.mkcalendar(w, r)
		return
	}
	s.dav.ServeHTTP(w, r)
}

// serveObject answers GET and HEAD of an object with its stored bytes.
func (s *Server) serveObject(w http.ResponseWriter, r *http.Request) bool {
	s.mu.RLock()
	o := s.object(r.URL.Path)
	s.mu.RUnlock()
	if o == nil {
		return false
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("ETag", `"`+o.etag+`"`)
	w.Header().Set("Last-Modified", o.modTime.Format(http.TimeFormat))
	w.Header().Set("Content-Length", fmt.Sprint(len(o.data)))
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, `"`+o.etag+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	if r.Method == http.MethodGet {
		w.Write(o.data)
	}
	return true
}

func (s *Server) mkcalendar(w http.ResponseWriter, r *http.Request) {
	p := collectionPath(r.URL.Path)
	if !s.isCalendarPath(p) {
		http.Error(w, "calendars live in "+s.home, http.StatusForbidden)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	name := displayNameIn(body)
	if _, err := s.CreateCalendar(strings.TrimSuffix(p[len(s.home):], "/"), name); err != nil {
		http.Error(w, err.Error(), http.StatusMethodNotAllowed)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// backend is the go-webdav caldav.Backend over the server's state.
type backend struct{ s *Server }

var _ caldav.Backend = (*backend)(nil)

func (b *backend) CurrentUserPrincipal(context.Context) (string, error) { return b.s.principal, nil }

func (b *backend) CalendarHomeSetPath(context.Context) (string, error) { return b.s.home, nil }

func (b *backend) CreateCalendar(_ context.Context, cal *caldav.Calendar) error {
	p := collectionPath(cal.Path)
	if !b.s.isCalendarPath(p) {
		return webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("calendars live in %s", b.s.home))
	}
	if _, err := b.s.CreateCalendar(strings.TrimSuffix(p[len(b.s.home):], "/"), cal.Name); err != nil {
		return webdav.NewHTTPError(http.StatusMethodNotAllowed, err)
	}
	return nil
}

func (c *collection) caldav() caldav.Calendar {
	return caldav.Calendar{
		Path:                  c.path,
		Name:                  c.name,
		Description:           c.description,
		SupportedComponentSet: []string{ical.CompEvent},
	}
}

func (b *backend) ListCalendars(context.Context) ([]caldav.Calendar, error) {
	b.s.mu.RLock()
	defer b.s.mu.RUnlock()
	out := make([]caldav.Calendar, 0, len(b.s.calendars))
	for _, c := range b.s.calendars {
		out = append(out, c.caldav())
	}
	slices.SortFunc(out, func(a, b caldav.Calendar) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (b *backend) GetCalendar(_ context.Context, p string) (*caldav.Calendar, error) {
	b.s.mu.RLock()
	defer b.s.mu.RUnlock()
	c := b.s.calendars[collectionPath(p)]
	if c == nil {
		return nil, webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("no calendar %s", p))
	}
	cal := c.caldav()
	return &cal, nil
}

func (o *object) caldav(href string) (*caldav.CalendarObject, error) {
	cal, err := ical.NewDecoder(bytes.NewReader(o.data)).Decode()
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", href, err)
	}
	return &caldav.CalendarObject{
		Path:          href,
		ModTime:       o.modTime,
		ContentLength: int64(len(o.data)),
		ETag:          o.etag,
		Data:          cal,
	}, nil
}

func (b *backend) GetCalendarObject(_ context.Context, p string, _ *caldav.CalendarCompRequest) (*caldav.CalendarObject, error) {
	b.s.mu.RLock()
	o := b.s.object(p)
	b.s.mu.RUnlock()
	if o == nil {
		return nil, webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("no object %s", p))
	}
	return o.caldav(p)
}

func (b *backend) ListCalendarObjects(_ context.Context, p string, _ *caldav.CalendarCompRequest) ([]caldav.CalendarObject, error) {
	type entry struct {
		href string
		o    *object
	}
	b.s.mu.RLock()
	c := b.s.calendars[collectionPath(p)]
	var entries []entry
	if c != nil {
		for h, o := range c.objects {
			entries = append(entries, entry{h, o})
		}
	}
	b.s.mu.RUnlock()
	if c == nil {
		return nil, webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("no calendar %s", p))
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.href, b.href) })
	out := make([]caldav.CalendarObject, 0, len(entries))
	for _, e := range entries {
		co, err := e.o.caldav(e.href)
		if err != nil {
			return nil, err
		}
		out = append(out, *co)
	}
	return out, nil
}

func (b *backend) QueryCalendarObjects(ctx context.Context, p string, query *caldav.CalendarQuery) ([]caldav.CalendarObject, error) {
	all, err := b.ListCalendarObjects(ctx, p, &query.CompRequest)
	if err != nil {
		return nil, err
	}
	return caldav.Filter(query, all)
}

func (b *backend) PutCalendarObject(ctx context.Context, p string, cal *ical.Calendar, opts *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	if _, _, err := caldav.ValidateCalendarObject(cal); err != nil {
		return nil, caldav.NewPreconditionError(caldav.PreconditionValidCalendarObjectResource)
	}
	data, _ := ctx.Value(rawBodyKey{}).([]byte)
	if data == nil {
		var buf bytes.Buffer
		if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
			return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
		}
		data = buf.Bytes()
	}
	if strings.HasSuffix(p, "/") {
		return nil, webdav.NewHTTPError(http.StatusMethodNotAllowed, errors.New("cannot PUT a collection"))
	}

	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	c := b.s.calendars[parentPath(p)]
	if c == nil {
		return nil, webdav.NewHTTPError(http.StatusConflict, fmt.Errorf("no calendar %s", parentPath(p)))
	}
	old := c.objects[p]
	if opts != nil {
		if opts.IfNoneMatch.IsSet() {
			if old != nil && (opts.IfNoneMatch.IsWildcard() || matches(opts.IfNoneMatch, old.etag)) {
				return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, fmt.Errorf("%s exists", p))
			}
		}
		if opts.IfMatch.IsSet() {
			if old == nil || (!opts.IfMatch.IsWildcard() && !matches(opts.IfMatch, old.etag)) {
				return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, fmt.Errorf("%s changed", p))
			}
		}
	}
	o := newObject(data)
	c.objects[p] = o
	return &caldav.CalendarObject{Path: p, ModTime: o.modTime, ContentLength: int64(len(o.data)), ETag: o.etag}, nil
}

// matches compares a conditional header (one or more quoted ETags) with an
// ETag, strongly (RFC 9110 §13.1.1).
func matches(cond webdav.ConditionalMatch, etag string) bool {
	for _, part := range strings.Split(string(cond), ",") {
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "W/") {
			continue
		}
		if part == `"`+etag+`"` {
			return true
		}
	}
	return false
}

func (b *backend) DeleteCalendarObject(_ context.Context, p string) error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	c := b.s.calendars[parentPath(p)]
	if c == nil || c.objects[p] == nil {
		return webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("no object %s", p))
	}
	delete(c.objects, p)
	return nil
}
