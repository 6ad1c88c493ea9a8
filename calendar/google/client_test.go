package google_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/calendar/google/oauth"
	"oneonone/internal/fake/googleapi"
)

const anna = "anna@example.com"

// fake is the fake Google Calendar API on a loopback port, with Anna's
// primary calendar, recording what each PATCH carried.
type fake struct {
	srv *googleapi.Server
	ts  *httptest.Server

	mu      gosync.Mutex
	patches []patch
	bodies  [][]byte // of the answers to GET requests
}

type patch struct {
	uri, ifMatch string
	body         map[string]json.RawMessage
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{srv: googleapi.New()}
	f.srv.AddCalendar(anna, anna, "Europe/Berlin")
	f.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			b, _ := io.ReadAll(r.Body)
			p := patch{uri: r.URL.RequestURI(), ifMatch: r.Header.Get("If-Match")}
			_ = json.Unmarshal(b, &p.body)
			f.mu.Lock()
			f.patches = append(f.patches, p)
			f.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		if r.Method != http.MethodGet {
			f.srv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, r)
		f.mu.Lock()
		f.bodies = append(f.bodies, rec.Body.Bytes())
		f.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(f.ts.Close)
	return f
}

// sleeper records the waits of the retry policy instead of waiting.
type sleeper struct {
	mu gosync.Mutex
	d  []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// client returns a client of the fake's primary calendar whose retries
// sleep into s (nil: no retry expected; a sleep fails the test).
func (f *fake) client(t *testing.T, s *sleeper, mod ...func(*google.Options)) *google.Client {
	t.Helper()
	opt := google.Options{Endpoint: f.ts.URL + "/calendar/v3/"}
	if s != nil {
		opt.Retry.Sleep = s.sleep
	} else {
		opt.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
			t.Errorf("unexpected retry after %v", d)
			return errors.New("no retry expected")
		}
	}
	for _, m := range mod {
		m(&opt)
	}
	c, err := google.New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fake) apply(t *testing.T, names ...string) {
	t.Helper()
	var items [][]byte
	for _, n := range names {
		items = append(items, fixture(t, n))
	}
	if err := f.srv.Apply(anna, items...); err != nil {
		t.Fatal(err)
	}
}

// queries returns the parsed query of each logged request from the i-th on.
func (f *fake) queries(t *testing.T, from int) []url.Values {
	t.Helper()
	var out []url.Values
	for _, line := range f.srv.RequestLog()[from:] {
		_, uri, _ := strings.Cut(line, " ")
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u.Query())
	}
	return out
}

func hrefs(objs []calendar.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Href)
	}
	slices.Sort(out)
	return out
}

// restricted are the parameters Google refuses with a sync token.
var restricted = []string{"timeMin", "timeMax", "orderBy", "q", "updatedMin", "iCalUID", "privateExtendedProperty", "sharedExtendedProperty"}

func TestChanges(t *testing.T) {
	f := newFake(t)
	f.apply(t, "master_exdate.json", "exception_moved.json", "exception_cancelled.json", "exception_declined.json", "allday_recurring.json")
	if err := f.srv.Apply(anna, []byte(`{"id":"gone1","status":"cancelled","summary":"deleted before we came"}`)); err != nil {
		t.Fatal(err)
	}
	f.srv.SetPageSize(2)
	c := f.client(t, nil)
	ctx := context.Background()

	// First sync: every page, the token from the last one.
	ch, err := c.Changes(ctx, "primary", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{masterID, masterID + "_20250311T090000Z", masterID + "_20250318T090000Z", masterID + "_20250325T090000Z", "7allday0monthly0review0abc"}
	slices.Sort(want)
	if !ch.Full || ch.Cursor == "" || !slices.Equal(hrefs(ch.Put), want) || len(ch.Deleted) != 0 {
		t.Fatalf("first sync: Full %v Cursor %q Put %v Deleted %v; want Full, a cursor and %v", ch.Full, ch.Cursor, hrefs(ch.Put), ch.Deleted, want)
	}
	if ch.Requests != 3 || c.Requests() != 3 || f.srv.Requests() != 3 {
		t.Errorf("first sync: Changes.Requests %d, client %d, server %d; want 3 pages of 2", ch.Requests, c.Requests(), f.srv.Requests())
	}
	f.mu.Lock()
	pages := bytes.Join(f.bodies, nil)
	f.mu.Unlock()
	for _, o := range ch.Put {
		var head struct{ ID, Etag string }
		_ = json.Unmarshal(o.Data, &head)
		if !bytes.Contains(pages, o.Data) || head.ID != o.Href || o.ETag != head.Etag || !strings.HasPrefix(o.ETag, `"`) {
			t.Errorf("%s: Data or ETag %s not as Google sent them: %s", o.Href, o.ETag, o.Data)
		}
	}
	q := f.queries(t, 0)
	for i, v := range q {
		for k, want := range map[string]string{"singleEvents": "false", "showDeleted": "true", "maxResults": "2500", "eventTypes": "default"} {
			if v.Get(k) != want {
				t.Errorf("request %d: %s=%q, want %q", i+1, k, v.Get(k), want)
			}
		}
		if v.Has("syncToken") || (i == 0) == v.Has("pageToken") {
			t.Errorf("request %d: %v, want no syncToken and a pageToken after the first page", i+1, v)
		}
	}

	// Nothing changed: one request, nothing new, the same token.
	f.srv.SetPageSize(0)
	cursor := ch.Cursor
	n := len(f.srv.RequestLog())
	ch, err = c.Changes(ctx, "primary", cursor, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Full || ch.Requests != 1 || len(ch.Put) != 0 || len(ch.Deleted) != 0 || ch.Cursor == "" {
		t.Fatalf("unchanged: %+v, want 1 request and nothing", ch)
	}
	if got := len(f.srv.RequestLog()) - n; got != 1 {
		t.Errorf("unchanged calendar cost %d requests, want 1", got)
	}
	v := f.queries(t, n)[0]
	if v.Get("syncToken") != cursor || v.Has("pageToken") {
		t.Errorf("incremental request %v, want syncToken %q", v, cursor)
	}
	for _, p := range restricted {
		if v.Has(p) {
			t.Errorf("incremental request has %s, which Google refuses with a sync token", p)
		}
	}
	// The sync guide: the other parameters stay those of the full sync.
	if v.Get("singleEvents") != "false" || v.Get("showDeleted") != "true" || v.Get("eventTypes") != "default" {
		t.Errorf("incremental request %v, want the full sync's singleEvents, showDeleted and eventTypes", v)
	}
	cursor = ch.Cursor

	// One edit: only it comes back.
	edited := bytes.Replace(fixture(t, "allday_recurring.json"), []byte(`"Quarterly review day"`), []byte(`"Quarterly review (moved room)"`), 1)
	if err := f.srv.Apply(anna, edited); err != nil {
		t.Fatal(err)
	}
	ch, err = c.Changes(ctx, "primary", cursor, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hrefs(ch.Put); !slices.Equal(got, []string{"7allday0monthly0review0abc"}) || len(ch.Deleted) != 0 || ch.Requests != 1 {
		t.Fatalf("after one edit: Put %v Deleted %v Requests %d", got, ch.Deleted, ch.Requests)
	}
	if evs, err := c.Decode("primary", ch.Put[0]); err != nil || evs[0].Summary != "Quarterly review (moved room)" {
		t.Errorf("edited event: %+v, %v", evs, err)
	}
	cursor = ch.Cursor

	// One instance deleted in the UI: a cancelled exception, in Put.
	inst := masterID + "_20250415T080000Z"
	if err := f.srv.Delete(anna, inst); err != nil {
		t.Fatal(err)
	}
	ch, err = c.Changes(ctx, "primary", cursor, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hrefs(ch.Put); !slices.Contains(got, inst) || len(ch.Deleted) != 0 {
		t.Fatalf("after deleting an instance: Put %v Deleted %v", got, ch.Deleted)
	}
	for _, o := range ch.Put {
		if o.Href != inst {
			continue
		}
		evs, err := c.Decode("primary", o)
		if err != nil {
			t.Fatal(err)
		}
		berlin := loadZone(t, "Europe/Berlin")
		if ev := evs[0]; ev.UID != masterID || !ev.Cancelled() || !ev.RecurrenceID.Equal(time.Date(2025, 4, 15, 10, 0, 0, 0, berlin)) {
			t.Errorf("cancelled instance: UID %q Cancelled %v RecurrenceID %v", ev.UID, ev.Cancelled(), ev.RecurrenceID)
		}
	}
	cursor = ch.Cursor

	// A series deleted: Deleted.
	if err := f.srv.Delete(anna, "7allday0monthly0review0abc"); err != nil {
		t.Fatal(err)
	}
	ch, err = c.Changes(ctx, "primary", cursor, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Put) != 0 || !slices.Equal(ch.Deleted, []string{"7allday0monthly0review0abc"}) {
		t.Fatalf("after deleting a series: Put %v Deleted %v", hrefs(ch.Put), ch.Deleted)
	}
	cursor = ch.Cursor

	// Tokens invalidated: ErrCursorExpired, then a full listing works.
	f.srv.InvalidateSyncTokens()
	_, err = c.Changes(ctx, "primary", cursor, nil)
	if !errors.Is(err, calendar.ErrCursorExpired) {
		t.Fatalf("expired token: %v, want ErrCursorExpired", err)
	}
	if !strings.Contains(err.Error(), "list events of primary: google: 410 fullSyncRequired") {
		t.Errorf("error %q", err)
	}
	ch, err = c.Changes(ctx, "primary", "", nil)
	if err != nil || !ch.Full || len(ch.Put) != 5 || ch.Cursor == "" {
		t.Fatalf("full sync after expiry: %d objects, %v", len(ch.Put), err)
	}
}

func TestCalendarsMakesNoRequest(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil, func(o *google.Options) { o.Calendar = "" })
	refs, err := c.Calendars(context.Background())
	if err != nil || len(refs) != 1 || refs[0].ID != "primary" {
		t.Fatalf("Calendars: %v, %v", refs, err)
	}
	c2 := f.client(t, nil, func(o *google.Options) { o.Calendar = "team@group.calendar.google.com" })
	if refs, _ := c2.Calendars(context.Background()); refs[0].ID != "team@group.calendar.google.com" {
		t.Errorf("Calendars: %v", refs)
	}
	if c.Requests() != 0 || f.srv.Requests() != 0 {
		t.Errorf("Calendars made %d requests", f.srv.Requests())
	}
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	list := func(t *testing.T, f *fake, c *google.Client) (calendar.Changes, error) {
		t.Helper()
		return c.Changes(ctx, "primary", "", nil)
	}
	identity := func(d time.Duration) time.Duration { return d }

	t.Run("429 twice then success", func(t *testing.T) {
		f := newFake(t)
		f.apply(t, "master_exdate.json")
		f.srv.Inject(googleapi.Fault{Method: "GET", PathContains: "/events", Status: 429, Times: 2})
		s := &sleeper{}
		c := f.client(t, s, func(o *google.Options) {
			o.Retry.Initial, o.Retry.Max = time.Second, 32*time.Second
		})
		ch, err := list(t, f, c)
		if err != nil || len(ch.Put) != 1 {
			t.Fatalf("%v, %d objects", err, len(ch.Put))
		}
		if ch.Requests != 3 || c.Requests() != 3 {
			t.Errorf("Requests %d (client %d), want 3: retries count", ch.Requests, c.Requests())
		}
		w := s.waits()
		if len(w) != 2 || w[0] > time.Second || w[1] > 2*time.Second {
			t.Errorf("waits %v, want two within 1s and 2s (full jitter)", w)
		}
	})

	t.Run("waits grow and stay within Max", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{Status: 503, Times: 5})
		s := &sleeper{}
		c := f.client(t, s, func(o *google.Options) {
			o.Retry = google.RetryPolicy{Initial: time.Second, Max: 5 * time.Second, Attempts: 6, Sleep: s.sleep, Jitter: identity}
		})
		if _, err := list(t, f, c); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
		if !slices.Equal(s.waits(), want) {
			t.Errorf("waits %v, want %v", s.waits(), want)
		}
	})

	t.Run("full jitter stays under each ceiling", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{Status: 500, Times: 7})
		s := &sleeper{}
		c := f.client(t, s, func(o *google.Options) {
			o.Retry = google.RetryPolicy{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Attempts: 8, Sleep: s.sleep}
		})
		if _, err := list(t, f, c); err != nil {
			t.Fatal(err)
		}
		w := s.waits()
		ceil := []time.Duration{100, 200, 400, 400, 400, 400, 400}
		if len(w) != len(ceil) {
			t.Fatalf("waits %v, want %d", w, len(ceil))
		}
		for i := range w {
			if w[i] < 0 || w[i] > ceil[i]*time.Millisecond {
				t.Errorf("wait %d = %v, want within [0, %v]", i, w[i], ceil[i]*time.Millisecond)
			}
		}
	})

	t.Run("Retry-After lengthens a wait, within Max", func(t *testing.T) {
		f := newFake(t)
		f.srv.SetRetryAfter(3)
		f.srv.Inject(googleapi.Fault{Status: 429, Times: 2})
		s := &sleeper{}
		c := f.client(t, s, func(o *google.Options) {
			o.Retry = google.RetryPolicy{Initial: time.Second, Max: 4 * time.Second, Sleep: s.sleep, Jitter: identity}
		})
		if _, err := list(t, f, c); err != nil {
			t.Fatal(err)
		}
		if want := []time.Duration{3 * time.Second, 3 * time.Second}; !slices.Equal(s.waits(), want) {
			t.Errorf("waits %v, want %v", s.waits(), want)
		}
	})

	t.Run("gives up after Attempts", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{Status: 429, Times: 10})
		s := &sleeper{}
		c := f.client(t, s, func(o *google.Options) { o.Retry.Attempts = 3 })
		_, err := list(t, f, c)
		if err == nil || !strings.Contains(err.Error(), "list events of primary: google: 429 rateLimitExceeded") || !strings.Contains(err.Error(), "3 attempts") {
			t.Errorf("error %v", err)
		}
		if f.srv.Requests() != 3 || len(s.waits()) != 2 {
			t.Errorf("%d requests, %d waits; want 3 and 2", f.srv.Requests(), len(s.waits()))
		}
	})

	t.Run("a cancelled context stops retrying", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{Status: 429, Times: 5})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var waits int
		c := f.client(t, nil, func(o *google.Options) {
			o.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
				waits++
				cancel() // the daemon is shutting down during the wait
				<-ctx.Done()
				return ctx.Err()
			}
		})
		_, err := c.Changes(ctx, "primary", "", nil)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "429") {
			t.Errorf("error %v, want the 429 and context.Canceled", err)
		}
		if f.srv.Requests() != 1 || waits != 1 {
			t.Errorf("%d requests, %d waits after cancel; want 1 and 1", f.srv.Requests(), waits)
		}
	})

	t.Run("a deadline shorter than the wait stops at once", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{Status: 503, Times: 5})
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		c := f.client(t, nil, func(o *google.Options) {
			o.Retry = google.RetryPolicy{Initial: 2 * time.Hour, Max: 4 * time.Hour, Jitter: identity} // real timer
		})
		_, err := c.Changes(ctx, "primary", "", nil)
		// The context's hour has not passed: the client gave up without
		// waiting for it (a wait would hold the test for an hour).
		if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			t.Errorf("%v (context: %v), want DeadlineExceeded before the deadline", err, ctx.Err())
		}
		if f.srv.Requests() != 1 {
			t.Errorf("%d requests, want 1", f.srv.Requests())
		}
	})

	for _, tc := range []struct {
		name     string
		fault    googleapi.Fault
		requests int64
		errPart  string // "" = success after the retry
		is       error
	}{
		{"403 rateLimitExceeded is retried", googleapi.Fault{Status: 403, Reason: "rateLimitExceeded"}, 2, "", nil},
		{"403 userRateLimitExceeded is retried", googleapi.Fault{Status: 403, Reason: "userRateLimitExceeded"}, 2, "", nil},
		{"500 is retried", googleapi.Fault{Status: 500}, 2, "", nil},
		{"502 is retried", googleapi.Fault{Status: 502}, 2, "", nil},
		{"504 is retried", googleapi.Fault{Status: 504}, 2, "", nil},
		{"403 forbidden is not", googleapi.Fault{Status: 403, Reason: "forbidden"}, 1, "list events of primary: google: 403 forbidden: Forbidden", calendar.ErrForbidden},
		{"403 quotaExceeded is not", googleapi.Fault{Status: 403, Reason: "quotaExceeded"}, 1, "google: 403 quotaExceeded: Calendar usage limits exceeded.", nil},
		{"400 is not", googleapi.Fault{Status: 400, Reason: "badRequest"}, 1, "google: 400 badRequest", nil},
		{"404 is not", googleapi.Fault{Status: 404}, 1, "google: 404 notFound: Not Found", calendar.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.srv.Inject(tc.fault)
			s := &sleeper{}
			c := f.client(t, s)
			_, err := list(t, f, c)
			switch {
			case tc.errPart == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.errPart != "" && (err == nil || !strings.Contains(err.Error(), tc.errPart)):
				t.Errorf("error %v, want %q", err, tc.errPart)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if f.srv.Requests() != tc.requests || c.Requests() != tc.requests {
				t.Errorf("%d requests (client %d), want %d", f.srv.Requests(), c.Requests(), tc.requests)
			}
			var ge *google.Error
			if err != nil && !errors.As(err, &ge) {
				t.Errorf("error %v is not a *google.Error", err)
			}
		})
	}
}

// listed returns the objects of a full listing by href.
func listed(t *testing.T, c *google.Client) map[string]calendar.Object {
	t.Helper()
	ch, err := c.Changes(context.Background(), "primary", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]calendar.Object{}
	for _, o := range ch.Put {
		out[o.Href] = o
	}
	return out
}

func TestWrite(t *testing.T) {
	ctx := context.Background()
	const desc = "Weekly check-in.<br><br>-- oneonone agenda --<br>Agenda: https://docs.example.com/d/abc<br>- [ ] bob@example.com: send the draft (since 2025-03-01)<br>-- end oneonone agenda --"

	t.Run("patch of the description only, conditional, nobody notified", func(t *testing.T) {
		f := newFake(t)
		f.apply(t, "master_exdate.json")
		c := f.client(t, nil)
		obj := listed(t, c)[masterID]
		data, err := c.SetDescription(obj, masterID, time.Time{}, desc)
		if err != nil {
			t.Fatal(err)
		}
		before := f.srv.Requests()
		etag, err := c.Put(ctx, obj.Href, data, obj.ETag)
		if err != nil {
			t.Fatal(err)
		}
		if f.srv.Requests()-before != 1 || f.srv.Writes() != 1 {
			t.Errorf("Put made %d requests, %d writes; want 1 and 1", f.srv.Requests()-before, f.srv.Writes())
		}
		if etag == "" || etag == obj.ETag {
			t.Errorf("new etag %q, old %q", etag, obj.ETag)
		}
		log := f.srv.RequestLog()
		last := log[len(log)-1]
		if !strings.HasPrefix(last, "PATCH /calendar/v3/calendars/primary/events/"+masterID+"?") || !strings.Contains(last, "sendUpdates=none") {
			t.Errorf("request %q, want a PATCH with sendUpdates=none", last)
		}
		f.mu.Lock()
		p := f.patches[len(f.patches)-1]
		f.mu.Unlock()
		var sent string
		if len(p.body) != 1 || json.Unmarshal(p.body["description"], &sent) != nil || sent != desc {
			t.Errorf("PATCH body %v, want only the description", p.body)
		}
		if p.ifMatch != obj.ETag {
			t.Errorf("If-Match %q, want %q", p.ifMatch, obj.ETag)
		}
		// The event changed only in its description (Google rewrites HTML).
		stored, _ := f.srv.Event(anna, masterID)
		var got, was map[string]json.RawMessage
		_ = json.Unmarshal(stored, &got)
		_ = json.Unmarshal(obj.Data, &was)
		for k := range was {
			if k == "description" || k == "etag" || k == "updated" {
				continue
			}
			if !bytes.Equal(compact(got[k]), compact(was[k])) {
				t.Errorf("%s changed: %s → %s", k, was[k], got[k])
			}
		}
		// The old etag no longer matches: a conflict.
		_, err = c.Put(ctx, obj.Href, data, obj.ETag)
		if !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "update event "+masterID+" in primary") {
			t.Errorf("stale etag: %v, want ErrConflict naming the event", err)
		}
		// Get reads it again, as stored.
		fresh, err := c.Get(ctx, masterID)
		if err != nil || fresh.ETag != etag || !bytes.Equal(fresh.Data, stored) {
			t.Errorf("Get: etag %q (want %q), %v", fresh.ETag, etag, err)
		}
	})

	t.Run("an exception is written at its own id", func(t *testing.T) {
		f := newFake(t)
		f.apply(t, "master_exdate.json", "exception_moved.json")
		c := f.client(t, nil)
		obj := listed(t, c)[masterID+"_20250325T090000Z"]
		evs, _ := c.Decode("primary", obj)
		if _, err := c.SetDescription(obj, masterID, time.Time{}, desc); err == nil {
			t.Errorf("SetDescription of the master on an exception's object: no error")
		}
		data, err := c.SetDescription(obj, masterID, evs[0].RecurrenceID, desc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Put(ctx, obj.Href, data, obj.ETag); err != nil {
			t.Fatal(err)
		}
		if m, _ := f.srv.Event(anna, masterID); bytes.Contains(m, []byte("send the draft")) {
			t.Errorf("the master changed too")
		}
	})

	t.Run("not the organizer", func(t *testing.T) {
		f := newFake(t)
		theirs := bytes.Replace(fixture(t, "offset_only.json"), []byte(`"id": "9offset0only0event0xyz"`), []byte(`"id": "theirs"`), 1)
		if err := f.srv.Apply(anna, theirs); err != nil {
			t.Fatal(err)
		}
		c := f.client(t, nil)
		obj := listed(t, c)["theirs"]
		data, err := c.SetDescription(obj, "theirs", time.Time{}, desc)
		if err != nil {
			t.Fatal(err)
		}
		before := f.srv.Requests()
		_, err = c.Put(ctx, obj.Href, data, obj.ETag)
		if !errors.Is(err, calendar.ErrForbidden) || !strings.Contains(err.Error(), "forbiddenForNonOrganizer") {
			t.Errorf("Put: %v, want ErrForbidden (forbiddenForNonOrganizer)", err)
		}
		if f.srv.Requests()-before != 1 {
			t.Errorf("%d requests, want 1: a refusal is not retried", f.srv.Requests()-before)
		}
	})

	t.Run("read-only calendar", func(t *testing.T) {
		f := newFake(t)
		f.apply(t, "master_exdate.json")
		c := f.client(t, nil)
		obj := listed(t, c)[masterID]
		f.srv.SetAccessRole(anna, "reader")
		data, _ := c.SetDescription(obj, masterID, time.Time{}, desc)
		if _, err := c.Put(ctx, obj.Href, data, obj.ETag); !errors.Is(err, calendar.ErrForbidden) {
			t.Errorf("Put: %v, want ErrForbidden", err)
		}
	})

	t.Run("gone", func(t *testing.T) {
		f := newFake(t)
		f.apply(t, "allday_recurring.json")
		c := f.client(t, nil)
		obj := listed(t, c)["7allday0monthly0review0abc"]
		if err := f.srv.Delete(anna, obj.Href); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, obj.Href); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("Get of a deleted event: %v, want ErrNotFound", err)
		}
		if _, err := c.Get(ctx, "nosuchevent"); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("Get of an unknown event: %v, want ErrNotFound", err)
		}
		data, _ := c.SetDescription(obj, obj.Href, time.Time{}, desc)
		if _, err := c.Put(ctx, "nosuchevent", data, obj.ETag); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("Put of an unknown event: %v, want ErrNotFound", err)
		}
	})

	t.Run("retried on 503", func(t *testing.T) {
		f := newFake(t)
		f.apply(t, "master_exdate.json")
		s := &sleeper{}
		c := f.client(t, s)
		obj := listed(t, c)[masterID]
		f.srv.Inject(googleapi.Fault{Method: "PATCH", Status: 503})
		data, _ := c.SetDescription(obj, masterID, time.Time{}, desc)
		if _, err := c.Put(ctx, obj.Href, data, obj.ETag); err != nil || len(s.waits()) != 1 || f.srv.Writes() != 1 {
			t.Errorf("Put: %v after %d waits, %d writes", err, len(s.waits()), f.srv.Writes())
		}
	})

	t.Run("refuses an unconditional write", func(t *testing.T) {
		f := newFake(t)
		c := f.client(t, nil)
		if _, err := c.Put(ctx, "x", []byte(`{"description":"d"}`), ""); err == nil || f.srv.Requests() != 0 {
			t.Errorf("Put without etag: %v after %d requests", err, f.srv.Requests())
		}
	})
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return b
	}
	return out.Bytes()
}

func TestSetDescription(t *testing.T) {
	c := decoder(t, nil)
	orig := fixture(t, "master_exdate.json")
	obj := calendar.Object{Href: masterID, Data: orig}

	t.Run("replaced in place", func(t *testing.T) {
		const desc = `new <b>agenda</b> & "quotes"<br>line`
		out, err := c.SetDescription(obj, masterID, time.Time{}, desc)
		if err != nil {
			t.Fatal(err)
		}
		var old string
		var m map[string]json.RawMessage
		_ = json.Unmarshal(orig, &m)
		_ = json.Unmarshal(m["description"], &old)
		oldVal, _ := json.Marshal(old)
		newVal := []byte(`"new <b>agenda</b> & \"quotes\"<br>line"`)
		// Every other byte as it was: only the value changed.
		want := bytes.Replace(orig, []byte(`"description": `+string(m["description"])), []byte(`"description": `+string(newVal)), 1)
		if bytes.Equal(want, orig) {
			t.Fatalf("test bug: description %s not found", oldVal)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("got\n%s\nwant\n%s", out, want)
		}
		evs, err := c.Decode("primary", calendar.Object{Href: masterID, Data: out})
		if err != nil || evs[0].Description != desc {
			t.Errorf("decoded description %q, %v", evs[0].Description, err)
		}
	})

	t.Run("added when absent", func(t *testing.T) {
		data := []byte(`{"id":"x","start":{"date":"2025-01-01"}}`)
		out, err := c.SetDescription(calendar.Object{Href: "x", Data: data}, "x", time.Time{}, "a<br>b")
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"description":"a<br>b","id":"x","start":{"date":"2025-01-01"}}`; string(out) != want {
			t.Errorf("got %s, want %s", out, want)
		}
	})

	t.Run("wrong event", func(t *testing.T) {
		if _, err := c.SetDescription(obj, "someoneelse", time.Time{}, "d"); err == nil {
			t.Errorf("no error for another uid")
		}
		if _, err := c.SetDescription(obj, masterID, time.Date(2025, 3, 25, 9, 0, 0, 0, time.UTC), "d"); err == nil {
			t.Errorf("no error for an override's rid on a master")
		}
		if _, err := c.SetDescription(calendar.Object{Href: "x", Data: []byte(`{"id":`)}, "x", time.Time{}, "d"); err == nil {
			t.Errorf("no error for broken JSON")
		}
	})
}

// failingSource is an OAuth token source whose refresh token was revoked.
type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) {
	return nil, &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "Token has been expired or revoked."}
}

type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

func TestAuthErrors(t *testing.T) {
	f := newFake(t)
	hc := &http.Client{Transport: &oauth2.Transport{Source: failingSource{}}}
	c := f.client(t, nil, func(o *google.Options) { o.HTTPClient = hc })
	_, err := c.Changes(context.Background(), "primary", "", nil)
	var ae *google.AuthError
	var re *oauth2.RetrieveError
	if !errors.As(err, &ae) || !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("error %v (%T), want an *AuthError wrapping the *oauth2.RetrieveError", err, err)
	}
	if !strings.Contains(err.Error(), "list events of primary: google: authorization failed") {
		t.Errorf("error %q", err)
	}
	if f.srv.Requests() != 0 {
		t.Errorf("%d requests reached the server", f.srv.Requests())
	}

	// Through the oauth package's client, the error keeps its advice.
	revoked := oauth2.ReuseTokenSource(nil, tokenFunc(func() (*oauth2.Token, error) {
		return nil, fmt.Errorf("refresh google token: %w: %w", oauth.ErrReauth, &oauth2.RetrieveError{ErrorCode: "invalid_grant"})
	}))
	c = f.client(t, nil, func(o *google.Options) { o.HTTPClient = oauth.HTTPClient(context.Background(), revoked, "work") })
	_, err = c.Changes(context.Background(), "primary", "", nil)
	var rae *oauth.ReauthError
	if !errors.As(err, &ae) || !errors.As(err, &rae) || !errors.Is(err, oauth.ErrReauth) ||
		!strings.Contains(err.Error(), `run "oneonone auth google --source work"`) {
		t.Errorf("revoked token through oauth.HTTPClient: %v", err)
	}
	t.Log(err)

	f.srv.Inject(googleapi.Fault{Status: 401})
	c = f.client(t, nil)
	_, err = c.Changes(context.Background(), "primary", "", nil)
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "401 authError: Invalid Credentials") {
		t.Errorf("401: %v, want an *AuthError", err)
	}
}

func TestInsufficientScope(t *testing.T) {
	f := newFake(t)
	f.srv.Inject(googleapi.Fault{Status: 403, Reason: "insufficientPermissions"})
	_, err := f.client(t, nil).Changes(context.Background(), "primary", "", nil)
	var ae *google.AuthError
	if !errors.As(err, &ae) || errors.Is(err, calendar.ErrForbidden) {
		t.Errorf("error %v, want an *AuthError, not ErrForbidden", err)
	}
}

func TestEndpointWithoutSlash(t *testing.T) {
	f := newFake(t)
	f.apply(t, "allday_recurring.json")
	c := f.client(t, nil, func(o *google.Options) { o.Endpoint = f.ts.URL + "/calendar/v3" })
	ch, err := c.Changes(context.Background(), "primary", "", nil)
	if err != nil || len(ch.Put) != 1 {
		t.Fatalf("%v, %d objects", err, len(ch.Put))
	}
	if log := f.srv.RequestLog(); !strings.HasPrefix(log[0], "GET /calendar/v3/calendars/primary/events?") {
		t.Errorf("request %q", log[0])
	}
}

func TestNew(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opt  google.Options
		ok   bool
	}{
		{"loopback without auth", google.Options{Endpoint: "http://127.0.0.1:9090/"}, true},
		{"localhost without auth", google.Options{Endpoint: "http://localhost:9090/calendar/v3/"}, true},
		{"IPv6 loopback without auth", google.Options{Endpoint: "http://[::1]:9090/"}, true},
		{"Google without auth", google.Options{}, false},
		{"remote http without auth", google.Options{Endpoint: "http://cal.example.com/"}, false},
		{"loopback https without auth", google.Options{Endpoint: "https://127.0.0.1/"}, false},
		{"bad endpoint", google.Options{Endpoint: "127.0.0.1:9090", HTTPClient: http.DefaultClient}, false},
		{"Google with a client", google.Options{HTTPClient: http.DefaultClient}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := google.New(ctx, tc.opt)
			if (err == nil) != tc.ok {
				t.Errorf("New: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestScope(t *testing.T) {
	if got := google.Scope("primary", true); got != "https://www.googleapis.com/auth/calendar.events.owned" {
		t.Errorf("owned: %s", got)
	}
	if got := google.Scope("team@group.calendar.google.com", false); got != "https://www.googleapis.com/auth/calendar.events" {
		t.Errorf("shared: %s", got)
	}
}
