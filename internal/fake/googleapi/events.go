package googleapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones of events and calendars, whatever the host has
)

// eventView is what the fake reads from an event to filter and to check
// writes; the stored JSON object stays the truth.
type eventView struct {
	Status             string     `json:"status"`
	Summary            string     `json:"summary"`
	Description        string     `json:"description"`
	Location           string     `json:"location"`
	ICalUID            string     `json:"iCalUID"`
	EventType          string     `json:"eventType"`
	RecurringEventID   string     `json:"recurringEventId"`
	Recurrence         []string   `json:"recurrence"`
	Start              *eventTime `json:"start"`
	End                *eventTime `json:"end"`
	OriginalStartTime  *eventTime `json:"originalStartTime"`
	Organizer          *person    `json:"organizer"`
	Attendees          []person   `json:"attendees"`
	ExtendedProperties *struct {
		Private map[string]string `json:"private"`
		Shared  map[string]string `json:"shared"`
	} `json:"extendedProperties"`
}

type eventTime struct {
	Date     string `json:"date"`
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type person struct {
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Self        bool   `json:"self"`
}

func viewOf(o *object) eventView {
	var v eventView
	b, _ := o.MarshalJSON()
	_ = json.Unmarshal(b, &v) // a field of an unexpected type is left zero
	return v
}

func (v eventView) cancelled() bool { return v.Status == "cancelled" }

// instant is the time an eventTime stands for; a date is midnight in loc.
func (t *eventTime) instant(loc *time.Location) (time.Time, bool) {
	if t == nil {
		return time.Time{}, false
	}
	if t.DateTime != "" {
		v, err := time.Parse(time.RFC3339, t.DateTime)
		return v, err == nil
	}
	if t.Date != "" {
		v, err := time.ParseInLocation(time.DateOnly, t.Date, loc)
		return v, err == nil
	}
	return time.Time{}, false
}

// commitLocked stores a new version of an event as one change with the given
// sequence number and time: a new etag, and a new "updated" unless the event
// is cancelled and has none (Google shows none on a deleted instance).
func (c *calendar) commitLocked(id string, o *object, seq uint64, at time.Time) *event {
	if !o.has("kind") {
		o.setString("kind", "calendar#event")
	}
	o.setString("etag", `"`+strconv.FormatInt(at.UnixMicro()*2+int64(seq%1000), 10)+`"`)
	v := viewOf(o)
	if !v.cancelled() || o.has("updated") {
		o.setString("updated", at.Format("2006-01-02T15:04:05.000Z"))
	}
	ev, ok := c.events[id]
	if !ok {
		ev = &event{id: id, index: len(c.order)}
		c.events[id] = ev
		c.order = append(c.order, ev)
	}
	ev.obj, ev.view, ev.seq, ev.updated = o, v, seq, at
	c.lastSeq, c.updated = seq, at
	return ev
}

// beginLocked starts one change: every event committed with its sequence
// number and time is part of the same change, as in Google's answers, where
// a series master and the exceptions one UI action touched share one etag.
func (s *Server) beginLocked() (uint64, time.Time) {
	s.seq++
	return s.seq, s.tick()
}

// Apply stores events as if someone changed them in Google Calendar's UI: each
// raw event JSON object is inserted, or replaces the event with its id. The
// objects are kept as given except that each gets a new etag and "updated"
// (the same for all items of one call, which is one change), and "kind" when
// it lacks one. A cancelled item is kept: it shows in sync results and with
// showDeleted=true. Nothing is stored when an item is not a JSON object with
// an "id".
func (s *Server) Apply(calendarID string, items ...[]byte) error {
	objs := make([]*object, 0, len(items))
	for i, raw := range items {
		o, err := parseObject(raw)
		if err != nil {
			return fmt.Errorf("apply item %d to %s: %w", i, calendarID, err)
		}
		if o.str("id") == "" {
			return fmt.Errorf("apply item %d to %s: no id", i, calendarID)
		}
		objs = append(objs, o)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calendarID)
	if c == nil {
		return fmt.Errorf("apply to %s: no such calendar", calendarID)
	}
	if len(objs) == 0 {
		return nil
	}
	seq, at := s.beginLocked()
	for _, o := range objs {
		c.commitLocked(o.str("id"), o, seq, at)
	}
	return nil
}

// ApplyList applies every item of an events.list response (an object with
// "items"). It also takes a JSON array whose elements are such responses or
// single events, as some captured payloads are.
func (s *Server) ApplyList(calendarID string, listJSON []byte) error {
	items, err := listItems(listJSON)
	if err != nil {
		return fmt.Errorf("apply list to %s: %w", calendarID, err)
	}
	return s.Apply(calendarID, items...)
}

func listItems(b []byte) ([][]byte, error) {
	var arr []json.RawMessage
	if json.Unmarshal(b, &arr) == nil {
		var out [][]byte
		for _, el := range arr {
			var probe struct {
				Kind  string            `json:"kind"`
				Items []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(el, &probe); err != nil {
				return nil, err
			}
			if probe.Kind == "calendar#events" || probe.Items != nil {
				for _, it := range probe.Items {
					out = append(out, it)
				}
				continue
			}
			out = append(out, el)
		}
		return out, nil
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	out := make([][]byte, len(list.Items))
	for i, it := range list.Items {
		out[i] = it
	}
	return out, nil
}

// Event returns the stored JSON of an event (a cancelled one included), as
// events.get answers it.
func (s *Server) Event(calendarID, eventID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calendarID)
	if c == nil {
		return nil, false
	}
	ev, ok := c.events[eventID]
	if !ok {
		return nil, false
	}
	b, _ := ev.obj.MarshalJSON()
	return b, true
}

// ErrNotFound is returned by Delete for an unknown calendar or event.
var ErrNotFound = errors.New("not found")

// ErrDeleted is returned by Delete for an event that is already cancelled.
var ErrDeleted = errors.New("already deleted")

// Delete deletes an event as Google Calendar's UI does, in one change:
//   - a stored event gets status "cancelled" (its other fields stay, and
//     events.get shows them; lists show only the fields Google shows for a
//     deleted item). Deleting a series master cancels its stored exceptions
//     too; deleting an exception also touches its master (new etag and
//     "updated", as in Google's answers).
//   - an instance id "<master>_<YYYYMMDDTHHMMSSZ>" (or "<master>_<YYYYMMDD>"
//     for all-day series) of a recurring master that has no exception for it
//     yet gets a cancelled exception with only kind, etag, id, status,
//     recurringEventId and originalStartTime (in the master's time zone), and
//     the master is touched.
func (s *Server) Delete(calendarID, eventID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calendarID)
	if c == nil {
		return fmt.Errorf("delete %s in %s: calendar %w", eventID, calendarID, ErrNotFound)
	}
	if err := s.deleteLocked(c, eventID); err != nil {
		return fmt.Errorf("delete %s in %s: %w", eventID, calendarID, err)
	}
	return nil
}

func (s *Server) deleteLocked(c *calendar, eventID string) error {
	if ev, ok := c.events[eventID]; ok {
		if ev.view.cancelled() {
			return ErrDeleted
		}
		seq, at := s.beginLocked()
		o := ev.obj.clone()
		o.setString("status", "cancelled")
		c.commitLocked(eventID, o, seq, at)
		if master := ev.view.RecurringEventID; master != "" {
			if m, ok := c.events[master]; ok {
				c.commitLocked(master, m.obj.clone(), seq, at)
			}
			return nil
		}
		for _, other := range c.order {
			if other.view.RecurringEventID == eventID && !other.view.cancelled() {
				x := other.obj.clone()
				x.setString("status", "cancelled")
				c.commitLocked(other.id, x, seq, at)
			}
		}
		return nil
	}
	cut := strings.LastIndexByte(eventID, '_')
	if cut <= 0 {
		return ErrNotFound
	}
	m, ok := c.events[eventID[:cut]]
	if !ok || m.view.cancelled() || len(m.view.Recurrence) == 0 {
		return ErrNotFound
	}
	ost, err := originalStart(eventID[cut+1:], m.view.Start, c.loc)
	if err != nil {
		return fmt.Errorf("instance id: %w", err)
	}
	o := &object{vals: map[string]json.RawMessage{}}
	o.setString("kind", "calendar#event")
	o.setString("etag", "")
	o.setString("id", eventID)
	o.setString("status", "cancelled")
	o.setString("recurringEventId", m.id)
	b, _ := json.Marshal(ost)
	o.set("originalStartTime", b)
	seq, at := s.beginLocked()
	c.commitLocked(eventID, o, seq, at)
	c.commitLocked(m.id, m.obj.clone(), seq, at)
	return nil
}

type originalTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// originalStart turns an instance id's suffix into the originalStartTime
// Google gives the instance: the date-time in the master's time zone.
func originalStart(suffix string, start *eventTime, calLoc *time.Location) (originalTime, error) {
	if len(suffix) == len("20060102") {
		d, err := time.Parse("20060102", suffix)
		if err != nil {
			return originalTime{}, err
		}
		return originalTime{Date: d.Format(time.DateOnly)}, nil
	}
	t, err := time.Parse("20060102T150405Z", suffix)
	if err != nil {
		return originalTime{}, err
	}
	out := originalTime{}
	loc := calLoc
	if start != nil && start.DateTime != "" {
		if st, err := time.Parse(time.RFC3339, start.DateTime); err == nil {
			loc = st.Location() // the master's offset, when its zone is unknown
		}
	}
	if start != nil && start.TimeZone != "" {
		out.TimeZone = start.TimeZone
		if l, err := time.LoadLocation(start.TimeZone); err == nil {
			loc = l
		}
	}
	out.DateTime = t.In(loc).Format(time.RFC3339)
	return out, nil
}
