package google_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/internal/fake/googleapi"
)

const nyc = "nina@example.com" // a calendar in America/New_York

// fbEvent is the JSON of an event of owner's calendar from start to end
// (RFC 3339 date-times in zone, or dates when zone is ""); more fields (raw
// JSON values) come in extra.
func fbEvent(id, owner, zone, start, end string, extra ...string) []byte {
	when := func(v string) string {
		if zone == "" {
			return `{"date":"` + v + `"}`
		}
		return `{"dateTime":"` + v + `","timeZone":"` + zone + `"}`
	}
	fields := []string{
		`"kind":"calendar#event"`, `"id":"` + id + `"`, `"status":"confirmed"`,
		`"summary":"` + id + `"`, `"organizer":{"email":"` + owner + `","self":true}`,
		`"start":` + when(start), `"end":` + when(end),
		`"iCalUID":"` + id + `@google.com"`, `"eventType":"default"`,
	}
	return []byte("{" + strings.Join(append(fields, extra...), ",") + "}")
}

// freeBusyPosts counts the freebusy.query requests the fake has logged.
func freeBusyPosts(srv *googleapi.Server) int {
	n := 0
	for _, line := range srv.RequestLog() {
		if strings.HasPrefix(line, "POST /calendar/v3/freeBusy") {
			n++
		}
	}
	return n
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func spans(pairs ...string) []calendar.Busy {
	var out []calendar.Busy
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, calendar.Busy{Start: utc(pairs[i]), End: utc(pairs[i+1])})
	}
	return out
}

func TestFreeBusy(t *testing.T) {
	f := newFake(t) // anna's primary calendar is in Europe/Berlin
	f.srv.AddCalendar(nyc, nyc, "America/New_York")
	if err := f.srv.Apply(anna,
		// All day, opaque: midnight to midnight in Berlin.
		fbEvent("day", anna, "", "2026-03-05", "2026-03-06"),
		// Free: transparent, declined by anna.
		fbEvent("free", anna, "Europe/Berlin", "2026-03-06T10:00:00+01:00", "2026-03-06T11:00:00+01:00", `"transparency":"transparent"`),
		fbEvent("freeday", anna, "", "2026-03-07", "2026-03-08", `"transparency":"transparent"`),
		fbEvent("declined", "bob@example.com", "Europe/Berlin", "2026-03-06T12:00:00+01:00", "2026-03-06T13:00:00+01:00",
			`"attendees":[{"email":"anna@example.com","self":true,"responseStatus":"declined"},{"email":"bob@example.com","responseStatus":"accepted"}]`),
		// Crosses the query's start: clipped.
		fbEvent("early", anna, "Europe/Berlin", "2026-03-01T23:00:00+01:00", "2026-03-02T02:00:00+01:00"),
	); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Apply(nyc,
		// 09:00 in New York: 14:00Z before the US change to EDT (2026-03-08).
		fbEvent("one", nyc, "America/New_York", "2026-03-05T09:00:00-05:00", "2026-03-05T09:30:00-05:00"),
		// A weekly 1:1 on Mondays 10:00 New York; the 2026-03-09 one is
		// cancelled, the others keep their wall clock across the change.
		fbEvent("ser", nyc, "America/New_York", "2026-03-02T10:00:00-05:00", "2026-03-02T10:30:00-05:00",
			`"recurrence":["RRULE:FREQ=WEEKLY;BYDAY=MO"]`),
	); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Delete(nyc, "ser_20260309T140000Z"); err != nil {
		t.Fatal(err)
	}

	c := f.client(t, nil)
	before, writes := freeBusyPosts(f.srv), f.srv.Writes()
	q := calendar.FreeBusyQuery{
		From:      utc("2026-03-02T00:00:00+01:00"), // 2026-03-01T23:00Z
		To:        utc("2026-03-17T00:00:00Z"),
		Organizer: anna,
		Addresses: []string{anna, nyc, "ghost@example.com", anna},
	}
	got, err := c.FreeBusy(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	annaBusy := spans(
		"2026-03-01T23:00:00Z", "2026-03-02T01:00:00Z",
		"2026-03-04T23:00:00Z", "2026-03-05T23:00:00Z",
	)
	want := []calendar.Availability{
		{Address: anna, Busy: annaBusy},
		{Address: nyc, Busy: spans(
			"2026-03-02T15:00:00Z", "2026-03-02T15:30:00Z",
			"2026-03-05T14:00:00Z", "2026-03-05T14:30:00Z",
			// 2026-03-09 cancelled
			"2026-03-16T14:00:00Z", "2026-03-16T14:30:00Z",
		)},
		{Address: "ghost@example.com", Unknown: true, Reason: "notFound"},
		{Address: anna, Busy: annaBusy},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FreeBusy:\n got %+v\nwant %+v", got, want)
	}
	if n := freeBusyPosts(f.srv) - before; n != 1 {
		t.Errorf("%d POST /freeBusy requests, want 1", n)
	}
	if f.srv.Writes() != writes {
		t.Error("FreeBusy wrote to the calendar")
	}

	// A span inside an event: clipped at both ends.
	got, err = c.FreeBusy(context.Background(), calendar.FreeBusyQuery{
		From: utc("2026-03-05T10:00:00Z"), To: utc("2026-03-05T10:00:00.5Z"), Addresses: []string{anna},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := spans("2026-03-05T10:00:00Z", "2026-03-05T10:00:00.5Z"); len(got) != 1 || !reflect.DeepEqual(got[0].Busy, want) {
		t.Errorf("clipped: %+v, want %+v", got, want)
	}
	if n := freeBusyPosts(f.srv) - before; n != 2 {
		t.Errorf("%d POST /freeBusy requests after two calls, want 2", n)
	}
}

func TestFreeBusyAsksNothingWithoutAddresses(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	got, err := c.FreeBusy(context.Background(), calendar.FreeBusyQuery{From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-03T00:00:00Z")})
	if err != nil || len(got) != 0 {
		t.Errorf("no addresses: %+v, %v", got, err)
	}
	if _, err := c.FreeBusy(context.Background(), calendar.FreeBusyQuery{
		From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-02T00:00:00Z"), Addresses: []string{anna},
	}); err == nil {
		t.Error("empty span: no error")
	}
	if n := f.srv.Requests(); n != 0 {
		t.Errorf("%d requests, want 0", n)
	}
}

func TestFreeBusyErrors(t *testing.T) {
	q := calendar.FreeBusyQuery{From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-03T00:00:00Z"), Addresses: []string{anna}}

	t.Run("retried", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{PathContains: "/freeBusy", Status: 503})
		f.srv.Inject(googleapi.Fault{PathContains: "/freeBusy", Status: 403, Reason: "rateLimitExceeded"})
		s := &sleeper{}
		got, err := f.client(t, s).FreeBusy(context.Background(), q)
		if err != nil || len(got) != 1 || got[0].Unknown {
			t.Fatalf("%+v, %v", got, err)
		}
		if n := freeBusyPosts(f.srv); n != 3 || len(s.waits()) != 2 {
			t.Errorf("%d requests, %d waits; want 3 and 2", n, len(s.waits()))
		}
	})
	t.Run("gives up", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{PathContains: "/freeBusy", Status: 500, Times: 10})
		_, err := f.client(t, &sleeper{}, func(o *google.Options) { o.Retry.Attempts = 2 }).FreeBusy(context.Background(), q)
		var ge *google.Error
		if !errors.As(err, &ge) || ge.Code != 500 || ge.Reason != "backendError" {
			t.Errorf("error %v, want a 500 backendError", err)
		}
		if n := freeBusyPosts(f.srv); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("not found", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{PathContains: "/freeBusy", Status: 404})
		if _, err := f.client(t, nil).FreeBusy(context.Background(), q); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("error %v, want calendar.ErrNotFound", err)
		}
	})
	t.Run("unauthorised", func(t *testing.T) {
		f := newFake(t)
		f.srv.Inject(googleapi.Fault{PathContains: "/freeBusy", Status: 401})
		var ae *google.AuthError
		if _, err := f.client(t, nil).FreeBusy(context.Background(), q); !errors.As(err, &ae) {
			t.Errorf("error %v, want an *AuthError", err)
		}
	})
}

// TestFreeBusyReadsTheAnswer feeds the client an answer the fake would not
// give: spans unsorted and overlapping, an address missing, a span that
// cannot be read, an error without a reason.
func TestFreeBusyReadsTheAnswer(t *testing.T) {
	var posts atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/calendar/v3/freeBusy" {
			http.NotFound(w, r)
			return
		}
		posts.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"kind":"calendar#freeBusy","calendars":{
			"a@example.com":{"busy":[
				{"start":"2026-03-02T12:00:00Z","end":"2026-03-02T13:00:00Z"},
				{"start":"2026-03-02T09:00:00+01:00","end":"2026-03-02T09:30:00Z"},
				{"start":"2026-03-02T09:15:00Z","end":"2026-03-02T10:00:00Z"},
				{"start":"2026-03-01T20:00:00Z","end":"2026-03-01T21:00:00Z"},
				{"start":"2026-03-02T23:00:00Z","end":"2026-03-03T01:00:00Z"}]},
			"B@example.com":{"busy":[]},
			"c@example.com":{"busy":[{"start":"soon","end":"later"}]},
			"d@example.com":{"errors":[{"domain":"global"}],"busy":[]}}}`)
	}))
	t.Cleanup(ts.Close)
	c, err := google.New(context.Background(), google.Options{Endpoint: ts.URL + "/calendar/v3/"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.FreeBusy(context.Background(), calendar.FreeBusyQuery{
		From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-03T00:00:00Z"),
		Addresses: []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []calendar.Availability{
		{Address: "a@example.com", Busy: spans(
			"2026-03-02T08:00:00Z", "2026-03-02T10:00:00Z",
			"2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z",
			"2026-03-02T23:00:00Z", "2026-03-03T00:00:00Z")},
		{Address: "b@example.com"},
		{Address: "c@example.com", Unknown: true, Reason: `unreadable busy span "soon"–"later"`},
		{Address: "d@example.com", Unknown: true, Reason: "error"},
		{Address: "e@example.com", Unknown: true, Reason: "not in the answer"},
	}
	for i := range got {
		for j := range got[i].Busy { // compare instants, not locations
			got[i].Busy[j].Start, got[i].Busy[j].End = got[i].Busy[j].Start.UTC(), got[i].Busy[j].End.UTC()
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FreeBusy:\n got %+v\nwant %+v", got, want)
	}
	if posts.Load() != 1 {
		t.Errorf("%d requests, want 1", posts.Load())
	}
}
