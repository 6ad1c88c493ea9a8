package googleapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// query is a parsed events.list request.
type query struct {
	single      bool
	showDeleted bool
	maxResults  int
	syncSeq     uint64 // changes after this one; used when sync is set
	sync        bool
	timeMin     time.Time
	timeMax     time.Time
	updatedMin  time.Time
	q           string
	iCalUID     string
	orderBy     string
	eventTypes  []string
	privateProp []string
	sharedProp  []string
	timeZone    string
}

var knownEventTypes = []string{"default", "birthday", "focusTime", "fromGmail", "outOfOffice", "workingLocation"}

// Parameters that Google refuses together with a sync token.
var syncRestrictions = []string{"iCalUID", "orderBy", "privateExtendedProperty", "q",
	"sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"}

func parseBool(v url.Values, name string, def bool) (bool, *apiError) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		e := invalidParam(name, s)
		return false, &e
	}
	return b, nil
}

func parseTime(v url.Values, name string) (time.Time, *apiError) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		e := invalidParam(name, s)
		return time.Time{}, &e
	}
	return t, nil
}

// list serves events.list.
func (s *Server) list(calID string, v url.Values) (int, []byte, *apiError) {
	var q query
	var e *apiError
	if q.single, e = parseBool(v, "singleEvents", false); e != nil {
		return fail(*e)
	}
	if q.showDeleted, e = parseBool(v, "showDeleted", false); e != nil {
		return fail(*e)
	}
	q.maxResults = 250
	if m := v.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			return fail(invalidParam("maxResults", m))
		}
		q.maxResults = min(n, 2500)
	}
	if q.timeMin, e = parseTime(v, "timeMin"); e != nil {
		return fail(*e)
	}
	if q.timeMax, e = parseTime(v, "timeMax"); e != nil {
		return fail(*e)
	}
	if q.updatedMin, e = parseTime(v, "updatedMin"); e != nil {
		return fail(*e)
	}
	q.q = strings.ToLower(v.Get("q"))
	q.iCalUID = v.Get("iCalUID")
	q.orderBy = v.Get("orderBy")
	q.privateProp = v["privateExtendedProperty"]
	q.sharedProp = v["sharedExtendedProperty"]
	q.timeZone = v.Get("timeZone")
	for _, t := range v["eventTypes"] {
		if !slices.Contains(knownEventTypes, t) {
			return fail(invalidParam("eventTypes", t))
		}
		q.eventTypes = append(q.eventTypes, t)
	}
	syncParam := v.Get("syncToken")
	if syncParam != "" {
		for _, p := range syncRestrictions {
			if v.Get(p) != "" {
				return fail(errSyncTokenRestrictions)
			}
		}
		if v.Get("showDeleted") != "" && !q.showDeleted {
			return fail(errSyncTokenRestrictions)
		}
	}
	switch q.orderBy {
	case "", "updated":
	case "startTime":
		if !q.single {
			return fail(errOrdering)
		}
	default:
		return fail(invalidParam("orderBy", q.orderBy))
	}
	if !q.timeMin.IsZero() && !q.timeMax.IsZero() && !q.timeMax.After(q.timeMin) {
		return fail(errTimeRangeEmpty)
	}
	if q.single {
		return fail(notImplemented("events.list with singleEvents=true (expanding recurring events)"))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return fail(errNotFound)
	}
	if c.accessRole == "none" {
		return fail(errNotFound)
	}
	maxResults := q.maxResults
	if s.pageSize > 0 {
		maxResults = min(maxResults, s.pageSize)
	}
	key := calendarKey(c.id)
	if syncParam != "" {
		tok, err := parseSyncToken(syncParam)
		if err != nil || tok.nonce != s.nonce || tok.cal != key || tok.epoch != s.epoch || tok.seq > c.lastSeq {
			return fail(errFullSyncRequired)
		}
		q.sync, q.syncSeq = true, tok.seq
	}
	snapshot, cursor := c.lastSeq, 0
	if p := v.Get("pageToken"); p != "" {
		pt, err := parsePageToken(p)
		if err != nil || pt.nonce != s.nonce || pt.cal != key || pt.cursor > uint64(len(c.order)) {
			return fail(invalidParam("pageToken", p))
		}
		if pt.since > 0 {
			if pt.epoch != s.epoch {
				return fail(errFullSyncRequired)
			}
			q.sync, q.syncSeq = true, pt.since-1
		}
		snapshot, cursor = pt.snapshot, int(pt.cursor)
	}

	candidates := c.order
	if q.orderBy == "updated" {
		candidates = slices.Clone(c.order)
		slices.SortStableFunc(candidates, func(a, b *event) int { return a.updated.Compare(b.updated) })
	}
	var items []json.RawMessage
	next := -1
	for i := cursor; i < len(candidates); i++ {
		ev := candidates[i]
		if !s.matches(c, ev, &q) {
			continue
		}
		if len(items) == maxResults {
			next = i
			break
		}
		items = append(items, listed(ev))
	}

	env := &object{vals: map[string]json.RawMessage{}}
	put := func(k string, val any) {
		b, _ := json.Marshal(val)
		env.keys = append(env.keys, k)
		env.vals[k] = b
	}
	put("kind", "calendar#events")
	put("etag", c.etag())
	put("summary", c.id)
	put("description", "")
	put("updated", c.updated.Format("2006-01-02T15:04:05.000Z"))
	tz := c.timeZone
	if q.timeZone != "" {
		tz = q.timeZone
	}
	if tz != "" {
		put("timeZone", tz)
	}
	put("accessRole", c.accessRole)
	if c.accessRole == "owner" || c.accessRole == "writer" {
		put("defaultReminders", []map[string]any{{"method": "popup", "minutes": 30}})
	} else {
		put("defaultReminders", []any{})
	}
	if next >= 0 {
		pt := pageToken{cursor: uint64(next), snapshot: snapshot, epoch: s.epoch, cal: key, nonce: s.nonce}
		if q.sync {
			pt.since = q.syncSeq + 1
		}
		put("nextPageToken", pt.String())
	} else {
		put("nextSyncToken", syncToken{seq: snapshot, epoch: s.epoch, cal: key, nonce: s.nonce}.String())
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	put("items", items)
	b, _ := env.MarshalJSON()
	return http.StatusOK, b, nil
}

// listed is an event as events.list shows it: a deleted item with only the
// fields Google shows for one (kind, etag, id, status and, for an exception,
// recurringEventId and originalStartTime), anything else whole.
func listed(ev *event) json.RawMessage {
	o := ev.obj
	if ev.view.cancelled() {
		o = o.only("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
	}
	b, _ := o.MarshalJSON()
	return b
}

// matches reports whether an event belongs in the answer to q.
func (s *Server) matches(c *calendar, ev *event, q *query) bool {
	v := &ev.view
	if len(q.eventTypes) > 0 && !slices.Contains(q.eventTypes, eventTypeOf(c, ev)) {
		return false
	}
	if q.sync {
		// Everything changed since the token, deleted items always included.
		return ev.seq > q.syncSeq
	}
	if v.cancelled() {
		deletedSince := !q.updatedMin.IsZero() && !ev.updated.Before(q.updatedMin)
		// Cancelled exceptions of recurring events show even without
		// showDeleted when singleEvents is false (events.list reference).
		if !q.showDeleted && !deletedSince && v.RecurringEventID == "" {
			return false
		}
	}
	if !q.updatedMin.IsZero() && ev.updated.Before(q.updatedMin) {
		return false
	}
	if q.iCalUID != "" && v.ICalUID != q.iCalUID {
		return false
	}
	if !q.timeMin.IsZero() || !q.timeMax.IsZero() {
		start, end, ok := span(c, ev)
		if ok && (!q.timeMin.IsZero() && !end.After(q.timeMin) || !q.timeMax.IsZero() && !start.Before(q.timeMax)) {
			return false
		}
	}
	if q.q != "" && !textMatch(v, q.q) {
		return false
	}
	for _, p := range q.privateProp {
		if !propMatch(v, p, true) {
			return false
		}
	}
	for _, p := range q.sharedProp {
		if !propMatch(v, p, false) {
			return false
		}
	}
	return true
}

// eventTypeOf is the event's eventType, else its master's, else "default".
func eventTypeOf(c *calendar, ev *event) string {
	if ev.view.EventType != "" {
		return ev.view.EventType
	}
	if m, ok := c.events[ev.view.RecurringEventID]; ok && m.view.EventType != "" {
		return m.view.EventType
	}
	return "default"
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// span is the time an event covers, for timeMin/timeMax. A recurring master
// covers its first start to its UNTIL (or an upper bound of its COUNT), else
// forever: a superset of what Google, which knows the instances, would
// answer. A cancelled exception covers its original start. ok is false when
// the event has no times at all (a deleted item stored without them).
func span(c *calendar, ev *event) (start, end time.Time, ok bool) {
	v := &ev.view
	start, ok = v.Start.instant(c.loc)
	if !ok {
		ost, ok := v.OriginalStartTime.instant(c.loc)
		if !ok {
			return time.Time{}, time.Time{}, false
		}
		return ost, ost.Add(time.Nanosecond), true
	}
	end, ok = v.End.instant(c.loc)
	if !ok || end.Before(start) {
		end = start
	}
	if end.Equal(start) {
		end = start.Add(time.Nanosecond)
	}
	if len(v.Recurrence) > 0 {
		last := recurrenceEnd(v.Recurrence, start)
		if last.Equal(farFuture) {
			end = farFuture
		} else {
			end = last.Add(end.Sub(start))
		}
	}
	return start, end, true
}

// recurrenceEnd bounds the last start of a series from its RRULEs: UNTIL, or
// COUNT × INTERVAL periods (months as 31 days, years as 366), else forever.
// RDATE lines count as forever.
func recurrenceEnd(lines []string, start time.Time) time.Time {
	last := start
	for _, line := range lines {
		name, value, _ := strings.Cut(line, ":")
		name, _, _ = strings.Cut(strings.ToUpper(name), ";")
		switch name {
		case "RDATE":
			return farFuture
		case "RRULE":
		default:
			continue
		}
		parts := map[string]string{}
		for p := range strings.SplitSeq(value, ";") {
			k, val, _ := strings.Cut(p, "=")
			parts[strings.ToUpper(k)] = val
		}
		var bound time.Time
		switch {
		case parts["UNTIL"] != "":
			u := parts["UNTIL"]
			var err error
			bound, err = time.Parse("20060102T150405Z", u)
			if err != nil {
				bound, err = time.Parse("20060102T150405", u)
			}
			if err != nil {
				bound, err = time.Parse("20060102", u)
				bound = bound.Add(24 * time.Hour)
			}
			if err != nil {
				return farFuture
			}
		case parts["COUNT"] != "":
			count, err1 := strconv.Atoi(parts["COUNT"])
			interval := 1
			if s := parts["INTERVAL"]; s != "" {
				n, err := strconv.Atoi(s)
				if err != nil {
					return farFuture
				}
				interval = n
			}
			period := map[string]time.Duration{
				"SECONDLY": time.Second, "MINUTELY": time.Minute, "HOURLY": time.Hour,
				"DAILY": 24 * time.Hour, "WEEKLY": 7 * 24 * time.Hour,
				"MONTHLY": 31 * 24 * time.Hour, "YEARLY": 366 * 24 * time.Hour,
			}[strings.ToUpper(parts["FREQ"])]
			if err1 != nil || period == 0 || count > 100000 || interval > 10000 {
				return farFuture
			}
			// A period may hold several instances (BYDAY…), so count
			// periods generously: one per instance, plus one.
			bound = start.Add(time.Duration(count*interval+1) * period)
		default:
			return farFuture
		}
		if bound.After(last) {
			last = bound
		}
	}
	return last
}

// textMatch is a stand-in for Google's free-text search: a case-insensitive
// substring of summary, description, location, or an organizer's or
// attendee's address or name.
func textMatch(v *eventView, q string) bool {
	fields := []string{v.Summary, v.Description, v.Location}
	if v.Organizer != nil {
		fields = append(fields, v.Organizer.Email, v.Organizer.DisplayName)
	}
	for _, a := range v.Attendees {
		fields = append(fields, a.Email, a.DisplayName)
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

func propMatch(v *eventView, kv string, private bool) bool {
	k, val, _ := strings.Cut(kv, "=")
	if v.ExtendedProperties == nil {
		return false
	}
	m := v.ExtendedProperties.Shared
	if private {
		m = v.ExtendedProperties.Private
	}
	got, ok := m[k]
	return ok && got == val
}
