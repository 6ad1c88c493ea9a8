package google_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/calendar/recur"
	"oneonone/history"
	"oneonone/sync"
)

var (
	_ sync.Source = (*google.Client)(nil)
	_ sync.Writer = (*google.Client)(nil)
)

// decoder returns a client for Decode: it makes no request.
func decoder(t testing.TB, zone *time.Location) *google.Client {
	t.Helper()
	c, err := google.New(context.Background(), google.Options{Endpoint: "http://127.0.0.1:1/", Zone: zone})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	return loc
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeOne decodes a fixture and wants exactly one event and no error.
func decodeOne(t *testing.T, c *google.Client, name string) calendar.Event {
	t.Helper()
	obj := calendar.Object{Href: strings.TrimSuffix(name, ".json"), ETag: `"e-` + name + `"`, Data: fixture(t, name)}
	evs, err := c.Decode("primary", obj)
	if err != nil {
		t.Fatalf("Decode %s: %v", name, err)
	}
	if len(evs) != 1 {
		t.Fatalf("Decode %s: %d events, want 1", name, len(evs))
	}
	ev := evs[0]
	if ev.Calendar != "primary" || ev.Href != obj.Href || ev.ETag != obj.ETag {
		t.Errorf("Calendar %q Href %q ETag %q, want primary %q %q", ev.Calendar, ev.Href, ev.ETag, obj.Href, obj.ETag)
	}
	if ev.Floating {
		t.Errorf("Floating: a Google event always has a zone")
	}
	return ev
}

const masterID = "4k1m2n3o4p5q6r7s8t9u0v1w2x"

func TestDecodeFixtures(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	tokyo := loadZone(t, "Asia/Tokyo")
	c := decoder(t, tokyo) // the fallback zone must not win over an event's own

	t.Run("master with EXDATE and timeZone", func(t *testing.T) {
		ev := decodeOne(t, c, "master_exdate.json")
		if ev.UID != masterID || ev.IsOverride() || !ev.Recurring() {
			t.Fatalf("UID %q override %v recurring %v", ev.UID, ev.IsOverride(), ev.Recurring())
		}
		if want := time.Date(2025, 1, 14, 10, 0, 0, 0, berlin); !ev.Start.Equal(want) || ev.Start.Location().String() != "Europe/Berlin" {
			t.Errorf("Start %v, want %v in Europe/Berlin", ev.Start, want)
		}
		if want := time.Date(2025, 1, 14, 10, 30, 0, 0, berlin); !ev.End.Equal(want) {
			t.Errorf("End %v, want %v", ev.End, want)
		}
		if !slices.Equal(ev.Recurrence.RRules, []string{"FREQ=WEEKLY;BYDAY=TU"}) {
			t.Errorf("RRules %q", ev.Recurrence.RRules)
		}
		if want := time.Date(2025, 4, 1, 10, 0, 0, 0, berlin); len(ev.Recurrence.ExDates) != 1 || !ev.Recurrence.ExDates[0].Equal(want) {
			t.Errorf("ExDates %v, want [%v]", ev.Recurrence.ExDates, want)
		}
		if ev.Status != calendar.StatusConfirmed || ev.Sequence != 2 || ev.Summary != "Anna / Bob 1:1" {
			t.Errorf("Status %q Sequence %d Summary %q", ev.Status, ev.Sequence, ev.Summary)
		}
		if want := time.Date(2025, 3, 20, 16, 3, 10, 511e6, time.UTC); !ev.Modified.Equal(want) || ev.Modified.Location() != time.UTC {
			t.Errorf("Modified %v, want %v (updated)", ev.Modified, want)
		}
		if !strings.HasPrefix(ev.Description, "Weekly check-in.<br><br>-- oneonone agenda --<br>Agenda: <a href=\"https://docs.example.com/d/abc\">") {
			t.Errorf("Description not kept as Google stores it: %q", ev.Description)
		}
		if ev.Organizer.Email != "anna@example.com" || ev.Organizer.Name != "Anna Schmidt" {
			t.Errorf("Organizer %+v", ev.Organizer)
		}
		want := []calendar.Attendee{
			{Email: "anna@example.com", Name: "Anna Schmidt", PartStat: calendar.PartStatAccepted},
			{Email: "bob@example.com", Name: "Bob Meyer", PartStat: calendar.PartStatNeedsAction},
			{Email: "c_1889abcdef0123456789@resource.calendar.google.com", Name: "Berlin-3-Ada (4)", CUType: calendar.CUTypeResource, PartStat: calendar.PartStatAccepted},
		}
		if !slices.Equal(ev.Attendees, want) {
			t.Errorf("Attendees\n got %+v\nwant %+v", ev.Attendees, want)
		}
		if h := ev.Humans(); len(h) != 2 || h[0].Email != "anna@example.com" || h[1].Email != "bob@example.com" {
			t.Errorf("Humans %+v, want anna and bob (organizer de-duplicated, room left out)", h)
		}
	})

	t.Run("confirmed exception moved later", func(t *testing.T) {
		ev := decodeOne(t, c, "exception_moved.json")
		if ev.UID != masterID || !ev.IsOverride() || ev.Recurring() {
			t.Fatalf("UID %q override %v recurring %v", ev.UID, ev.IsOverride(), ev.Recurring())
		}
		if want := time.Date(2025, 3, 25, 10, 0, 0, 0, berlin); !ev.RecurrenceID.Equal(want) || ev.RecurrenceID.Location().String() != "Europe/Berlin" {
			t.Errorf("RecurrenceID %v, want %v in Europe/Berlin", ev.RecurrenceID, want)
		}
		if want := time.Date(2025, 3, 27, 14, 0, 0, 0, berlin); !ev.Start.Equal(want) {
			t.Errorf("Start %v, want %v", ev.Start, want)
		}
		if ev.Cancelled() || ev.Sequence != 3 {
			t.Errorf("Cancelled %v Sequence %d", ev.Cancelled(), ev.Sequence)
		}
	})

	t.Run("cancelled skeleton exception", func(t *testing.T) {
		ev := decodeOne(t, c, "exception_cancelled.json")
		if ev.UID != masterID || !ev.Cancelled() || ev.Status != calendar.StatusCancelled {
			t.Fatalf("UID %q Status %q", ev.UID, ev.Status)
		}
		want := time.Date(2025, 3, 11, 10, 0, 0, 0, berlin)
		if !ev.RecurrenceID.Equal(want) || !ev.Start.Equal(want) {
			t.Errorf("RecurrenceID %v Start %v, want both %v", ev.RecurrenceID, ev.Start, want)
		}
		if ev.Summary != "" || ev.Organizer.Email != "" || len(ev.Attendees) != 0 {
			t.Errorf("a skeleton has no summary nor people: %+v", ev)
		}
	})

	t.Run("declined attendee", func(t *testing.T) {
		ev := decodeOne(t, c, "exception_declined.json")
		var bob calendar.Attendee
		for _, a := range ev.Attendees {
			if a.Email == "bob@example.com" {
				bob = a
			}
		}
		if bob.PartStat != calendar.PartStatDeclined {
			t.Errorf("bob %+v, want DECLINED", bob)
		}
		if ev.Cancelled() {
			t.Errorf("a declined occurrence is not cancelled")
		}
	})

	t.Run("all-day recurring in the fallback zone", func(t *testing.T) {
		ev := decodeOne(t, c, "allday_recurring.json")
		if !ev.AllDay || !ev.Recurring() || ev.Status != calendar.StatusTentative {
			t.Fatalf("AllDay %v Recurring %v Status %q", ev.AllDay, ev.Recurring(), ev.Status)
		}
		if want := time.Date(2025, 1, 6, 0, 0, 0, 0, tokyo); !ev.Start.Equal(want) {
			t.Errorf("Start %v, want %v", ev.Start, want)
		}
		if want := time.Date(2025, 1, 7, 0, 0, 0, 0, tokyo); !ev.End.Equal(want) {
			t.Errorf("End %v, want %v", ev.End, want)
		}
		if want := time.Date(2025, 4, 7, 0, 0, 0, 0, tokyo); len(ev.Recurrence.ExDates) != 1 || !ev.Recurrence.ExDates[0].Equal(want) {
			t.Errorf("ExDates %v, want [%v]", ev.Recurrence.ExDates, want)
		}
	})

	t.Run("split this-and-following master is its own series", func(t *testing.T) {
		ev := decodeOne(t, c, "split_following.json")
		if ev.UID != masterID+"_R20250408T080000" || ev.IsOverride() || !ev.Recurring() {
			t.Fatalf("UID %q override %v recurring %v", ev.UID, ev.IsOverride(), ev.Recurring())
		}
		if !slices.Equal(ev.Recurrence.RRules, []string{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"}) {
			t.Errorf("RRules %q", ev.Recurrence.RRules)
		}
		if want := time.Date(2025, 4, 8, 10, 0, 0, 0, berlin); !ev.Start.Equal(want) {
			t.Errorf("Start %v, want %v", ev.Start, want)
		}
		if ev.Attendees[1].PartStat != calendar.PartStatTentative {
			t.Errorf("bob %+v, want TENTATIVE", ev.Attendees[1])
		}
	})

	t.Run("offset only, fallback zone", func(t *testing.T) {
		ny := loadZone(t, "America/New_York")
		ev := decodeOne(t, decoder(t, ny), "offset_only.json")
		if ev.Start.Location() != ny {
			t.Errorf("Start in %v, want Options.Zone", ev.Start.Location())
		}
		if want := time.Date(2025, 6, 2, 16, 0, 0, 0, ny); !ev.Start.Equal(want) {
			t.Errorf("Start %v, want %v", ev.Start, want)
		}
	})

	t.Run("offset only, no fallback zone", func(t *testing.T) {
		ev := decodeOne(t, decoder(t, nil), "offset_only.json")
		if name, off := ev.Start.Zone(); off != -4*3600 {
			t.Errorf("Start zone %s %d, want the event's offset -04:00", name, off)
		}
		if want := time.Date(2025, 6, 2, 20, 0, 0, 0, time.UTC); !ev.Start.Equal(want) {
			t.Errorf("Start %v, want %v", ev.Start, want)
		}
		var room calendar.Attendee
		for _, a := range ev.Attendees {
			if strings.HasSuffix(a.Email, "@resource.calendar.google.com") {
				room = a
			}
		}
		if room.CUType != calendar.CUTypeResource {
			t.Errorf("room without resource:true: %+v, want RESOURCE by its address", room)
		}
		if len(ev.Humans()) != 2 {
			t.Errorf("Humans %+v, want carla and anna", ev.Humans())
		}
	})
}

// TestDecodeSeries expands the fixtures' master with its exceptions: the
// exceptions must land on the master's slots, which they only do when the
// zones and instants agree.
func TestDecodeSeries(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	c := decoder(t, loadZone(t, "Asia/Tokyo"))
	var evs []calendar.Event
	for _, f := range []string{"master_exdate.json", "exception_moved.json", "exception_cancelled.json", "exception_declined.json"} {
		evs = append(evs, decodeOne(t, c, f))
	}
	groups := recur.GroupEvents(evs)
	if len(groups) != 1 || groups[0].Master == nil || len(groups[0].Overrides) != 3 {
		t.Fatalf("groups %+v, want one master with 3 overrides", groups)
	}
	inst, err := recur.Expand(groups[0], time.Date(2025, 3, 1, 0, 0, 0, 0, berlin), time.Date(2025, 4, 5, 0, 0, 0, 0, berlin), recur.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type slot struct {
		orig, start string
		cancelled   bool
	}
	var got []slot
	for _, in := range inst {
		got = append(got, slot{in.OriginalStart.In(berlin).Format("01-02 15:04"), in.Start.In(berlin).Format("01-02 15:04"), in.Cancelled})
	}
	want := []slot{
		{"03-04 10:00", "03-04 10:00", false},
		{"03-11 10:00", "03-11 10:00", true},  // cancelled exception
		{"03-18 10:00", "03-18 10:00", false}, // declined by bob
		{"03-25 10:00", "03-27 14:00", false}, // moved
		{"04-01 10:00", "04-01 10:00", true},  // EXDATE, after the switch to summer time
	}
	if !slices.Equal(got, want) {
		t.Errorf("instances\n got %v\nwant %v", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	c := decoder(t, nil)
	for _, tc := range []struct {
		name    string
		data    string
		events  int    // events wanted
		errPart string // in the error; "" = no error
	}{
		{"not JSON", `{"id": "x", "start": `, 0, "not an event"},
		{"an array", `[{"id":"x"}]`, 0, "not an event"},
		{"a string", `"event"`, 0, "not an event"},
		{"empty", ``, 0, "not an event"},
		{"no start", `{"id":"x","status":"confirmed"}`, 0, "start: missing"},
		{"bad dateTime", `{"id":"x","start":{"dateTime":"2025-13-01T10:00:00Z"}}`, 0, "start.dateTime"},
		{"bad date", `{"id":"x","start":{"date":"20250101"}}`, 0, "start.date"},
		{"instance without originalStartTime", `{"id":"x_1","recurringEventId":"x","start":{"dateTime":"2025-01-01T10:00:00Z"}}`, 0, "originalStartTime"},
		{"unknown zone", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00+02:00","timeZone":"Mars/Olympus"}}`, 1, "Mars/Olympus"},
		{"unknown zone of originalStartTime", `{"id":"x_1","recurringEventId":"x","originalStartTime":{"dateTime":"2025-01-01T10:00:00+02:00","timeZone":"Mars/Olympus"},"start":{"dateTime":"2025-01-01T11:00:00+02:00"}}`, 1, "originalStartTime.timeZone"},
		{"wrong type of one field", `{"id":"x","sequence":"two","start":{"dateTime":"2025-01-01T10:00:00Z"}}`, 1, "sequence"},
		{"bad rule", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"recurrence":["RRULE:FREQ=SOMETIMES"]}`, 1, "RRULE"},
		{"not a recurrence line", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"recurrence":["SUMMARY:hi"]}`, 1, "SUMMARY:hi"},
		{"line injection", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"recurrence":["RRULE:FREQ=DAILY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTART:20250101T000000Z"]}`, 1, "ignored"},
		{"bad updated", `{"id":"x","updated":"2025-03-20 16:03","start":{"dateTime":"2025-01-01T10:00:00Z"}}`, 1, "updated"},
		{"updated of the wrong type", `{"id":"x","updated":1742486590,"start":{"dateTime":"2025-01-01T10:00:00Z"}}`, 1, "updated"},
		{"fine", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"end":{"dateTime":"2025-01-01T11:00:00Z"}}`, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := c.Decode("primary", calendar.Object{Href: "href-" + strings.ReplaceAll(tc.name, " ", "-"), Data: []byte(tc.data)})
			if len(evs) != tc.events {
				t.Errorf("%d events, want %d", len(evs), tc.events)
			}
			switch {
			case tc.errPart == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.errPart != "" && err == nil:
				t.Errorf("no error, want one about %q", tc.errPart)
			case err != nil && (!strings.Contains(err.Error(), tc.errPart) || !strings.Contains(err.Error(), "href-")):
				t.Errorf("error %q should name the href and %q", err, tc.errPart)
			}
			for _, ev := range evs {
				if ev.UID != "x" || ev.Recurring() {
					t.Errorf("event %+v, want the one-off x", ev)
				}
			}
		})
	}
}

// corpusItems reads every event item of the compass payloads: lists of
// events, events.list answers, or lists of them.
func corpusItems(t *testing.T) map[string][]json.RawMessage {
	t.Helper()
	root := os.Getenv("ONEONONE_CORPUS")
	if root == "" {
		t.Skip("ONEONONE_CORPUS is not set: run make test, which points it at ../shared/corpus")
	}
	files, err := filepath.Glob(filepath.Join(root, "google", "compass", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no google/compass/*.json under %s: %v", root, err)
	}
	out := make(map[string][]json.RawMessage)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var elems []json.RawMessage
		if json.Unmarshal(b, &elems) != nil {
			elems = []json.RawMessage{b}
		}
		for _, el := range elems {
			var list struct {
				Kind  string            `json:"kind"`
				Items []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(el, &list); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if list.Kind == "calendar#events" {
				out[filepath.Base(f)] = append(out[filepath.Base(f)], list.Items...)
			} else {
				out[filepath.Base(f)] = append(out[filepath.Base(f)], el)
			}
		}
	}
	return out
}

// TestDecodeCorpus decodes every item of the compass payloads: each live
// item and each cancelled exception gives one event without error; a
// deleted item (cancelled, no recurringEventId) carries too little to be an
// event, and never reaches Decode in a sync.
func TestDecodeCorpus(t *testing.T) {
	files := corpusItems(t)
	chicago := loadZone(t, "America/Chicago")
	c := decoder(t, nil)
	byID := map[string]calendar.Event{}
	for name, items := range files {
		for i, raw := range items {
			var h struct{ ID, Status, RecurringEventID string }
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatalf("%s #%d: %v", name, i, err)
			}
			evs, err := c.Decode("primary", calendar.Object{Href: h.ID, Data: raw})
			if h.Status == "cancelled" && h.RecurringEventID == "" {
				if len(evs) != 0 || err == nil {
					t.Errorf("%s %s (deleted): %d events, error %v; want none and an error", name, h.ID, len(evs), err)
				}
				continue
			}
			if err != nil || len(evs) != 1 {
				t.Errorf("%s %s: %d events, error %v", name, h.ID, len(evs), err)
				continue
			}
			ev := evs[0]
			if want := h.ID; h.RecurringEventID != "" {
				want = h.RecurringEventID
				if ev.UID != want || !ev.IsOverride() {
					t.Errorf("%s %s: UID %q override %v, want an override of %s", name, h.ID, ev.UID, ev.IsOverride(), want)
				}
			} else if ev.UID != want || ev.IsOverride() {
				t.Errorf("%s %s: UID %q override %v", name, h.ID, ev.UID, ev.IsOverride())
			}
			if h.Status == "cancelled" != ev.Cancelled() {
				t.Errorf("%s %s: status %q but Cancelled %v", name, h.ID, h.Status, ev.Cancelled())
			}
			byID[name+" "+h.ID] = ev
		}
	}

	for _, tc := range []struct {
		key   string
		check func(t *testing.T, ev calendar.Event)
	}{
		{"recurring_create_create.json 68k0p6ackplecqs9fuvbs1fju0", func(t *testing.T, ev calendar.Event) {
			if !ev.Recurring() || ev.Recurrence.RRules[0] != "FREQ=DAILY" || ev.Start.Location().String() != "America/Chicago" ||
				!ev.Start.Equal(time.Date(2025, 3, 24, 7, 30, 0, 0, chicago)) || ev.Summary != "🍽️ Dishes" {
				t.Errorf("%+v", ev)
			}
		}},
		{"recurring_delete_single_delete.single.json 5hni4sj3ql1669otmjg7sn1mok_20250325T130000Z", func(t *testing.T, ev calendar.Event) {
			if !ev.Cancelled() || !ev.RecurrenceID.Equal(time.Date(2025, 3, 25, 8, 0, 0, 0, chicago)) {
				t.Errorf("%+v", ev)
			}
		}},
		{"recurring_edit_this-and-following_this-and-following-2.json 3i234gl45i6i1s8rpui7dleor0_R20250326T131500", func(t *testing.T, ev calendar.Event) {
			if ev.UID != "3i234gl45i6i1s8rpui7dleor0_R20250326T131500" || !ev.Recurring() {
				t.Errorf("%+v", ev)
			}
		}},
		{"recurring_edit_this-and-following_this-and-following-2.json 3i234gl45i6i1s8rpui7dleor0_20250319T131500Z", func(t *testing.T, ev calendar.Event) {
			if !ev.RecurrenceID.Equal(time.Date(2025, 3, 19, 8, 15, 0, 0, chicago)) || !ev.Start.Equal(time.Date(2025, 3, 20, 16, 30, 0, 0, chicago)) {
				t.Errorf("RecurrenceID %v Start %v", ev.RecurrenceID, ev.Start)
			}
		}},
		{"core_v1_gcal.allday.json 1evdi8c1s5knlt5ofhncl654u9", func(t *testing.T, ev calendar.Event) {
			if !ev.AllDay || !ev.Start.Equal(time.Date(2022, 2, 22, 0, 0, 0, 0, time.UTC)) || !ev.End.Equal(time.Date(2022, 2, 23, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("AllDay %v Start %v End %v", ev.AllDay, ev.Start, ev.End)
			}
		}},
		{"core_v1_gcal.cancelled.json tlf9q8uk5vjl2i2868q36dpi28_20130508T220000Z", func(t *testing.T, ev calendar.Event) {
			// No timeZone: the instant at its offset.
			if !ev.Cancelled() || !ev.RecurrenceID.Equal(time.Date(2013, 5, 8, 22, 0, 0, 0, time.UTC)) {
				t.Errorf("%+v", ev)
			}
		}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			ev, ok := byID[tc.key]
			if !ok {
				t.Fatalf("%s not in the corpus", tc.key)
			}
			tc.check(t, ev)
		})
	}

	// A series edited "this and following": the old master ends, its moved
	// exceptions land on its slots, the split master starts a new series.
	var evs []calendar.Event
	for _, raw := range files["recurring_edit_this-and-following_this-and-following-2.json"] {
		var h struct{ ID string }
		_ = json.Unmarshal(raw, &h)
		evs = append(evs, byID["recurring_edit_this-and-following_this-and-following-2.json "+h.ID])
	}
	groups := recur.GroupEvents(evs)
	if len(groups) != 2 {
		t.Fatalf("%d groups, want the old series and the split one", len(groups))
	}
	inst, err := recur.Expand(groups[0], time.Date(2025, 3, 1, 0, 0, 0, 0, chicago), time.Date(2025, 4, 1, 0, 0, 0, 0, chicago), recur.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, in := range inst {
		if !in.Start.Equal(in.OriginalStart) {
			moved++
		}
	}
	if len(inst) != 14 || moved != 2 {
		t.Errorf("old series: %d instances, %d moved; want 14 daily slots 03-12..03-25, 2 moved", len(inst), moved)
	}
}

// FuzzDecode: no panic on any bytes (not even a recovered one), and never
// more than one event.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"master_exdate.json", "exception_moved.json", "exception_cancelled.json", "allday_recurring.json", "split_following.json", "offset_only.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z","timeZone":"Europe/Berlin"},"recurrence":["RRULE:FREQ=DAILY;COUNT=3","EXDATE:20250102T100000Z","RDATE;VALUE=PERIOD:20250105T100000Z/PT1H"]}`))
	f.Add([]byte(`{"id":"x_1","recurringEventId":"x","status":"cancelled","originalStartTime":{"date":"2025-01-01"}}`))
	f.Add([]byte(`{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;UNTIL=20250401T045959Z","EXDATE;TZID=America/Chicago:20250325T073000","RDATE;VALUE=DATE:20250401","EXDATE:20250326T123000Z","RDATE;VALUE=PERIOD;TZID=\"Europe/Berlin\":20250402T090000/P1D","EXDATE;TZID=Mars/Olympus:20250327T073000","EXDATE;TZID:x"]}`))
	f.Add([]byte(`{"id":"d","start":{"date":"2025-01-06"},"end":{"date":"2025-01-07"},"recurrence":["RRULE:FREQ=WEEKLY;BYHOUR=9","EXDATE:20250113","EXDATE:20250120T000000Z","EXRULE:FREQ=DAILY"]}`))
	c := decoder(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := c.Decode("primary", calendar.Object{Href: "fuzz", Data: data})
		if len(evs) > 1 {
			t.Fatalf("%d events", len(evs))
		}
		if len(evs) == 0 && err == nil {
			t.Fatalf("no event and no error")
		}
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("recovered panic: %v", err)
		}
	})
}

// TestDecodeSecondaryCalendarOrganizer: in a secondary calendar Google makes
// the calendar the organizer; it is not a third person of the 1:1.
func TestDecodeSecondaryCalendarOrganizer(t *testing.T) {
	item := `{"kind":"calendar#event","etag":"\"1\"","id":"sec1","status":"confirmed","summary":"Anna / Bob",
"organizer":{"email":"c_8f2a1b@group.calendar.google.com","displayName":"Team 1:1s","self":true},
"start":{"dateTime":"2026-11-17T10:00:00+01:00","timeZone":"Europe/Berlin"},
"end":{"dateTime":"2026-11-17T10:30:00+01:00","timeZone":"Europe/Berlin"},
"recurrence":["RRULE:FREQ=WEEKLY"],
"attendees":[{"email":"anna@example.com","responseStatus":"accepted"},{"email":"bob@example.com","responseStatus":"accepted"}]}`
	c, err := google.New(context.Background(), google.Options{Endpoint: "http://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := c.Decode("primary", calendar.Object{Href: "sec1", ETag: `"1"`, Data: []byte(item)})
	if err != nil {
		t.Fatal(err)
	}
	v := history.Detect(&evs[0], history.DetectRules{Me: []string{"anna@example.com"}})
	if !v.OneOnOne || v.Counterpart.Email != "bob@example.com" {
		t.Fatalf("verdict = %+v, want a 1:1 with bob", v)
	}
}

// Modified is "updated", in UTC; zero without one.
func TestDecodeUpdated(t *testing.T) {
	c := decoder(t, nil)
	for _, tc := range []struct {
		name, updated string
		want          time.Time
	}{
		{"milliseconds", `"2025-03-20T16:03:10.511Z"`, time.Date(2025, 3, 20, 16, 3, 10, 511e6, time.UTC)},
		{"seconds", `"2025-03-20T16:03:10Z"`, time.Date(2025, 3, 20, 16, 3, 10, 0, time.UTC)},
		{"an offset", `"2025-03-20T17:03:10.5+01:00"`, time.Date(2025, 3, 20, 16, 3, 10, 5e8, time.UTC)},
		{"none", `""`, time.Time{}},
		{"null", `null`, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := `{"id":"x","updated":` + tc.updated + `,"start":{"dateTime":"2025-01-01T10:00:00Z"}}`
			evs, err := c.Decode("primary", calendar.Object{Href: "x", Data: []byte(data)})
			if err != nil || len(evs) != 1 {
				t.Fatalf("%d events, %v", len(evs), err)
			}
			if got := evs[0].Modified; !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("Modified %v, want %v", got, tc.want)
			}
		})
	}
}
