package googleapi

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a fake of the Google Calendar API v3 events resource. It is an
// http.Handler: serve it with httptest.NewServer. It is safe for concurrent use.
type Server struct {
	requests atomic.Int64
	writes   atomic.Int64

	mu        sync.Mutex
	nonce     uint64 // random, in every token this server issues
	epoch     uint64 // bumped by InvalidateSyncTokens
	seq       uint64 // change sequence, shared by all calendars
	last      time.Time
	calendars map[string]*calendar
	calOrder  []string

	pageSize   int
	rewrite    bool
	retryAfter int

	faults       []Fault
	faultRate    float64
	faultRNG     *mrand.Rand
	faultChoices []int

	log []string

	subjectOf func(token string) (string, bool) // SetAuth
	refused   map[string]bool                   // RefuseSubject
	bySubject map[string]int64                  // RequestsBy
	quota     *userQuota                        // SetPerUserQuota
}

// maxLog is how many entries RequestLog keeps (the most recent ones).
const maxLog = 100000

type calendar struct {
	id, owner, timeZone, accessRole string
	loc                             *time.Location
	created                         time.Time

	events  map[string]*event
	order   []*event // creation order: the stable order of events.list
	lastSeq uint64   // sequence of the calendar's latest change
	updated time.Time
}

type event struct {
	id      string
	index   int // place in calendar.order
	obj     *object
	view    eventView
	seq     uint64
	updated time.Time
}

// Fault is an error the server answers instead of serving a request.
type Fault struct {
	Method       string // "" = any
	PathContains string // "" = any; matched against the path (unescaped) and the request URI
	Status       int    // 403, 429, 500, 503 …
	Reason       string // "" = the usual one for Status (rateLimitExceeded, backendError, …)
	Times        int    // how many matching requests fail (then it is used up); 0 counts as 1
}

// New returns an empty server: add calendars with AddCalendar.
func New() *Server {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Server{
		nonce:     binary.LittleEndian.Uint64(b[:]),
		calendars: map[string]*calendar{},
		rewrite:   true,
	}
}

// AddCalendar adds a calendar (or changes an existing one's owner and time
// zone, keeping its events). owner is the address of the account the API is
// used as; the access role is "owner". A calendar whose id equals its owner is
// that account's primary calendar, which the path id "primary" names (the
// first such calendar added, when there are several).
func (s *Server) AddCalendar(id, owner, timeZone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	loc, err := time.LoadLocation(timeZone)
	if err != nil || timeZone == "" {
		loc = time.UTC
	}
	if c, ok := s.calendars[id]; ok {
		c.owner, c.timeZone, c.loc = owner, timeZone, loc
		return
	}
	now := s.tick()
	s.calendars[id] = &calendar{
		id: id, owner: owner, timeZone: timeZone, accessRole: "owner", loc: loc,
		created: now, updated: now, events: map[string]*event{},
	}
	s.calOrder = append(s.calOrder, id)
}

// SetAccessRole sets the account's access role on a calendar: "owner",
// "writer", "reader" or "freeBusyReader". Writes to a calendar with a role
// other than owner or writer answer 403 requiredAccessLevel.
func (s *Server) SetAccessRole(calendarID, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calendarLocked(calendarID); c != nil {
		c.accessRole = role
	}
}

// InvalidateSyncTokens makes every sync token issued so far answer 410
// fullSyncRequired (page tokens of sync queries too).
func (s *Server) InvalidateSyncTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
}

// SetPageSize caps maxResults, to force paging; n <= 0 removes the cap
// (then a page holds maxResults items: 250 by default, at most 2500).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetRewriteHTML turns the description rewriting of RewriteHTML on writes on
// or off (default on).
func (s *Server) SetRewriteHTML(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rewrite = on
}

// SetRetryAfter makes 429 answers (injected or random faults) carry
// "Retry-After: <seconds>"; 0 (the default) sends none. Google does not
// document a Retry-After header for the Calendar API.
func (s *Server) SetRetryAfter(seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = seconds
}

// Inject queues a fault. Queued faults are checked in order; the first one
// that matches a request answers it.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, f)
}

// SetFaultRate makes that fraction of requests (after any queued fault) fail
// with one of statuses, chosen by a generator seeded with seed; the default
// statuses are 403 (rateLimitExceeded or userRateLimitExceeded), 429, 500 and
// 503. A rate of 0 turns random faults off.
func (s *Server) SetFaultRate(rate float64, seed uint64, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultRate = rate
	s.faultRNG = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.faultChoices = statuses
	if len(statuses) == 0 {
		s.faultChoices = []int{403, 429, 500, 503}
	}
}

// Requests is the number of requests served, faults included.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Writes is the number of successful events.patch and events.update calls.
func (s *Server) Writes() int64 { return s.writes.Load() }

// RequestLog returns "METHOD path?query" (the request URI as sent, so query
// values are URL-encoded) for each request, oldest first; it keeps the last
// 100000.
func (s *Server) RequestLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// tick returns the time of a new change: now, in milliseconds (as Google
// shows "updated"), and always later than the previous change.
func (s *Server) tick() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Millisecond)
	}
	s.last = t
	return t
}

// calendarLocked resolves a calendar id; "primary" is the first calendar
// whose id is its owner's address.
func (s *Server) calendarLocked(id string) *calendar {
	if c, ok := s.calendars[id]; ok {
		return c
	}
	if id == "primary" {
		for _, cid := range s.calOrder {
			c := s.calendars[cid]
			if strings.EqualFold(c.id, c.owner) {
				return c
			}
		}
	}
	return nil
}

// ServeHTTP serves the Calendar API under /calendar/v3/ and, for clients given
// a bare base URL, under /:
//
//	GET    calendars/{calendarId}                 calendars.get
//	GET    calendars/{calendarId}/events          events.list
//	GET    calendars/{calendarId}/events/{id}     events.get
//	PATCH  calendars/{calendarId}/events/{id}     events.patch
//	PUT    calendars/{calendarId}/events/{id}     events.update
//	DELETE calendars/{calendarId}/events/{id}     events.delete
//	POST   freeBusy                               freebusy.query
//
// Anything else answers 404 notFound, or 501 for a known path and method
// the fake does not model.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	s.log = append(s.log, r.Method+" "+r.URL.RequestURI())
	if len(s.log) > maxLog {
		s.log = append(s.log[:0:0], s.log[len(s.log)-maxLog:]...)
	}
	subject, authErr := s.authLocked(r)
	if authErr != nil {
		s.mu.Unlock()
		if authErr.code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		}
		writeError(w, *authErr)
		return
	}
	if e, ok := s.faultLocked(r); ok {
		retryAfter := s.retryAfter
		s.mu.Unlock()
		if e.code == http.StatusTooManyRequests && retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		writeError(w, e)
		return
	}
	s.mu.Unlock()

	status, body, apiErr := s.route(r, subject)
	if apiErr != nil {
		writeError(w, *apiErr)
		return
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	if r.URL.Query().Get("prettyPrint") != "false" { // Google's default is pretty
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) faultLocked(r *http.Request) (apiError, bool) {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.PathContains != "" && !strings.Contains(r.URL.Path, f.PathContains) &&
			!strings.Contains(r.URL.RequestURI(), f.PathContains) {
			continue
		}
		f.Times--
		e := faultError(f.Status, f.Reason)
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return e, true
	}
	if s.faultRate > 0 && s.faultRNG.Float64() < s.faultRate {
		status := s.faultChoices[s.faultRNG.IntN(len(s.faultChoices))]
		reason := ""
		if status == 403 && s.faultRNG.IntN(2) == 1 {
			reason = "userRateLimitExceeded"
		}
		return faultError(status, reason), true
	}
	return apiError{}, false
}

// route answers one request: a status and a JSON body, or an error.
// subject (SetAuth) is the user the request is for: "primary" names the
// calendar whose id is subject.
func (s *Server) route(r *http.Request, subject string) (int, []byte, *apiError) {
	path := r.URL.EscapedPath()
	path = strings.TrimPrefix(path, "/calendar/v3")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return fail(errNotFound)
		}
		parts[i] = u
	}
	if len(parts) == 1 && parts[0] == "freeBusy" {
		if r.Method != http.MethodPost {
			return fail(errNotFound)
		}
		return s.freeBusy(r)
	}
	if len(parts) < 2 || parts[0] != "calendars" || parts[1] == "" {
		return fail(errNotFound)
	}
	if subject != "" && parts[1] == "primary" {
		parts[1] = subject
	}
	q := r.URL.Query()
	switch {
	case len(parts) == 2:
		if r.Method != http.MethodGet {
			return fail(notImplemented(r.Method + " calendars/{calendarId}"))
		}
		return s.getCalendar(parts[1])
	case len(parts) == 3 && parts[2] == "events":
		if r.Method != http.MethodGet {
			return fail(notImplemented(r.Method + " calendars/{calendarId}/events"))
		}
		return s.list(parts[1], q)
	case len(parts) == 4 && parts[2] == "events" && parts[3] != "":
		switch r.Method {
		case http.MethodGet:
			return s.get(parts[1], parts[3], r.Header.Get("If-None-Match"))
		case http.MethodPatch, http.MethodPut:
			return s.write(r, parts[1], parts[3], r.Method == http.MethodPatch)
		case http.MethodDelete:
			return s.deleteCall(r, parts[1], parts[3])
		}
		return fail(notImplemented(r.Method + " calendars/{calendarId}/events/{eventId}"))
	}
	return fail(errNotFound)
}

func fail(e apiError) (int, []byte, *apiError) { return 0, nil, &e }

func (s *Server) getCalendar(calID string) (int, []byte, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return fail(errNotFound)
	}
	body, _ := json.Marshal(struct {
		Kind     string `json:"kind"`
		Etag     string `json:"etag"`
		ID       string `json:"id"`
		Summary  string `json:"summary"`
		TimeZone string `json:"timeZone,omitempty"`
	}{"calendar#calendar", c.etag(), c.id, c.id, c.timeZone})
	return http.StatusOK, body, nil
}

// etag of the calendar's collection: changes with every change in it.
func (c *calendar) etag() string {
	return `"p3` + strconv.FormatUint(c.lastSeq*7919+uint64(c.created.UnixMilli()), 32) + `"`
}
