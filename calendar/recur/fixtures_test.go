package recur_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
)

// fixtures are the iCalendar files the reader's tests use too.
var fixtures = filepath.Join("..", "ical", "testdata")

func parseFixture(t *testing.T, name string, def *time.Location) ([]calendar.Event, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return ical.Parse(b, ical.ParseOptions{Href: name, DefaultZone: def})
}

// mustParse parses a fixture that must read without any problem.
func mustParse(t *testing.T, name string, def *time.Location) []calendar.Event {
	t.Helper()
	evs, err := parseFixture(t, name, def)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return evs
}

// vcal wraps content lines in a VCALENDAR.
func vcal(lines ...string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n")
}
