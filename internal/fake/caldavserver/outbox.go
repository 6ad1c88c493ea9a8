package caldavserver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"oneonone/calendar"
	onical "oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

// SetOutbox gives the user an RFC 6638 scheduling outbox, /<user>/outbox/,
// and the addresses addrs (without "mailto:"): the principal then answers
// PROPFIND itself with schedule-outbox-URL and calendar-user-address-set,
// and a VFREEBUSY REQUEST POSTed to the outbox (RFC 6638 §5) from one of
// addrs is answered with the user's busy time for each attendee that is
// one of addrs, 3.7 for any other. Busy time is that of the non-cancelled,
// non-transparent events of every calendar, recurrences expanded
// (calendar/recur). The POST stores nothing and sends nothing. Without a
// call the server has no outbox, as before.
func (s *Server) SetOutbox(addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addresses = nil
	for _, a := range addrs {
		if a = addressKey(a); a != "" {
			s.addresses = append(s.addresses, a)
		}
	}
	s.outboxOn = true
}

// OutboxPath returns the outbox's path, "/<user>/outbox/" (answered only
// after SetOutbox).
func (s *Server) OutboxPath() string { return s.principal + "outbox/" }

// maxFreeBusyRequest bounds a POST to the outbox.
const maxFreeBusyRequest = 1 << 20

// overlapSlack is how long before a free/busy span an event may start and
// still be looked at: an instance that starts earlier than this and ends
// inside the span is missed.
const overlapSlack = 31 * 24 * time.Hour

func addressKey(a string) string {
	a = strings.TrimSpace(a)
	if len(a) >= len("mailto:") && strings.EqualFold(a[:len("mailto:")], "mailto:") {
		a = a[len("mailto:"):]
	}
	return strings.ToLower(strings.TrimSpace(a))
}

var (
	pHomeSet      = xmlName{nsCalDAV, "calendar-home-set"}
	pOutboxURL    = xmlName{nsCalDAV, "schedule-outbox-URL"}
	pAddressSet   = xmlName{nsCalDAV, "calendar-user-address-set"}
	principalKeys = []xmlName{pResourceType, pDisplayName, pPrincipal, pHomeSet, pOutboxURL, pAddressSet}
)

// servePrincipal answers PROPFIND on the principal when there is an
// outbox; false when it is not that request.
func (s *Server) servePrincipal(w http.ResponseWriter, r *http.Request) bool {
	s.mu.RLock()
	on, addrs := s.outboxOn, slices.Clone(s.addresses)
	s.mu.RUnlock()
	if !on || collectionPath(r.URL.Path) != s.principal {
		return false
	}
	var req propfindReq
	if r.ContentLength != 0 {
		if err := xml.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, "bad PROPFIND body: "+err.Error(), http.StatusBadRequest)
			return true
		}
	}
	var asked []xmlName
	if req.Prop != nil {
		asked = *req.Prop
	}
	var set strings.Builder
	for _, a := range addrs {
		set.WriteString("<d:href>" + esc("mailto:"+a) + "</d:href>")
	}
	vals := map[xmlName]string{
		pResourceType: "<d:resourcetype><d:collection/><d:principal/></d:resourcetype>",
		pDisplayName:  "<d:displayname>" + esc(s.user) + "</d:displayname>",
		pPrincipal:    "<d:current-user-principal>" + hrefXML(s.principal) + "</d:current-user-principal>",
		pHomeSet:      "<c:calendar-home-set>" + hrefXML(s.home) + "</c:calendar-home-set>",
		pOutboxURL:    "<c:schedule-outbox-URL>" + hrefXML(s.OutboxPath()) + "</c:schedule-outbox-URL>",
		pAddressSet:   "<c:calendar-user-address-set>" + set.String() + "</c:calendar-user-address-set>",
	}
	ms := newMS()
	ms.response(s.principal, vals, principalKeys, asked, req.PropName != nil)
	ms.serve(w)
	return true
}

// serveOutbox answers a POST to the outbox; false when it is not that
// request.
func (s *Server) serveOutbox(w http.ResponseWriter, r *http.Request) bool {
	s.mu.RLock()
	on, addrs := s.outboxOn, slices.Clone(s.addresses)
	s.mu.RUnlock()
	if !on || collectionPath(r.URL.Path) != s.OutboxPath() {
		return false
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/calendar" {
		http.Error(w, "the outbox takes text/calendar", http.StatusUnsupportedMediaType)
		return true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFreeBusyRequest+1))
	if err != nil || len(body) > maxFreeBusyRequest {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return true
	}
	fb, err := readFreeBusyRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return true
	}
	if !slices.Contains(addrs, addressKey(fb.organizer)) {
		http.Error(w, "the ORGANIZER is not the outbox's owner", http.StatusForbidden)
		return true
	}
	busy := s.busy(fb.from, fb.to)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<c:schedule-response xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">`)
	for _, a := range fb.attendees {
		b.WriteString("<c:response><c:recipient><d:href>" + esc(a) + "</d:href></c:recipient>")
		if !slices.Contains(addrs, addressKey(a)) {
			b.WriteString("<c:request-status>3.7;Invalid calendar user</c:request-status></c:response>")
			continue
		}
		b.WriteString("<c:request-status>2.0;Success</c:request-status>")
		b.WriteString("<c:calendar-data>" + esc(fb.reply(a, busy)) + "</c:calendar-data></c:response>")
	}
	b.WriteString("</c:schedule-response>")
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String()))
	return true
}

type freeBusyRequest struct {
	uid, organizer string
	from, to       time.Time
	attendees      []string
}

// readFreeBusyRequest reads a VCALENDAR METHOD:REQUEST with one VFREEBUSY.
func readFreeBusyRequest(body []byte) (fb freeBusyRequest, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable iCalendar: %v", r)
		}
	}()
	cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil {
		return fb, fmt.Errorf("unreadable iCalendar: %v", err)
	}
	if m := cal.Props.Get(ical.PropMethod); m == nil || !strings.EqualFold(m.Value, "REQUEST") {
		return fb, errors.New("want METHOD:REQUEST")
	}
	var vfb *ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompFreeBusy {
			vfb = c
		}
	}
	if vfb == nil {
		return fb, errors.New("no VFREEBUSY")
	}
	for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropOrganizer} {
		if vfb.Props.Get(name) == nil {
			return fb, fmt.Errorf("VFREEBUSY without %s", name)
		}
	}
	if fb.from, err = vfb.Props.DateTime(ical.PropDateTimeStart, time.UTC); err != nil {
		return fb, fmt.Errorf("DTSTART: %v", err)
	}
	if fb.to, err = vfb.Props.DateTime(ical.PropDateTimeEnd, time.UTC); err != nil {
		return fb, fmt.Errorf("DTEND: %v", err)
	}
	if !fb.from.Before(fb.to) {
		return fb, errors.New("DTEND is not after DTSTART")
	}
	fb.organizer = vfb.Props.Get(ical.PropOrganizer).Value
	if p := vfb.Props.Get(ical.PropUID); p != nil {
		fb.uid = p.Value
	}
	for _, p := range vfb.Props.Values(ical.PropAttendee) {
		fb.attendees = append(fb.attendees, p.Value)
	}
	return fb, nil
}

// reply writes the VFREEBUSY REPLY for one attendee.
func (fb freeBusyRequest) reply(attendee string, busy []calendar.Busy) string {
	const stamp = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oneonone//caldavserver//EN", "METHOD:REPLY",
		"BEGIN:VFREEBUSY", "UID:" + fb.uid, "DTSTAMP:" + time.Now().UTC().Format(stamp),
		"DTSTART:" + fb.from.UTC().Format(stamp), "DTEND:" + fb.to.UTC().Format(stamp),
		"ORGANIZER:" + fb.organizer, "ATTENDEE:" + attendee,
	}
	for _, b := range busy {
		lines = append(lines, "FREEBUSY:"+b.Start.UTC().Format(stamp)+"/"+b.End.UTC().Format(stamp))
	}
	lines = append(lines, "END:VFREEBUSY", "END:VCALENDAR", "")
	return strings.Join(lines, "\r\n")
}

// busy returns the user's busy time over [from, to): the instances of
// every calendar's events that are not cancelled nor transparent, clipped,
// merged and sorted. An object that does not parse counts as what could
// be read of it.
func (s *Server) busy(from, to time.Time) []calendar.Busy {
	s.mu.RLock()
	var objs [][]byte
	for _, c := range s.calendars {
		for _, o := range c.objects {
			objs = append(objs, o.data)
		}
	}
	s.mu.RUnlock()
	var spans []calendar.Busy
	for _, data := range objs {
		evs, _ := onical.Parse(opaqueOnly(data), onical.ParseOptions{})
		for _, g := range recur.GroupEvents(evs) {
			insts, _ := recur.Expand(g, from.Add(-overlapSlack), to, recur.ExpandOptions{})
			for _, in := range insts {
				if in.Cancelled || !in.Start.Before(to) || !in.End.After(from) {
					continue
				}
				b := calendar.Busy{Start: in.Start.UTC(), End: in.End.UTC()}
				if b.Start.Before(from) {
					b.Start = from
				}
				if b.End.After(to) {
					b.End = to
				}
				spans = append(spans, b)
			}
		}
	}
	slices.SortFunc(spans, func(a, b calendar.Busy) int { return a.Start.Compare(b.Start) })
	var out []calendar.Busy
	for _, b := range spans {
		if n := len(out); n > 0 && !b.Start.After(out[n-1].End) {
			if b.End.After(out[n-1].End) {
				out[n-1].End = b.End
			}
			continue
		}
		out = append(out, b)
	}
	return out
}

// opaqueOnly returns data with every TRANSP:TRANSPARENT VEVENT marked
// STATUS:CANCELLED, so that expansion gives it no busy instance (the
// calendar.Event model has no transparency); data as it is when it does
// not decode or has no transparent event.
func opaqueOnly(data []byte) (out []byte) {
	defer func() {
		if recover() != nil {
			out = data
		}
	}()
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return data
	}
	changed := false
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
			c.Props.SetText(ical.PropStatus, "CANCELLED")
			changed = true
		}
	}
	if !changed {
		return data
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return data
	}
	return buf.Bytes()
}
