package ical

import (
	"bytes"
	"strings"

	"oneonone/calendar"
)

// ParseLarge reads data as Parse does, giving the same events and errors,
// but a large file in pieces of per VEVENTs when it can (per < 1 reads it
// whole): Parse holds the decoded components of all it reads until it
// returns, several times the size of the events, so a whole export read at
// once weighs more than its events.
func ParseLarge(data []byte, opt ParseOptions, per int) ([]calendar.Event, error) {
	if per > 0 {
		if events, ok := parseInPieces(data, opt, per); ok {
			return events, nil
		}
	}
	return Parse(data, opt)
}

// parseInPieces parses a file that is one VCALENDAR holding VTIMEZONEs
// and more than per VEVENTs, per VEVENTs at a time: each piece is the
// VCALENDAR's properties and every VTIMEZONE with some of the VEVENTs.
// ok is false, and the file must be read whole, unless every piece reads
// without a problem and the events of each UID all come from one piece:
// what Parse relates across events (an override's DATE
// RECURRENCE-ID read at its master's time of day; problems reported once
// per file, or counted) then plays no part, and the events are those a
// reading of the whole file gives, in the same order.
func parseInPieces(data []byte, opt ParseOptions, per int) (events []calendar.Event, ok bool) {
	// line returns the line at off, its end of line included, and its
	// text without it; blocks are slices of data, not copies.
	line := func(off int) (l []byte, text string) {
		end := bytes.IndexByte(data[off:], '\n') + 1
		if end == 0 {
			end = len(data) - off
		}
		l = data[off : off+end]
		return l, string(bytes.TrimRight(l, "\r\n"))
	}
	first, text := line(0)
	if text != "BEGIN:VCALENDAR" {
		return nil, false
	}
	var head, zones []byte
	var blocks [][]byte
	// block returns the end of the component that starts at off: past
	// the END:<comp> line.
	block := func(off int, comp string) (int, bool) {
		l, _ := line(off)
		for off += len(l); off < len(data); {
			l, text := line(off)
			off += len(l)
			switch {
			case text == "END:"+comp:
				return off, true
			case strings.EqualFold(text, "BEGIN:"+comp), strings.EqualFold(text, "END:VCALENDAR"), strings.EqualFold(text, "BEGIN:VCALENDAR"):
				return 0, false
			}
		}
		return 0, false
	}
	ended, prevHead := false, true
	for off := len(first); off < len(data); {
		l, text := line(off)
		switch {
		case ended:
			return nil, false // something after the VCALENDAR
		case text == "END:VCALENDAR":
			ended = true
		case text == "BEGIN:VEVENT", text == "BEGIN:VTIMEZONE":
			comp := strings.TrimPrefix(text, "BEGIN:")
			end, ok := block(off, comp)
			if !ok {
				return nil, false
			}
			if comp == "VEVENT" {
				blocks = append(blocks, data[off:end])
			} else {
				zones = append(zones, data[off:end]...)
			}
			off, prevHead = end, false
			continue
		case hasPrefixFold(text, "BEGIN:"), hasPrefixFold(text, "END:"):
			return nil, false // another component, or one out of place
		case len(text) > 0 && (text[0] == ' ' || text[0] == '\t') && !prevHead:
			return nil, false // a continuation line after a component
		default:
			head, prevHead = append(head, l...), true
		}
		off += len(l)
	}
	if !ended || len(blocks) <= per {
		return nil, false
	}
	eol := first[len("BEGIN:VCALENDAR"):]
	pieceOf := make(map[string]int)
	for k, end := 0, 0; k < len(blocks); k = end {
		// A piece ends between two UIDs, as a file holds the events of
		// one UID together.
		end = min(k+per, len(blocks))
		for end < len(blocks) && rawUID(blocks[end]) == rawUID(blocks[end-1]) {
			end++
		}
		batch := blocks[k:end]
		piece := append(append(append([]byte(nil), first...), head...), zones...)
		for _, b := range batch {
			piece = append(piece, b...)
		}
		piece = append(append(piece, "END:VCALENDAR"...), eol...)
		evs, err := Parse(piece, opt)
		if err != nil || len(evs) != len(batch) {
			return nil, false
		}
		for _, e := range evs {
			if p, seen := pieceOf[e.UID]; seen && p != k {
				return nil, false
			}
			pieceOf[e.UID] = k
		}
		events = append(events, evs...)
	}
	return events, true
}

// rawUID is the value of a VEVENT's UID line as written, "" without one.
func rawUID(vevent []byte) string {
	for _, l := range bytes.Split(vevent, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("UID:")); ok {
			return string(bytes.TrimRight(v, "\r"))
		}
	}
	return ""
}

// hasPrefixFold is strings.HasPrefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
