package report

import (
	"fmt"
	"strings"
	"time"

	"oneonone/calendar"
)

const me = "anna@example.com"

var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at parses "2006-01-02 15:04" in Berlin.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// series returns a series of Anna's with counterpart who, starting at start.
func series(id, who string, cadence calendar.Cadence, start string) calendar.Series {
	return calendar.Series{
		ID:           "team/work/" + id,
		Source:       "team",
		Calendar:     "work",
		UID:          id,
		Title:        "Anna / " + firstName(who) + " 1:1",
		Pair:         calendar.NewPair(me, who),
		Me:           me,
		Counterpart:  who,
		Relationship: "report",
		Cadence:      cadence,
		Start:        at(start),
		Zone:         "Europe/Berlin",
	}
}

// firstName returns "Bob" for "bob@example.com".
func firstName(addr string) string {
	local, _, _ := strings.Cut(addr, "@")
	return strings.ToUpper(local[:1]) + local[1:]
}

// occ returns an occurrence of s at original start orig; moved, when given,
// is the actual start.
func occ(s calendar.Series, orig string, state calendar.State, moved ...string) calendar.Occurrence {
	o := calendar.Occurrence{
		SeriesID:      s.ID,
		Pair:          s.Pair,
		OriginalStart: at(orig),
		Start:         at(orig),
		State:         state,
	}
	if len(moved) > 0 {
		o.Start = at(moved[0])
	}
	o.End = o.Start.Add(30 * time.Minute)
	return o
}

// run returns occurrences of s every step days from first, one per letter of
// states: h held, s skipped, d declined, u upcoming.
func run(s calendar.Series, first string, step int, states string) []calendar.Occurrence {
	codes := map[rune]calendar.State{
		'h': calendar.StateHeld, 's': calendar.StateSkipped,
		'd': calendar.StateDeclined, 'u': calendar.StateUpcoming,
	}
	t0 := at(first)
	var out []calendar.Occurrence
	for i, c := range states {
		st, ok := codes[c]
		if !ok {
			panic(fmt.Sprintf("run: unknown state %q", c))
		}
		t := t0.AddDate(0, 0, i*step)
		out = append(out, calendar.Occurrence{
			SeriesID: s.ID, Pair: s.Pair, OriginalStart: t, Start: t,
			End: t.Add(30 * time.Minute), State: st,
		})
	}
	return out
}

func join[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
