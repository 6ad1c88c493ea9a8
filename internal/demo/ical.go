package demo

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// maxLineOctets is the longest content line RFC 5545 §3.1 allows, CRLF excluded.
const maxLineOctets = 75

// Value formats of RFC 5545 §3.3.4 (DATE) and §3.3.5 (DATE-TIME).
const (
	fmtDate      = "20060102"
	fmtLocalTime = "20060102T150405"
	fmtUTCTime   = "20060102T150405Z"
)

// icsWriter collects the content lines of one iCalendar object, folded and
// terminated with CRLF (RFC 5545 §3.1).
type icsWriter struct {
	buf bytes.Buffer
}

// line writes one unfolded content line.
func (w *icsWriter) line(s string) { w.buf.WriteString(fold(s)) }

// prop writes name (with its parameters) and an already encoded value.
func (w *icsWriter) prop(name, value string) { w.line(name + ":" + value) }

// text writes a TEXT property, escaping its value.
func (w *icsWriter) text(name, value string) { w.prop(name, escapeText(value)) }

func (w *icsWriter) bytes() []byte { return bytes.Clone(w.buf.Bytes()) }

// fold splits a content line into physical lines of at most 75 octets, each
// continuation starting with one space, and ends it with CRLF (RFC 5545
// §3.1). It never splits a UTF-8 sequence.
func fold(line string) string {
	var b strings.Builder
	b.Grow(len(line) + len(line)/maxLineOctets*3 + 2)
	n := 0
	for _, r := range line {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = len(string(utf8.RuneError))
		}
		if n+size > maxLineOctets {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	b.WriteString("\r\n")
	return b.String()
}

// escapeText encodes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon,
// comma and line breaks are escaped.
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paramValue encodes a parameter value (RFC 5545 §3.1): quoted when asked to
// or when it holds a colon, semicolon or comma. DQUOTE cannot appear in a
// parameter value at all and becomes an apostrophe.
func paramValue(s string, quote bool) string {
	s = strings.ReplaceAll(s, `"`, "'")
	if quote || strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// utcOffset formats a UTC offset as ±hhmm, or ±hhmmss when it has seconds
// (RFC 5545 §3.3.14).
func utcOffset(seconds int) string {
	sign := '+'
	if seconds < 0 {
		sign = '-'
		seconds = -seconds
	}
	h, m, s := seconds/3600, seconds/60%60, seconds%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}

// berlinVTimezone is Europe/Berlin as the EU rule has defined it since 1996,
// written the way Thunderbird and Nextcloud write it.
var berlinVTimezone = []string{
	"BEGIN:VTIMEZONE",
	"TZID:Europe/Berlin",
	"X-LIC-LOCATION:Europe/Berlin",
	"BEGIN:DAYLIGHT",
	"TZOFFSETFROM:+0100",
	"TZOFFSETTO:+0200",
	"TZNAME:CEST",
	"DTSTART:19700329T020000",
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
	"END:DAYLIGHT",
	"BEGIN:STANDARD",
	"TZOFFSETFROM:+0200",
	"TZOFFSETTO:+0100",
	"TZNAME:CET",
	"DTSTART:19701025T030000",
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
	"END:STANDARD",
	"END:VTIMEZONE",
}

// vtimezone returns the VTIMEZONE component for loc, named tzid. Europe/Berlin
// gets the rule-based definition above; any other zone gets one observance
// per transition that loc knows between from and to (RFC 5545 §3.6.5), so
// the definition is exact over the span of the seed.
func vtimezone(loc *time.Location, tzid string, from, to time.Time) []string {
	if tzid == "Europe/Berlin" {
		return berlinVTimezone
	}
	lines := []string{"BEGIN:VTIMEZONE", "TZID:" + tzid}
	observance := func(at time.Time, first bool) {
		t := at.In(loc)
		name, off := t.Zone()
		_, prevOff := t.Add(-time.Second).Zone()
		kind := "STANDARD"
		if t.IsDST() {
			kind = "DAYLIGHT"
		}
		// DTSTART of an observance is the local time of the onset, in the
		// offset that was in effect before it.
		onset := t.UTC().Add(time.Duration(prevOff) * time.Second).Format(fmtLocalTime)
		if first {
			start, _ := t.ZoneBounds()
			if start.IsZero() {
				onset, prevOff = "19700101T000000", off
			} else {
				_, prevOff = start.Add(-time.Second).In(loc).Zone()
				onset = start.UTC().Add(time.Duration(prevOff) * time.Second).Format(fmtLocalTime)
			}
		}
		lines = append(lines,
			"BEGIN:"+kind,
			"TZOFFSETFROM:"+utcOffset(prevOff),
			"TZOFFSETTO:"+utcOffset(off),
		)
		if name != "" && !strings.ContainsAny(name, "+-") {
			lines = append(lines, "TZNAME:"+name)
		}
		lines = append(lines, "DTSTART:"+onset, "END:"+kind)
	}
	t := from.In(loc)
	observance(t, true)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		observance(end, false)
		t = end
	}
	return append(lines, "END:VTIMEZONE")
}
