package caldav_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/internal/davtest"
	"oneonone/internal/fake/caldavserver"
)

// fakeDAV is a scripted server for what the real ones do not show: each
// request is matched by method and a substring of its body.
type fakeDAV struct {
	t     *testing.T
	mu    gosync.Mutex
	steps []fakeStep
	seen  []string // "METHOD path" of each request
}

type fakeStep struct {
	method, path, bodyHas string
	status                int
	header                map[string]string
	body                  string
}

func (f *fakeDAV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, r.Method+" "+r.URL.Path)
	for i, s := range f.steps {
		if s.method == r.Method && s.path == r.URL.Path && strings.Contains(string(b), s.bodyHas) {
			f.steps = slices.Delete(f.steps, i, i+1)
			for k, v := range s.header {
				w.Header().Set(k, v)
			}
			if s.body != "" && w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			}
			w.WriteHeader(s.status)
			// {{base}} stands for this server's own URL, for full-URL hrefs.
			io.WriteString(w, strings.ReplaceAll(s.body, "{{base}}", "http://"+r.Host))
			return
		}
	}
	f.t.Errorf("fake server: unexpected %s %s\n%s", r.Method, r.URL.Path, b)
	http.Error(w, "unexpected", http.StatusTeapot)
}

func newFake(t *testing.T, steps ...fakeStep) (*fakeDAV, *caldav.Client) {
	f := &fakeDAV{t: t, steps: steps}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	c, err := caldav.New(caldav.Options{URL: ts.URL + "/", Username: "anna", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nSUMMARY:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestSyncTruncatedIsRepeated(t *testing.T) {
	f, c := newFake(t,
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "<d:sync-token>t1</d:sync-token>", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:">
 <response><href>/cal/a%40x.ics</href><propstat><prop><getetag>"a2"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/gone.ics</href><propstat><prop><getetag>"g2"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/</href><status>HTTP/1.1 507 Insufficient Storage</status></response>
 <sync-token>t2</sync-token>
</multistatus>`},
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "<d:sync-token>t2</d:sync-token>", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:">
 <response><href>{{base}}/cal/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>
 <response><href>/cal/same.ics</href><propstat><prop><getetag>"s1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/sub/</href><propstat><prop><getetag>"x"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <sync-token>t3</sync-token>
</multistatus>`},
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "calendar-multiget", status: 207, body: `<?xml version="1.0"?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:response><D:href>/cal/a@x.ics</D:href><D:propstat><D:prop><D:getetag>"a2"</D:getetag><C:calendar-data><![CDATA[` + fmt.Sprintf(ics, "a", "A & B") + `]]></C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
</D:multistatus>`},
	)
	ch, err := c.Changes(context.Background(), "/cal/", "sync:t1", map[string]string{"/cal/a@x.ics": "a1", "/cal/gone.ics": "g1", "/cal/same.ics": "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Full || ch.Cursor != "sync:t3" || ch.Requests != 3 {
		t.Errorf("Full %v, Cursor %q, Requests %d; want false, sync:t3, 3", ch.Full, ch.Cursor, ch.Requests)
	}
	// The href keeps the server's "%40" (the multiget answer's "@" is the
	// same resource); the key stored in the old form is deleted.
	if len(ch.Put) != 1 || ch.Put[0].Href != "/cal/a%40x.ics" || ch.Put[0].ETag != "a2" || string(ch.Put[0].Data) != fmt.Sprintf(ics, "a", "A & B") {
		t.Errorf("Put = %+v", ch.Put)
	}
	if !slices.Equal(ch.Deleted, []string{"/cal/a@x.ics", "/cal/gone.ics"}) {
		t.Errorf("Deleted = %q, want [/cal/a@x.ics /cal/gone.ics]", ch.Deleted)
	}
	if len(f.steps) != 0 {
		t.Errorf("%d scripted requests not made", len(f.steps))
	}
}

func TestSyncTokenRefusedWithValidSyncToken(t *testing.T) {
	_, c := newFake(t,
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "sync-collection", status: 409, body: `<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>`},
		fakeStep{method: "PROPFIND", path: "/cal/", bodyHas: "getetag", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/">
 <response><href>/cal/</href><propstat><prop><resourcetype><collection/></resourcetype><sync-token>new</sync-token><CS:getctag>c9</CS:getctag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`},
	)
	ch, err := c.Changes(context.Background(), "/cal/", "sync:old", map[string]string{"/cal/a.ics": "1"})
	if err != nil {
		t.Fatal(err)
	}
	// No supported-report-set in the answer: the token is trusted.
	if !ch.Full || len(ch.Put) != 0 || ch.Cursor != "sync:new" || ch.Requests != 2 {
		t.Errorf("got Full %v Put %d Cursor %q Requests %d; want true 0 sync:new 2", ch.Full, len(ch.Put), ch.Cursor, ch.Requests)
	}
}

func TestListingSkipsNonObjects(t *testing.T) {
	_, c := newFake(t,
		fakeStep{method: "PROPFIND", path: "/cal/", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <response><href>/cal/</href><propstat><prop><resourcetype><collection/><C:calendar/></resourcetype><supported-report-set><supported-report><report><C:calendar-multiget/></report></supported-report></supported-report-set><sync-token>nope</sync-token></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/sub/</href><propstat><prop><resourcetype><collection/></resourcetype><getetag>"d"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/notes.txt</href><propstat><prop><resourcetype/><getetag>"n"</getetag><getcontenttype>text/plain</getcontenttype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/noext</href><propstat><prop><resourcetype/><getetag>"e"</getetag><getcontenttype>text/calendar; component=vevent</getcontenttype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><propstat><prop><resourcetype/><getetag>W/"b"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`},
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "<d:href>/cal/noext</d:href><d:href>/cal/b.ics</d:href></c:calendar-multiget>", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <response><href>/cal/noext</href><propstat><prop><getetag>"e"</getetag><C:calendar-data>` + strings.ReplaceAll(fmt.Sprintf(ics, "e", "E"), "\r\n", "\n") + `</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><propstat><prop><C:calendar-data/></prop><status>HTTP/1.1 404 Not Found</status></propstat></response>
</multistatus>`},
	)
	ch, err := c.Changes(context.Background(), "/cal/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The server listed reports without sync-collection and has no ctag.
	if !ch.Full || ch.Cursor != "etag:" {
		t.Errorf("Full %v Cursor %q, want true etag:", ch.Full, ch.Cursor)
	}
	if got := hrefs(ch.Put); !slices.Equal(got, []string{"/cal/noext"}) {
		t.Fatalf("Put = %q, want [/cal/noext] (b.ics vanished in between)", got)
	}
	if want := fmt.Sprintf(ics, "e", "E"); string(ch.Put[0].Data) != want {
		t.Errorf("CRLF not restored: %q", ch.Put[0].Data)
	}
}

func TestGroupedStatusInMultiget(t *testing.T) {
	_, c := newFake(t,
		fakeStep{method: "PROPFIND", path: "/cal/", bodyHas: "getetag", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:">
 <response><href>/cal/a.ics</href><propstat><prop><getetag>"a"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><propstat><prop><getetag>"b"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/c.ics</href><propstat><prop><getetag>"c"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`},
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "calendar-multiget", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <response><href>/cal/a.ics</href><href>/cal/b.ics</href><status>HTTP/1.1 404 Not Found</status></response>
 <response><href>/cal/c.ics</href><propstat><prop><getetag>"c"</getetag><C:calendar-data>` + fmt.Sprintf(ics, "c", "C") + `</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`},
	)
	ch, err := c.Changes(context.Background(), "/cal/", "etag:", map[string]string{"/cal/a.ics": "old", "/cal/b.ics": "old", "/cal/d.ics": "d"})
	if err != nil {
		t.Fatal(err)
	}
	if got := hrefs(ch.Put); !slices.Equal(got, []string{"/cal/c.ics"}) {
		t.Errorf("Put = %q, want [/cal/c.ics]", got)
	}
	if !slices.Equal(ch.Deleted, []string{"/cal/a.ics", "/cal/b.ics", "/cal/d.ics"}) {
		t.Errorf("Deleted = %q, want a, b (gone in between) and d", ch.Deleted)
	}
	if ch.Cursor != "etag:" || ch.Requests != 2 {
		t.Errorf("Cursor %q Requests %d, want etag: 2", ch.Cursor, ch.Requests)
	}
}

func TestBadXMLIsAnError(t *testing.T) {
	for _, body := range []string{
		`<multistatus xmlns="DAV:"><response><href>/cal/a.ics</href>`,
		`not xml at all`,
		`<?xml version="1.0" encoding="ebcdic"?><multistatus xmlns="DAV:"/>`,
		`<multistatus xmlns="DAV:"><response><href>%zz</href><href>/x</href></response></multistatus>`,
	} {
		_, c := newFake(t, fakeStep{method: "PROPFIND", path: "/cal/", status: 207, body: body})
		ch, err := c.Changes(context.Background(), "/cal/", "etag:", map[string]string{})
		if strings.Contains(body, "%zz") {
			// A response that cannot be read is skipped, not fatal.
			if err != nil {
				t.Errorf("%.30q: %v", body, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "/cal/") {
			t.Errorf("%.30q: err = %v, want an error naming the calendar", body, err)
		}
		if ch.Requests != 1 {
			t.Errorf("Requests = %d, want 1 even on error", ch.Requests)
		}
	}
}

func TestPutStatuses(t *testing.T) {
	ctx := context.Background()
	t.Run("207 holding 412 is a conflict", func(t *testing.T) {
		_, c := newFake(t, fakeStep{method: "PUT", path: "/cal/a.ics", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:"><response><href>/cal/a.ics</href><status>HTTP/1.1 412 Precondition Failed</status></response></multistatus>`})
		_, err := c.Put(ctx, "/cal/a.ics", []byte("x"), "e1")
		if !errors.Is(err, calendar.ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
	})
	t.Run("403 is forbidden", func(t *testing.T) {
		_, c := newFake(t, fakeStep{method: "PUT", path: "/cal/a.ics", status: 403, body: "read-only calendar", header: map[string]string{"Content-Type": "text/plain"}})
		_, err := c.Put(ctx, "/cal/a.ics", []byte("x"), "e1")
		if !errors.Is(err, calendar.ErrForbidden) || !strings.Contains(err.Error(), "/cal/a.ics") {
			t.Fatalf("err = %v, want ErrForbidden naming the object", err)
		}
	})
	t.Run("no ETag in the answer: none asked for", func(t *testing.T) {
		// Cyrus answers a scheduling object's PUT with a Schedule-Tag and
		// no ETag; the next sync reports the object changed anyway.
		f, c := newFake(t, fakeStep{method: "PUT", path: "/cal/a@b.ics", status: 204})
		etag, err := c.Put(ctx, "/cal/a@b.ics", []byte("x"), `"e1"`)
		if err != nil || etag != "" {
			t.Fatalf("Put = %q, %v; want \"\", nil", etag, err)
		}
		if len(f.seen) != 1 {
			t.Errorf("requests %q, want the PUT alone", f.seen)
		}
	})
	t.Run("headers", func(t *testing.T) {
		var got http.Header
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Clone()
			w.Header().Set("ETag", `"new"`)
			w.WriteHeader(http.StatusCreated)
		}))
		defer ts.Close()
		c, err := caldav.New(caldav.Options{URL: ts.URL})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Put(ctx, "/cal/a.ics", []byte("x"), "abc"); err != nil {
			t.Fatal(err)
		}
		if got.Get("If-Match") != `"abc"` || got.Get("If-None-Match") != "" || !strings.HasPrefix(got.Get("Content-Type"), "text/calendar") || got.Get("Authorization") != "" {
			t.Errorf("update headers: %v", got)
		}
		// What sabre/dav and Cyrus read as "no implicit scheduling".
		if got.Get("Schedule-Reply") != "F" || got.Get("Scheduling-Enabled") != "F" {
			t.Errorf("scheduling headers: %v", got)
		}
		if _, err := c.Put(ctx, "/cal/a.ics", []byte("x"), ""); err != nil {
			t.Fatal(err)
		}
		if got.Get("If-Match") != "" || got.Get("If-None-Match") != "*" {
			t.Errorf("create headers: %v", got)
		}
	})
}

func TestMultigetBatches(t *testing.T) {
	s := caldavserver.New("anna")
	cal, _ := s.CreateCalendar("big", "Big")
	for i := range 250 {
		if _, _, err := s.PutObject(cal, fmt.Sprintf("e%03d.ics", i), fmt.Appendf(nil, ics, fmt.Sprint(i), fmt.Sprint("event ", i))); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c, err := caldav.New(caldav.Options{URL: ts.URL + cal})
	if err != nil {
		t.Fatal(err)
	}
	before := s.Requests()
	ch, err := c.Changes(context.Background(), cal, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Put) != 250 || ch.Requests != 4 || s.Requests()-before != 4 {
		t.Errorf("Put %d, Requests %d (server saw %d); want 250, 4 (listing + 3 multigets)", len(ch.Put), ch.Requests, s.Requests()-before)
	}
	for i, o := range ch.Put {
		if want := fmt.Sprintf("%se%03d.ics", cal, i); o.Href != want {
			t.Fatalf("Put[%d] = %s, want %s (server order kept)", i, o.Href, want)
		}
	}

	// With a ctag cursor but nothing known, a moved ctag gives the whole calendar.
	ch2, err := c.Changes(context.Background(), cal, "ctag:old", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ch2.Full || len(ch2.Put) != 250 {
		t.Errorf("ctag with known=nil: Full %v Put %d, want true 250", ch2.Full, len(ch2.Put))
	}
}

func TestDiscovery(t *testing.T) {
	ctx := context.Background()
	s := caldavserver.New("anna")
	work, _ := s.CreateCalendar("work", "Work")
	private, _ := s.CreateCalendar("private", "")
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	for _, tc := range []struct {
		name string
		opt  caldav.Options
		want []calendar.Ref
	}{
		{"host only: well-known", caldav.Options{URL: ts.URL}, []calendar.Ref{{ID: private, Name: "private"}, {ID: work, Name: "Work"}}},
		{"principal", caldav.Options{URL: ts.URL + "/anna/"}, []calendar.Ref{{ID: private, Name: "private"}, {ID: work, Name: "Work"}}},
		{"calendar collection", caldav.Options{URL: ts.URL + "/anna/calendars/work"}, []calendar.Ref{{ID: work, Name: "Work"}}},
		{"configured", caldav.Options{URL: ts.URL, Calendars: []string{ts.URL + work, "/anna/calendars/private"}}, []calendar.Ref{{ID: work, Name: "Work"}, {ID: private, Name: "private"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := caldav.New(tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Calendars(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Calendars() = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("configured calendar missing", func(t *testing.T) {
		c, _ := caldav.New(caldav.Options{URL: ts.URL, Calendars: []string{"/anna/calendars/nope/"}})
		_, err := c.Calendars(ctx)
		if !errors.Is(err, calendar.ErrNotFound) || !strings.Contains(err.Error(), "/anna/calendars/nope/") {
			t.Fatalf("err = %v, want ErrNotFound naming the calendar", err)
		}
	})
	t.Run("changes of a missing calendar", func(t *testing.T) {
		c, _ := caldav.New(caldav.Options{URL: ts.URL})
		_, err := c.Changes(ctx, "/anna/calendars/nope/", "", nil)
		if !errors.Is(err, calendar.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("not a CalDAV server", func(t *testing.T) {
		plain := httptest.NewServer(http.NotFoundHandler())
		defer plain.Close()
		c, _ := caldav.New(caldav.Options{URL: plain.URL + "/dav/"})
		_, err := c.Calendars(ctx)
		if err == nil || !strings.Contains(err.Error(), "discover calendars at "+plain.URL+"/dav/") {
			t.Fatalf("err = %v, want a discovery error naming the URL", err)
		}
	})
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, opt := range []caldav.Options{
		{},
		{URL: "ftp://example.com/"},
		{URL: "http:///path"},
		{URL: "https://example.com/", Calendars: []string{"https://example.net/cal/"}},
		{URL: "https://example.com/", Calendars: []string{"http://other.example.com/cal/"}},
		{URL: "http://127.0.0.1:8080/", Calendars: []string{"http://127.0.0.2:8080/cal/"}},
		{URL: "https://a.github.io/", Calendars: []string{"https://b.github.io/cal/"}},
	} {
		if _, err := caldav.New(opt); err == nil {
			t.Errorf("New(%+v) = nil error", opt)
		}
	}
	c, err := caldav.New(caldav.Options{URL: "https://bob:hunter2@example.com/dav"})
	if err != nil {
		t.Fatal(err)
	}
	_ = c
	// Other hosts the credentials may go to: the same registrable domain
	// over HTTPS, the same IP on another port.
	for _, opt := range []caldav.Options{
		{URL: "https://caldav.icloud.com/", Username: "a", Calendars: []string{"https://p12-caldav.icloud.com/1/calendars/home/"}},
		{URL: "http://127.0.0.1:8080/", Username: "a", Calendars: []string{"http://127.0.0.1:8081/cal/"}},
		{URL: "https://Example.com/", Username: "a", Calendars: []string{"https://example.com:443/cal/"}},
	} {
		if _, err := caldav.New(opt); err != nil {
			t.Errorf("New(%+v): %v", opt, err)
		}
	}
}

// TestListingReplacesOldForm: a known key in the decoded form of what the
// server writes percent-encoded (a state file of an earlier version) is
// deleted, and the server's form put, by an ETag listing.
func TestListingReplacesOldForm(t *testing.T) {
	f, c := newFake(t,
		fakeStep{method: "PROPFIND", path: "/cal/", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:">
 <response><href>/cal/</href><propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/a%40x.ics</href><propstat><prop><getetag>"a1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><propstat><prop><getetag>"b1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`},
		fakeStep{method: "REPORT", path: "/cal/", bodyHas: "<d:href>/cal/a%40x.ics</d:href>", status: 207, body: `<?xml version="1.0"?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:response><D:href>/cal/a%40x.ics</D:href><D:propstat><D:prop><D:getetag>"a1"</D:getetag><C:calendar-data>` + fmt.Sprintf(ics, "a", "A") + `</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
</D:multistatus>`},
	)
	ch, err := c.Changes(context.Background(), "/cal/", "etag:", map[string]string{"/cal/a@x.ics": "a1", "/cal/b.ics": "b1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Put) != 1 || ch.Put[0].Href != "/cal/a%40x.ics" || !slices.Equal(ch.Deleted, []string{"/cal/a@x.ics"}) {
		t.Errorf("Put %+v Deleted %q; want /cal/a%%40x.ics put, /cal/a@x.ics deleted", ch.Put, ch.Deleted)
	}
	if len(f.steps) != 0 {
		t.Errorf("%d scripted requests not made", len(f.steps))
	}
}

func TestPasswordNeverInErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer ts.Close()
	c, err := caldav.New(caldav.Options{URL: strings.Replace(ts.URL, "http://", "http://bob:hunter2@", 1) + "/dav/"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Calendars(context.Background())
	if !errors.Is(err, caldav.ErrAuthFailed) || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "authentication failed for bob at") {
		t.Fatalf("err = %v", err)
	}
}

// TestRadicaleSkipsTaskLists checks discovery's component filter against a
// real server: a VTODO-only collection is not a calendar to sync.
func TestRadicaleSkipsTaskLists(t *testing.T) {
	srv := davtest.StartRadicale(t)
	body := `<?xml version="1.0" encoding="utf-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>Tasks</d:displayname>` +
		`<c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`
	resp, err := srv.Do(context.Background(), "MKCALENDAR", srv.URL+srv.Username+"/tasks/", body, nil)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("MKCALENDAR tasks: %v %v", resp, err)
	}
	c, err := caldav.New(caldav.Options{URL: srv.URL, Username: srv.Username, Password: srv.Password})
	if err != nil {
		t.Fatal(err)
	}
	refs, err := c.Calendars(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].ID != srv.CalendarPath || refs[0].Name != "oneonone test" {
		t.Fatalf("Calendars() = %v, want only %s", refs, srv.CalendarPath)
	}
}

// TestRequestsCountedLikeTheServer compares the client's count with the
// server's.
func TestRequestsCountedLikeTheServer(t *testing.T) {
	s := caldavserver.New("anna")
	cal, _ := s.CreateCalendar("work", "Work")
	s.PutObject(cal, "a.ics", fmt.Appendf(nil, ics, "a", "A"))
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c, _ := caldav.New(caldav.Options{URL: ts.URL})
	ctx := context.Background()
	if _, err := c.Calendars(ctx); err != nil {
		t.Fatal(err)
	}
	ch, err := c.Changes(ctx, cal, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, cal+"b.ics", fmt.Appendf(nil, ics, "b", "B"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, cal+"b.ics"); err != nil {
		t.Fatal(err)
	}
	if c.Requests() != s.Requests() {
		t.Errorf("client counted %d requests, server saw %d", c.Requests(), s.Requests())
	}
	data, _, _ := s.Object(cal + "b.ics")
	if !bytes.Equal(data, fmt.Appendf(nil, ics, "b", "B")) {
		t.Errorf("server did not keep the bytes")
	}
	_ = ch
}
