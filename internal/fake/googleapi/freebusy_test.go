package googleapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	calendar "google.golang.org/api/calendar/v3"

	"oneonone/internal/fake/googleapi"
)

// postFreeBusy sends body to POST /calendar/v3/freeBusy and returns the
// status and the answer.
func postFreeBusy(t *testing.T, f *fixture, body string) (int, []byte) {
	t.Helper()
	resp, err := f.ts.Client().Post(f.ts.URL+"/calendar/v3/freeBusy", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// busyOf flattens a calendar's busy spans to "start/end".
func busyOf(c calendar.FreeBusyCalendar) []string {
	var out []string
	for _, p := range c.Busy {
		out = append(out, p.Start+"/"+p.End)
	}
	return out
}

func queryFreeBusy(t *testing.T, f *fixture, from, to string, ids ...string) *calendar.FreeBusyResponse {
	t.Helper()
	req := &calendar.FreeBusyRequest{TimeMin: from, TimeMax: to}
	for _, id := range ids {
		req.Items = append(req.Items, &calendar.FreeBusyRequestItem{Id: id})
	}
	resp, err := f.svc.Freebusy.Query(req).Context(context.Background()).Do()
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestFreeBusyComputesBusyTime(t *testing.T) {
	f := newFixture(t) // America/Chicago: CST until 2025-03-09, then CDT (-05:00)
	at := func(start, end string) map[string]string {
		return map[string]string{
			"start": `{"dateTime":"` + start + `","timeZone":"America/Chicago"}`,
			"end":   `{"dateTime":"` + end + `","timeZone":"America/Chicago"}`,
		}
	}
	with := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }
	mustApply(t, f.srv,
		// 15:00Z–15:30Z and 15:15Z–16:00Z merge.
		event("one", owner, at("2025-03-24T10:00:00-05:00", "2025-03-24T10:30:00-05:00")),
		event("overlap", "bob@example.com", at("2025-03-24T10:15:00-05:00", "2025-03-24T11:00:00-05:00")),
		// Free: transparent, declined by the owner, cancelled.
		event("transparent", owner, with(at("2025-03-24T12:00:00-05:00", "2025-03-24T13:00:00-05:00"), "transparency", `"transparent"`)),
		event("declined", "bob@example.com", with(at("2025-03-24T13:00:00-05:00", "2025-03-24T14:00:00-05:00"), "attendees",
			`[{"email":"anna@example.com","self":true,"responseStatus":"declined"},{"email":"bob@example.com","organizer":true,"responseStatus":"accepted"}]`)),
		event("gone", owner, with(at("2025-03-24T15:00:00-05:00", "2025-03-24T16:00:00-05:00"), "status", `"cancelled"`)),
		// Busy: tentative is busy; an explicit opaque too.
		event("tentative", "bob@example.com", with(at("2025-03-26T09:00:00-05:00", "2025-03-26T09:30:00-05:00"), "attendees",
			`[{"email":"anna@example.com","responseStatus":"tentative"}]`)),
		// All day on the 25th: midnight to midnight in Chicago.
		event("day", owner, map[string]string{"start": `{"date":"2025-03-25"}`, "end": `{"date":"2025-03-26"}`, "transparency": `"opaque"`}),
		event("freeday", owner, map[string]string{"start": `{"date":"2025-03-27"}`, "end": `{"date":"2025-03-28"}`, "transparency": `"transparent"`}),
		// Across midnight UTC.
		event("early", owner, at("2025-03-23T18:00:00-05:00", "2025-03-23T20:00:00-05:00")),
		// A weekly series across the DST change keeps its wall clock:
		// Mondays 09:00 Chicago from 2025-03-03 (15:00Z), then 14:00Z.
		event("ser", owner, with(at("2025-03-03T09:00:00-06:00", "2025-03-03T09:30:00-06:00"), "recurrence",
			`["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20250415T000000Z","EXDATE;TZID=America/Chicago:20250407T090000"]`)),
		// The 2025-03-31 occurrence moved to the Tuesday at 11:00.
		event("ser_20250331T140000Z", owner, map[string]string{
			"recurringEventId":  `"ser"`,
			"originalStartTime": `{"dateTime":"2025-03-31T09:00:00-05:00","timeZone":"America/Chicago"}`,
			"start":             `{"dateTime":"2025-04-01T11:00:00-05:00","timeZone":"America/Chicago"}`,
			"end":               `{"dateTime":"2025-04-01T11:30:00-05:00","timeZone":"America/Chicago"}`,
		}),
	)
	// The 2025-03-10 occurrence is cancelled (a cancelled exception).
	if err := f.srv.Delete(owner, "ser_20250310T140000Z"); err != nil {
		t.Fatal(err)
	}

	resp := queryFreeBusy(t, f, "2025-03-01T00:00:00Z", "2025-04-24T01:00:00+01:00", owner)
	if resp.Kind != "calendar#freeBusy" || resp.TimeMin != "2025-03-01T00:00:00.000Z" || resp.TimeMax != "2025-04-24T00:00:00.000Z" {
		t.Errorf("envelope %q %q %q", resp.Kind, resp.TimeMin, resp.TimeMax)
	}
	got := resp.Calendars[owner]
	want := []string{
		"2025-03-03T15:00:00Z/2025-03-03T15:30:00Z",
		// 03-10 cancelled
		"2025-03-17T14:00:00Z/2025-03-17T14:30:00Z",
		"2025-03-23T23:00:00Z/2025-03-24T01:00:00Z", // early
		"2025-03-24T14:00:00Z/2025-03-24T14:30:00Z",
		"2025-03-24T15:00:00Z/2025-03-24T16:00:00Z", // one + overlap
		"2025-03-25T05:00:00Z/2025-03-26T05:00:00Z", // day
		"2025-03-26T14:00:00Z/2025-03-26T14:30:00Z", // tentative
		"2025-04-01T16:00:00Z/2025-04-01T16:30:00Z", // moved 03-31
		"2025-04-14T14:00:00Z/2025-04-14T14:30:00Z", // 04-07 excluded
	}
	if len(got.Errors) != 0 || !reflect.DeepEqual(busyOf(got), want) {
		t.Errorf("busy %q, errors %+v\nwant %q", busyOf(got), got.Errors, want)
	}

	// Clipped at both ends.
	resp = queryFreeBusy(t, f, "2025-03-24T15:20:00Z", "2025-03-24T15:40:00Z", owner)
	if b := busyOf(resp.Calendars[owner]); !reflect.DeepEqual(b, []string{"2025-03-24T15:20:00Z/2025-03-24T15:40:00Z"}) {
		t.Errorf("clipped busy %q", b)
	}
	// Nothing busy: an empty array, not null.
	status, body := postFreeBusy(t, f, `{"timeMin":"2025-05-01T00:00:00Z","timeMax":"2025-05-02T00:00:00Z","items":[{"id":"primary"}]}`)
	if status != 200 || !strings.Contains(string(body), `"primary": {`) || !strings.Contains(string(body), `"busy": []`) {
		t.Errorf("empty answer %d %s", status, body)
	}
}

func TestFreeBusyAllDayInCalendarZone(t *testing.T) {
	f := newFixture(t)
	f.srv.AddCalendar("berlin@example.com", "berlin@example.com", "Europe/Berlin")
	if err := f.srv.Apply("berlin@example.com",
		event("d", "berlin@example.com", map[string]string{"start": `{"date":"2025-03-05"}`, "end": `{"date":"2025-03-06"}`}),
		// A weekly all-day series across the DST change (2025-03-30).
		event("w", "berlin@example.com", map[string]string{"start": `{"date":"2025-03-24"}`, "end": `{"date":"2025-03-25"}`,
			"recurrence": `["RRULE:FREQ=WEEKLY;COUNT=2"]`}),
	); err != nil {
		t.Fatal(err)
	}
	resp := queryFreeBusy(t, f, "2025-03-01T00:00:00Z", "2025-04-30T00:00:00Z", "berlin@example.com")
	want := []string{
		"2025-03-04T23:00:00Z/2025-03-05T23:00:00Z",
		"2025-03-23T23:00:00Z/2025-03-24T23:00:00Z",
		"2025-03-30T22:00:00Z/2025-03-31T22:00:00Z",
	}
	if b := busyOf(resp.Calendars["berlin@example.com"]); !reflect.DeepEqual(b, want) {
		t.Errorf("busy %q, want %q", b, want)
	}
}

func TestFreeBusyUnknownAndHiddenCalendars(t *testing.T) {
	f := newFixture(t)
	f.srv.AddCalendar("hidden@example.com", "hidden@example.com", "UTC")
	f.srv.SetAccessRole("hidden@example.com", "none")
	f.srv.AddCalendar("fb@example.com", "fb@example.com", "UTC")
	f.srv.SetAccessRole("fb@example.com", "freeBusyReader")
	if err := f.srv.Apply("fb@example.com", event("x", "fb@example.com", nil)); err != nil {
		t.Fatal(err)
	}
	status, body := postFreeBusy(t, f, `{"timeMin":"2025-03-24T00:00:00Z","timeMax":"2025-03-25T00:00:00Z",`+
		`"items":[{"id":"nobody@example.com"},{"id":"hidden@example.com"},{"id":"fb@example.com"}]}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var resp struct {
		Calendars map[string]json.RawMessage `json:"calendars"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	notFound := `{"errors":[{"domain":"global","reason":"notFound"}],"busy":[]}`
	for _, id := range []string{"nobody@example.com", "hidden@example.com"} {
		if got := string(compact(t, resp.Calendars[id])); got != notFound {
			t.Errorf("%s: %s, want %s", id, got, notFound)
		}
	}
	if got := string(compact(t, resp.Calendars["fb@example.com"])); got != `{"busy":[{"start":"2025-03-24T15:00:00Z","end":"2025-03-24T15:30:00Z"}]}` {
		t.Errorf("freeBusyReader: %s", got)
	}
	// The answer keeps the order of the ids asked.
	if i, j := strings.Index(string(body), "nobody@"), strings.Index(string(body), "fb@"); i < 0 || j < i {
		t.Errorf("order of calendars: %s", body)
	}
}

// compact is b without insignificant spaces, keys in their order.
func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return buf.Bytes()
}

func TestFreeBusyBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, body string
		status     int
		reason     string
	}{
		{"not JSON", `{"timeMin":`, 400, "parseError"},
		{"no timeMin", `{"timeMax":"2025-03-25T00:00:00Z","items":[{"id":"primary"}]}`, 400, "required"},
		{"no timeMax", `{"timeMin":"2025-03-25T00:00:00Z","items":[{"id":"primary"}]}`, 400, "required"},
		{"bad timeMin", `{"timeMin":"tomorrow","timeMax":"2025-03-25T00:00:00Z"}`, 400, "invalid"},
		{"empty range", `{"timeMin":"2025-03-25T00:00:00Z","timeMax":"2025-03-25T01:00:00+01:00"}`, 400, "timeRangeEmpty"},
		{"reversed", `{"timeMin":"2025-03-25T00:00:00Z","timeMax":"2025-03-24T00:00:00Z"}`, 400, "timeRangeEmpty"},
	} {
		status, body := postFreeBusy(t, f, tc.body)
		var e struct {
			Error struct {
				Code   int `json:"code"`
				Errors []struct {
					Reason string `json:"reason"`
				} `json:"errors"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if status != tc.status || e.Error.Code != tc.status || len(e.Error.Errors) != 1 || e.Error.Errors[0].Reason != tc.reason {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.reason)
		}
	}
	resp, err := f.ts.Client().Get(f.ts.URL + "/calendar/v3/freeBusy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET freeBusy: %d, want 404", resp.StatusCode)
	}
}

func TestFreeBusyIsLoggedAndCanFail(t *testing.T) {
	f := newFixture(t)
	f.srv.Inject(googleapi.Fault{PathContains: "/freeBusy", Status: 503})
	req := &calendar.FreeBusyRequest{TimeMin: "2025-03-24T00:00:00Z", TimeMax: "2025-03-25T00:00:00Z",
		Items: []*calendar.FreeBusyRequestItem{{Id: owner}}}
	_, err := f.svc.Freebusy.Query(req).Do()
	apiErr(t, err, 503, "backendError")
	if _, err := f.svc.Freebusy.Query(req).Do(); err != nil {
		t.Fatal(err)
	}
	var posts int
	for _, line := range f.srv.RequestLog() {
		if strings.HasPrefix(line, "POST /calendar/v3/freeBusy") {
			posts++
		}
	}
	if posts != 2 || f.srv.Requests() != 2 || f.srv.Writes() != 0 {
		t.Errorf("log %q, %d requests, %d writes", f.srv.RequestLog(), f.srv.Requests(), f.srv.Writes())
	}
}
