package ical

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/emersion/go-ical"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

// ParseOptions tunes Parse.
type ParseOptions struct {
	Href        string         // the object's name, used in error messages
	DefaultZone *time.Location // zone for floating times and DATE values; nil = UTC
}

// maxErrors bounds the problems one Parse call reports.
const maxErrors = 50

// Parse reads one iCalendar object (a VCALENDAR, e.g. one CalDAV object resource or a whole .ics export)
// and returns its VEVENTs as Events (Href and UID set; Source/Calendar/ETag left for the caller).
// It never panics (recover go-ical panics and turn them into an error). When something is wrong it returns
// the events it could read AND a non-nil error (errors.Join of one-line errors that name the href, the UID and
// the property, e.g. `parse x.ics: event "abc": DTSTART: invalid value "2024-13-01"`). A wholly unreadable
// object returns nil events and an error.
//
// The object is decoded with go-ical; when that fails, a tolerant decoder
// (RFC 5545 §3.1 content lines, skipping the ones it cannot read and closing
// unterminated components) recovers what it can. Floating times are read in
// the calendar's X-WR-TIMEZONE, else in DefaultZone; DATE values become
// midnights there. A VEVENT without DTSTART is dropped, unless it is an
// override, which then starts at its RECURRENCE-ID. A rule part that is
// invalid or unknown is reported and left out, the rest of the rule kept;
// rules that cannot be used (no FREQ, a bad FREQ, contradictory values) are
// reported and left out of Recurrence, so the event reads as a one-off.
func Parse(data []byte, opt ParseOptions) (events []calendar.Event, err error) {
	p := &parser{href: opt.Href, name: opt.Href, def: opt.DefaultZone, reportedTZ: make(map[string]bool)}
	if p.def == nil {
		p.def = time.UTC
	}
	if p.name == "" {
		p.name = "calendar object"
	}
	defer func() {
		if r := recover(); r != nil {
			p.errs = append(p.errs, fmt.Errorf("parse %s: internal error: %v", p.name, r))
		}
		if len(p.events) > 0 {
			events = p.events
		}
		err = p.err()
	}()
	cals, derr := decode(data)
	for _, e := range derr {
		p.errs = append(p.errs, fmt.Errorf("parse %s: %w", p.name, e))
	}
	if len(cals) == 0 {
		if len(p.errs) == 0 {
			p.errs = append(p.errs, fmt.Errorf("parse %s: no VCALENDAR found", p.name))
		}
		return nil, nil
	}
	var allTZ []*ical.Component
	n := 0
	for _, cal := range cals {
		for _, c := range cal.Children {
			switch c.Name {
			case ical.CompTimezone:
				allTZ = append(allTZ, c)
			case ical.CompEvent:
				n++
			}
		}
	}
	p.events = make([]calendar.Event, 0, n)
	for _, cal := range cals {
		p.calendar(cal, allTZ)
	}
	p.fixDateRecurrenceIDs()
	return nil, nil
}

type parser struct {
	href       string // ParseOptions.Href, for the events
	name       string // the object's name in messages
	def        *time.Location
	events     []calendar.Event
	dateRIDs   []int // indexes of overrides whose RECURRENCE-ID is a DATE
	errs       []error
	reportedTZ map[string]bool
}

func (p *parser) err() error {
	errs := p.errs
	if len(errs) > maxErrors {
		n := len(errs) - maxErrors
		errs = append(errs[:maxErrors:maxErrors], fmt.Errorf("parse %s: %d more problems not shown", p.name, n))
	}
	return errors.Join(errs...)
}

// eventErr records a problem with one property of one event.
func (p *parser) eventErr(uid, prop string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if prop != "" {
		msg = prop + ": " + msg
	}
	p.errs = append(p.errs, fmt.Errorf("parse %s: event %q: %s", p.name, uid, msg))
}

// decode returns the VCALENDAR components of data: go-ical's reading when it
// succeeds, else the tolerant decoder's, with what went wrong. UTF-16 text
// is converted to UTF-8 first (and said so); a UTF-8 BOM is dropped.
func decode(data []byte) (cals []*ical.Component, errs []error) {
	data, note := toUTF8(data)
	if note != nil {
		errs = append(errs, fmt.Errorf("decode: %v", note))
	}
	cals, err := decodeStrict(data)
	if err == nil && len(cals) > 0 {
		return cals, errs
	}
	cals, lerrs := decodeLenient(data)
	switch {
	case errors.Is(err, errDecoderFailed):
		// What went wrong is in the lenient decoder's lines, in our words;
		// the decoder's own failure says nothing a reader can act on.
		if len(lerrs) == 0 {
			errs = append(errs, fmt.Errorf("decode: %v", err))
		}
	case err != nil:
		errs = append(errs, fmt.Errorf("decode: %v", err))
	}
	return cals, append(errs, lerrs...)
}

// errDecoderFailed stands for a panic recovered inside go-ical, whose text
// (an index out of range) is never shown.
var errDecoderFailed = errors.New("the object could not be read strictly; read line by line")

// toUTF8 returns data as UTF-8: without a UTF-8 byte order mark, and
// converted from UTF-16 when it starts with a UTF-16 byte order mark or,
// without one, when its NUL bytes say so (every other byte NUL, as in
// ASCII text written as UTF-16). note says what was done to UTF-16 text.
func toUTF8(data []byte) (out []byte, note error) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return data[3:], nil
	}
	bigEndian, bom, ok := utf16Order(data)
	if !ok {
		return data, nil
	}
	order := "little-endian"
	if bigEndian {
		order = "big-endian"
	}
	body := data
	if bom {
		body = body[2:]
	}
	cut := ""
	if len(body)%2 == 1 {
		body = body[:len(body)-1]
		cut = ", its odd last byte dropped"
	}
	units := make([]uint16, len(body)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		} else {
			units[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
		}
	}
	out = []byte(string(utf16.Decode(units)))
	return out, fmt.Errorf("the object is UTF-16 (%s), not UTF-8 (RFC 5545 §3.1.4): converted to UTF-8%s", order, cut)
}

// utf16Order reports whether data is UTF-16 and in which byte order: a byte
// order mark, or a NUL in one byte of nearly every pair of the first 512
// bytes and in almost none of the other.
func utf16Order(data []byte) (bigEndian, bom, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return false, true, true
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return true, true, true
	}
	n := min(len(data), 512) / 2
	if n < 4 {
		return false, false, false
	}
	var even, odd int // NUL bytes at even and odd offsets
	for i := 0; i < n; i++ {
		if data[2*i] == 0 {
			even++
		}
		if data[2*i+1] == 0 {
			odd++
		}
	}
	switch {
	case even*10 >= n*9 && odd*10 <= n:
		return true, false, true
	case odd*10 >= n*9 && even*10 <= n:
		return false, false, true
	}
	return false, false, false
}

func decodeStrict(data []byte) (cals []*ical.Component, err error) {
	defer func() {
		if r := recover(); r != nil {
			cals, err = nil, errDecoderFailed
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	for {
		cal, err := dec.Decode()
		if err == io.EOF {
			// go-ical also ends with io.EOF when the input stops inside a
			// component: a VCALENDAR it did not return was cut short.
			if begun := countBegins(data); len(cals) < begun {
				return nil, fmt.Errorf("%d of %d VCALENDARs are cut short", begun-len(cals), begun)
			}
			return cals, nil
		}
		if err != nil {
			return nil, err
		}
		cals = append(cals, cal.Component)
	}
}

// calendarLevel are the components that sit directly in a VCALENDAR; a
// BEGIN of one of them closes an unterminated sibling.
var calendarLevel = map[string]bool{
	"VEVENT": true, "VTODO": true, "VJOURNAL": true, "VFREEBUSY": true, "VTIMEZONE": true, "VAVAILABILITY": true,
}

const maxDepth = 16

// decodeLenient reads content lines (RFC 5545 §3.1) one by one, skipping
// those it cannot read and repairing the nesting of components. Components
// found outside a VCALENDAR are gathered into one.
func decodeLenient(data []byte) ([]*ical.Component, []error) {
	var (
		roots []*ical.Component
		stack []*ical.Component
		errs  []error
	)
	for _, ln := range unfold(data) {
		prop, err := parseContentLine(ln.text)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %v", ln.num, err))
			continue
		}
		if name, ok := swallowedParam(ln.text, prop); ok {
			errs = append(errs, fmt.Errorf("line %d: %s: a quoted %s swallowed the value: read as %s %q, value %s",
				ln.num, prop.Name, name, name, prop.Params.Get(name), prop.Value))
		}
		switch prop.Name {
		case "BEGIN":
			name := strings.ToUpper(strings.TrimSpace(prop.Value))
			if name == "" {
				errs = append(errs, fmt.Errorf("line %d: BEGIN without a name", ln.num))
				continue
			}
			if calendarLevel[name] {
				for i := len(stack) - 1; i >= 0; i-- {
					if calendarLevel[stack[i].Name] {
						errs = append(errs, fmt.Errorf("line %d: %s not terminated", ln.num, stack[i].Name))
						stack = stack[:i]
						break
					}
				}
			}
			if len(stack) >= maxDepth {
				errs = append(errs, fmt.Errorf("line %d: components nested too deep", ln.num))
				continue
			}
			c := ical.NewComponent(name)
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, c)
			} else {
				roots = append(roots, c)
			}
			stack = append(stack, c)
		case "END":
			name := strings.ToUpper(strings.TrimSpace(prop.Value))
			i := len(stack) - 1
			for i >= 0 && stack[i].Name != name {
				i--
			}
			if i < 0 {
				errs = append(errs, fmt.Errorf("line %d: END:%s without BEGIN", ln.num, name))
				continue
			}
			if i != len(stack)-1 {
				errs = append(errs, fmt.Errorf("line %d: %s not terminated", ln.num, stack[len(stack)-1].Name))
			}
			stack = stack[:i]
		default:
			if len(stack) == 0 {
				errs = append(errs, fmt.Errorf("line %d: %s outside any component", ln.num, prop.Name))
				continue
			}
			stack[len(stack)-1].Props.Add(prop)
		}
	}
	if len(stack) > 0 {
		errs = append(errs, fmt.Errorf("%s not terminated at end of data", stack[len(stack)-1].Name))
	}
	var cals []*ical.Component
	var loose *ical.Component
	for _, r := range roots {
		if r.Name == ical.CompCalendar {
			cals = append(cals, r)
			continue
		}
		if loose == nil {
			loose = ical.NewComponent(ical.CompCalendar)
			cals = append(cals, loose)
		}
		loose.Children = append(loose.Children, r)
	}
	return cals, errs
}

type line struct {
	num  int
	text string
}

// unfold joins folded lines (RFC 5545 §3.1): a line break followed by a
// space or a tab continues the line.
func unfold(data []byte) []line {
	var out []line
	var cur []byte // the logical line being built, so long folded lines cost O(n)
	num := 0
	flush := func() {
		if num > 0 && len(bytes.TrimSpace(cur)) > 0 {
			out = append(out, line{num: num, text: string(cur)})
		}
	}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') && num > 0 {
			cur = append(cur, raw[1:]...)
			continue
		}
		flush()
		cur = append(cur[:0], raw...)
		num = i + 1
	}
	flush()
	return out
}

// countBegins counts the BEGIN:VCALENDAR lines of data.
func countBegins(data []byte) int {
	n := 0
	for _, raw := range bytes.Split(data, []byte("\n")) {
		if len(raw) >= 15 && bytes.EqualFold(bytes.TrimSpace(raw), []byte("BEGIN:VCALENDAR")) {
			n++
		}
	}
	return n
}

// parseContentLine reads name *(";" param) ":" value (RFC 5545 §3.1), with
// recur.SplitLine, the one reader of content lines that go-ical refused.
func parseContentLine(s string) (*ical.Prop, error) {
	l, err := recur.SplitLine(s)
	if err != nil {
		return nil, err
	}
	prop := &ical.Prop{Name: l.Name, Params: make(ical.Params, len(l.Params)), Value: l.Value}
	for k, v := range l.Params {
		prop.Params[k] = v
	}
	return prop, nil
}

// swallowedParam reports which parameter of the content line s, read as
// prop, had swallowed the value: Outlook's DTSTART;TZID="zone:20200609T090000",
// which recur.SplitLine reads as TZID "zone" and value 20200609T090000.
func swallowedParam(s string, prop *ical.Prop) (string, bool) {
	if prop.Value == "" || !strings.HasSuffix(s, ":"+prop.Value+`"`) {
		return "", false
	}
	for name, vals := range prop.Params {
		if len(vals) > 0 && strings.HasSuffix(s, `"`+vals[len(vals)-1]+":"+prop.Value+`"`) {
			return name, true
		}
	}
	return "", false
}

// unescapeText reads a TEXT value (RFC 5545 §3.3.11) the way go-ical does,
// but leniently: an unknown escape keeps its character and an unescaped
// comma stays a comma, where go-ical fails or cuts the text.
func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 == len(v) {
			b.WriteByte(c)
			continue
		}
		i++
		switch v[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// text returns the unescaped value of prop, as go-ical gives it when it can.
func text(prop *ical.Prop) string {
	if prop == nil {
		return ""
	}
	if !strings.ContainsAny(prop.Value, `\,`) {
		return prop.Value
	}
	if l, err := prop.TextList(); err == nil && len(l) == 1 {
		return l[0]
	}
	return unescapeText(prop.Value)
}

// propAltDesc is the property Outlook keeps its HTML description in.
const propAltDesc = "X-ALT-DESC"

// isHTMLAltDesc reports whether prop is an X-ALT-DESC holding HTML: its
// FMTTYPE is text/html, in any case. Outlook writes
// X-ALT-DESC;FMTTYPE=text/html beside DESCRIPTION, and shows that one.
func isHTMLAltDesc(prop *ical.Prop) bool {
	return strings.EqualFold(prop.Name, propAltDesc) &&
		strings.EqualFold(strings.TrimSpace(prop.Params.Get("FMTTYPE")), "text/html")
}

// htmlAltDescription returns the first X-ALT-DESC of props that holds
// HTML, or nil. Its value is TEXT (RFC 5545 §3.3.11), as Outlook escapes it.
func htmlAltDescription(props ical.Props) *ical.Prop {
	alts := props.Values(propAltDesc)
	for i := range alts {
		if isHTMLAltDesc(&alts[i]) {
			return &alts[i]
		}
	}
	return nil
}

// decodeCaret undoes RFC 6868 parameter value encoding.
func decodeCaret(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	r := strings.NewReplacer("^n", "\n", "^N", "\n", "^'", `"`, "^^", "^")
	return r.Replace(s)
}

func (p *parser) calendar(cal *ical.Component, allTZ []*ical.Component) {
	var own []*ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			own = append(own, c)
		}
	}
	zr := newZoneResolver(append(own, allTZ...), p.def)
	if xp := cal.Props.Get("X-WR-TIMEZONE"); xp != nil {
		loc, err := zr.resolve(text(xp))
		if err == nil {
			zr.floating = loc
		} else {
			p.errs = append(p.errs, fmt.Errorf("parse %s: X-WR-TIMEZONE: %v", p.name, err))
		}
	}
	n := 0
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		n++
		p.event(zr, c, n)
	}
}

// dateValue is one DATE or DATE-TIME value with what it was written as.
type dateValue struct {
	t        time.Time // in its zone
	date     bool
	floating bool
	utc      bool
}

func (v dateValue) value() recur.Value {
	return recur.Value{T: v.t, Date: v.date, Floating: v.floating, UTC: v.utc}
}

// readDate reads one DATE or DATE-TIME value of prop (RFC 5545 §3.3.4,
// §3.3.5): UTC when it ends in Z, in its TZID when it has one, else in
// floating (the calendar's zone for DTSTART, DTSTART's zone for the others).
func (p *parser) readDate(zr *zoneResolver, prop *ical.Prop, value string, floating *time.Location, uid string) (dateValue, error) {
	w, utc, date, err := recur.ParseWall(value, prop.Params.Get(ical.ParamValue))
	if err != nil {
		return dateValue{}, err
	}
	tzid := prop.Params.Get(ical.PropTimezoneID)
	switch {
	case date:
		return dateValue{t: recur.InZone(w, zr.floating), date: true}, nil
	case utc:
		if tzid != "" {
			p.eventErr(uid, prop.Name, "UTC value %q with TZID %q: TZID ignored", value, tzid)
		}
		return dateValue{t: w, utc: true}, nil
	case tzid != "":
		loc, zerr := zr.resolve(tzid)
		if zerr != nil && !p.reportedTZ[normalizeTZID(tzid)] {
			p.reportedTZ[normalizeTZID(tzid)] = true
			p.eventErr(uid, prop.Name, "%v", zerr)
		}
		return dateValue{t: recur.InZone(w, loc)}, nil
	}
	return dateValue{t: recur.InZone(w, floating), floating: true}, nil
}

// readDates reads a multi-valued EXDATE, RDATE or RECURRENCE-ID. For a
// PERIOD (RFC 5545 §3.3.9) it also returns each period's end.
func (p *parser) readDates(zr *zoneResolver, prop *ical.Prop, floating *time.Location, uid string) ([]dateValue, []time.Time) {
	var vals []dateValue
	var ends []time.Time
	items := recur.SplitList(prop.Value)
	if len(items) == 0 {
		p.eventErr(uid, prop.Name, "invalid value %q", prop.Value)
	}
	for _, item := range items {
		start, rest, period := strings.Cut(item, "/")
		v, err := p.readDate(zr, prop, start, floating, uid)
		if err != nil {
			p.eventErr(uid, prop.Name, "%v", err)
			continue
		}
		var end time.Time
		if period {
			if d, ok := recur.ParseDuration(rest); ok {
				end = d.Add(v.t)
			} else if e, err := p.readDate(zr, prop, rest, v.t.Location(), uid); err == nil {
				end = e.t
			} else {
				p.eventErr(uid, prop.Name, "invalid period %q", item)
			}
		}
		vals = append(vals, v)
		ends = append(ends, end)
	}
	return vals, ends
}

func (p *parser) event(zr *zoneResolver, c *ical.Component, n int) {
	e := calendar.Event{Href: p.href}
	e.UID = strings.TrimSpace(text(c.Props.Get(ical.PropUID)))
	uid := e.UID
	if uid == "" {
		uid = fmt.Sprintf("#%d", n)
		e.UID = p.href + uid
		p.eventErr(uid, "UID", "missing; using %q", e.UID)
	}

	var rid dateValue
	hasRID := false
	if rp := c.Props.Get(ical.PropRecurrenceID); rp != nil {
		v, err := p.readDate(zr, rp, rp.Value, zr.floating, uid)
		if err != nil {
			p.eventErr(uid, rp.Name, "%v", err)
		} else {
			rid, hasRID = v, true
			switch strings.ToUpper(rp.Params.Get("RANGE")) {
			case "":
			case "THISANDFUTURE":
				e.ThisAndFuture = true
			default:
				p.eventErr(uid, rp.Name, "RANGE=%s not supported: read as this instance only", rp.Params.Get("RANGE"))
			}
		}
	}

	var start dateValue
	if sp := c.Props.Get(ical.PropDateTimeStart); sp != nil {
		v, err := p.readDate(zr, sp, sp.Value, zr.floating, uid)
		if err != nil {
			p.eventErr(uid, sp.Name, "%v", err)
			return
		}
		start = v
	} else if hasRID {
		start = rid
	} else {
		p.eventErr(uid, "DTSTART", "missing: event dropped")
		return
	}
	e.Start, e.AllDay, e.Floating = start.t, start.date, start.floating
	loc := start.t.Location()

	if hasRID {
		e.RecurrenceID = rid.t
		if rid.floating {
			// A floating RECURRENCE-ID is read in DTSTART's zone.
			w := recur.Wall(rid.t)
			e.RecurrenceID = recur.InZone(w, loc)
		}
	}

	// DTEND, else DURATION, else RFC 5545 §3.6.1 defaults.
	switch ep, dp := c.Props.Get(ical.PropDateTimeEnd), c.Props.Get(ical.PropDuration); {
	case ep != nil:
		v, err := p.readDate(zr, ep, ep.Value, loc, uid)
		if err != nil {
			p.eventErr(uid, ep.Name, "%v", err)
			e.End = defaultEnd(start)
		} else {
			e.End = v.t.In(loc)
		}
	case dp != nil:
		d, ok := recur.ParseDuration(dp.Value)
		if !ok {
			p.eventErr(uid, dp.Name, "invalid value %q", dp.Value)
			e.End = defaultEnd(start)
		} else {
			e.End = d.Add(start.t)
		}
	default:
		e.End = defaultEnd(start)
	}
	if e.End.Before(e.Start) {
		p.eventErr(uid, "DTEND", "%s before DTSTART %s: ignored", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
		e.End = defaultEnd(start)
	}

	e.Summary = text(c.Props.Get(ical.PropSummary))
	e.Description = text(c.Props.Get(ical.PropDescription))
	if ap := htmlAltDescription(c.Props); ap != nil {
		e.AltDescription = text(ap)
	}
	if sp := c.Props.Get(ical.PropStatus); sp != nil {
		e.Status = strings.ToUpper(strings.TrimSpace(text(sp)))
	}
	if sp := c.Props.Get(ical.PropSequence); sp != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(sp.Value)); err == nil {
			e.Sequence = n
		} else {
			p.eventErr(uid, sp.Name, "invalid value %q", sp.Value)
		}
	}
	e.Modified = p.modified(zr, c, uid)
	if op := c.Props.Get(ical.PropOrganizer); op != nil {
		e.Organizer = readAttendee(op)
	}
	attendees := c.Props.Values(ical.PropAttendee)
	for i := range attendees {
		if a := readAttendee(&attendees[i]); a.Email != "" {
			e.Attendees = append(e.Attendees, a)
		}
	}

	if !hasRID {
		p.recurrence(zr, c, &e, start, uid)
	}
	if hasRID && rid.date && !start.date {
		p.dateRIDs = append(p.dateRIDs, len(p.events))
	}
	p.events = append(p.events, e)
}

// modified is the event's LAST-MODIFIED, else its DTSTAMP (RFC 5545
// §3.8.7.3, §3.8.7.2), in UTC; zero when it has neither. Both are UTC
// DATE-TIMEs; one with a TZID or floating is read as DTSTART would be. A
// value that is not a DATE-TIME is reported and ignored.
func (p *parser) modified(zr *zoneResolver, c *ical.Component, uid string) time.Time {
	for _, name := range []string{ical.PropLastModified, ical.PropDateTimeStamp} {
		prop := c.Props.Get(name)
		if prop == nil {
			continue
		}
		v, err := p.readDate(zr, prop, prop.Value, zr.floating, uid)
		switch {
		case err != nil:
			p.eventErr(uid, prop.Name, "%v: ignored", err)
		case v.date:
			p.eventErr(uid, prop.Name, "DATE %q, not a DATE-TIME: ignored", prop.Value)
		case v.t.Year() < 1 || v.t.Year() > 9999:
			p.eventErr(uid, prop.Name, "%q out of range: ignored", prop.Value)
		default:
			return v.t.UTC()
		}
	}
	return time.Time{}
}

func defaultEnd(start dateValue) time.Time {
	if start.date {
		return recur.InZone(recur.Wall(start.t).AddDate(0, 0, 1), start.t.Location())
	}
	return start.t
}

// recurrence reads RRULE, RDATE and EXDATE of a master (RFC 5545 §3.8.5).
// recur.Set holds what the values mean in the series (the slot a DATE or
// a floating value names, duplicate rules), as it does for the providers
// that give recurrence lines without iCalendar (recur.ReadLines).
func (p *parser) recurrence(zr *zoneResolver, c *ical.Component, e *calendar.Event, start dateValue, uid string) {
	loc := start.t.Location()
	kind := recur.KindZoned
	switch {
	case start.date:
		kind = recur.KindDate
	case start.floating:
		kind = recur.KindFloating
	case start.utc:
		kind = recur.KindUTC
	}
	set := recur.NewSet(start.t, kind)
	for _, rp := range c.Props.Values(ical.PropRecurrenceRule) {
		warns, err := set.AddRule(rp.Value)
		if err != nil {
			p.eventErr(uid, "RRULE", "%v: rule ignored", err)
			continue
		}
		for _, w := range warns {
			p.eventErr(uid, "RRULE", "%s", w)
		}
	}
	if len(c.Props.Values("EXRULE")) > 0 {
		p.eventErr(uid, "EXRULE", "not supported (removed by RFC 5545): ignored")
	}
	for i := range c.Props.Values(ical.PropRecurrenceDates) {
		prop := &c.Props.Values(ical.PropRecurrenceDates)[i]
		vals, pends := p.readDates(zr, prop, loc, uid)
		for j, v := range vals {
			set.AddRDate(v.value(), pends[j])
		}
	}
	for i := range c.Props.Values(ical.PropExceptionDates) {
		prop := &c.Props.Values(ical.PropExceptionDates)[i]
		vals, _ := p.readDates(zr, prop, loc, uid)
		for _, v := range vals {
			set.AddExDate(v.value())
		}
	}
	e.Recurrence = set.Recurrence()
}

// fixDateRecurrenceIDs reads a DATE RECURRENCE-ID of an override whose
// master has a DATE-TIME start as the slot on that date.
func (p *parser) fixDateRecurrenceIDs() {
	for _, i := range p.dateRIDs {
		o := &p.events[i]
		for j := range p.events {
			m := &p.events[j]
			if m.UID == o.UID && !m.IsOverride() && !m.AllDay {
				o.RecurrenceID = recur.AtClockOf(o.RecurrenceID, m.Start)
				break
			}
		}
	}
}

// readAttendee reads an ATTENDEE or ORGANIZER (RFC 5545 §3.8.4.1, §3.8.4.3):
// a mailto: address, else the EMAIL parameter (RFC 7986; Apple puts
// urn:uuid: values there), else a bare address.
func readAttendee(prop *ical.Prop) calendar.Attendee {
	a := calendar.Attendee{
		Name:     strings.TrimSpace(decodeCaret(prop.Params.Get(ical.ParamCommonName))),
		CUType:   strings.ToUpper(strings.TrimSpace(prop.Params.Get(ical.ParamCalendarUserType))),
		PartStat: strings.ToUpper(strings.TrimSpace(prop.Params.Get(ical.ParamParticipationStatus))),
	}
	v := strings.TrimSpace(prop.Value)
	switch {
	case len(v) >= 7 && strings.EqualFold(v[:7], "mailto:"):
		a.Email = calendar.NormalizeEmail(v)
	case strings.Contains(v, "@") && !strings.Contains(v, ":"):
		a.Email = calendar.NormalizeEmail(v)
	}
	if !strings.Contains(a.Email, "@") {
		a.Email = ""
		if em := calendar.NormalizeEmail(prop.Params.Get("EMAIL")); strings.Contains(em, "@") {
			a.Email = em
		}
	}
	return a
}
