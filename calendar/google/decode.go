package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"
	"unicode"
	"unicode/utf8"

	"oneonone/calendar"
	"oneonone/calendar/recur"
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
	ICalUID          string   `json:"iCalUID"`
	Recurrence       []string `json:"recurrence"`
	Organizer        *person  `json:"organizer"`
	Attendees        []person `json:"attendees"`
	Sequence         int64    `json:"sequence"`
	Updated          string   `json:"updated"`
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
// included. The iCalUID, which is what a CalDAV copy of the event has as
// its UID, is kept in ICalUID: not as UID, since an exception names its
// master by id, and series ids and stored history are keyed by it. A dateTime is read in its timeZone, else in Options.Zone, else
// at its offset; a date is a midnight in Options.Zone (UTC when nil). The
// recurrence lines of a master are read by recur.ReadLines against its
// start, so that Google's rules mean what CalDAV's do.
//
// JSON that is not an event gives an error naming the href and no event;
// a part that cannot be read (a bad rule, a field of the wrong type) gives
// the event and an error naming the field (start.dateTime, recurrence[2]).
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
	ev, ok := d.event(uid, &j)
	if !ok {
		errs = append(errs, d.errs...)
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("decode %s: no start", name))
		}
		return nil, errors.Join(errs...)
	}
	if j.OriginalStart != nil && j.OriginalStart.DateTime != "" && !ev.RecurrenceID.IsZero() {
		loc := d.zoneOf(j.OriginalStart, ev.RecurrenceID, "originalStartTime")
		ev.RecurrenceID = ev.RecurrenceID.In(loc)
		if j.Start == nil {
			ev.Start, ev.End = ev.Start.In(loc), ev.End.In(loc)
		}
	}
	ev.Modified = d.updated(j.Updated)
	errs = append(errs, d.errs...)
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
	if u := strings.TrimSpace(j.ICalUID); u != uid {
		ev.ICalUID = u
	}
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

// updated reads the event's "updated" (RFC 3339, in UTC as Google writes
// it), zero when it has none; a value that cannot be read is reported and
// ignored.
func (d *decoder) updated(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 1 || t.Year() > maxYear {
		d.errorf("updated: %q is not an RFC 3339 time: ignored", s)
		return time.Time{}
	}
	return t.UTC()
}

// stamp is one of the event's times as read: an instant in its zone, or a
// date as a midnight.
type stamp struct {
	t    time.Time
	date bool
}

// maxYear is the last year a time is read in: the calendar model keeps
// four-digit years, as RFC 5545 does.
const maxYear = 9999

// event reads the event's times and recurrence: false when it has no
// usable start. The start is start, else (a cancelled exception's
// skeleton) originalStartTime; without end it ends when it starts, or
// after its day; an end before the start is reported and ignored.
func (d *decoder) event(uid string, j *eventJSON) (calendar.Event, bool) {
	var ev calendar.Event
	if strings.TrimFunc(uid, func(r rune) bool { return unicode.IsSpace(r) && r >= 0x20 }) == "" {
		// Blanks only (a control character is no blank: it names the event).
		d.errorf("the event's id %q is blank", uid)
	}
	zone := d.dateZone()
	var start, end, rid *stamp
	if j.Start != nil {
		switch date, t, ok := d.when(j.Start, "start"); {
		case !ok:
		case date:
			start = &stamp{recur.InZone(t, zone), true}
		default:
			zone = d.zoneOf(j.Start, t, "start")
			// The wall clock in the zone, its first occurrence when the
			// clock goes back (RFC 5545 §3.3.5), as an iCalendar reader
			// would read the start.
			w := recur.Wall(t.In(zone))
			if w.Year() > maxYear {
				d.errorf("start.dateTime: %q is out of range in %s", j.Start.DateTime, zone)
				return ev, false
			}
			start = &stamp{t: recur.InZone(w, zone)}
		}
	}
	if j.End != nil {
		end = d.instant(j.End, "end", zone)
	}
	if j.OriginalStart != nil {
		rid = d.instant(j.OriginalStart, "originalStartTime", zone)
	}
	s := start
	if s == nil {
		s = rid
	}
	if s == nil {
		if j.Start != nil && (j.Start.Date != "" || j.Start.DateTime != "") {
			d.errorf("start: unreadable: event dropped")
		} else {
			d.errorf("start: missing: event dropped")
		}
		return ev, false
	}
	ev.Start, ev.AllDay = s.t, s.date
	loc := s.t.Location()
	if rid != nil {
		ev.RecurrenceID = rid.t
	}
	if end != nil {
		ev.End = end.t.In(loc)
	} else {
		ev.End = defaultEnd(*s)
	}
	if ev.End.Before(ev.Start) {
		d.errorf("end: %s before start %s: ignored", ev.End.Format(time.RFC3339), ev.Start.Format(time.RFC3339))
		ev.End = defaultEnd(*s)
	}
	if j.OriginalStart == nil && len(j.Recurrence) > 0 {
		// The start is a wall clock read in its zone, which the rules are
		// expanded in: for them it is a floating DTSTART (a floating UNTIL
		// is that clock too, and no mistake).
		kind := recur.KindFloating
		if s.date {
			kind = recur.KindDate
		}
		r, errs := recur.ReadLines(j.Recurrence, s.t, kind, lineZone)
		for _, err := range errs {
			if le, ok := err.(*recur.LineError); ok {
				line := j.Recurrence[le.Index]
				if n := 120; len(line) > n {
					for n > 0 && !utf8.RuneStart(line[n]) {
						n--
					}
					line = line[:n] + "…"
				}
				d.errorf("recurrence[%d] %q: %v", le.Index, line, le.Err)
			} else {
				d.errorf("recurrence: %v", err)
			}
		}
		ev.Recurrence = r
	}
	return ev, true
}

// instant reads an end or an originalStartTime: a date as a midnight in
// zone, a dateTime as its instant (in UTC; Decode moves an
// originalStartTime to its zone). nil when it cannot be read.
func (d *decoder) instant(w *when, field string, zone *time.Location) *stamp {
	date, t, ok := d.when(w, field)
	switch {
	case !ok:
		return nil
	case date:
		return &stamp{recur.InZone(t, zone), true}
	}
	u := recur.Wall(t.UTC())
	if u.Year() > maxYear {
		d.errorf("%s.dateTime: %q is out of range", field, w.DateTime)
		return nil
	}
	return &stamp{t: u}
}

// defaultEnd is the end of an event without one (RFC 5545 §3.6.1): its
// start, or the next day for an all-day event.
func defaultEnd(s stamp) time.Time {
	if s.date {
		return recur.InZone(recur.Wall(s.t).AddDate(0, 0, 1), s.t.Location())
	}
	return s.t
}

// lineZone resolves the TZID of a recurrence line: Google writes IANA names.
func lineZone(tzid string) (*time.Location, bool) {
	loc := loadZone(strings.TrimSpace(tzid))
	return loc, loc != nil
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
