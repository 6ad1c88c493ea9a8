// Package googleapi is a fake of the Google Calendar API v3, the part of it
// that oneonone uses (events.list, events.get, events.patch, events.update,
// events.delete, calendars.get, freebusy.query: see freebusy.go), for tests
// and benchmarks. It speaks Google's wire format, so the real client library
// (google.golang.org/api/calendar/v3) talks to it unchanged:
//
//	srv := googleapi.New()
//	srv.AddCalendar("anna@example.com", "anna@example.com", "Europe/Berlin")
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	svc, err := calendar.NewService(ctx,
//		option.WithEndpoint(ts.URL+"/calendar/v3/"),
//		option.WithoutAuthentication(),
//		option.WithHTTPClient(ts.Client()))
//
// # Base URL
//
// The client library uses a WithEndpoint value that contains "://" verbatim as
// its base path and resolves "calendars/{calendarId}/events" against it, so
// pass ts.URL+"/calendar/v3/" (the trailing slash matters: without it the
// last path element is replaced). The server also answers under the root, so
// ts.URL+"/" (as in the config's `endpoint = "http://127.0.0.1:9090/"`)
// works too. A bare "host:port" endpoint is merged by the library into
// https://host:port/calendar/v3/, which needs httptest.NewTLSServer.
//
// # What is like Google
//
// events.list (singleEvents=false): series masters, exceptions and one-off
// events in a stable order (the order they were first stored); maxResults
// (default 250, at most 2500, further capped by SetPageSize); nextPageToken on
// every page but the last and nextSyncToken only on the last. With syncToken:
// only items changed since the token, deleted ones always included; with
// nothing changed the same token comes back. syncToken together with iCalUID,
// orderBy, privateExtendedProperty, q, sharedExtendedProperty, timeMin,
// timeMax, updatedMin or showDeleted=false answers 400
// syncTokenWithRequestRestrictions ("Sync token cannot be used with other
// request restrictions."). A token from before InvalidateSyncTokens, from
// another calendar or server, or made up, answers 410 fullSyncRequired with
// Google's body. Without a sync token and without showDeleted, deleted items
// are left out except cancelled exceptions of recurring events (the
// reference: "Cancelled instances of recurring events (but not the underlying
// recurring event) will still be included if showDeleted and singleEvents
// are both False"); updatedMin includes items deleted since then whatever
// showDeleted says. eventTypes (repeatable) filters on eventType (missing:
// the master's, else "default"). Deleted items are listed with only kind,
// etag, id, status and, for exceptions, recurringEventId and
// originalStartTime, as in Google's answers; events.get shows all their
// fields. The envelope has kind, etag, summary, description, updated,
// timeZone, accessRole, defaultReminders, nextPageToken or nextSyncToken and
// items (an empty array when there are none). Answers are indented unless
// prettyPrint=false, as Google's are.
//
// events.get: the event, a deleted one with status "cancelled"; 404 notFound
// for an unknown id; 304 for If-None-Match with the current etag.
//
// events.patch merges the fields sent (nested objects field by field, arrays
// whole, null clears) and events.update replaces the event; both ignore
// read-only fields (kind, etag, id, htmlLink, created, updated, iCalUID,
// recurringEventId, originalStartTime, creator, organizer), need start and
// end (update), accept sendUpdates (all, externalOnly, none), give a new
// etag and "updated", and bump "sequence" only when start, end or recurrence
// change. If-Match with another etag answers 412 conditionNotMet. On an event
// the account does not organize (organizer.self, or the organizer's address
// is the calendar's or its owner's), changing a shared field (anything but
// reminders, colorId, transparency, private extended properties and the
// account's own attendee response) answers 403 forbiddenForNonOrganizer. On
// a calendar with access role "reader" or "freeBusyReader" (SetAccessRole),
// writes answer 403 requiredAccessLevel. With SetRewriteHTML on (the
// default) a description written is normalised by RewriteHTML.
//
// Errors use Google's envelope {"error":{"errors":[{"domain","reason",
// "message"}],"code","message"}} with the bodies of the Calendar API's error
// guide: 403 and 429 rateLimitExceeded and 403 userRateLimitExceeded (domain
// usageLimits), 5xx backendError, 410 fullSyncRequired, 412 conditionNotMet,
// 404 notFound. Every request is counted and logged, faults included.
//
// # What is guessed
//
//   - The 400 for a sync token with restrictions has the reason and message
//     reported from the real API; its domain ("calendar") is a guess.
//   - requiredAccessLevel's message ("You need to have writer access to this
//     calendar.") and the 503 body (backendError, "Backend Error") are guesses.
//   - Which fields bump "sequence" (start, end, recurrence) is read off the
//     captured payloads, not documented.
//   - Every successful write gives a new etag, even when nothing changed.
//   - Google sends no Retry-After on 429 as far as its documentation says;
//     SetRetryAfter adds one for clients that want to test honouring it.
//   - timeMin/timeMax on series masters: the fake does not expand recurrence
//     rules, so a master matches from its first start to its UNTIL (or a
//     generous bound of its COUNT), else forever — a superset of Google's.
//   - q is a case-insensitive substring match on summary, description,
//     location and the organizer's and attendees' names and addresses.
//   - Etags are "<2 × updated in microseconds + change number>", like the
//     shape of Google's; tokens are opaque base64 like Google's.
//   - Strings the fake writes itself (a rewritten description) escape <, >
//     and & as \u003c, \u003e and \u0026, as Google's JSON does; values
//     loaded with Apply are served byte for byte.
//
// Not modelled: singleEvents=true (answers 501), events.insert, events.
// instances, events.move, watch channels, calendarList, ACLs,
// reading an instance of a series by its instance id when no exception is
// stored (404), partial responses (the fields parameter is ignored: answers
// are whole), maxAttendees, and authentication (any request is the
// account's).
package googleapi
