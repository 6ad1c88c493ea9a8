package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
)

// eventJSON is what Decode reads of a Calendar API Event resource.
type eventJSON struct {
	ID               string   `json:"id"`
	ETag             string   `json:"etag"`
	Status           string   `json:"status"`
	Summary          string   `json:"summary"`
	Description      string   `json:"description"`
	Start            *when    `json:"start"`
	End              *when    `json:"end"`
	OriginalStart    *when    `json:"originalStartTime"`
	RecurringEventID string   `json:"recurringEventId"`
	Recurrence       []string `json:"recurrence"`
	Organizer        *person  `json:"organizer"`
	Attendees        []person `json:"attendees"`
	Sequence         int64    `json:"sequence"`
}

// when is an EventDateTime: a date for an all-day event, else an RFC 3339
// dateTime, with the IANA zone its recurrence is expanded in.
type when struct {
	Date     string `json:"date"`
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type person struct {
	Email          string `json:"email"`
	DisplayName    string `json:"displayName"`
	Self           bool   `json:"self"`
	Resource       bool   `json:"resource"`
	ResponseStatus string `json:"responseStatus"`
}

// Decode turns one event's JSON into exactly one calendar.Event: a one-off,
// a recurring master (UID its id), or an exception (UID its
// recurringEventId, RecurrenceID its originalStartTime), cancelled ones
// included. Times and the recurrence set are read by ical.Parse from a
// minimal VEVENT built of start, end, originalStartTime and the recurrence
// lines as Google gives them, so that Google's rules mean what CalDAV's do.
// A dateTime is read in its timeZone, else in Options.Zone, else at its
// offset; a date is a midnight in Options.Zone (UTC when nil).
//
// JSON that is not an event gives an error naming the href and no event;
// a part that cannot be read (a bad rule, a field of the wrong type) gives
// the event and an error.
func (c *Client) Decode(cal string, obj calendar.Object) (evs []calendar.Event, err error) {
	name := obj.Href
	if name == "" {
		name = "event"
	}
	defer func() {
		if r := recover(); r != nil {
			evs, err = nil, fmt.Errorf("decode %s: internal error: %v", name, r)
		}
	}()
	var j eventJSON
	var errs []error
	if err := json.Unmarshal(obj.Data, &j); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field == "" {
			return nil, fmt.Errorf("decode %s: not an event: %v", name, err)
		}
		errs = append(errs, fmt.Errorf("decode %s: %v", name, err))
	}
	id := j.ID
	if id == "" {
		id = obj.Href
	}
	if id == "" {
		return nil, fmt.Errorf("decode %s: no event id", name)
	}
	if obj.Href == "" {
		name = id
	}
	uid := id
	if j.RecurringEventID != "" {
		if j.OriginalStart == nil {
			return nil, fmt.Errorf("decode %s: instance of %s without originalStartTime", name, j.RecurringEventID)
		}
		uid = j.RecurringEventID
	}

	d := decoder{c: c, name: name}
	ics, zone := d.vevent(uid, &j)
	parsed, perr := ical.Parse([]byte(ics), ical.ParseOptions{Href: name, DefaultZone: zone})
	errs = append(errs, d.errs...)
	if perr != nil {
		errs = append(errs, perr)
	}
	if len(parsed) == 0 {
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("decode %s: no start", name))
		}
		return nil, errors.Join(errs...)
	}
	ev := parsed[0]
	ev.Floating = false // read as floating in the zone chosen above
	if j.OriginalStart != nil && j.OriginalStart.DateTime != "" && !ev.RecurrenceID.IsZero() {
		loc := d.zoneOf(j.OriginalStart, ev.RecurrenceID, "originalStartTime")
		ev.RecurrenceID = ev.RecurrenceID.In(loc)
		if j.Start == nil {
			ev.Start, ev.End = ev.Start.In(loc), ev.End.In(loc)
		}
	}

	ev.Calendar = cal
	ev.Href = obj.Href
	if ev.Href == "" {
		ev.Href = id
	}
	ev.ETag = obj.ETag
	if ev.ETag == "" {
		ev.ETag = j.ETag
	}
	ev.UID = uid
	ev.Summary = j.Summary
	ev.Description = j.Description
	ev.Status = eventStatus(j.Status)
	ev.Sequence = int(max(min(j.Sequence, 1<<31-1), 0))
	ev.Organizer = calendar.Attendee{}
	if j.Organizer != nil {
		ev.Organizer = participant(*j.Organizer)
	}
	ev.Attendees = nil
	for _, p := range j.Attendees {
		if a := participant(p); a.Email != "" {
			ev.Attendees = append(ev.Attendees, a)
		}
	}
	return []calendar.Event{ev}, errors.Join(errs...)
}

// decoder collects the problems of one Decode.
type decoder struct {
	c    *Client
	name string
	errs []error
}

func (d *decoder) errorf(format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("decode %s: "+format, append([]any{d.name}, args...)...))
}

// Wall-clock layouts of RFC 5545 §3.3.4 and §3.3.5.
const (
	icalDate  = "20060102"
	icalLocal = "20060102T150405"
	icalUTC   = "20060102T150405Z"
)

// vevent builds the VCALENDAR that ical.Parse reads the event's times
// from, and the zone its floating values are to be read in. DTSTART is the
// start's wall-clock time in its zone, written floating (so any
// *time.Location will do, even one Parse could not name); DTEND and
// RECURRENCE-ID are instants (UTC) or dates.
func (d *decoder) vevent(uid string, j *eventJSON) (string, *time.Location) {
	zone := d.dateZone()
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//google//EN\r\nBEGIN:VEVENT\r\n")
	b.WriteString("UID:" + safeText(uid) + "\r\n")
	if j.Start != nil {
		switch date, t, ok := d.when(j.Start, "start"); {
		case !ok:
		case date:
			b.WriteString("DTSTART;VALUE=DATE:" + t.Format(icalDate) + "\r\n")
		default:
			zone = d.zoneOf(j.Start, t, "start")
			b.WriteString("DTSTART:" + t.In(zone).Format(icalLocal) + "\r\n")
		}
	}
	if j.End != nil {
		switch date, t, ok := d.when(j.End, "end"); {
		case !ok:
		case date:
			b.WriteString("DTEND;VALUE=DATE:" + t.Format(icalDate) + "\r\n")
		default:
			b.WriteString("DTEND:" + t.UTC().Format(icalUTC) + "\r\n")
		}
	}
	if j.OriginalStart != nil {
		switch date, t, ok := d.when(j.OriginalStart, "originalStartTime"); {
		case !ok:
		case date:
			b.WriteString("RECURRENCE-ID;VALUE=DATE:" + t.Format(icalDate) + "\r\n")
		default:
			b.WriteString("RECURRENCE-ID:" + t.UTC().Format(icalUTC) + "\r\n")
		}
	} else {
		for _, line := range j.Recurrence {
			if l, ok := recurrenceLine(line); ok {
				b.WriteString(l + "\r\n")
			} else {
				d.errorf("recurrence line %q ignored: not an RRULE, RDATE, EXDATE or EXRULE", line)
			}
		}
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String(), zone
}

// when reads an EventDateTime: a date (as a midnight in UTC, for its
// digits) or a dateTime.
func (d *decoder) when(w *when, field string) (date bool, t time.Time, ok bool) {
	if w.Date != "" {
		t, err := time.Parse(time.DateOnly, w.Date)
		if err != nil {
			d.errorf("%s.date: invalid value %q", field, w.Date)
			return false, time.Time{}, false
		}
		return true, t, true
	}
	if w.DateTime != "" {
		t, err := time.Parse(time.RFC3339, w.DateTime)
		if err != nil || t.Year() < 1 || t.Year() > 9999 {
			d.errorf("%s.dateTime: invalid value %q", field, w.DateTime)
			return false, time.Time{}, false
		}
		return false, t, true
	}
	return false, time.Time{}, false
}

// zoneOf is the zone a dateTime is read in: its timeZone, else
// Options.Zone, else its own offset.
func (d *decoder) zoneOf(w *when, t time.Time, field string) *time.Location {
	if w.TimeZone != "" {
		if loc := loadZone(w.TimeZone); loc != nil {
			return loc
		}
		d.errorf("%s.timeZone: unknown zone %q", field, w.TimeZone)
	}
	if d.c.zone != nil {
		return d.c.zone
	}
	// Not t.Location(): time.Parse gives time.Local when the offset is
	// one of Local's, which would make the result depend on the machine.
	_, off := t.Zone()
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

// dateZone is the zone all-day dates are midnights in.
func (d *decoder) dateZone() *time.Location {
	if d.c.zone != nil {
		return d.c.zone
	}
	return time.UTC
}

// recurrenceLine checks one of Google's recurrence lines ("RRULE:FREQ=…",
// "EXDATE;TZID=America/Chicago:20250325T073000") before it goes into the
// VEVENT verbatim: one content line, of a recurrence property.
func recurrenceLine(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	end := strings.IndexAny(s, ":;")
	if end < 0 {
		return "", false
	}
	switch strings.ToUpper(s[:end]) {
	case "RRULE", "RDATE", "EXDATE", "EXRULE":
		return s, true
	}
	return "", false
}

// safeText makes s one iCalendar TEXT value (it only names the event in
// Parse's messages).
func safeText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return '_'
		case r == '\\' || r == ';' || r == ',':
			return '_'
		}
		return r
	}, s)
}

// eventStatus maps Google's status to RFC 5545 STATUS.
func eventStatus(s string) string {
	switch s {
	case "confirmed":
		return calendar.StatusConfirmed
	case "tentative":
		return calendar.StatusTentative
	case "cancelled":
		return calendar.StatusCancelled
	}
	return strings.ToUpper(strings.TrimSpace(s))
}

// participant maps an organizer or attendee. Rooms booked through Google
// Workspace have addresses on resource.calendar.google.com; an event made
// in a secondary calendar has that calendar (…@group.calendar.google.com)
// as its organizer, and a subscribed one …@import.calendar.google.com:
// none of them is a person.
func participant(p person) calendar.Attendee {
	a := calendar.Attendee{
		Email: calendar.NormalizeEmail(p.Email),
		Name:  strings.TrimSpace(p.DisplayName),
	}
	switch {
	case p.Resource || strings.HasSuffix(a.Email, "@resource.calendar.google.com"):
		a.CUType = calendar.CUTypeResource
	case strings.HasSuffix(a.Email, "@group.calendar.google.com") || strings.HasSuffix(a.Email, "@import.calendar.google.com"):
		a.CUType = calendar.CUTypeGroup
	}
	switch p.ResponseStatus {
	case "accepted":
		a.PartStat = calendar.PartStatAccepted
	case "declined":
		a.PartStat = calendar.PartStatDeclined
	case "tentative":
		a.PartStat = calendar.PartStatTentative
	case "needsAction":
		a.PartStat = calendar.PartStatNeedsAction
	}
	return a
}

// zones caches loaded IANA zones (time.LoadLocation reads a file each
// time); misses are cached too, up to maxZones names.
var zones = struct {
	gosync.Mutex
	m map[string]*time.Location
}{m: make(map[string]*time.Location)}

const maxZones = 512

// loadZone loads an IANA zone; nil when it is unknown. "Local" is not a
// zone Google names.
func loadZone(name string) *time.Location {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil
	}
	zones.Lock()
	loc, ok := zones.m[name]
	zones.Unlock()
	if ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	zones.Lock()
	if len(zones.m) < maxZones {
		zones.m[name] = loc
	}
	zones.Unlock()
	return loc
}
