// Tests of the CalDAV client against the in-memory caldavserver behind
// httptest, and real Radicale, Xandikos, sabre/dav and Cyrus processes
// (internal/davtest). The same scenario runs against each.
//
// What each server has and lacks, as measured here:
//
//   - caldavserver (go-webdav v0.6.0 handler + our wrappers): no RFC 6578
//     sync-collection (go-webdav answers an unknown REPORT with 400, which the
//     client takes as a refused token and lists the calendar); CS:getctag
//     answered by our PROPFIND wrapper, so the client takes the "ctag:" path;
//     with SetCTag(false) it takes the "etag:" path. Objects are kept and
//     served byte for byte (CR escaped as &#xD; in calendar-data).
//   - Radicale 3.1.8: sync-collection and getctag; the client takes the
//     "sync:" path. Basic auth (htpasswd). A bogus sync token gets 403 with
//     DAV:valid-sync-token. /.well-known/caldav answers 301 to "/".
//     Objects are re-serialised on PUT (properties reordered), and
//     calendar-data carries raw CRs that XML parsing turns into LF (the
//     client restores CRLF). Hrefs come percent-encoded ("a%40b.ics").
//     Radicale ignores calendar-query's expand.
//   - Xandikos 0.2.8: sync-collection and getctag (both the git commit id);
//     the client takes the "sync:" path. No authentication at all (the
//     wrong-password case is skipped). A bogus sync token gets
//     500 Internal Server Error (the client falls back on it too).
//     /.well-known/caldav answers 302 to "/". Request bodies need an XML
//     Content-Type. Objects are re-serialised (properties reordered).
//     Xandikos does not expand recurrences server-side.
//   - sabre/dav 4.7 (Nextcloud, Baikal): sync-collection; the client takes
//     the "sync:" path. With Schedule-Reply: F it stores objects byte for
//     byte and answers a PUT with an ETag; without it, it adds
//     SCHEDULE-STATUS to the attendees and answers without an ETag.
//   - Cyrus 3.6 (Fastmail): sync-collection ("sync:data:,…" tokens).
//     Objects are re-serialised by libical (components and RRULE parts
//     reordered, INTERVAL=1 and empty properties dropped, parameter quotes
//     dropped). A PUT of an object with an ORGANIZER is answered with a
//     Schedule-Tag and no ETag, with or without Scheduling-Enabled: F. A
//     GET answered gzipped (Go's transport asks for gzip) carries a weak
//     ETag W/"x" where the listing says "x".
//
// Recurrences are always expanded client-side (package calendar); the client
// never sends calendar-query with a time range.
package caldav_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/internal/davtest"
	"oneonone/internal/fake/caldavserver"
	"oneonone/sync"
)

var _ sync.Source = (*caldav.Client)(nil)

var _ interface {
	Get(ctx context.Context, href string) (calendar.Object, error)
	Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error)
	Requests() int64
} = (*caldav.Client)(nil)

// target is one server under test.
type target struct {
	name       string
	opt        caldav.Options // URL and credentials
	calPath    string         // the calendar the scenario uses
	cursorKind string         // the cursor prefix the client should settle on
	exactBytes bool           // the server keeps objects byte for byte
	// putETag: the server answers every PUT of the scenario with an ETag.
	putETag bool
	// put stores an object behind the client's back; del removes one.
	put func(t testing.TB, name string, data []byte) (href string)
	del func(t testing.TB, href string)
	// messages returns the scheduling messages the server logged so far;
	// nil for a server that schedules nothing.
	messages func(t testing.TB) []string
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func memTarget(t testing.TB, ctag bool) target {
	t.Helper()
	s := caldavserver.New("anna")
	s.SetBasicAuth("anna", "s3cret")
	s.SetCTag(ctag)
	calPath, err := s.CreateCalendar("work", "Work")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCalendar("private", "Private"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	kind := "ctag:"
	if !ctag {
		kind = "etag:"
	}
	return target{
		name:       "caldavserver",
		opt:        caldav.Options{URL: ts.URL + "/", Username: "anna", Password: "s3cret"},
		calPath:    calPath,
		cursorKind: kind,
		exactBytes: true,
		putETag:    true,
		put: func(t testing.TB, name string, data []byte) string {
			t.Helper()
			href, _, err := s.PutObject(calPath, name, data)
			if err != nil {
				t.Fatal(err)
			}
			return href
		},
		del: func(t testing.TB, href string) {
			t.Helper()
			if err := s.DeleteObject(href); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// rawURL is the URL of a client key on the server: a key holding "%" is
// the path as the server writes it, else a decoded path.
func rawURL(base, key string) string {
	if strings.Contains(key, "%") {
		return base + key
	}
	return base + (&url.URL{Path: key}).EscapedPath()
}

// suppress are the headers that keep sabre/dav (Schedule-Reply) and Cyrus
// (Scheduling-Enabled) from scheduling: the test's own writes behind the
// client's back carry them, as the client's PUTs do.
var suppress = http.Header{"Schedule-Reply": {"F"}, "Scheduling-Enabled": {"F"}}

func realTarget(s *davtest.Server) target {
	base := strings.TrimSuffix(s.Root, "/")
	header := func(extra ...string) http.Header {
		h := suppress.Clone()
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	tg := target{
		name:       s.Name,
		opt:        caldav.Options{URL: s.URL, Username: s.Username, Password: s.Password},
		calPath:    s.CalendarPath,
		cursorKind: "sync:",
		putETag:    true,
		put: func(t testing.TB, name string, data []byte) string {
			t.Helper()
			href := s.CalendarPath + name
			u := rawURL(base, href)
			resp, err := s.Do(context.Background(), http.MethodPut, u, string(data), header("Content-Type", "text/calendar; charset=utf-8"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode/100 != 2 {
				t.Fatalf("PUT %s: %s: %s", u, resp.Status, resp.Body)
			}
			// The client's key keeps the server's encoding: Radicale
			// and Xandikos write "@" as "%40" in their hrefs, sabre/dav
			// and Cyrus as it is.
			if s.Name == "radicale" || s.Name == "xandikos" {
				href = strings.ReplaceAll(href, "@", "%40")
			}
			return href
		},
		del: func(t testing.TB, href string) {
			t.Helper()
			u := rawURL(base, href)
			resp, err := s.Do(context.Background(), http.MethodDelete, u, "", header())
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode/100 != 2 {
				t.Fatalf("DELETE %s: %s: %s", u, resp.Status, resp.Body)
			}
		},
	}
	switch s.Name {
	case "sabre":
		// With scheduling suppressed sabre stores what it is given.
		tg.exactBytes = true
		tg.messages = s.SchedulingMessages
	case "cyrus":
		// Cyrus re-serialises (libical): VTIMEZONE moved before VEVENT,
		// RRULE parts reordered and INTERVAL=1 dropped, parameter quotes
		// dropped, an empty URL dropped, lines folded at parameters. It
		// answers the PUT of a scheduling object (one with an ORGANIZER)
		// with a Schedule-Tag and no ETag, even with scheduling suppressed.
		tg.putETag = false
		tg.messages = s.SchedulingMessages
	}
	return tg
}

func TestScenario(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target func(t *testing.T) target
	}{
		{"caldavserver", func(t *testing.T) target { return memTarget(t, true) }},
		{"caldavserver-noctag", func(t *testing.T) target { return memTarget(t, false) }},
		{"radicale", func(t *testing.T) target { return realTarget(davtest.StartRadicale(t)) }},
		{"xandikos", func(t *testing.T) target { return realTarget(davtest.StartXandikos(t)) }},
		{"sabre", func(t *testing.T) target { return realTarget(davtest.StartSabre(t)) }},
		{"cyrus", func(t *testing.T) target { return realTarget(davtest.StartCyrus(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, tc.target(t))
		})
	}
}

func hrefs(objs []calendar.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Href)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// runScenario is the scenario every server goes through. The steps share
// the server's state and run in order; a failed step stops the rest.
func runScenario(t *testing.T, tg target) {
	ctx := context.Background()
	weekly := tg.put(t, "nextcloud-weekly-1on1.ics", fixture(t, "nextcloud-weekly-1on1.ics"))
	apple := tg.put(t, "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF@example.com.ics", fixture(t, "apple-1on1-override.ics"))
	team := tg.put(t, "team sync.ics", fixture(t, "nextcloud-team-sync.ics"))
	var baseline []string // the scheduling messages after seeding
	if tg.messages != nil {
		baseline = tg.messages(t)
	}

	c, err := caldav.New(tg.opt)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	var cursor string
	apply := func(ch calendar.Changes) {
		if ch.Full {
			clear(known)
		}
		for _, o := range ch.Put {
			known[o.Href] = o.ETag
		}
		for _, h := range ch.Deleted {
			delete(known, h)
		}
		cursor = ch.Cursor
	}
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("discovery finds the calendar", func(t *testing.T) {
		refs, err := c.Calendars(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range refs {
			ids = append(ids, r.ID)
		}
		if !slices.Contains(ids, tg.calPath) {
			t.Fatalf("Calendars() = %v, want it to hold %s", ids, tg.calPath)
		}
	})

	step("first sync is full", func(t *testing.T) {
		ch, err := c.Changes(ctx, tg.calPath, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ch.Full {
			t.Error("Full = false, want true")
		}
		if got, want := hrefs(ch.Put), sorted(weekly, apple, team); !slices.Equal(got, want) {
			t.Fatalf("Put = %q, want %q", got, want)
		}
		for _, o := range ch.Put {
			if o.ETag == "" {
				t.Errorf("%s: empty ETag", o.Href)
			}
			if !bytes.HasPrefix(o.Data, []byte("BEGIN:VCALENDAR\r\n")) {
				t.Errorf("%s: data does not start with BEGIN:VCALENDAR CRLF: %q", o.Href, o.Data[:min(40, len(o.Data))])
			}
			if tg.exactBytes {
				want := fixture(t, map[string]string{weekly: "nextcloud-weekly-1on1.ics", apple: "apple-1on1-override.ics", team: "nextcloud-team-sync.ics"}[o.Href])
				if !bytes.Equal(o.Data, want) {
					t.Errorf("%s: data differs from what was stored", o.Href)
				}
			}
		}
		if !strings.HasPrefix(ch.Cursor, tg.cursorKind) {
			t.Errorf("Cursor = %q, want prefix %q", ch.Cursor, tg.cursorKind)
		}
		if ch.Requests != 2 {
			t.Errorf("Requests = %d, want 2 (listing + multiget)", ch.Requests)
		}
		t.Logf("%s: full sync: %d requests, cursor %.40q", tg.name, ch.Requests, ch.Cursor)
		apply(ch)
	})

	step("unchanged costs one request", func(t *testing.T) {
		before := c.Requests()
		ch, err := c.Changes(ctx, tg.calPath, cursor, known)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Full || len(ch.Put) != 0 || len(ch.Deleted) != 0 {
			t.Errorf("Changes = Full %v, Put %q, Deleted %q; want nothing", ch.Full, hrefs(ch.Put), ch.Deleted)
		}
		if ch.Requests != 1 || c.Requests()-before != 1 {
			t.Errorf("Requests = %d (client counted %d), want 1", ch.Requests, c.Requests()-before)
		}
		if ch.Cursor != cursor {
			t.Errorf("Cursor moved from %q to %q", cursor, ch.Cursor)
		}
		apply(ch)
	})

	step("a modified object alone is returned", func(t *testing.T) {
		old := known[weekly]
		data := bytes.Replace(fixture(t, "nextcloud-weekly-1on1.ics"), []byte("SEQUENCE:2"), []byte("SEQUENCE:3"), 1)
		data = bytes.Replace(data, []byte("SUMMARY:Anna / Bob 1:1"), []byte("SUMMARY:Anna / Bob 1:1 (moved)"), 1)
		tg.put(t, "nextcloud-weekly-1on1.ics", data)
		ch, err := c.Changes(ctx, tg.calPath, cursor, known)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Full || len(ch.Deleted) != 0 {
			t.Errorf("Full %v, Deleted %q; want false, none", ch.Full, ch.Deleted)
		}
		if got := hrefs(ch.Put); !slices.Equal(got, []string{weekly}) {
			t.Fatalf("Put = %q, want [%s]", got, weekly)
		}
		if o := ch.Put[0]; o.ETag == old || !bytes.Contains(o.Data, []byte("(moved)")) {
			t.Errorf("got ETag %q (old %q), data with (moved): %v", o.ETag, old, bytes.Contains(o.Data, []byte("(moved)")))
		}
		t.Logf("%s: one modified: %d requests", tg.name, ch.Requests)
		apply(ch)
	})

	step("a deleted object is in Deleted", func(t *testing.T) {
		tg.del(t, team)
		ch, err := c.Changes(ctx, tg.calPath, cursor, known)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Full || len(ch.Put) != 0 {
			t.Errorf("Full %v, Put %q; want false, none", ch.Full, hrefs(ch.Put))
		}
		if !slices.Equal(ch.Deleted, []string{team}) {
			t.Fatalf("Deleted = %q, want [%s]", ch.Deleted, team)
		}
		t.Logf("%s: one deleted: %d requests", tg.name, ch.Requests)
		apply(ch)
	})

	var biweekly string
	step("a new object is in Put", func(t *testing.T) {
		biweekly = tg.put(t, "nextcloud-biweekly-1on1.ics", fixture(t, "nextcloud-biweekly-1on1.ics"))
		ch, err := c.Changes(ctx, tg.calPath, cursor, known)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Full || len(ch.Deleted) != 0 {
			t.Errorf("Full %v, Deleted %q; want false, none", ch.Full, ch.Deleted)
		}
		if got := hrefs(ch.Put); !slices.Equal(got, []string{biweekly}) {
			t.Fatalf("Put = %q, want [%s]", got, biweekly)
		}
		if !bytes.Contains(ch.Put[0].Data, []byte("Dário")) {
			t.Errorf("non-ASCII text lost: %q", ch.Put[0].Data)
		}
		t.Logf("%s: one new: %d requests", tg.name, ch.Requests)
		apply(ch)
	})

	step("a bogus sync token falls back to a full listing", func(t *testing.T) {
		ch, err := c.Changes(ctx, tg.calPath, "sync:http://example.com/bogus-token/1", known)
		if err != nil {
			t.Fatal(err)
		}
		if !ch.Full {
			t.Error("Full = false, want true")
		}
		if got, want := hrefs(ch.Put), sorted(weekly, apple, biweekly); !slices.Equal(got, want) {
			t.Fatalf("Put = %q, want %q", got, want)
		}
		if !strings.HasPrefix(ch.Cursor, tg.cursorKind) {
			t.Errorf("Cursor = %q, want prefix %q", ch.Cursor, tg.cursorKind)
		}
		t.Logf("%s: refused token + full listing: %d requests", tg.name, ch.Requests)
		apply(ch)
	})

	step("put with the current ETag succeeds", func(t *testing.T) {
		obj, err := c.Get(ctx, apple)
		if err != nil {
			t.Fatal(err)
		}
		if obj.Href != apple {
			t.Fatalf("Get = href %q, want %q", obj.Href, apple)
		}
		// Get asks for the identity encoding: Cyrus gzips a GET's answer when the client
		// accepts gzip (Go's transport does) and then gives a weak ETag,
		// W/"x", where the listing says "x"; the object then looks
		// changed to the next sync. Cyrus does accept W/"x" in If-Match.
		if obj.ETag != known[apple] {
			t.Errorf("Get = etag %q, the listing said %q", obj.ETag, known[apple])
		}
		data := bytes.Replace(obj.Data, []byte("SUMMARY:Carla <> Anna"), []byte("SUMMARY:Carla <> Anna (agenda)"), 1)
		if bytes.Equal(data, obj.Data) {
			t.Fatal("fixture has no SUMMARY to change")
		}
		etag, err := c.Put(ctx, apple, data, obj.ETag)
		if err != nil {
			t.Fatal(err)
		}
		if (etag == "") == tg.putETag || etag == obj.ETag {
			t.Fatalf("Put returned ETag %q, want a new one (old %q; server gives one: %v)", etag, obj.ETag, tg.putETag)
		}
		got, err := c.Get(ctx, apple)
		if err != nil {
			t.Fatal(err)
		}
		if etag == "" {
			etag = got.ETag // the ETag the next sync must report
			if etag == "" || etag == obj.ETag {
				t.Fatalf("Get after Put: ETag %q, want a new one (old %q)", etag, obj.ETag)
			}
		}
		if got.ETag != etag {
			t.Errorf("Get after Put: ETag %q, Put said %q", got.ETag, etag)
		}
		if tg.exactBytes && !bytes.Equal(got.Data, data) {
			t.Errorf("stored bytes differ from the bytes put")
		}
		if !bytes.Contains(got.Data, []byte("(agenda)")) {
			t.Errorf("change not stored")
		}
		// The engine's next sync sees its own write (with Cyrus, only
		// because Get's ETag is the listing's: see above).
		ch, err := c.Changes(ctx, tg.calPath, cursor, known)
		if err != nil {
			t.Fatal(err)
		}
		if got := hrefs(ch.Put); !slices.Equal(got, []string{apple}) || ch.Put[0].ETag != etag {
			t.Errorf("sync after put: Put = %q, want [%s] with ETag %q", got, apple, etag)
		}
		apply(ch)
	})

	step("put with a stale ETag is a conflict", func(t *testing.T) {
		stale := known[weekly]
		tg.put(t, "nextcloud-weekly-1on1.ics", bytes.Replace(fixture(t, "nextcloud-weekly-1on1.ics"), []byte("SEQUENCE:2"), []byte("SEQUENCE:4"), 1))
		_, err := c.Put(ctx, weekly, fixture(t, "nextcloud-weekly-1on1.ics"), stale)
		if !errors.Is(err, calendar.ErrConflict) {
			t.Fatalf("Put with stale ETag: err = %v, want ErrConflict", err)
		}
		if !strings.Contains(err.Error(), weekly) {
			t.Errorf("error %q does not name the object", err)
		}
	})

	step("put of a new object, then again", func(t *testing.T) {
		href := tg.calPath + "created-by-oneonone.ics"
		data := bytes.ReplaceAll(fixture(t, "nextcloud-biweekly-1on1.ics"), []byte("3c2b1a09-8f7e-4d6c-b5a4-93e2d1c0b9a8"), []byte("created-by-oneonone"))
		etag, err := c.Put(ctx, href, data, "")
		if err != nil {
			t.Fatal(err)
		}
		if (etag == "") == tg.putETag {
			t.Errorf("ETag for a new object %q; server gives one: %v", etag, tg.putETag)
		}
		_, err = c.Put(ctx, href, data, "")
		if !errors.Is(err, calendar.ErrConflict) {
			t.Fatalf("second create: err = %v, want ErrConflict", err)
		}
	})

	step("get of a missing object is ErrNotFound", func(t *testing.T) {
		_, err := c.Get(ctx, tg.calPath+"no-such-object.ics")
		if !errors.Is(err, calendar.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	step("wrong password is a clear auth error", func(t *testing.T) {
		if tg.opt.Username == "" {
			t.Skipf("%s has no authentication", tg.name)
		}
		opt := tg.opt
		opt.Password = "not-the-password"
		bad, err := caldav.New(opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []struct {
			name string
			f    func() error
		}{
			{"Calendars", func() error { _, err := bad.Calendars(ctx); return err }},
			{"Changes", func() error { _, err := bad.Changes(ctx, tg.calPath, cursor, known); return err }},
			{"Put", func() error { _, err := bad.Put(ctx, apple, []byte("x"), "1"); return err }},
		} {
			err := call.f()
			if !errors.Is(err, caldav.ErrAuthFailed) {
				t.Fatalf("%s: err = %v, want ErrAuthFailed", call.name, err)
			}
			want := "caldav: authentication failed for " + opt.Username + " at " + strings.TrimSuffix(opt.URL, "/")
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %q, want it to say %q", call.name, err, want)
			}
			if strings.Contains(err.Error(), opt.Password) || strings.Contains(err.Error(), tg.opt.Password) {
				t.Errorf("%s: err %q holds a password", call.name, err)
			}
		}
	})

	step("no write made the server schedule", func(t *testing.T) {
		if tg.messages == nil {
			t.Skipf("%s has no implicit scheduling", tg.name)
		}
		if msgs := tg.messages(t); len(msgs) != len(baseline) {
			t.Fatalf("%d scheduling messages after seeding, %d now:\n%s", len(baseline), len(msgs), strings.Join(msgs[len(baseline):], "\n"))
		}
	})
}
