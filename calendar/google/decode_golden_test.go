package google_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

var update = flag.Bool("update", false, "rewrite testdata/decode.golden.json and testdata/decode_errors.golden.txt from the current Decode")

// Golden files of TestDecodeGolden: what Decode makes of every input the
// Google tests use, and, apart, the text of its errors.
const (
	goldenEvents = "decode.golden.json"
	goldenErrors = "decode_errors.golden.txt"
)

// goldenInput is one object Decode is given.
type goldenInput struct {
	name   string
	data   []byte
	corpus bool // from $ONEONONE_CORPUS: checked only when it is set
}

// goldenCases are JSON events beside the fixtures: those of the other
// tests of this package, and recurrence lines of every shape.
var goldenCases = []struct{ name, data string }{
	// TestDecodeErrors
	{"not JSON", `{"id": "x", "start": `},
	{"an array", `[{"id":"x"}]`},
	{"a string", `"event"`},
	{"empty", ``},
	{"no start", `{"id":"x","status":"confirmed"}`},
	{"bad dateTime", `{"id":"x","start":{"dateTime":"2025-13-01T10:00:00Z"}}`},
	{"bad date", `{"id":"x","start":{"date":"20250101"}}`},
	{"instance without originalStartTime", `{"id":"x_1","recurringEventId":"x","start":{"dateTime":"2025-01-01T10:00:00Z"}}`},
	{"unknown zone", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00+02:00","timeZone":"Mars/Olympus"}}`},
	{"wrong type of one field", `{"id":"x","sequence":"two","start":{"dateTime":"2025-01-01T10:00:00Z"}}`},
	{"bad rule", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"recurrence":["RRULE:FREQ=SOMETIMES"]}`},
	{"not a recurrence line", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"recurrence":["SUMMARY:hi"]}`},
	{"line injection", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"recurrence":["RRULE:FREQ=DAILY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTART:20250101T000000Z"]}`},
	{"bad updated", `{"id":"x","updated":"2025-03-20 16:03","start":{"dateTime":"2025-01-01T10:00:00Z"}}`},
	{"updated of the wrong type", `{"id":"x","updated":1742486590,"start":{"dateTime":"2025-01-01T10:00:00Z"}}`},
	{"fine", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z"},"end":{"dateTime":"2025-01-01T11:00:00Z"}}`},
	// FuzzDecode's seeds
	{"fuzz seed period", `{"id":"x","start":{"dateTime":"2025-01-01T10:00:00Z","timeZone":"Europe/Berlin"},"recurrence":["RRULE:FREQ=DAILY;COUNT=3","EXDATE:20250102T100000Z","RDATE;VALUE=PERIOD:20250105T100000Z/PT1H"]}`},
	{"fuzz seed cancelled date", `{"id":"x_1","recurringEventId":"x","status":"cancelled","originalStartTime":{"date":"2025-01-01"}}`},
	// TestDecodeSecondaryCalendarOrganizer
	{"secondary calendar organizer", `{"kind":"calendar#event","etag":"\"1\"","id":"sec1","status":"confirmed","summary":"Anna / Bob",
"organizer":{"email":"c_8f2a1b@group.calendar.google.com","displayName":"Team 1:1s","self":true},
"start":{"dateTime":"2026-11-17T10:00:00+01:00","timeZone":"Europe/Berlin"},
"end":{"dateTime":"2026-11-17T10:30:00+01:00","timeZone":"Europe/Berlin"},
"recurrence":["RRULE:FREQ=WEEKLY"],
"attendees":[{"email":"anna@example.com","responseStatus":"accepted"},{"email":"bob@example.com","responseStatus":"accepted"}]}`},

	// Recurrence lines.
	{"exdate tzid", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"end":{"dateTime":"2025-03-24T08:00:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=America/Chicago:20250325T073000,20250327T073000"]}`},
	{"exdate tzid other zone", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=Europe/Berlin:20250325T133000"]}`},
	{"exdate quoted tzid", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=\"America/Chicago\":20250325T073000"]}`},
	{"exdate utc", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250325T123000Z"]}`},
	{"exdate utc with tzid", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=America/Chicago:20250325T123000Z"]}`},
	{"exdate floating", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250325T073000"]}`},
	{"exdate date in timed series", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;VALUE=DATE:20250325,20250327"]}`},
	{"exdate date across dst", `{"id":"r","start":{"dateTime":"2025-03-03T07:30:00-06:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=WEEKLY","EXDATE;VALUE=DATE:20250310"]}`},
	{"exdate google date with Z", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250325Z"]}`},
	{"rdate date in timed series", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=DATE:20250401"]}`},
	{"rdate only", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RDATE;TZID=America/Chicago:20250401T090000"]}`},
	{"exdate only", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["EXDATE;TZID=America/Chicago:20250401T073000"]}`},
	{"rdate period duration", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=PERIOD:20250401T140000Z/PT2H,20250402T140000Z/P1D"]}`},
	{"rdate period end", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=PERIOD;TZID=America/Chicago:20250401T090000/20250401T100000"]}`},
	{"rdate period floating end", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=PERIOD:20250401T090000/20250401T100000"]}`},
	{"rdate bad period", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=PERIOD:20250401T140000Z/soon"]}`},
	{"exdate period", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250325T123000Z/PT1H"]}`},
	{"exdate bad value", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:2025-03-25"]}`},
	{"exdate one bad value of two", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250325T123000Z,tomorrow"]}`},
	{"exdate empty", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:"]}`},
	{"exdate unknown tzid", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=Mars/Olympus:20250325T073000","EXDATE;TZID=Mars/Olympus:20250326T073000"]}`},
	{"exdate empty tzid", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=:20250325T073000"]}`},
	{"exdate utc tzid", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=UTC:20250325T123000"]}`},
	{"bad line syntax", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID:20250325T073000"]}`},
	{"bad line no colon", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE"]}`},
	{"bad line unterminated quote", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=\"America/Chicago:20250325T073000"]}`},
	{"lower-case names", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["rrule:FREQ=DAILY","exdate;tzid=America/Chicago:20250325T073000"]}`},
	{"spaces around line", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["  RRULE:FREQ=DAILY  "," EXDATE:20250325T123000Z "]}`},
	{"rrule twice", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","RRULE:FREQ=DAILY","RRULE:FREQ=WEEKLY;BYDAY=MO"]}`},
	{"rrule prefix twice", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:RRULE:FREQ=DAILY"]}`},
	{"rrule warning", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;X-FOO=1"]}`},
	{"rrule floating until", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;UNTIL=20250330T073000"]}`},
	{"rrule date until", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;UNTIL=20250330"]}`},
	{"rrule utc until", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;UNTIL=20250330T123000Z"]}`},
	{"rrule until before start", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;UNTIL=20250301T000000Z"]}`},
	{"rrule bad until", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;UNTIL=soon"]}`},
	{"exrule", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY","EXRULE:FREQ=WEEKLY"]}`},
	{"only exrule", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["EXRULE:FREQ=WEEKLY"]}`},
	{"rrule params", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE;X-A=b:FREQ=DAILY"]}`},
	{"tab in line", "{\"id\":\"r\",\"start\":{\"dateTime\":\"2025-03-24T07:30:00-05:00\",\"timeZone\":\"America/Chicago\"},\"recurrence\":[\"RRULE:FREQ=DAILY\\tX\"]}"},
	{"empty line", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["","RRULE:FREQ=DAILY"]}`},
	{"recurrence not strings", `{"id":"r","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"recurrence":[1,2]}`},
	{"all-day exdate date", `{"id":"d","start":{"date":"2025-01-06"},"end":{"date":"2025-01-07"},"recurrence":["RRULE:FREQ=WEEKLY","EXDATE;VALUE=DATE:20250113,20250120"]}`},
	{"all-day exdate date without value", `{"id":"d","start":{"date":"2025-01-06"},"end":{"date":"2025-01-07"},"recurrence":["RRULE:FREQ=WEEKLY","EXDATE:20250113"]}`},
	{"all-day rdate date", `{"id":"d","start":{"date":"2025-01-06"},"end":{"date":"2025-01-07"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=DATE:20250201"]}`},
	{"all-day exdate date-time", `{"id":"d","start":{"date":"2025-01-06"},"recurrence":["RRULE:FREQ=WEEKLY","EXDATE:20250113T000000","EXDATE:20250120T000000Z","EXDATE;TZID=Asia/Tokyo:20250127T000000"]}`},
	{"all-day rdate period", `{"id":"d","start":{"date":"2025-01-06"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2","RDATE;VALUE=PERIOD:20250201/P2D"]}`},
	{"all-day until date-time", `{"id":"d","start":{"date":"2025-01-06"},"recurrence":["RRULE:FREQ=WEEKLY;UNTIL=20250201T000000Z"]}`},
	{"all-day byhour", `{"id":"d","start":{"date":"2025-01-06"},"recurrence":["RRULE:FREQ=WEEKLY;BYHOUR=9"]}`},
	{"utc start exdate floating", `{"id":"u","start":{"dateTime":"2025-03-24T12:30:00Z"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250325T123000","EXDATE;VALUE=DATE:20250326"]}`},
	{"offset start exdate tzid", `{"id":"u","start":{"dateTime":"2025-03-24T07:30:00-05:00"},"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=America/Chicago:20250325T073000","EXDATE:20250326T073000"]}`},
	{"unknown start zone with lines", `{"id":"u","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"Mars/Olympus"},"recurrence":["RRULE:FREQ=DAILY","EXDATE:20250326T073000","EXDATE;TZID=Mars/Olympus:20250327T073000"]}`},

	// Times.
	{"fractional seconds", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00.75-05:00","timeZone":"America/Chicago"},"end":{"dateTime":"2025-03-24T08:00:00.5Z"}}`},
	{"dst gap start", `{"id":"t","start":{"dateTime":"2025-03-09T02:30:00-06:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY;COUNT=2"]}`},
	{"dst overlap second start", `{"id":"t","start":{"dateTime":"2025-11-02T01:30:00-06:00","timeZone":"America/Chicago"},"end":{"dateTime":"2025-11-02T02:00:00-06:00","timeZone":"America/Chicago"}}`},
	{"end before start", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"end":{"dateTime":"2025-03-24T07:00:00-05:00"}}`},
	{"end equals start", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00"},"end":{"dateTime":"2025-03-24T12:30:00Z"}}`},
	{"end date with timed start", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"America/Chicago"},"end":{"date":"2025-03-25"}}`},
	{"end timed with date start", `{"id":"t","start":{"date":"2025-03-24"},"end":{"dateTime":"2025-03-25T07:30:00-05:00"}}`},
	{"end bad", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00"},"end":{"dateTime":"tomorrow"}}`},
	{"end bad date", `{"id":"t","start":{"date":"2025-03-24"},"end":{"date":"2025-02-30"}}`},
	{"end unknown zone", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00"},"end":{"dateTime":"2025-03-24T08:30:00-05:00","timeZone":"Mars/Olympus"}}`},
	{"no end date", `{"id":"t","start":{"date":"2025-03-24"}}`},
	{"date and dateTime", `{"id":"t","start":{"date":"2025-03-24","dateTime":"2025-03-24T07:30:00-05:00"}}`},
	{"year 0", `{"id":"t","start":{"dateTime":"0000-03-24T07:30:00Z"}}`},
	{"year 9999 end", `{"id":"t","start":{"dateTime":"9999-12-31T23:30:00-05:00"}}`},
	{"date year 0", `{"id":"t","start":{"date":"0000-03-24"}}`},
	{"zone Local", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"Local"}}`},
	{"zone UTC", `{"id":"t","start":{"dateTime":"2025-03-24T07:30:00-05:00","timeZone":"UTC"}}`},
	{"empty start", `{"id":"t","start":{}}`},
	{"start null", `{"id":"t","start":null,"end":{"dateTime":"2025-03-24T07:30:00-05:00"}}`},

	// Exceptions.
	{"exception timed", `{"id":"m_20250325T123000Z","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00","timeZone":"America/Chicago"},"start":{"dateTime":"2025-03-25T09:00:00-05:00","timeZone":"America/Chicago"},"end":{"dateTime":"2025-03-25T09:30:00-05:00","timeZone":"America/Chicago"},"recurrence":["RRULE:FREQ=DAILY"]}`},
	{"exception other zone", `{"id":"m_20250325T123000Z","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00","timeZone":"America/Chicago"},"start":{"dateTime":"2025-03-25T15:00:00+01:00","timeZone":"Europe/Berlin"}}`},
	{"exception no zone", `{"id":"m_20250325T123000Z","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00"},"start":{"dateTime":"2025-03-25T09:00:00-05:00"}}`},
	{"exception unknown zone", `{"id":"m_1","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00","timeZone":"Mars/Olympus"},"start":{"dateTime":"2025-03-25T09:00:00-05:00"}}`},
	{"exception skeleton", `{"id":"m_20250325T123000Z","recurringEventId":"m","status":"cancelled","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00","timeZone":"America/Chicago"}}`},
	{"exception skeleton no zone", `{"id":"m_20250325T123000Z","recurringEventId":"m","status":"cancelled","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00"}}`},
	{"exception skeleton bad", `{"id":"m_1","recurringEventId":"m","status":"cancelled","originalStartTime":{"dateTime":"yesterday"}}`},
	{"exception bad original with start", `{"id":"m_1","recurringEventId":"m","originalStartTime":{"dateTime":"yesterday"},"start":{"dateTime":"2025-03-25T09:00:00-05:00"},"recurrence":["RRULE:FREQ=DAILY"]}`},
	{"exception empty original", `{"id":"m_1","recurringEventId":"m","originalStartTime":{},"start":{"dateTime":"2025-03-25T09:00:00-05:00"}}`},
	{"exception date", `{"id":"m_20250325","recurringEventId":"m","originalStartTime":{"date":"2025-03-25"},"start":{"date":"2025-03-26"},"end":{"date":"2025-03-27"}}`},
	{"exception date original timed start", `{"id":"m_20250325","recurringEventId":"m","originalStartTime":{"date":"2025-03-25"},"start":{"dateTime":"2025-03-25T09:00:00-05:00","timeZone":"America/Chicago"}}`},
	{"exception timed original date start", `{"id":"m_1","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00","timeZone":"America/Chicago"},"start":{"date":"2025-03-25"}}`},
	{"exception bad start", `{"id":"m_1","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00","timeZone":"America/Chicago"},"start":{"dateTime":"never"}}`},
	{"exception end before start", `{"id":"m_1","recurringEventId":"m","originalStartTime":{"dateTime":"2025-03-25T07:30:00-05:00"},"end":{"dateTime":"2025-03-25T07:00:00-05:00"}}`},

	// Other fields.
	{"people", `{"id":"p","etag":"\"9\"","status":"tentative","summary":" S ","description":"a\\nb","sequence":99999999999,"start":{"dateTime":"2025-03-24T07:30:00-05:00"},"organizer":{"email":"MAILTO:Boss@Example.com","displayName":" Boss "},"attendees":[{"email":""},{"email":"r@resource.calendar.google.com"},{"email":"g@group.calendar.google.com","responseStatus":"declined"},{"email":"i@import.calendar.google.com","responseStatus":"tentative"},{"email":"x@y","resource":true,"responseStatus":"needsAction"},{"email":"z@y","responseStatus":"odd"}]}`},
	{"status odd", `{"id":"p","status":" weird ","sequence":-3,"start":{"dateTime":"2025-03-24T07:30:00-05:00"}}`},
	{"id with separators", `{"id":"a;b,c\\d","start":{"dateTime":"2025-03-24T07:30:00-05:00"}}`},
	{"no id", `{"start":{"dateTime":"2025-03-24T07:30:00-05:00"}}`},
	{"null", `null`},
	{"object of wrong types", `{"id":"x","start":"today"}`},
	{"attendees wrong type", `{"id":"x","start":{"dateTime":"2025-03-24T07:30:00-05:00"},"attendees":{"email":"a@b"}}`},
}

// goldenZones are the Options.Zone every input is decoded with.
var goldenZones = []string{"", "Asia/Tokyo", "America/New_York"}

func goldenInputs(t *testing.T) (inputs []goldenInput, withCorpus bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, goldenInput{name: "testdata/" + filepath.Base(f), data: b})
	}
	for _, c := range goldenCases {
		inputs = append(inputs, goldenInput{name: "case/" + c.name, data: []byte(c.data)})
	}
	if os.Getenv("ONEONONE_CORPUS") == "" {
		return inputs, false
	}
	items := corpusItems(t)
	names := make([]string, 0, len(items))
	for name := range items {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for i, raw := range items[name] {
			inputs = append(inputs, goldenInput{name: fmt.Sprintf("corpus/%s#%d", name, i), data: raw, corpus: true})
		}
	}
	return inputs, true
}

// goldenTime writes an instant with its zone: RFC 3339 with nanoseconds,
// then the zone's name and abbreviation.
func goldenTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	abbr, _ := t.Zone()
	return t.Format(time.RFC3339Nano) + " " + t.Location().String() + " " + abbr
}

func goldenTimes(ts []time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, goldenTime(t))
	}
	return out
}

type goldenRecurrence struct {
	RRules    []string
	RDates    []string
	ExDates   []string
	RDateEnds map[string]string `json:",omitempty"`
}

type goldenEvent struct {
	Source, Calendar, Href, ETag, UID string
	ICalUID                           string `json:",omitempty"`
	Summary, Description              string
	AltDescription                    string
	Status                            string
	Start, End                        string
	AllDay, Floating                  bool
	Organizer                         calendar.Attendee
	Attendees                         []calendar.Attendee
	Recurrence                        *goldenRecurrence
	RecurrenceID                      string
	ThisAndFuture                     bool
	Sequence                          int
	Modified                          string `json:",omitempty"`
}

type goldenEntry struct {
	Input  string
	Zone   string
	Events []goldenEvent
	Error  bool
}

func goldenOf(ev calendar.Event) goldenEvent {
	g := goldenEvent{
		Source: ev.Source, Calendar: ev.Calendar, Href: ev.Href, ETag: ev.ETag, UID: ev.UID, ICalUID: ev.ICalUID,
		Summary: ev.Summary, Description: ev.Description, AltDescription: ev.AltDescription, Status: ev.Status,
		Start: goldenTime(ev.Start), End: goldenTime(ev.End), AllDay: ev.AllDay, Floating: ev.Floating,
		Organizer: ev.Organizer, Attendees: ev.Attendees,
		RecurrenceID: goldenTime(ev.RecurrenceID), ThisAndFuture: ev.ThisAndFuture, Sequence: ev.Sequence,
		Modified: goldenTime(ev.Modified),
	}
	if r := ev.Recurrence; r != nil {
		g.Recurrence = &goldenRecurrence{RRules: r.RRules, RDates: goldenTimes(r.RDates), ExDates: goldenTimes(r.ExDates)}
		if r.RDateEnds != nil {
			g.Recurrence.RDateEnds = make(map[string]string)
			for k, v := range r.RDateEnds {
				g.Recurrence.RDateEnds[strconv.FormatInt(k, 10)] = goldenTime(v)
			}
		}
	}
	return g
}

// TestDecodeGolden decodes every input of the Google tests (the fixtures,
// the cases above, the corpus payloads when $ONEONONE_CORPUS is set) in
// each of goldenZones and compares the events, and whether there was an
// error, with decode.golden.json; the error texts are compared with
// decode_errors.golden.txt. go test -run TestDecodeGolden -update rewrites
// both (with the corpus set, so that its entries are kept).
func TestDecodeGolden(t *testing.T) {
	if n := reflect.TypeOf(calendar.Event{}).NumField(); n != 21 {
		t.Fatalf("calendar.Event has %d fields: make goldenEvent record the new ones, then -update", n)
	}
	if n := reflect.TypeOf(calendar.Recurrence{}).NumField(); n != 4 {
		t.Fatalf("calendar.Recurrence has %d fields: make goldenRecurrence record the new ones, then -update", n)
	}
	inputs, withCorpus := goldenInputs(t)
	var entries []goldenEntry
	var errText bytes.Buffer
	for _, zn := range goldenZones {
		var zone *time.Location
		if zn != "" {
			zone = loadZone(t, zn)
		}
		c := decoder(t, zone)
		for _, in := range inputs {
			href := strings.TrimSuffix(filepath.Base(in.name), ".json")
			if in.corpus {
				href = ""
			}
			evs, err := c.Decode("primary", calendar.Object{Href: href, ETag: "", Data: in.data})
			e := goldenEntry{Input: in.name, Zone: zn, Error: err != nil}
			for _, ev := range evs {
				e.Events = append(e.Events, goldenOf(ev))
			}
			entries = append(entries, e)
			if err != nil {
				fmt.Fprintf(&errText, "%s [%s]\n", in.name, zn)
				for _, l := range strings.Split(err.Error(), "\n") {
					fmt.Fprintf(&errText, "\t%s\n", l)
				}
			}
		}
	}
	got, err := json.MarshalIndent(entries, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if !withCorpus {
			t.Fatal("-update needs ONEONONE_CORPUS, or the corpus entries would be lost")
		}
		if err := os.WriteFile(filepath.Join("testdata", goldenEvents), got, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", goldenErrors), errText.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}

	b, err := os.ReadFile(filepath.Join("testdata", goldenEvents))
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenEntry
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !withCorpus {
		want = slices.DeleteFunc(want, func(e goldenEntry) bool { return strings.HasPrefix(e.Input, "corpus/") })
		t.Log("ONEONONE_CORPUS is not set: the corpus entries of the golden file are not checked")
	}
	// Re-read got so that both sides went through the same JSON.
	var gotEntries []goldenEntry
	if err := json.Unmarshal(got, &gotEntries); err != nil {
		t.Fatal(err)
	}
	if len(gotEntries) != len(want) {
		t.Errorf("%d entries, golden has %d", len(gotEntries), len(want))
	}
	for i := range min(len(gotEntries), len(want)) {
		g, w := gotEntries[i], want[i]
		if !reflect.DeepEqual(g, w) {
			gj, _ := json.MarshalIndent(g, "", "  ")
			wj, _ := json.MarshalIndent(w, "", "  ")
			t.Errorf("%s [%s]:\n got %s\nwant %s", w.Input, w.Zone, gj, wj)
		}
	}
	t.Logf("%d inputs × %d zones = %d decodes compared", len(inputs), len(goldenZones), len(gotEntries))

	if withCorpus {
		wantErr, err := os.ReadFile(filepath.Join("testdata", goldenErrors))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(errText.Bytes(), wantErr) {
			t.Errorf("error texts differ from %s (review, then -update):\n%s", goldenErrors, lineDiff(string(wantErr), errText.String()))
		}
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	var b strings.Builder
	only := func(a, c, sign string) {
		m := make(map[string]int)
		for _, l := range strings.Split(c, "\n") {
			m[l]++
		}
		for _, l := range strings.Split(a, "\n") {
			if m[l] > 0 {
				m[l]--
			} else {
				fmt.Fprintf(&b, "%s %s\n", sign, l)
			}
		}
	}
	only(want, got, "-")
	only(got, want, "+")
	return b.String()
}
