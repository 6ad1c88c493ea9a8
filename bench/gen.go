// Package bench holds oneonone's whole-system benchmarks and the
// steady-state tests that go with them (docs/PERFORMANCE.md): cold syncs of
// large calendars from the in-process CalDAV server and the fake Google API
// through the real clients, engine and bbolt store; the memory of a cycle
// against the length of the stored history; the cost of a quiet cycle; and an
// organisation of a thousand calendars with its weekly report.
//
// This file is the calendar generator they share: synthetic, deterministic
// calendars of recurring 1:1s with moved, cancelled and declined occurrences
// and the noise every calendar has, written out as CalDAV objects (one
// iCalendar object per UID) or as Google event resources (one JSON item per
// master, exception or one-off).
package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Spec describes one generated calendar.
type Spec struct {
	// Owner is the calendar's owner, the organizer of its 1:1s.
	Owner string
	// Events is how many events (VEVENTs, Google items) the calendar holds:
	// masters, exceptions and one-offs together. Generation stops at the
	// first thing that reaches it, so the count may exceed it by a few.
	Events int
	// Series, when > 0, is the number of 1:1 series instead (and then
	// Events is ignored); NoisePerSeries events of noise come with each.
	Series         int
	NoisePerSeries float64
	// Now is the moment the calendar is looked at; series start Years
	// before it (spread over a few weeks), the noise within the last year.
	Now   time.Time
	Years float64
	Zone  *time.Location
	// Seed makes calendars of the same shape differ.
	Seed uint64
}

// Thing is one UID: a master with its exceptions, or a one-off.
type Thing struct {
	UID    string
	Events []Event // Events[0] is the master (or the one-off)
	OneOne bool    // a 1:1 series with the owner
}

// Event is one generated VEVENT / Google item.
type Event struct {
	RecurrenceID time.Time // zero for a master or a one-off
	Start, End   time.Time
	AllDay       bool
	RRule        string // masters only
	ExDates      []time.Time
	Summary      string
	Description  string
	Organizer    Person
	Attendees    []Person
	Cancelled    bool
}

// Person is a participant.
type Person struct {
	Email, Name string
	Declined    bool
	Resource    bool
}

// Calendar is a generated calendar.
type Calendar struct {
	Spec   Spec
	Things []Thing
}

// EventCount counts the calendar's events.
func (c *Calendar) EventCount() int {
	n := 0
	for _, t := range c.Things {
		n += len(t.Events)
	}
	return n
}

// SeriesCount counts its 1:1 series.
func (c *Calendar) SeriesCount() int {
	n := 0
	for _, t := range c.Things {
		if t.OneOne {
			n++
		}
	}
	return n
}

// Generate builds the calendar that spec describes. The same spec gives the
// same calendar.
func Generate(spec Spec) *Calendar {
	if spec.Zone == nil {
		spec.Zone = time.UTC
	}
	if spec.Years <= 0 {
		spec.Years = 1
	}
	g := &generator{spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, 0x6f6e656f6e6f6e65))}
	c := &Calendar{Spec: spec}
	events := 0
	series := 0
	noiseDebt := 0.0
	for i := 0; ; i++ {
		if spec.Series > 0 {
			if series == spec.Series && noiseDebt < 1 {
				break
			}
		} else if events >= spec.Events {
			break
		}
		var t Thing
		switch {
		case spec.Series > 0 && (series == spec.Series || noiseDebt >= 1):
			t = g.noise(i)
			noiseDebt--
		case spec.Series > 0 || i%10 < 6:
			t = g.oneOnOne(i, series)
			series++
			noiseDebt += spec.NoisePerSeries
		default:
			t = g.noise(i)
		}
		events += len(t.Events)
		c.Things = append(c.Things, t)
	}
	return c
}

type generator struct {
	spec Spec
	rng  *rand.Rand
}

var weekdays = []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// workSlot returns a weekday at a working hour, on or after t's date.
func (g *generator) workSlot(t time.Time) time.Time {
	loc := g.spec.Zone
	d := time.Date(t.Year(), t.Month(), t.Day(), 9+g.rng.IntN(8), 30*g.rng.IntN(2), 0, 0, loc)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func (g *generator) ownerName() string {
	local, _, _ := strings.Cut(g.spec.Owner, "@")
	return strings.ToUpper(local[:1]) + local[1:]
}

// oneOnOne is a weekly, biweekly or monthly 1:1 of the owner with report
// k: a master with an EXDATE, and exceptions: moved later, moved earlier,
// cancelled, declined by the report, and one moved slot in the coming
// week. Every fifth series ended with an UNTIL some months ago.
func (g *generator) oneOnOne(i, k int) Thing {
	spec := g.spec
	uid := fmt.Sprintf("s%d-%d-%s", spec.Seed, i, strings.ReplaceAll(spec.Owner, "@", "."))
	other := fmt.Sprintf("report%d.%d@example.com", spec.Seed, k)
	otherName := fmt.Sprintf("Report %d", k)
	span := time.Duration(spec.Years * 365.25 * 24 * float64(time.Hour))
	start := g.workSlot(spec.Now.Add(-span).AddDate(0, 0, g.rng.IntN(21)))
	var rule string
	var slot func(n int) time.Time
	switch k % 3 {
	case 0, 1:
		interval := 1 + k%3
		rule = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s", interval, weekdays[start.Weekday()])
		slot = func(n int) time.Time { return start.AddDate(0, 0, 7*interval*n) }
	default:
		rule = fmt.Sprintf("FREQ=MONTHLY;BYMONTHDAY=%d", start.Day())
		slot = func(n int) time.Time { return start.AddDate(0, n, 0) }
	}
	// past is the number of slots before now.
	past := 0
	for slot(past).Before(spec.Now) {
		past++
	}
	ended := k%5 == 4 && past > 12
	if ended {
		rule += ";UNTIL=" + slot(past-6).UTC().Format("20060102T150405Z")
		past -= 6
	}
	me := Person{Email: spec.Owner, Name: g.ownerName()}
	them := Person{Email: other, Name: otherName}
	people := []Person{me, them}
	if k%4 == 0 {
		people = append(people, Person{Email: fmt.Sprintf("room%d@resource.example.com", k%7), Name: "Room", Resource: true})
	}
	summary := fmt.Sprintf("%s / %s 1:1", g.ownerName(), otherName)
	desc := "Agenda: https://docs.example.com/1on1/" + other + "\n\nNotes, actions and feedback. Bring what blocks you, what you learned, and one thing to change."
	dur := 30 * time.Minute
	master := Event{
		Start: start, End: start.Add(dur), RRule: rule,
		Summary: summary, Description: desc, Organizer: me, Attendees: people,
	}
	// Exceptions spread over the series' past, and one ahead.
	at := func(frac float64) int { return max(1, min(past-1, int(frac*float64(past)))) }
	used := map[int]bool{}
	pick := func(frac float64) (int, bool) {
		n := at(frac)
		for used[n] && n < past-1 {
			n++
		}
		if used[n] || past < 3 {
			return 0, false
		}
		used[n] = true
		return n, true
	}
	t := Thing{UID: uid, OneOne: true}
	if n, ok := pick(0.2 + 0.1*g.rng.Float64()); ok {
		master.ExDates = append(master.ExDates, slot(n))
	}
	t.Events = append(t.Events, master)
	ov := func(n int, shift time.Duration, edit func(*Event)) {
		orig := slot(n)
		e := Event{RecurrenceID: orig, Start: orig.Add(shift), End: orig.Add(shift + dur),
			Summary: summary, Description: desc, Organizer: me, Attendees: people}
		if edit != nil {
			edit(&e)
		}
		t.Events = append(t.Events, e)
	}
	if n, ok := pick(0.4 + 0.1*g.rng.Float64()); ok {
		ov(n, 26*time.Hour, nil) // postponed by a day
	}
	if n, ok := pick(0.6 + 0.1*g.rng.Float64()); ok {
		ov(n, -time.Hour, nil) // advanced by an hour
	}
	if n, ok := pick(0.75 + 0.1*g.rng.Float64()); ok {
		ov(n, 0, func(e *Event) { e.Cancelled = true })
	}
	if n, ok := pick(0.9 + 0.05*g.rng.Float64()); ok {
		ov(n, 0, func(e *Event) {
			e.Attendees = []Person{me, {Email: other, Name: otherName, Declined: true}}
		})
	}
	if !ended {
		ov(past, 2*time.Hour, nil) // the next slot, moved within the horizon
	}
	return t
}

// noise is what every calendar has besides 1:1s: a weekly team meeting
// with an exception, a one-off meeting of several people, an all-day event.
func (g *generator) noise(i int) Thing {
	spec := g.spec
	uid := fmt.Sprintf("n%d-%d-%s", spec.Seed, i, strings.ReplaceAll(spec.Owner, "@", "."))
	me := Person{Email: spec.Owner, Name: g.ownerName()}
	team := []Person{me}
	for j := range 5 {
		team = append(team, Person{Email: fmt.Sprintf("peer%d.%d@example.com", spec.Seed, (i+j)%50), Name: fmt.Sprintf("Peer %d", (i+j)%50)})
	}
	when := g.workSlot(spec.Now.AddDate(0, 0, -g.rng.IntN(365)))
	switch i % 3 {
	case 0:
		e := Event{Start: when, End: when.Add(time.Hour), Summary: fmt.Sprintf("Team sync %d", i),
			RRule:       "FREQ=WEEKLY;BYDAY=" + weekdays[when.Weekday()],
			Description: "Weekly team meeting: status, risks, decisions.", Organizer: team[1], Attendees: team}
		moved := when.AddDate(0, 0, 7*(1+g.rng.IntN(20)))
		ex := e
		ex.RRule, ex.RecurrenceID = "", moved
		ex.Start, ex.End = moved.Add(time.Hour), moved.Add(2*time.Hour)
		return Thing{UID: uid, Events: []Event{e, ex}}
	case 1:
		return Thing{UID: uid, Events: []Event{{Start: when, End: when.Add(45 * time.Minute),
			Summary: fmt.Sprintf("Planning %d", i), Description: "Quarterly planning.", Organizer: me, Attendees: team[:4]}}}
	default:
		d := time.Date(when.Year(), when.Month(), when.Day(), 0, 0, 0, 0, spec.Zone)
		return Thing{UID: uid, Events: []Event{{Start: d, End: d.AddDate(0, 0, 1), AllDay: true,
			Summary: "Out of office", Organizer: me}}}
	}
}

// ---- iCalendar

// ICS writes a thing as one iCalendar object, as a CalDAV server holds it.
func (c *Calendar) ICS(t Thing) []byte {
	var b strings.Builder
	w := func(lines ...string) {
		for _, l := range lines {
			for len(l) > 75 { // fold as RFC 5545 §3.1 asks
				b.WriteString(l[:75] + "\r\n")
				l = " " + l[75:]
			}
			b.WriteString(l + "\r\n")
		}
	}
	zone := c.Spec.Zone.String()
	local := func(t time.Time) string { return t.In(c.Spec.Zone).Format("20060102T150405") }
	w("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oneonone//bench//EN", "CALSCALE:GREGORIAN")
	if zone == "Europe/Berlin" {
		w("BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
			"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
			"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
			"END:VTIMEZONE")
	}
	for _, e := range t.Events {
		w("BEGIN:VEVENT", "UID:"+t.UID, "DTSTAMP:20250101T000000Z", "SUMMARY:"+icsText(e.Summary))
		if e.AllDay {
			w("DTSTART;VALUE=DATE:"+e.Start.Format("20060102"), "DTEND;VALUE=DATE:"+e.End.Format("20060102"))
		} else {
			w("DTSTART;TZID="+zone+":"+local(e.Start), "DTEND;TZID="+zone+":"+local(e.End))
		}
		if !e.RecurrenceID.IsZero() {
			w("RECURRENCE-ID;TZID=" + zone + ":" + local(e.RecurrenceID))
		}
		if e.RRule != "" {
			w("RRULE:" + e.RRule)
		}
		for _, x := range e.ExDates {
			w("EXDATE;TZID=" + zone + ":" + local(x))
		}
		if e.Cancelled {
			w("STATUS:CANCELLED")
		}
		if e.Description != "" {
			w("DESCRIPTION:" + icsText(e.Description))
		}
		if e.Organizer.Email != "" {
			w("ORGANIZER;CN=" + e.Organizer.Name + ":mailto:" + e.Organizer.Email)
		}
		for _, a := range e.Attendees {
			cu, ps := "INDIVIDUAL", "ACCEPTED"
			if a.Resource {
				cu = "RESOURCE"
			}
			if a.Declined {
				ps = "DECLINED"
			}
			w("ATTENDEE;CUTYPE=" + cu + ";ROLE=REQ-PARTICIPANT;PARTSTAT=" + ps + ";CN=" + a.Name + ":mailto:" + a.Email)
		}
		w("END:VEVENT")
	}
	w("END:VCALENDAR")
	return []byte(b.String())
}

func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

// ---- Google

type gTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

type gPerson struct {
	Email          string `json:"email"`
	DisplayName    string `json:"displayName,omitempty"`
	Self           bool   `json:"self,omitempty"`
	Organizer      bool   `json:"organizer,omitempty"`
	Resource       bool   `json:"resource,omitempty"`
	ResponseStatus string `json:"responseStatus,omitempty"`
}

type gEvent struct {
	Kind              string    `json:"kind"`
	ID                string    `json:"id"`
	Status            string    `json:"status"`
	Summary           string    `json:"summary,omitempty"`
	Description       string    `json:"description,omitempty"`
	Creator           *gPerson  `json:"creator,omitempty"`
	Organizer         *gPerson  `json:"organizer,omitempty"`
	Start             *gTime    `json:"start,omitempty"`
	End               *gTime    `json:"end,omitempty"`
	Recurrence        []string  `json:"recurrence,omitempty"`
	RecurringEventID  string    `json:"recurringEventId,omitempty"`
	OriginalStartTime *gTime    `json:"originalStartTime,omitempty"`
	ICalUID           string    `json:"iCalUID"`
	Sequence          int       `json:"sequence"`
	Attendees         []gPerson `json:"attendees,omitempty"`
	Reminders         any       `json:"reminders,omitempty"`
	EventType         string    `json:"eventType"`
}

// googleID turns a UID into a Google event id (base32hex characters).
func googleID(uid string) string {
	const digits = "0123456789abcdefghijklmnopqrstuv"
	var b strings.Builder
	for _, r := range strings.ToLower(uid) {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'v':
			b.WriteRune(r)
		default:
			b.WriteByte(digits[int(r)%32])
		}
	}
	return b.String()
}

// GoogleItems writes a thing as Google event resources: the master (or
// one-off) and one item per exception, a cancelled exception with only
// the fields Google shows for one.
func (c *Calendar) GoogleItems(t Thing) [][]byte {
	zone := c.Spec.Zone.String()
	owner := c.Spec.Owner
	id := googleID(t.UID)
	when := func(tm time.Time, allDay bool) *gTime {
		if allDay {
			return &gTime{Date: tm.Format(time.DateOnly)}
		}
		return &gTime{DateTime: tm.In(c.Spec.Zone).Format(time.RFC3339), TimeZone: zone}
	}
	person := func(p Person, org bool) gPerson {
		gp := gPerson{Email: p.Email, DisplayName: p.Name, Self: p.Email == owner, Organizer: org, Resource: p.Resource, ResponseStatus: "accepted"}
		if p.Declined {
			gp.ResponseStatus = "declined"
		}
		return gp
	}
	var out [][]byte
	for _, e := range t.Events {
		ge := gEvent{Kind: "calendar#event", ID: id, Status: "confirmed", ICalUID: t.UID, EventType: "default"}
		if !e.RecurrenceID.IsZero() {
			ge.ID = id + "_" + e.RecurrenceID.UTC().Format("20060102T150405Z")
			ge.RecurringEventID = id
			ge.OriginalStartTime = when(e.RecurrenceID, false)
			if e.Cancelled {
				ge.Status, ge.ICalUID, ge.EventType = "cancelled", "", ""
				b, _ := json.Marshal(struct {
					Kind              string `json:"kind"`
					ID                string `json:"id"`
					Status            string `json:"status"`
					RecurringEventID  string `json:"recurringEventId"`
					OriginalStartTime *gTime `json:"originalStartTime"`
				}{ge.Kind, ge.ID, ge.Status, ge.RecurringEventID, ge.OriginalStartTime})
				out = append(out, b)
				continue
			}
		}
		ge.Summary, ge.Description = e.Summary, strings.ReplaceAll(e.Description, "\n", "<br>")
		org := person(e.Organizer, true)
		ge.Creator, ge.Organizer = &org, &org
		ge.Start, ge.End = when(e.Start, e.AllDay), when(e.End, e.AllDay)
		if e.RRule != "" {
			ge.Recurrence = append(ge.Recurrence, "RRULE:"+e.RRule)
			for _, x := range e.ExDates {
				ge.Recurrence = append(ge.Recurrence, "EXDATE;TZID="+zone+":"+x.In(c.Spec.Zone).Format("20060102T150405"))
			}
		}
		for _, a := range e.Attendees {
			ge.Attendees = append(ge.Attendees, person(a, a.Email == e.Organizer.Email))
		}
		ge.Reminders = map[string]bool{"useDefault": true}
		b, err := json.Marshal(ge)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}
