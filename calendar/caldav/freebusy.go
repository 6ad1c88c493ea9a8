package caldav

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

// maxFreeBusyBody bounds the answer to a free/busy POST or REPORT that we
// read; a longer one is an error.
const maxFreeBusyBody = 16 << 20

// noOutbox is the Reason of the addresses a server without a scheduling
// outbox cannot tell about.
const noOutbox = "the server has no scheduling outbox"

// FreeBusy asks the server for the busy time of q.Addresses over
// [q.From, q.To). It creates, changes and sends nothing.
//
// With a scheduling outbox (discovery's OutboxURL) it POSTs one VFREEBUSY
// REQUEST there (RFC 6638 §5), ORGANIZER q.Organizer and one ATTENDEE per
// address, and reads the schedule-response: a recipient with a 2.x
// request-status has its FREEBUSY periods (BUSY, BUSY-TENTATIVE and
// BUSY-UNAVAILABLE are busy, FREE is not); any other status makes it
// Unknown, Reason the status as the server wrote it ("3.7;Could not find
// principal"); a recipient missing from the answer is Unknown "not in the
// answer". The server answers for its own users from their calendars
// itself: it delivers nothing to anyone (checked on sabre/dav and Cyrus,
// whose message logs stay empty).
//
// With the calendars configured (Options.Calendars) discovery asks no
// principal: the first FreeBusy does, for the outbox and the addresses
// (see configuredOutbox), two PROPFINDs once while the discovery snapshot
// lives; a sync makes no more requests for it.
//
// Without one (Radicale, Xandikos) it sends an RFC 4791 §7.10
// free-busy-query REPORT to each calendar synced and gives their union as
// the availability of q.Organizer, when it is one of q.Addresses; every
// other address is Unknown, "the server has no scheduling outbox". A server
// that answers that report with no VFREEBUSY gives an error matching
// calendar.ErrNoFreeBusy.
//
// The answer has one Availability per q.Addresses entry, in order, each
// Address as given; addresses are compared case-insensitively, a "mailto:"
// prefix ignored. Busy spans are clipped to the query's span, merged and
// sorted. A failed POST gives an error naming the outbox URL and the
// status.
func (c *Client) FreeBusy(ctx context.Context, q calendar.FreeBusyQuery) ([]calendar.Availability, error) {
	if !q.From.Before(q.To) {
		return nil, fmt.Errorf("caldav: free/busy from %s to %s: an empty span", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	for _, a := range append([]string{q.Organizer}, q.Addresses...) {
		if err := checkAddress(a); err != nil {
			return nil, fmt.Errorf("caldav: free/busy: %w", err)
		}
	}
	d, err := c.outbox(ctx)
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy: %w", err)
	}
	if d.OutboxURL != "" {
		// The organizer as the server spells it: Cyrus compares addresses
		// case-sensitively (an ATTENDEE ZOE@example.com gets 5.1).
		for _, a := range d.Addresses {
			if addressKey(a) == addressKey(q.Organizer) {
				q.Organizer = a
			}
		}
		return c.freeBusyOutbox(ctx, d.OutboxURL, q)
	}
	return c.freeBusyCalendars(ctx, d, q)
}

// outbox returns the discovery FreeBusy works from. A snapshot restored
// from before Discovery kept the outbox's URL says there is an outbox
// (Scheduling.Outbox) but not where: it is dropped and discovery runs
// again, once (the simplest way to learn the URL and the addresses). With
// the calendars configured, the outbox is looked for once (configuredOutbox).
func (c *Client) outbox(ctx context.Context) (Discovery, error) {
	d, err := c.discovery(ctx)
	if err != nil {
		return Discovery{}, err
	}
	if d.Scheduling.Outbox && d.OutboxURL == "" {
		c.refsMu.Lock()
		if c.disc == d {
			c.disc = nil
		}
		c.refsMu.Unlock()
		if d, err = c.discovery(ctx); err != nil {
			return Discovery{}, err
		}
	}
	if len(c.calendars) > 0 && d.OutboxURL == "" && !d.OutboxLooked {
		if d, err = c.configuredOutbox(ctx, d); err != nil {
			return Discovery{}, err
		}
	}
	return *d, nil
}

// propfindUserPrincipal asks a resource for the current-user-principal.
const propfindUserPrincipal = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`

// configuredOutbox looks for the outbox that discovery did not, the
// calendars being configured: PROPFIND Depth 0 current-user-principal on
// the first configured calendar, then PROPFIND Depth 0 on that principal
// for its schedule-outbox-URL and calendar-user-address-set, with the
// host rules of discovery (hrefs, do). What it finds, or that it found
// none, is kept in the remembered discovery (OutboxLooked), so that it asks
// once while that lives; a lookup cut short by ctx is not kept, and gives
// its error (any other failure is "none": FreeBusy falls back). It holds
// refsMu throughout, as discovery does, so that concurrent calls ask once.
// d is the discovery returned by c.discovery; the remembered one is
// replaced, never changed in place (others may be reading it).
func (c *Client) configuredOutbox(ctx context.Context, d *Discovery) (*Discovery, error) {
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	if !c.fresh() {
		// Forgotten meanwhile (a calendar gone): nowhere to keep a
		// lookup, and the next discovery starts afresh.
		return d, nil
	}
	cur := c.disc
	if cur.OutboxURL != "" || cur.OutboxLooked {
		return cur, nil
	}
	outbox, addrs, err := c.lookOutbox(ctx)
	if err != nil {
		c.log.Debug("caldav: no scheduling outbox found for the configured calendars", slog.String("url", c.base.Redacted()), slog.Any("error", err))
		if ctx.Err() != nil {
			return nil, err
		}
	}
	nd := *cur
	nd.OutboxLooked = true
	if outbox != nil {
		nd.OutboxURL = outbox.String()
		nd.Scheduling.Outbox = true
		nd.Addresses = addrs
	}
	nd.Hosts = c.credentialHosts()
	c.disc = &nd
	return &nd, nil
}

// lookOutbox asks for the principal of the first configured calendar (or
// of the URL configured) and then the principal for its outbox and
// addresses; nil when it names no outbox.
func (c *Client) lookOutbox(ctx context.Context) (*url.URL, []string, error) {
	start := c.base.String()
	if len(c.calendars) > 0 {
		start = c.calendars[0]
	}
	ms, err := c.davRequest(ctx, "PROPFIND", start, "0", propfindUserPrincipal)
	if err != nil {
		return nil, nil, fmt.Errorf("find principal from %s: %w", start, err)
	}
	var principals []*url.URL
	for _, r := range ms.Responses {
		if principals = c.hrefs(ms.base, r.props().CurrentUserPrincipal); len(principals) > 0 {
			break
		}
	}
	if len(principals) == 0 {
		return nil, nil, fmt.Errorf("find principal from %s: the server names no current-user-principal", start)
	}
	p := principals[0]
	pms, err := c.davRequest(ctx, "PROPFIND", p.String(), "0", propfindPrincipal)
	if err != nil {
		return nil, nil, fmt.Errorf("find scheduling outbox of %s: %w", p.Redacted(), err)
	}
	var outbox []*url.URL
	var addrs []string
	for _, r := range pms.Responses {
		pp := r.props()
		outbox = append(outbox, c.hrefs(pms.base, pp.ScheduleOutboxURL)...)
		if len(addrs) == 0 {
			addrs = mailtoAddresses(pp.CalendarUserAddrSet)
		}
	}
	if len(outbox) == 0 {
		return nil, nil, fmt.Errorf("find scheduling outbox of %s: the principal names none", p.Redacted())
	}
	return outbox[0], addrs, nil
}

// checkAddress refuses what cannot go into an iCalendar CAL-ADDRESS value
// as it is: control characters, blanks, and the characters that end a
// value or a parameter.
func checkAddress(a string) error {
	if strings.TrimSpace(a) == "" {
		return errors.New("an empty address")
	}
	if strings.ContainsFunc(a, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '"' || r == ',' || r == ';' }) {
		return fmt.Errorf("bad address %q", a)
	}
	return nil
}

// addressKey is how addresses are compared: lower case, without a mailto:
// prefix (any case) and the blanks around it.
func addressKey(a string) string {
	a = strings.TrimSpace(a)
	if len(a) >= len("mailto:") && strings.EqualFold(a[:len("mailto:")], "mailto:") {
		a = a[len("mailto:"):]
	}
	return strings.ToLower(strings.TrimSpace(a))
}

// freeBusyOutbox makes the RFC 6638 §5 request.
func (c *Client) freeBusyOutbox(ctx context.Context, outbox string, q calendar.FreeBusyQuery) ([]calendar.Availability, error) {
	u, err := url.Parse(outbox)
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy: bad outbox URL: %v", redactParseError(err))
	}
	body, err := freeBusyRequest(q, time.Now())
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy: %w", err)
	}
	req, err := newRequestURL(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy POST to the outbox %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8; method=REQUEST; component=VFREEBUSY")
	req.Header.Set("Accept", "application/xml, text/xml")
	resp, err := c.do(req)
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy POST to the outbox %s: %w", u.Redacted(), err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("caldav: free/busy POST to the outbox %s: %w", u.Redacted(), c.statusError(req, resp))
	}
	data, err := readBounded(resp)
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy POST to the outbox %s: %w", u.Redacted(), err)
	}
	avail, err := parseScheduleResponse(data, q)
	if err != nil {
		return nil, fmt.Errorf("caldav: free/busy POST to the outbox %s: %w", u.Redacted(), err)
	}
	return avail, nil
}

// readBounded reads and closes a response body of at most maxFreeBusyBody
// bytes.
func readBounded(resp *http.Response) ([]byte, error) {
	defer drain(resp)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFreeBusyBody+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFreeBusyBody {
		return nil, fmt.Errorf("the answer is longer than %d bytes", maxFreeBusyBody)
	}
	return data, nil
}

// freeBusyRequest writes the VFREEBUSY REQUEST (RFC 5546 §3.3.2, RFC 6638
// §5.1) for q, stamped now. The addresses have passed checkAddress.
func freeBusyRequest(q calendar.FreeBusyQuery, now time.Time) ([]byte, error) {
	uid := make([]byte, 16)
	if _, err := rand.Read(uid); err != nil {
		return nil, err
	}
	const stamp = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//oneonone//caldav free-busy//EN",
		"METHOD:REQUEST",
		"BEGIN:VFREEBUSY",
		"UID:" + hex.EncodeToString(uid) + "@oneonone",
		"DTSTAMP:" + now.UTC().Format(stamp),
		"DTSTART:" + q.From.UTC().Format(stamp),
		"DTEND:" + q.To.UTC().Format(stamp),
		"ORGANIZER:" + mailto(q.Organizer),
	}
	seen := map[string]bool{}
	for _, a := range q.Addresses {
		if k := addressKey(a); !seen[k] {
			seen[k] = true
			// Lower case: Cyrus finds its users only so.
			lines = append(lines, "ATTENDEE:"+mailto(k))
		}
	}
	lines = append(lines, "END:VFREEBUSY", "END:VCALENDAR")
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(foldLine(l))
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// mailto writes an address as a mailto: URI.
func mailto(a string) string {
	a = strings.TrimSpace(a)
	if len(a) >= len("mailto:") && strings.EqualFold(a[:len("mailto:")], "mailto:") {
		a = a[len("mailto:"):]
	}
	return "mailto:" + a
}

// foldLine folds a content line at 75 octets (RFC 5545 §3.1), not inside a
// UTF-8 sequence.
func foldLine(l string) string {
	if len(l) <= 75 {
		return l
	}
	var b strings.Builder
	n := 75
	for len(l) > n {
		i := n
		for i > 1 && l[i]&0xc0 == 0x80 {
			i--
		}
		b.WriteString(l[:i])
		b.WriteString("\r\n ")
		l = l[i:]
		n = 74
	}
	b.WriteString(l)
	return b.String()
}

// scheduleResponse is an RFC 6638 §10.1 CALDAV:schedule-response.
type scheduleResponse struct {
	XMLName   xml.Name `xml:"urn:ietf:params:xml:ns:caldav schedule-response"`
	Responses []struct {
		Recipient struct {
			Hrefs []string `xml:"DAV: href"`
			// Text is the recipient of early drafts of RFC 6638,
			// written without a DAV:href.
			Text string `xml:",chardata"`
		} `xml:"urn:ietf:params:xml:ns:caldav recipient"`
		RequestStatus string `xml:"urn:ietf:params:xml:ns:caldav request-status"`
		CalendarData  string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	} `xml:"urn:ietf:params:xml:ns:caldav response"`
}

// parseScheduleResponse reads the answer to a free/busy POST for q.
func parseScheduleResponse(data []byte, q calendar.FreeBusyQuery) ([]calendar.Availability, error) {
	var sr scheduleResponse
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	if err := d.Decode(&sr); err != nil {
		return nil, fmt.Errorf("bad schedule-response XML: %v", err)
	}
	got := map[string]calendar.Availability{}
	for _, r := range sr.Responses {
		who := r.Recipient.Text
		if len(r.Recipient.Hrefs) > 0 {
			who = r.Recipient.Hrefs[0]
		}
		k := addressKey(who)
		if k == "" {
			continue
		}
		if _, dup := got[k]; dup {
			continue
		}
		status := strings.TrimSpace(r.RequestStatus)
		if !strings.HasPrefix(status, "2") {
			if status == "" {
				status = "no request-status"
			}
			got[k] = calendar.Availability{Unknown: true, Reason: status}
			continue
		}
		busy, err := parseFreeBusy(r.CalendarData, q.From, q.To)
		if err != nil {
			got[k] = calendar.Availability{Unknown: true, Reason: "unreadable free/busy: " + err.Error()}
			continue
		}
		got[k] = calendar.Availability{Busy: busy}
	}
	out := make([]calendar.Availability, len(q.Addresses))
	for i, a := range q.Addresses {
		av, ok := got[addressKey(a)]
		if !ok {
			av = calendar.Availability{Unknown: true, Reason: "not in the answer"}
		}
		av.Address = a
		av.Busy = slices.Clone(av.Busy)
		out[i] = av
	}
	return out, nil
}

// maxPeriods bounds the periods read from one answer.
const maxPeriods = 100000

// parseFreeBusy reads the FREEBUSY properties of an iCalendar text (RFC
// 5545 §3.8.2.6) and returns the busy ones clipped to [from, to), merged
// and sorted. FBTYPE BUSY (the default), BUSY-TENTATIVE and
// BUSY-UNAVAILABLE are busy; FREE, and types it does not know (X-…), are
// not. A period is start/end or start/duration. RFC 5545 wants UTC times;
// a time with a TZID naming an IANA zone is read in it, any other local
// time as UTC (the project's ical package resolves TZIDs inside whole
// calendars only, and a VFREEBUSY reply carries no VTIMEZONE).
func parseFreeBusy(text string, from, to time.Time) ([]calendar.Busy, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	var spans []calendar.Busy
	for _, raw := range lines {
		if len(raw) < len("FREEBUSY") || !strings.EqualFold(raw[:len("FREEBUSY")], "FREEBUSY") {
			continue
		}
		l, err := recur.SplitLine(raw)
		if err != nil || l.Name != "FREEBUSY" {
			continue
		}
		switch strings.ToUpper(l.Param("FBTYPE")) {
		case "", "BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE":
		default:
			continue
		}
		loc := time.UTC
		if tz := l.Param("TZID"); tz != "" {
			if z, err := time.LoadLocation(strings.TrimPrefix(tz, "/")); err == nil {
				loc = z
			}
		}
		for _, p := range recur.SplitList(l.Value) {
			if len(spans) >= maxPeriods {
				return nil, fmt.Errorf("more than %d periods", maxPeriods)
			}
			b, err := parsePeriod(p, loc)
			if err != nil {
				return nil, err
			}
			if b.Start.Before(from) {
				b.Start = from
			}
			if b.End.After(to) {
				b.End = to
			}
			if b.Start.Before(b.End) {
				spans = append(spans, b)
			}
		}
	}
	return mergeBusy(spans), nil
}

// parsePeriod reads one PERIOD value (RFC 5545 §3.3.9) with times in loc
// unless they are UTC.
func parsePeriod(p string, loc *time.Location) (calendar.Busy, error) {
	s, e, ok := strings.Cut(p, "/")
	if !ok {
		return calendar.Busy{}, fmt.Errorf("bad period %q", p)
	}
	start, err := periodTime(s, loc)
	if err != nil {
		return calendar.Busy{}, fmt.Errorf("bad period %q: %v", p, err)
	}
	var end time.Time
	if e = strings.TrimSpace(e); e != "" && (e[0] == 'P' || e[0] == 'p' || e[0] == '+' || e[0] == '-') {
		dur, ok := recur.ParseDuration(e)
		if !ok {
			return calendar.Busy{}, fmt.Errorf("bad period %q: bad duration", p)
		}
		end = dur.Add(start).UTC()
	} else if end, err = periodTime(e, loc); err != nil {
		return calendar.Busy{}, fmt.Errorf("bad period %q: %v", p, err)
	}
	if end.Before(start) {
		return calendar.Busy{}, fmt.Errorf("bad period %q: it ends before it starts", p)
	}
	return calendar.Busy{Start: start, End: end}, nil
}

func periodTime(s string, loc *time.Location) (time.Time, error) {
	w, utc, date, err := recur.ParseWall(s, "DATE-TIME")
	if err != nil {
		return time.Time{}, err
	}
	if date {
		return time.Time{}, fmt.Errorf("a date where a date-time belongs: %q", s)
	}
	if utc || loc == time.UTC {
		return w, nil
	}
	return recur.InZone(w, loc).UTC(), nil
}

// mergeBusy sorts spans and merges those that overlap or touch.
func mergeBusy(spans []calendar.Busy) []calendar.Busy {
	if len(spans) == 0 {
		return nil
	}
	slices.SortFunc(spans, func(a, b calendar.Busy) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	out := []calendar.Busy{spans[0]}
	for _, b := range spans[1:] {
		last := &out[len(out)-1]
		if !b.Start.After(last.End) {
			if b.End.After(last.End) {
				last.End = b.End
			}
			continue
		}
		out = append(out, b)
	}
	return out
}

// freeBusyCalendars answers from the calendars synced, for a server
// without a scheduling outbox.
func (c *Client) freeBusyCalendars(ctx context.Context, d Discovery, q calendar.FreeBusyQuery) ([]calendar.Availability, error) {
	out := make([]calendar.Availability, len(q.Addresses))
	asked := false
	for i, a := range q.Addresses {
		out[i] = calendar.Availability{Address: a, Unknown: true, Reason: noOutbox}
		if addressKey(a) == addressKey(q.Organizer) {
			asked = true
		}
	}
	if !asked {
		return out, nil
	}
	var busy []calendar.Busy
	for _, dc := range d.Calendars {
		b, err := c.freeBusyQuery(ctx, dc, q.From, q.To)
		if err != nil {
			return nil, err
		}
		busy = append(busy, b...)
	}
	busy = mergeBusy(busy)
	for i, a := range q.Addresses {
		if addressKey(a) == addressKey(q.Organizer) {
			out[i] = calendar.Availability{Address: a, Busy: slices.Clone(busy)}
		}
	}
	return out, nil
}

// freeBusyQuery sends an RFC 4791 §7.10 free-busy-query REPORT to one
// calendar and reads the VFREEBUSY it answers with. Depth is 1, the
// collection's members: sabre/dav ignores the header, Xandikos walks to
// the depth it says (0 would find no event). Xandikos 0.2.8 reads each
// event's first occurrence only: its answer lacks the later instances of
// recurring events.
func (c *Client) freeBusyQuery(ctx context.Context, dc DiscoveredCalendar, from, to time.Time) ([]calendar.Busy, error) {
	const stamp = "20060102T150405Z"
	body := `<?xml version="1.0" encoding="utf-8"?>
<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="` +
		from.UTC().Format(stamp) + `" end="` + to.UTC().Format(stamp) + `"/></c:free-busy-query>`
	req, err := c.newRequest(ctx, "REPORT", dc.ID, body, `text/xml; charset="utf-8"`)
	if err != nil {
		return nil, fmt.Errorf("caldav: free-busy-query %s: %w", dc.ID, err)
	}
	req.Header.Set("Depth", "1")
	resp, err := c.do(req)
	if err != nil {
		return nil, fmt.Errorf("caldav: free-busy-query %s: %w", req.URL.Redacted(), err)
	}
	if resp.StatusCode/100 != 2 {
		se := c.statusError(req, resp)
		switch se.Code {
		case http.StatusUnauthorized, http.StatusNotFound, http.StatusGone:
			if calendarGone(se) {
				c.forget(req.URL)
			}
			return nil, fmt.Errorf("caldav: free-busy-query %s: %w", req.URL.Redacted(), se)
		}
		return nil, fmt.Errorf("%w (%s has no scheduling outbox, and %w)", calendar.ErrNoFreeBusy, c.base.Redacted(), se)
	}
	// Xandikos answers without a text/calendar Content-Type; Radicale
	// answers 207 with the calendar's hrefs, as for a calendar-query.
	data, err := readBounded(resp)
	if err != nil {
		return nil, fmt.Errorf("caldav: free-busy-query %s: %w", req.URL.Redacted(), err)
	}
	if !bytes.Contains(data, []byte("BEGIN:VFREEBUSY")) {
		return nil, fmt.Errorf("%w (%s has no scheduling outbox, and REPORT free-busy-query %s answered %s %q, no VFREEBUSY)",
			calendar.ErrNoFreeBusy, c.base.Redacted(), req.URL.Redacted(), resp.Status, snippet(data))
	}
	busy, err := parseFreeBusy(string(data), from, to)
	if err != nil {
		return nil, fmt.Errorf("caldav: free-busy-query %s: %w", req.URL.Redacted(), err)
	}
	return busy, nil
}

// snippet is the start of a body on one line, for messages.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
