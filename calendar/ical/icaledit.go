package ical

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"oneonone/calendar"
)

// SetDescription returns data, an iCalendar object (one CalDAV object
// resource), with the DESCRIPTION of one VEVENT set to desc, and the
// description that was there before, unescaped, as Parse reads it.
//
// The VEVENT is the one with UID uid and, when rid is zero, no RECURRENCE-ID
// (the master); otherwise the one whose RECURRENCE-ID denotes the instant rid.
// Both are matched against what Parse returns, so a RECURRENCE-ID with a TZID,
// a Windows zone name, "Z" or a DATE resolves exactly as Parse resolves it.
// Floating and DATE values are read in rid's Location (Parse's DefaultZone),
// so pass rid in the zone the object was parsed in: as Parse returned it, or
// rid.In(zone). When several VEVENTs match (a sloppy export), the first one
// Parse returns is edited.
//
// Only that VEVENT's DESCRIPTION content line (RFC 5545 §3.1, with its
// folding) changes; every other byte is returned as it was: line endings,
// folding of other lines, property order, parameters, X- properties, VALARMs
// (whose own DESCRIPTION is never touched), VTIMEZONEs, other VEVENTs,
// trailing data. SEQUENCE, DTSTAMP and LAST-MODIFIED are not bumped.
//
// The new line keeps the old line's name as written ("description" stays
// lower-case) and its parameters (LANGUAGE, ALTREP, …); its value is desc as
// TEXT (RFC 5545 §3.3.11: \\ \; \, and \n). It is folded at 75 octets
// without splitting a UTF-8 sequence or an escape, continuation lines
// starting with one space, and it ends with the line ending of the line it
// replaces (CRLF, or LF from producers that write LF). A carriage return in
// desc cannot be written in TEXT: CRLF and CR in desc are read as LF.
//
// Decisions:
//   - A VEVENT without DESCRIPTION gets one inserted right before the first
//     component nested in it (e.g. BEGIN:VALARM), else right before its
//     END:VEVENT; it is written in upper case, with the line ending of the
//     line before it.
//   - A VEVENT with several DESCRIPTION lines (invalid, but seen): the first
//     is replaced, since that is the one Parse reads; the others are left as
//     they are, so no text of the user's is lost, and a second call sees desc
//     and changes nothing.
//
// When desc equals the current description, data itself is returned, so
// callers can skip the write. Before anything else is returned, the result
// is parsed again: every event Parse finds must be as it was, except for the
// edited description, and an object that parsed without problems must still
// do so; otherwise SetDescription returns an error and no data.
//
// Errors: no such VEVENT gives an error wrapping ErrNotFound that names uid
// and rid; data that Parse cannot read at all gives Parse's error.
func SetDescription(data []byte, uid string, rid time.Time, desc string) (out []byte, old string, err error) {
	return setText(data, uid, rid, desc, textProp{
		name:  "description",
		field: descriptionOf,
		edit: func(data []byte, lines []contentLine, opt ParseOptions, value string) (textEdit, error) {
			blocks := scanVEvents(data, lines)
			k, err := locateDescription(data, lines, blocks, opt, uid, rid)
			if err != nil {
				return textEdit{}, err
			}
			return blocks[k].edit(data, lines, value), nil
		},
	})
}

// textProp is what the edits of an event's TEXT properties differ in.
type textProp struct {
	name  string                        // in errors: "description", "X-ALT-DESC"
	field func(*calendar.Event) *string // the Event field Parse reads it into
	// mustExist: the edit never adds the property, so an empty value
	// is only "unchanged" once edit has found it.
	mustExist bool
	// edit returns the edit that gives the event's property value, the
	// escaped text; an error when it cannot be placed.
	edit func(data []byte, lines []contentLine, opt ParseOptions, value string) (textEdit, error)
}

// setText is SetDescription and SetAltDescription: it finds the event,
// makes the edit of p, and checks by parsing again that the object still
// reads (if it did) and that only that field of that event changed.
func setText(data []byte, uid string, rid time.Time, v string, p textProp) (out []byte, old string, err error) {
	what := fmt.Sprintf("event %q (master)", uid)
	opt := ParseOptions{}
	if !rid.IsZero() {
		what = fmt.Sprintf("event %q recurrence-id %s", uid, rid.Format(time.RFC3339))
		opt.DefaultZone = rid.Location()
	}
	defer func() {
		if r := recover(); r != nil {
			out, old, err = nil, "", fmt.Errorf("set %s of %s: internal error: %v", p.name, what, r)
		}
	}()

	events, perr := Parse(data, opt)
	if len(events) == 0 && perr != nil {
		return nil, "", fmt.Errorf("set %s of %s: %w", p.name, what, perr)
	}
	ti := findEvent(events, uid, rid)
	if ti < 0 {
		return nil, "", fmt.Errorf("set %s of %s: %w", p.name, what, calendar.ErrNotFound)
	}
	v = normalizeNewlines(v)
	old = *p.field(&events[ti])
	if old == v && (old != "" || !p.mustExist) {
		return data, old, nil
	}

	if _, _, utf16 := utf16Order(data); utf16 {
		// Parse reads it converted; an edit in place would have to write
		// UTF-16 back, and the byte-preserving edit works on UTF-8 lines.
		return nil, "", fmt.Errorf("set %s of %s: the object is UTF-16, not UTF-8: not edited", p.name, what)
	}
	e, err := p.edit(data, splitContentLines(data), opt, escapeText(v))
	if err != nil {
		return nil, "", fmt.Errorf("set %s of %s: %w", p.name, what, err)
	}
	if old == v {
		return data, old, nil
	}
	out = applyEdits(data, []textEdit{e})

	after, aerr := Parse(out, opt)
	switch {
	case perr == nil && aerr != nil:
		return nil, "", fmt.Errorf("set %s of %s: the edited object does not parse: %w", p.name, what, aerr)
	case !editedFieldOnly(events, after, ti, p.field, v):
		return nil, "", fmt.Errorf("set %s of %s: the edit would change more than its %s; object left as it was", p.name, what, p.name)
	}
	return out, old, nil
}

// SetAltDescription is SetDescription for the HTML description that
// Outlook and some Exchange bridges keep beside DESCRIPTION, and show
// instead of it: it returns data with the value of one VEVENT's
// X-ALT-DESC;FMTTYPE=text/html set to html, and the value that was there
// before, unescaped, as Parse reads it into Event.AltDescription.
//
// The VEVENT is found as SetDescription finds it (uid, and rid zero for the
// master or the instant of its RECURRENCE-ID). The property is the one
// Parse reads: the event's first X-ALT-DESC whose FMTTYPE is text/html,
// parameter name and value in any case. Only that content line changes; it
// keeps its name and parameters as written, its value is html as TEXT
// (RFC 5545 §3.3.11: \\ \; \, and \n, as Outlook writes it), folded and
// ended as SetDescription folds and ends a DESCRIPTION. Every other byte of
// data is returned as it was, DESCRIPTION included, so the two can be
// applied one after the other to the same object, in either order.
//
// Unlike SetDescription it never adds the property: an event without one
// gives an error wrapping ErrNotFound, as does no such VEVENT. When html
// equals the current value, data itself is returned. The result is parsed
// again and must differ from data only in that event's AltDescription (and
// still parse cleanly if data did); otherwise SetAltDescription returns an
// error and no data.
func SetAltDescription(data []byte, uid string, rid time.Time, html string) (out []byte, old string, err error) {
	return setText(data, uid, rid, html, textProp{
		name:      "X-ALT-DESC",
		field:     altDescriptionOf,
		mustExist: true,
		edit: func(data []byte, lines []contentLine, opt ParseOptions, value string) (textEdit, error) {
			li, err := locateAltDescription(data, lines, opt, uid, rid)
			if err != nil {
				return textEdit{}, err
			}
			return valueEdit(data, lines[li], value), nil
		},
	})
}

// errNoAltDesc says that the event has no HTML X-ALT-DESC to edit.
var errNoAltDesc = fmt.Errorf("no X-ALT-DESC;FMTTYPE=text/html in the event: %w", calendar.ErrNotFound)

// locateAltDescription returns the index into lines of the content line
// that Parse reads as the AltDescription of the event (uid, rid). As
// locateDescription does, it asks Parse: every X-ALT-DESC line of the
// object gets a value of its own (a probe), and the event's says which line
// it is. An event that reads no probe has no such property: errNoAltDesc.
func locateAltDescription(data []byte, lines []contentLine, opt ParseOptions, uid string, rid time.Time) (int, error) {
	mark := "oneonone-alt-probe-"
	for bytes.Contains(data, []byte(mark)) {
		mark += "x"
	}
	var edits []textEdit
	for i, ln := range lines {
		if name, _, ok := splitContentLine(ln.text); ok && name == propAltDesc {
			edits = append(edits, valueEdit(data, ln, mark+strconv.Itoa(i)))
		}
	}
	if len(edits) == 0 {
		return 0, errNoAltDesc
	}
	events, _ := Parse(applyEdits(data, edits), opt)
	i := findEvent(events, uid, rid)
	if i < 0 {
		return 0, errors.New("cannot find the event's X-ALT-DESC in the object")
	}
	v := events[i].AltDescription
	if !strings.HasPrefix(v, mark) {
		return 0, errNoAltDesc
	}
	k, err := strconv.Atoi(strings.TrimPrefix(v, mark))
	if err != nil || k < 0 || k >= len(lines) {
		return 0, errors.New("cannot find the event's X-ALT-DESC in the object")
	}
	if name, _, ok := splitContentLine(lines[k].text); !ok || name != propAltDesc {
		return 0, errors.New("cannot find the event's X-ALT-DESC in the object")
	}
	return k, nil
}

// findEvent returns the index of the first event with UID uid that is the
// master (rid zero) or the override of the instant rid, or -1.
func findEvent(events []calendar.Event, uid string, rid time.Time) int {
	for i := range events {
		e := &events[i]
		if e.UID != uid {
			continue
		}
		if rid.IsZero() && e.RecurrenceID.IsZero() || !rid.IsZero() && e.RecurrenceID.Equal(rid) {
			return i
		}
	}
	return -1
}

// normalizeNewlines turns CRLF and CR into LF: TEXT has no way to write a
// carriage return (RFC 5545 §3.3.11).
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// escapeText writes s as a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	if !strings.ContainsAny(s, "\\;,\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// contentLine is one content line of an object (RFC 5545 §3.1) as it is
// stored: its byte span, folds and line endings included, and its text
// unfolded.
type contentLine struct {
	start, end int    // data[start:end] is the line, its last line ending included
	text       string // unfolded, without line endings
	eol        string // the line ending of its first physical line ("" at the end of data)
	lastEOL    string // the line ending of its last physical line
}

// splitContentLines cuts data into content lines the way go-ical reads
// them: a physical line ends at LF, a CR before it belongs to the line
// ending, and a physical line that starts with a space or a tab continues
// the one before (its first character dropped). A byte-order mark at the
// start is not part of the first line's text.
func splitContentLines(data []byte) []contentLine {
	var (
		lines []contentLine
		text  []byte // the unfolded text of the last line, while it grows
	)
	flush := func() {
		if len(lines) > 0 {
			lines[len(lines)-1].text = string(text)
		}
	}
	for pos := 0; pos < len(data); {
		end, next := len(data), len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			end, next = pos+i, pos+i+1
			if end > pos && data[end-1] == '\r' {
				end--
			}
		}
		body, eol := data[pos:end], string(data[end:next])
		if pos == 0 {
			body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		}
		if len(body) > 0 && (body[0] == ' ' || body[0] == '\t') && len(lines) > 0 {
			text = append(text, body[1:]...)
			l := &lines[len(lines)-1]
			l.end, l.lastEOL = next, eol
		} else {
			flush()
			text = append(text[:0], body...)
			lines = append(lines, contentLine{start: pos, end: next, eol: eol, lastEOL: eol})
		}
		pos = next
	}
	flush()
	return lines
}

// splitContentLine reads the name of a content line, upper-cased, and
// where its value starts: name *(";" param) ":" value (RFC 5545 §3.1),
// parameter values quoted or not, with go-ical's grammar (what Parse reads
// well-formed objects with). ok is false when go-ical would refuse the line.
func splitContentLine(s string) (name string, valueAt int, ok bool) {
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return "", 0, false
	}
	name = strings.ToUpper(s[:i])
	for i < len(s) && s[i] == ';' {
		i++
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 {
			return "", 0, false
		}
		i += eq + 1
		for {
			if i < len(s) && s[i] == '"' {
				q := strings.IndexByte(s[i+1:], '"')
				if q < 0 {
					return "", 0, false
				}
				i += q + 2
			} else {
				for i < len(s) && s[i] != ';' && s[i] != ':' && s[i] != ',' {
					if s[i] == '"' {
						return "", 0, false
					}
					i++
				}
			}
			if i >= len(s) || s[i] != ',' && s[i] != ';' && s[i] != ':' {
				return "", 0, false
			}
			if s[i] != ',' {
				break
			}
			i++
		}
	}
	if i >= len(s) || s[i] != ':' {
		return "", 0, false
	}
	return name, i + 1, true
}

// veventBlock is where one VEVENT of the object keeps its DESCRIPTION.
type veventBlock struct {
	desc     int // index of its first own DESCRIPTION line, -1 when none
	child    int // byte offset of its first nested BEGIN, -1 when none
	closedAt int // byte offset of the line that ends it (END:VEVENT, or what closes it), len(data) when nothing does
}

// insertAt is where a DESCRIPTION goes when the VEVENT has none: before its
// first nested component, else before its end.
func (b veventBlock) insertAt() int {
	if b.child >= 0 {
		return b.child
	}
	return b.closedAt
}

// Components that sit directly in a VCALENDAR; as in Parse's tolerant
// decoder, a BEGIN of one of them closes an unterminated sibling.
var editCalendarLevel = map[string]bool{
	"VEVENT": true, "VTODO": true, "VJOURNAL": true, "VFREEBUSY": true, "VTIMEZONE": true, "VAVAILABILITY": true,
}

// editMaxDepth mirrors the nesting limit of Parse's tolerant decoder.
const editMaxDepth = 16

// scanVEvents finds the VEVENTs of data, in order, with the nesting rules
// of Parse's tolerant decoder (which agree with go-ical's on well-formed
// data). Lines that cannot be read are skipped, as that decoder does.
func scanVEvents(data []byte, lines []contentLine) []veventBlock {
	type frame struct {
		name  string
		block int // index into blocks for a VEVENT, else -1
	}
	var (
		blocks []veventBlock
		stack  []frame
	)
	closeFrom := func(j, at int) {
		for _, f := range stack[j:] {
			if f.block >= 0 {
				blocks[f.block].closedAt = at
			}
		}
		stack = stack[:j]
	}
	for i, ln := range lines {
		name, at, ok := splitContentLine(ln.text)
		if !ok {
			continue
		}
		switch name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(ln.text[at:]))
			if comp == "" {
				continue
			}
			if editCalendarLevel[comp] {
				for j := len(stack) - 1; j >= 0; j-- {
					if editCalendarLevel[stack[j].name] {
						closeFrom(j, ln.start)
						break
					}
				}
			}
			if len(stack) >= editMaxDepth {
				continue
			}
			if n := len(stack); n > 0 && stack[n-1].block >= 0 && blocks[stack[n-1].block].child < 0 {
				blocks[stack[n-1].block].child = ln.start
			}
			f := frame{name: comp, block: -1}
			if comp == "VEVENT" {
				f.block = len(blocks)
				blocks = append(blocks, veventBlock{desc: -1, child: -1, closedAt: len(data)})
			}
			stack = append(stack, f)
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(ln.text[at:]))
			for j := len(stack) - 1; j >= 0; j-- {
				if stack[j].name == comp {
					closeFrom(j, ln.start)
					break
				}
			}
		case "DESCRIPTION":
			if n := len(stack); n > 0 && stack[n-1].block >= 0 && blocks[stack[n-1].block].desc < 0 {
				blocks[stack[n-1].block].desc = i
			}
		}
	}
	return blocks
}

// textEdit replaces data[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

// edit returns the change that sets b's DESCRIPTION to the TEXT value v
// (already escaped).
func (b veventBlock) edit(data []byte, lines []contentLine, v string) textEdit {
	if b.desc >= 0 {
		return valueEdit(data, lines[b.desc], v)
	}
	at := b.insertAt()
	var lead string
	eol := objectEOL(data)
	switch {
	case at == 0:
	case data[at-1] != '\n':
		lead = eol // the line before ends the data without a line ending
	case at >= 2 && data[at-2] == '\r':
		eol = "\r\n"
	default:
		eol = "\n"
	}
	return textEdit{at, at, lead + fold("DESCRIPTION:"+v, eol) + eol}
}

// valueEdit returns the change that sets the value of the content line ln
// to v (already escaped): the name and parameters stay as written, the
// line is folded again and keeps the line ending it had.
func valueEdit(data []byte, ln contentLine, v string) textEdit {
	_, at, _ := splitContentLine(ln.text)
	eol := ln.eol
	if eol == "" {
		eol = objectEOL(data)
	}
	return textEdit{ln.start, ln.end, fold(ln.text[:at]+v, eol) + ln.lastEOL}
}

// objectEOL is the line ending data uses: CRLF when it has one, else LF
// when it has one, else CRLF (RFC 5545 §3.1).
func objectEOL(data []byte) string {
	if bytes.Contains(data, []byte("\r\n")) || !bytes.Contains(data, []byte("\n")) {
		return "\r\n"
	}
	return "\n"
}

// maxLineOctets is the longest line RFC 5545 §3.1 allows, line ending excluded.
const maxLineOctets = 75

// fold folds a content line (RFC 5545 §3.1): no physical line longer than
// 75 octets, continuation lines starting with a space, never inside a UTF-8
// sequence or a backslash escape. The last line ending is left to the caller.
func fold(s string, eol string) string {
	if len(s) <= maxLineOctets {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/maxLineOctets*(len(eol)+1) + 8)
	n := 0 // octets on the current physical line
	for i := 0; i < len(s); {
		w := 1
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] < utf8.RuneSelf:
			w = 2
		case c >= utf8.RuneSelf:
			_, w = utf8.DecodeRuneInString(s[i:])
		}
		if n+w > maxLineOctets && n > 0 {
			b.WriteString(eol)
			b.WriteByte(' ')
			n = 1
		}
		b.WriteString(s[i : i+w])
		n += w
		i += w
	}
	return b.String()
}

// applyEdits returns data with the edits made; they must not overlap.
func applyEdits(data []byte, edits []textEdit) []byte {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	size := len(data)
	for _, e := range edits {
		size += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, size)
	pos := 0
	for _, e := range edits {
		out = append(out, data[pos:e.start]...)
		out = append(out, e.text...)
		pos = e.end
	}
	return append(out, data[pos:]...)
}

// locateDescription returns the block whose DESCRIPTION Parse reads as the
// description of the event (uid, rid). It asks Parse: every VEVENT gets a
// description of its own (a probe), and the event's says which block it is.
// This keeps the choice exact even where the object's structure is read in
// ways a scan of its lines could get wrong (unterminated or misnested
// components, lines go-ical refuses).
func locateDescription(data []byte, lines []contentLine, blocks []veventBlock, opt ParseOptions, uid string, rid time.Time) (int, error) {
	if len(blocks) == 0 {
		return 0, errors.New("no VEVENT found in the object")
	}
	mark := "oneonone-probe-"
	for bytes.Contains(data, []byte(mark)) {
		mark += "x"
	}
	edits := make([]textEdit, len(blocks))
	for k, b := range blocks {
		edits[k] = b.edit(data, lines, mark+strconv.Itoa(k))
	}
	probe := applyEdits(data, edits)
	events, _ := Parse(probe, opt)
	i := findEvent(events, uid, rid)
	if i < 0 {
		return 0, errors.New("cannot find the event's DESCRIPTION in the object")
	}
	k, err := strconv.Atoi(strings.TrimPrefix(events[i].Description, mark))
	if !strings.HasPrefix(events[i].Description, mark) || err != nil || k < 0 || k >= len(blocks) {
		return 0, errors.New("cannot find the event's DESCRIPTION in the object")
	}
	return k, nil
}

func descriptionOf(e *calendar.Event) *string    { return &e.Description }
func altDescriptionOf(e *calendar.Event) *string { return &e.AltDescription }

// editedFieldOnly reports whether after is before with the field of event
// ti that field points to set to v, and nothing else changed.
func editedFieldOnly(before, after []calendar.Event, ti int, field func(*calendar.Event) *string, v string) bool {
	if len(before) != len(after) || *field(&after[ti]) != v {
		return false
	}
	for i := range before {
		a, b := before[i], after[i]
		if i == ti {
			*field(&a), *field(&b) = "", ""
		}
		if !sameValue(reflect.ValueOf(a), reflect.ValueOf(b)) {
			return false
		}
	}
	return true
}

var timeType = reflect.TypeFor[time.Time]()

// sameValue compares two values of the same type deeply; times are equal
// when they are the same instant in zones of the same name.
func sameValue(a, b reflect.Value) bool {
	if a.Type() == timeType {
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		return ta.Equal(tb) && ta.Location().String() == tb.Location().String()
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if v := b.MapIndex(k); !v.IsValid() || !sameValue(a.MapIndex(k), v) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
