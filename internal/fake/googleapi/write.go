package googleapi

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
)

// get serves events.get: the stored event, a cancelled one included (with
// status "cancelled"); 304 when If-None-Match names its etag.
func (s *Server) get(calID, eventID, ifNoneMatch string) (int, []byte, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil || c.accessRole == "none" {
		return fail(errNotFound)
	}
	ev, ok := c.events[eventID]
	if !ok {
		return fail(errNotFound)
	}
	if ifNoneMatch != "" && ifNoneMatch == ev.obj.str("etag") {
		return http.StatusNotModified, nil, nil
	}
	b, _ := ev.obj.MarshalJSON()
	return http.StatusOK, b, nil
}

// Fields a client cannot change: Google ignores them in a write.
var readOnlyFields = []string{"kind", "etag", "id", "htmlLink", "created", "updated", "iCalUID",
	"recurringEventId", "originalStartTime", "creator", "organizer"}

// Fields an attendee may change on their own copy of an event organized by
// someone else, with extendedProperties.private and their own attendee
// response; every other field is shared and only the organizer's to change.
var privateFields = []string{"reminders", "colorId", "transparency"}

// Changing any of these bumps "sequence"; a change of description, summary
// or the like does not (as the compass payloads show).
var sequenceFields = []string{"start", "end", "recurrence"}

func canWrite(role string) bool { return role == "owner" || role == "writer" }

// write serves events.patch (patch) and events.update.
func (s *Server) write(r *http.Request, calID, eventID string, patch bool) (int, []byte, *apiError) {
	q := r.URL.Query()
	switch su := q.Get("sendUpdates"); su {
	case "", "all", "externalOnly", "none":
	default:
		return fail(invalidParam("sendUpdates", su))
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return fail(errParse)
	}
	body, err := parseObject(raw)
	if err != nil {
		return fail(errParse)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil || c.accessRole == "none" {
		return fail(errNotFound)
	}
	ev, ok := c.events[eventID]
	if !ok {
		return fail(errNotFound)
	}
	if !canWrite(c.accessRole) {
		return fail(errReadOnly)
	}
	if im := r.Header.Get("If-Match"); im != "" && im != "*" && im != ev.obj.str("etag") {
		return fail(errPrecondition)
	}

	old := ev.obj
	var next *object
	if patch {
		next = old.clone()
		for _, k := range body.keys {
			if slices.Contains(readOnlyFields, k) {
				continue
			}
			v := body.vals[k]
			switch {
			case string(v) == "null":
				next.del(k)
			case len(v) > 0 && v[0] == '{':
				prev, _ := next.get(k)
				next.set(k, mergePatch(prev, v))
			default:
				next.set(k, v)
			}
		}
	} else {
		next = &object{vals: map[string]json.RawMessage{}}
		for _, k := range old.keys { // what the client cannot change stays
			if slices.Contains(readOnlyFields, k) {
				next.set(k, old.vals[k])
			}
		}
		if old.has("status") && !body.has("status") {
			next.set("status", old.vals["status"])
		}
		for _, k := range body.keys {
			if !slices.Contains(readOnlyFields, k) && string(body.vals[k]) != "null" {
				next.set(k, body.vals[k])
			}
		}
		if viewOf(next).Status != "cancelled" && (!next.has("start") || !next.has("end")) {
			if !next.has("end") {
				return fail(required("Missing end time."))
			}
			return fail(required("Missing start time."))
		}
	}
	if raw, ok := body.get("description"); ok && s.rewrite && len(raw) > 0 && raw[0] == '"' {
		var d string
		if json.Unmarshal(raw, &d) == nil {
			next.setString("description", RewriteHTML(d))
		}
	}
	if !s.organizesLocked(c, ev) && sharedChanged(old, next, c.owner) {
		return fail(errNonOrganizer)
	}
	if !body.has("sequence") {
		for _, k := range sequenceFields {
			a, _ := old.get(k)
			b, _ := next.get(k)
			if !sameJSON(a, b) {
				var n int64
				if sq, ok := old.get("sequence"); ok {
					_ = json.Unmarshal(sq, &n)
				}
				b, _ := json.Marshal(n + 1)
				next.set("sequence", b)
				break
			}
		}
	}
	seq, at := s.beginLocked()
	ev = c.commitLocked(eventID, next, seq, at)
	s.writes.Add(1)
	out, _ := ev.obj.MarshalJSON()
	return http.StatusOK, out, nil
}

// organizesLocked reports whether the calendar's account organizes the event:
// organizer.self, or the organizer's address is the calendar's or its owner's.
// An exception without an organizer has its master's; an event without any
// is taken as the account's own.
func (s *Server) organizesLocked(c *calendar, ev *event) bool {
	org := ev.view.Organizer
	if org == nil {
		if m, ok := c.events[ev.view.RecurringEventID]; ok {
			org = m.view.Organizer
		}
	}
	if org == nil {
		return true
	}
	return org.Self || strings.EqualFold(org.Email, c.owner) || strings.EqualFold(org.Email, c.id)
}

// sharedChanged reports whether a write changes a field that only the
// organizer may change. Of the attendees, only the account's own entry's
// responseStatus, comment and additionalGuests are the attendee's to change.
func sharedChanged(old, next *object, owner string) bool {
	keys := slices.Concat(old.keys, next.keys)
	for _, k := range keys {
		if slices.Contains(readOnlyFields, k) || k == "status" || k == "sequence" {
			continue
		}
		a, _ := old.get(k)
		b, _ := next.get(k)
		switch {
		case slices.Contains(privateFields, k):
			continue
		case k == "extendedProperties":
			if !sameJSON(field(a, "shared"), field(b, "shared")) {
				return true
			}
			continue
		case k == "attendees":
			if !sameJSON(othersOnly(a, owner), othersOnly(b, owner)) {
				return true
			}
			continue
		}
		if !sameJSON(a, b) {
			return true
		}
	}
	return false
}

func field(raw json.RawMessage, name string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m[name]
}

// othersOnly drops from an attendee list what the account may change on its
// own entry.
func othersOnly(raw json.RawMessage, owner string) json.RawMessage {
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		return raw
	}
	for _, a := range list {
		self, _ := a["self"].(bool)
		email, _ := a["email"].(string)
		if self || strings.EqualFold(email, owner) {
			delete(a, "responseStatus")
			delete(a, "comment")
			delete(a, "additionalGuests")
		}
	}
	b, _ := json.Marshal(list)
	return b
}

// deleteCall serves events.delete: 204, or 410 deleted for an event already
// deleted. It honours If-Match like a write. An attendee may delete their
// copy, so there is no organizer check.
func (s *Server) deleteCall(r *http.Request, calID, eventID string) (int, []byte, *apiError) {
	switch su := r.URL.Query().Get("sendUpdates"); su {
	case "", "all", "externalOnly", "none":
	default:
		return fail(invalidParam("sendUpdates", su))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil || c.accessRole == "none" {
		return fail(errNotFound)
	}
	ev, ok := c.events[eventID]
	if !ok {
		return fail(errNotFound)
	}
	if !canWrite(c.accessRole) {
		return fail(errReadOnly)
	}
	if ev.view.cancelled() {
		return fail(errDeleted)
	}
	if im := r.Header.Get("If-Match"); im != "" && im != "*" && im != ev.obj.str("etag") {
		return fail(errPrecondition)
	}
	if err := s.deleteLocked(c, eventID); err != nil {
		return fail(errNotFound)
	}
	return http.StatusNoContent, nil, nil
}
