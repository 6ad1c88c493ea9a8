package googleapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// maxFreeBusyBody bounds the request body of freebusy.query.
const maxFreeBusyBody = 1 << 20

// maxInstances bounds the occurrences the fake steps through per rule of a
// series when it computes busy time, against a rule that never reaches the
// query's span (FREQ=SECONDLY from years ago).
const maxInstances = 1_000_000

// freeBusyRequest is the body of freebusy.query. groupExpansionMax and
// calendarExpansionMax are read and ignored.
type freeBusyRequest struct {
	TimeMin  *string `json:"timeMin"`
	TimeMax  *string `json:"timeMax"`
	TimeZone string  `json:"timeZone"`
	Items    []struct {
		ID string `json:"id"`
	} `json:"items"`
}

type busySpan struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type freeBusyError struct {
	Domain string `json:"domain"`
	Reason string `json:"reason"`
}

type freeBusyCalendar struct {
	Errors []freeBusyError `json:"errors,omitempty"`
	Busy   []busySpan      `json:"busy"`
}

// freeBusy serves freebusy.query (POST freeBusy): the busy time of each
// calendar asked about over [timeMin, timeMax), computed from its stored
// events. It changes nothing.
//
// Like Google: the answer is {"kind":"calendar#freeBusy","timeMin",
// "timeMax","calendars":{"<id>":{"busy":[{"start","end"}]}}}, one entry per
// id asked (keyed by the id as sent, "primary" included), times in UTC
// ("Z"). An id the fake does not know, or a calendar with access role
// "none", answers {"errors":[{"domain":"global","reason":"notFound"}],
// "busy":[]}. Cancelled events, transparent ones and those the calendar's
// owner declined (an attendee with self, or the calendar's or owner's
// address, and responseStatus "declined") are free; series masters are
// expanded (RRULE, RDATE, EXDATE; date-times on the wall clock of
// start.timeZone, else the calendar's zone), each stored exception,
// cancelled or not, replacing the occurrence of its originalStartTime; an
// all-day event is busy from midnight to midnight in the calendar's zone.
// Spans are clipped to [timeMin, timeMax), merged and sorted. A body that is
// not JSON answers 400 parseError, a missing timeMin or timeMax 400 required,
// timeMax <= timeMin 400 timeRangeEmpty.
//
// Guessed: the messages of the 400s, and "invalid" for a time that is not
// RFC 3339; timeMin and timeMax echoed with milliseconds. Not modelled:
// groups (a group id is an unknown calendar), calendarExpansionMax and
// groupExpansionMax (ignored, as is the 50-calendar limit), timeZone (the
// answer is UTC whatever it says), eventType rules (working-location and
// birthday events are free only when transparent, as Google stores them),
// a series rule with more than a million occurrences before timeMax (the
// rest are left out), and the freeBusyReader/reader distinction (every role
// but "none" sees busy time).
func (s *Server) freeBusy(r *http.Request) (int, []byte, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxFreeBusyBody+1))
	if err != nil || len(raw) > maxFreeBusyBody {
		return fail(errParse)
	}
	var req freeBusyRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&req); err != nil {
		return fail(errParse)
	}
	if req.TimeMin == nil || *req.TimeMin == "" {
		return fail(required("Missing timeMin."))
	}
	if req.TimeMax == nil || *req.TimeMax == "" {
		return fail(required("Missing timeMax."))
	}
	tmin, err := time.Parse(time.RFC3339, *req.TimeMin)
	if err != nil {
		return fail(invalidField("timeMin", *req.TimeMin))
	}
	tmax, err := time.Parse(time.RFC3339, *req.TimeMax)
	if err != nil {
		return fail(invalidField("timeMax", *req.TimeMax))
	}
	if !tmax.After(tmin) {
		return fail(errTimeRangeEmpty)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	env := &object{vals: map[string]json.RawMessage{}}
	put := func(o *object, k string, val any) {
		b, _ := json.Marshal(val)
		if _, ok := o.vals[k]; !ok {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = b
	}
	put(env, "kind", "calendar#freeBusy")
	put(env, "timeMin", tmin.UTC().Format("2006-01-02T15:04:05.000Z"))
	put(env, "timeMax", tmax.UTC().Format("2006-01-02T15:04:05.000Z"))
	cals := &object{vals: map[string]json.RawMessage{}}
	for _, it := range req.Items {
		c := s.calendarLocked(it.ID)
		if c == nil || c.accessRole == "none" {
			put(cals, it.ID, freeBusyCalendar{
				Errors: []freeBusyError{{Domain: "global", Reason: "notFound"}},
				Busy:   []busySpan{},
			})
			continue
		}
		spans := []busySpan{}
		for _, b := range c.busyLocked(tmin, tmax) {
			spans = append(spans, busySpan{
				Start: b[0].UTC().Format(time.RFC3339),
				End:   b[1].UTC().Format(time.RFC3339),
			})
		}
		put(cals, it.ID, freeBusyCalendar{Busy: spans})
	}
	b, _ := cals.MarshalJSON()
	env.keys = append(env.keys, "calendars")
	env.vals["calendars"] = b
	out, _ := env.MarshalJSON()
	return http.StatusOK, out, nil
}

// invalidField is the 400 for a body field whose value cannot be read.
func invalidField(name, value string) apiError {
	return apiError{code: 400, domain: "global", reason: "invalid",
		message: "Invalid value '" + value + "' for " + name + "."}
}

// busyLocked returns the calendar's busy spans over [tmin, tmax): clipped,
// merged and sorted.
func (c *calendar) busyLocked(tmin, tmax time.Time) [][2]time.Time {
	// Exceptions replace the occurrence they were made from, whatever
	// their status: remember their original starts per master.
	replaced := map[string][]time.Time{}
	for _, ev := range c.order {
		if m := ev.view.RecurringEventID; m != "" {
			if ost, ok := ev.view.OriginalStartTime.instant(c.loc); ok {
				replaced[m] = append(replaced[m], ost)
			}
		}
	}
	var spans [][2]time.Time
	add := func(start, end time.Time) {
		start, end = maxTime(start, tmin), minTime(end, tmax)
		if end.After(start) {
			spans = append(spans, [2]time.Time{start, end})
		}
	}
	for _, ev := range c.order {
		v := &ev.view
		if v.cancelled() || !c.blocks(ev.obj) {
			continue
		}
		if m, ok := c.events[v.RecurringEventID]; ok && m.view.cancelled() {
			continue // the series was deleted
		}
		start, ok1 := v.Start.instant(c.loc)
		end, ok2 := v.End.instant(c.loc)
		if !ok1 || !ok2 {
			continue
		}
		if len(v.Recurrence) == 0 || v.RecurringEventID != "" {
			add(start, end)
			continue
		}
		for _, occ := range c.occurrences(v, start, end, tmin, tmax) {
			if !slices.ContainsFunc(replaced[ev.id], occ[0].Equal) {
				add(occ[0], occ[1])
			}
		}
	}
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var merged [][2]time.Time
	for _, sp := range spans {
		if n := len(merged); n > 0 && !sp[0].After(merged[n-1][1]) {
			merged[n-1][1] = maxTime(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// blocks reports whether an event makes the calendar busy: it is not
// transparent, and the calendar's owner has not declined it.
func (c *calendar) blocks(o *object) bool {
	if o.str("transparency") == "transparent" {
		return false
	}
	raw, ok := o.get("attendees")
	if !ok {
		return true
	}
	var attendees []struct {
		Email          string `json:"email"`
		Self           bool   `json:"self"`
		ResponseStatus string `json:"responseStatus"`
	}
	_ = json.Unmarshal(raw, &attendees)
	for _, a := range attendees {
		me := a.Self || strings.EqualFold(a.Email, c.id) || strings.EqualFold(a.Email, c.owner)
		if me && a.ResponseStatus == "declined" {
			return false
		}
	}
	return true
}

// occurrences expands a series master's RRULE, RDATE and EXDATE lines into
// the [start, end) of each occurrence that overlaps [tmin, tmax). Date-time
// series repeat on the wall clock of start.timeZone (else the calendar's
// zone); all-day series from midnight to midnight in the calendar's zone.
// A line the fake cannot read is ignored.
func (c *calendar) occurrences(v *eventView, start, end, tmin, tmax time.Time) [][2]time.Time {
	loc := c.loc
	allDay := v.Start.DateTime == ""
	days := 0
	if allDay {
		days = int(end.Sub(start).Round(24*time.Hour) / (24 * time.Hour))
	} else if v.Start.TimeZone != "" {
		if l, err := time.LoadLocation(v.Start.TimeZone); err == nil {
			loc = l
		}
	}
	start = start.In(loc)
	dur := end.Sub(start)
	endOf := func(t time.Time) time.Time {
		if allDay {
			return t.AddDate(0, 0, days)
		}
		return t.Add(dur)
	}
	// An occurrence starting before this cannot reach tmin.
	from := tmin.Add(-dur - 48*time.Hour)
	var starts, exdates []time.Time
	for _, line := range v.Recurrence {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		params := ""
		if i := strings.IndexByte(name, ';'); i >= 0 {
			name, params = name[:i], name[i+1:]
		}
		switch strings.ToUpper(name) {
		case "RRULE":
			opt, err := rrule.StrToROptionInLocation(value, loc)
			if err != nil {
				continue
			}
			opt.Dtstart = start
			r, err := rrule.NewRRule(*opt)
			if err != nil {
				continue
			}
			next := r.Iterator()
			for range maxInstances {
				t, ok := next()
				if !ok || !t.Before(tmax) {
					break
				}
				if t.After(from) {
					starts = append(starts, t)
				}
			}
		case "RDATE", "EXDATE":
			spec := value
			if params != "" {
				spec = params + ":" + value
			}
			ts, err := rrule.StrToDatesInLoc(spec, loc)
			if err != nil {
				continue
			}
			if strings.ToUpper(name) == "RDATE" {
				starts = append(starts, ts...)
			} else {
				exdates = append(exdates, ts...)
			}
		}
	}
	slices.SortFunc(starts, time.Time.Compare)
	starts = slices.CompactFunc(starts, time.Time.Equal)
	var out [][2]time.Time
	for _, t := range starts {
		if slices.ContainsFunc(exdates, t.Equal) {
			continue
		}
		if e := endOf(t); e.After(tmin) && t.Before(tmax) {
			out = append(out, [2]time.Time{t, e})
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
