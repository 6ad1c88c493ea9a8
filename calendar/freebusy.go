package calendar

import (
	"errors"
	"time"
)

// ErrNoFreeBusy: the source has no way to tell anyone's busy time (a CalDAV
// server without a scheduling outbox nor free-busy-query). The caller
// suggests nothing from it.
var ErrNoFreeBusy = errors.New("the server answers no free/busy request")

// FreeBusyQuery asks a source for the busy time of some addresses over
// [From, To) (docs/DESIGN.md, "A way back"). It never creates, changes or
// sends anything: CalDAV POSTs a VFREEBUSY REQUEST to the schedule outbox
// (RFC 6638 §5), Google calls freebusy.query.
type FreeBusyQuery struct {
	From, To time.Time
	// Organizer is the user's own address, the one the source knows them
	// by (the series' me): CalDAV's ORGANIZER of the request.
	Organizer string
	// Addresses are the people asked about, the organizer among them or
	// not; the answer has one Availability per address, in this order.
	Addresses []string
}

// Busy is a span [Start, End) in which someone is not free.
type Busy struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Availability is what a source could tell of one address over a
// FreeBusyQuery's span.
type Availability struct {
	Address string
	// Busy holds the busy spans, sorted by start, clipped to the query's
	// span; tentative and out-of-office time is busy, free time is not
	// listed.
	Busy []Busy
	// Unknown is true when the source could not tell (no such calendar
	// user, no permission, an external address); Reason says why in the
	// server's words.
	Unknown bool
	Reason  string
}
