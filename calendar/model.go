// Package calendar is oneonone's provider-neutral model: events as the
// providers return them (Event, Attendee, Recurrence, Object, Changes), the
// 1:1 series recognised among them (Series, Pair, Cadence), the occurrences
// of those series with what became of each (Occurrence, State), and the
// errors every provider maps its own to.
//
// It holds no logic beyond its types' small methods and imports none of its
// subpackages: calendar/ical reads and edits iCalendar, calendar/recur
// expands recurrence rules, calendar/caldav and calendar/google are the
// sources, and package history decides what the events mean
// (docs/ARCHITECTURE.md).
package calendar

import (
	"errors"
	"strings"
	"time"
)

// Errors a provider returns, mapped from its wire protocol at the edge.
var (
	// ErrNotFound: the object or calendar does not exist (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conditional write failed because the object changed (HTTP 412).
	ErrConflict = errors.New("precondition failed: object changed")
	// ErrCursorExpired: the stored cursor is no longer valid; a full sync is needed
	// (RFC 6578 valid-sync-token, Google 410 fullSyncRequired).
	ErrCursorExpired = errors.New("sync cursor expired")
	// ErrForbidden: the account may not write the object (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrWriteRefused: the server refused to store one object for a reason
	// of its own (a 5xx or an unexpected 4xx to a write) that may last:
	// a problem of that object, retried later, not a failure of the source.
	ErrWriteRefused = errors.New("the server refused the write")
)

// Ref names one calendar of a source.
type Ref struct {
	ID   string // CalDAV collection URL path, Google calendar id
	Name string // display name
}

// Object is one stored item of a calendar, as the provider returned it: an
// iCalendar object resource for CalDAV, an event's JSON for Google.
type Object struct {
	Href string // CalDAV href, or Google event id
	ETag string
	Data []byte
}

// Changes is what a provider reports for one calendar since a cursor.
type Changes struct {
	// Full is true when Put is the complete content of the calendar: every
	// stored object not in Put is gone.
	Full bool
	// Put holds the objects that are new or changed.
	Put []Object
	// Deleted holds the hrefs of objects that are gone (incremental only).
	Deleted []string
	// Cursor is the opaque position to pass next time (a sync token, a ctag).
	Cursor string
	// Requests counts the HTTP requests the call made.
	Requests int
	// Problems names the objects the server listed but would not give,
	// each in one error. They are in neither Put nor Deleted: what is
	// stored of them stays, and Cursor makes the next call ask again.
	Problems []error
}

// CUType values of RFC 5545 §3.2.3 that are not people.
const (
	CUTypeRoom     = "ROOM"
	CUTypeResource = "RESOURCE"
	CUTypeGroup    = "GROUP"
)

// Participation status values (RFC 5545 §3.2.12).
const (
	PartStatAccepted    = "ACCEPTED"
	PartStatDeclined    = "DECLINED"
	PartStatTentative   = "TENTATIVE"
	PartStatNeedsAction = "NEEDS-ACTION"
)

// Event status values (RFC 5545 §3.8.1.11).
const (
	StatusConfirmed = "CONFIRMED"
	StatusTentative = "TENTATIVE"
	StatusCancelled = "CANCELLED"
)

// Attendee is a participant of an event: its organizer or one of its attendees.
type Attendee struct {
	Email    string // lower-cased address, without "mailto:"
	Name     string
	CUType   string // upper-case CUTYPE; "" means INDIVIDUAL
	PartStat string // upper-case PARTSTAT; "" means NEEDS-ACTION
}

// Human reports whether the attendee is a person, not a room, a resource or a group.
func (a Attendee) Human() bool {
	switch a.CUType {
	case CUTypeRoom, CUTypeResource, CUTypeGroup:
		return false
	}
	return a.Email != ""
}

// NormalizeEmail lower-cases an address and strips a "mailto:" prefix.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// Recurrence is the recurrence set of a master event (RFC 5545 §3.8.5).
type Recurrence struct {
	RRules  []string    // RRULE values, without the "RRULE:" prefix
	RDates  []time.Time // RDATE values (the start of a PERIOD)
	ExDates []time.Time // EXDATE values
	// RDateEnds holds the end of each RDATE;VALUE=PERIOD, keyed by the
	// Unix time of its start; other RDATEs last as long as the master.
	RDateEnds map[int64]time.Time `json:",omitempty"`
}

// Event is one event as a provider returns it: a one-off event, a recurring
// master (Recurrence != nil), or an override of one occurrence of a master
// (RecurrenceID non-zero), keyed by its original start.
type Event struct {
	Source   string // configured source name
	Calendar string // calendar URL or id
	Href     string // the object holding the event: CalDAV href, Google event id
	ETag     string
	UID      string // iCalendar UID; for Google, the master's id for its exceptions
	// ICalUID is the event's iCalendar UID when the provider keys it by
	// something else: Google's iCalUID, which a CalDAV view of the same
	// event (a mirror, the attendee's calendar) has as its UID. "" when UID
	// is the iCalendar UID.
	ICalUID string `json:",omitempty"`

	Summary     string
	Description string
	// AltDescription is the HTML description that Outlook and some
	// Exchange bridges write beside DESCRIPTION, and show instead of it:
	// the value of the event's first X-ALT-DESC whose FMTTYPE is text/html
	// (parameter and value case-insensitive), read as TEXT. "" when the
	// event has none.
	AltDescription string `json:",omitempty"`
	Status         string // upper-case STATUS; "" means CONFIRMED

	// Start and End carry the event's own zone. For a floating time, the
	// zone is the one the caller gave the parser. For an all-day event they
	// are midnights in that zone.
	Start    time.Time
	End      time.Time
	AllDay   bool
	Floating bool

	Organizer Attendee // Email "" when there is none
	Attendees []Attendee

	Recurrence *Recurrence // non-nil for a recurring master

	RecurrenceID  time.Time // non-zero for an override: the original start
	ThisAndFuture bool      // RANGE=THISANDFUTURE on RECURRENCE-ID

	Sequence int
	// Modified is the provider's time of the event's last change:
	// iCalendar LAST-MODIFIED, else DTSTAMP; Google's updated. Zero when
	// the provider gives none.
	Modified time.Time `json:",omitzero"`
}

// Recurring reports whether e is a recurring master.
func (e *Event) Recurring() bool {
	return e.Recurrence != nil && (len(e.Recurrence.RRules) > 0 || len(e.Recurrence.RDates) > 0)
}

// IsOverride reports whether e overrides one occurrence of a master.
func (e *Event) IsOverride() bool { return !e.RecurrenceID.IsZero() }

// Cancelled reports whether e has STATUS:CANCELLED.
func (e *Event) Cancelled() bool { return e.Status == StatusCancelled }

// Participants returns the organizer and attendees, de-duplicated by address,
// in that order. The organizer's own attendee entry, when present, wins for
// its participation status.
func (e *Event) Participants() []Attendee {
	out := make([]Attendee, 0, len(e.Attendees)+1)
	seen := make(map[string]int, len(e.Attendees)+1)
	add := func(a Attendee) {
		if a.Email == "" {
			return
		}
		if i, ok := seen[a.Email]; ok {
			if out[i].PartStat == "" {
				out[i].PartStat = a.PartStat
			}
			if out[i].CUType == "" {
				out[i].CUType = a.CUType
			}
			if out[i].Name == "" {
				out[i].Name = a.Name
			}
			return
		}
		seen[a.Email] = len(out)
		out = append(out, a)
	}
	for _, a := range e.Attendees {
		add(a)
	}
	if e.Organizer.Email != "" {
		if _, ok := seen[e.Organizer.Email]; !ok {
			add(e.Organizer)
		}
	}
	return out
}

// Humans returns the human participants (rooms, resources and groups left out).
func (e *Event) Humans() []Attendee {
	var out []Attendee
	for _, a := range e.Participants() {
		if a.Human() {
			out = append(out, a)
		}
	}
	return out
}
