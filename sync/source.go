// Package sync is oneonone's engine: it pulls every configured source
// incrementally into the store, recognises the 1:1 series, keeps the history
// of their occurrences, and (later) writes agenda blocks back.
package sync

import (
	"context"

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
