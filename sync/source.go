// Package sync is oneonone's engine: it pulls every configured source
// incrementally into the store, recognises the 1:1 series, keeps the history
// of their occurrences, and (later) writes agenda blocks back.
package sync

import (
	"context"
	"time"

	"oneonone/calendar"
)

// Source is one configured account: a CalDAV server or a Google account.
type Source interface {
	// Calendars lists the calendars to sync: the configured ones, or all
	// that discovery finds.
	Calendars(ctx context.Context) ([]calendar.Ref, error)

	// Changes returns what changed in calendar cal since cursor. An empty
	// cursor asks for everything (Changes.Full). known maps the hrefs of
	// the stored objects to their ETags, for sources that list ETags to find
	// changes. When the cursor is no longer valid the source either falls
	// back to a full listing itself or returns ErrCursorExpired.
	Changes(ctx context.Context, cal string, cursor string, known map[string]string) (calendar.Changes, error)

	// Decode turns one stored object into events. When part of the object
	// cannot be read it returns the events it could read together with an
	// error that names the object: the engine uses those events and reports
	// the error; an object that gives no event at all is skipped.
	Decode(cal string, obj calendar.Object) ([]calendar.Event, error)
}

// Writer is a Source that can write agenda blocks into its events.
type Writer interface {
	// Get reads one object again, after a conflict. It returns
	// calendar.ErrNotFound when the object is gone.
	Get(ctx context.Context, href string) (calendar.Object, error)

	// SetDescription returns obj's data with the description of one event
	// set to desc and nothing else changed. The event has UID uid and is the
	// master when rid is zero, else the override at rid (as Decode gave it).
	SetDescription(obj calendar.Object, uid string, rid time.Time, desc string) ([]byte, error)

	// Put stores data at href if the object still has ETag ifMatch. It
	// returns the new ETag ("" when the server gives none),
	// calendar.ErrConflict when the object changed meanwhile, and
	// calendar.ErrForbidden when the account may not write it.
	Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error)

	// HTMLDescriptions reports whether descriptions are HTML (Google)
	// rather than plain text (iCalendar).
	HTMLDescriptions() bool
}

// Rememberer is a Source that learns in a cycle what is worth keeping for
// the next process (CalDAV: the calendars discovery found and what kind of
// server holds them), so that a one-shot `oneonone sync` run by cron costs
// the requests a daemon's cycle does.
type Rememberer interface {
	// Remember returns what to keep (nil for nothing) and whether it
	// changed since the last Recall or Remember.
	Remember() (state []byte, changed bool)
	// Recall hands back what Remember returned in an earlier process.
	// The source checks it (its age, that the same configuration made it)
	// and ignores what does not fit.
	Recall(state []byte)
}
