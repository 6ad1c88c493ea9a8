package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/history"
)

// inspectEvent is what inspect says of one event (a master with its
// overrides, a one-off, or overrides without their master).
type inspectEvent struct {
	UID         string              `json:"uid"`
	Summary     string              `json:"summary"`
	OneOnOne    bool                `json:"one_on_one"`
	Cancelled   bool                `json:"cancelled,omitempty"`
	Reason      string              `json:"reason"`
	Counterpart string              `json:"counterpart,omitempty"`
	Cadence     calendar.Cadence    `json:"cadence,omitempty"`
	RRule       string              `json:"rrule,omitempty"`
	Occurrences []inspectOccurrence `json:"occurrences"`
}

// inspectOccurrence is a slot of a tracked 1:1 (with its state), or an
// instance of an event that is not tracked (no state; cancelled says
// whether the calendar cancelled it).
type inspectOccurrence struct {
	OriginalStart string         `json:"original_start"`
	Start         string         `json:"start"`
	State         calendar.State `json:"state,omitempty"`
	Cancelled     bool           `json:"cancelled,omitempty"`
	ShiftMinutes  int            `json:"shift_minutes"`
}

type inspectResult struct {
	File     string         `json:"file"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Me       []string       `json:"me,omitempty"`
	Events   []inspectEvent `json:"events"`
	Problems []string       `json:"problems,omitempty"`
}

// stdin is what "inspect -" reads; a test may replace it.
var stdin io.Reader = os.Stdin

// cmdInspect shows, for each event of an .ics file, whether oneonone tracks
// it as a 1:1 and why, and its occurrences in a window with their states.
func cmdInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inspect", "FILE.ics|- [--from DATE] [--to DATE] [--me EMAIL] [--format text|json]")
	cfgPath := fs.String("config", "", "config file (optional: for identity.me, timezone and detect rules)")
	fromFlag := fs.String("from", "", "window start, YYYY-MM-DD (default: 12 weeks ago)")
	toFlag := fs.String("to", "", "window end, YYYY-MM-DD, exclusive (default: 14 days ahead)")
	me := fs.String("me", "", "your address(es), comma-separated (default: identity.me of the config, else each event's organizer)")
	tz := fs.String("tz", "", "zone for floating times and dates (default: the config's timezone, else UTC)")
	format := fs.format("text", "json")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want exactly one FILE.ics"}
	}
	file := fs.Arg(0)

	rules := history.DetectRules{}
	loc := time.UTC
	var err error
	if *cfgPath != "" || os.Getenv("ONEONONE_CONFIG") != "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
		if rules, err = detectRules(cfg); err != nil {
			return err
		}
		loc = cfg.Location()
	}
	if *tz != "" {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			return usageError{fmt.Sprintf("--tz: unknown time zone %q", *tz)}
		}
		loc = l
	}
	if *me != "" {
		rules.Me = nil
		for _, m := range strings.Split(*me, ",") {
			rules.Me = append(rules.Me, calendar.NormalizeEmail(m))
		}
	}
	now := time.Now()
	from, to := now.AddDate(0, 0, -84), now.AddDate(0, 0, 14)
	if *fromFlag != "" {
		if from, err = time.ParseInLocation("2006-01-02", *fromFlag, loc); err != nil {
			return usageError{fmt.Sprintf("--from: want YYYY-MM-DD, got %q", *fromFlag)}
		}
	}
	if *toFlag != "" {
		if to, err = time.ParseInLocation("2006-01-02", *toFlag, loc); err != nil {
			return usageError{fmt.Sprintf("--to: want YYYY-MM-DD, got %q", *toFlag)}
		}
	}
	if !to.After(from) {
		return usageError{"--to must be after --from"}
	}

	var data []byte
	if file == "-" {
		if data, err = io.ReadAll(stdin); err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
		file = "(stdin)"
	} else if data, err = os.ReadFile(file); err != nil {
		return fmt.Errorf("read %s: %w", file, errors.Unwrap(err))
	}
	if os.Getenv("GOGC") == "" {
		// What inspect keeps is the file's events; what it allocates for
		// each series is garbage once written. A lower GC target than the
		// default 100 % keeps the peak near the events' size (1.5× rather
		// than 2×), for about a third more CPU on a large file.
		defer debug.SetGCPercent(debug.SetGCPercent(inspectGCPercent))
	}
	x := openInspect(file, data, rules, loc, from, to, now)
	if x.events.Len() == 0 && len(x.problems) > 0 {
		return fmt.Errorf("%s", x.problems[0])
	}
	w := bufio.NewWriter(e.stdout)
	if *format == "json" {
		err = writeInspectJSON(w, x)
	} else {
		err = writeInspectText(w, x)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// inspectGCPercent is inspect's GC target (runtime/debug.SetGCPercent),
// unless GOGC is set.
const inspectGCPercent = 50

// inspection is what inspect says of a file: its header, the problems of
// reading it, and the events, explained one at a time.
type inspection struct {
	head     inspectResult // without events and problems
	problems []string      // of parsing the file
	events   *history.Inspection
}

// openInspect reads an .ics file the way the engine reads a calendar
// object, to be explained with history.Inspect.
func openInspect(file string, data []byte, rules history.DetectRules, loc *time.Location, from, to, now time.Time) *inspection {
	x := &inspection{head: inspectResult{
		File: file,
		From: from.Format(time.RFC3339),
		To:   to.Format(time.RFC3339),
		Me:   rules.Me,
	}}
	events, err := ical.ParseLarge(data, ical.ParseOptions{Href: file, DefaultZone: loc}, parseChunk)
	if err != nil {
		x.problems = splitErrors(err)
	}
	x.events = history.Inspect(history.InspectInput{Events: events, Rules: rules, From: from, To: to, Now: now})
	return x
}

// parseChunk is how many VEVENTs inspect gives ical.Parse at a time
// (ical.ParseLarge); a test may lower it.
var parseChunk = 500

// each gives the events, explained, one at a time; then allProblems
// holds the problems of the file and of its events.
func (x *inspection) each(yield func(inspectEvent) error) error {
	return x.events.Each(func(ex history.Explanation) error { return yield(eventOf(ex)) })
}

// allProblems lists the problems of the file, then those of the last each.
func (x *inspection) allProblems() []string {
	out := append([]string(nil), x.problems...)
	if err := x.events.Err(); err != nil {
		out = append(out, splitErrors(err)...)
	}
	return out
}

// eventOf is what inspect says of one explained event.
func eventOf(x history.Explanation) inspectEvent {
	ie := inspectEvent{
		UID: x.UID, Summary: x.Summary, OneOnOne: x.OneOnOne, Cancelled: x.Cancelled, Reason: x.Reason,
		Counterpart: x.Counterpart, Cadence: x.Cadence, RRule: x.RRule,
		Occurrences: make([]inspectOccurrence, 0, len(x.Occurrences)+len(x.Instances)),
	}
	for _, o := range x.Occurrences {
		ie.Occurrences = append(ie.Occurrences, inspectOccurrence{
			OriginalStart: o.OriginalStart.Format(time.RFC3339),
			Start:         o.Start.Format(time.RFC3339),
			State:         o.State,
			ShiftMinutes:  o.ShiftMinutes(),
		})
	}
	for _, in := range x.Instances {
		ie.Occurrences = append(ie.Occurrences, inspectOccurrence{
			OriginalStart: in.OriginalStart.Format(time.RFC3339),
			Start:         in.Start.Format(time.RFC3339),
			Cancelled:     in.Cancelled,
			ShiftMinutes:  int(in.Start.Sub(in.OriginalStart).Round(time.Minute) / time.Minute),
		})
	}
	return ie
}

// splitErrors lists the one-line errors of a (joined) error.
func splitErrors(err error) []string {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{oneLine(err.Error())}
}

// writeInspectJSON writes, one event at a time, what a json.Encoder
// indented by two spaces writes of the whole inspectResult: the same
// bytes, without holding every event.
func writeInspectJSON(w io.Writer, x *inspection) error {
	field := func(name string, v any, last bool) error {
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ","
		if last {
			sep = ""
		}
		_, err = fmt.Fprintf(w, "\n  %q: %s%s", name, b, sep)
		return err
	}
	h := x.head
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    string
	}{{"file", h.File}, {"from", h.From}, {"to", h.To}} {
		if err := field(f.name, f.v, false); err != nil {
			return err
		}
	}
	if len(h.Me) > 0 {
		if err := field("me", h.Me, false); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "\n  \"events\": ["); err != nil {
		return err
	}
	n := 0
	err := x.each(func(ev inspectEvent) error {
		b, err := json.MarshalIndent(ev, "    ", "  ")
		if err != nil {
			return err
		}
		sep := ","
		if n == 0 {
			sep = ""
		}
		n++
		_, err = fmt.Fprintf(w, "%s\n    %s", sep, b)
		return err
	})
	if err != nil {
		return err
	}
	end := "]"
	if n > 0 {
		end = "\n  ]"
	}
	problems := x.allProblems()
	if len(problems) > 0 {
		end += ","
	}
	if _, err := io.WriteString(w, end); err != nil {
		return err
	}
	if len(problems) > 0 {
		if err := field("problems", problems, true); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "\n}\n")
	return err
}

// writeInspectText writes the header, the problems, then each event with
// its occurrences. The problems come first but are known only once every
// event is expanded: a first pass finds them, its output dropped, so
// that the events need not be held.
func writeInspectText(w io.Writer, x *inspection) error {
	h := x.head
	if err := x.each(func(inspectEvent) error { return nil }); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d events, window %s to %s\n", h.File, x.events.Len(), h.From, h.To)
	for _, p := range x.allProblems() {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	return x.each(func(ev inspectEvent) error { return writeInspectEvent(w, ev) })
}

// writeInspectEvent writes one event of the text output.
func writeInspectEvent(w io.Writer, ev inspectEvent) error {
	verdict := "not a 1:1"
	if ev.Cancelled {
		verdict = "ended 1:1 with " + ev.Counterpart
	}
	if ev.OneOnOne {
		verdict = "1:1 with " + ev.Counterpart
		if ev.Cadence != "" {
			verdict += ", " + string(ev.Cadence)
		}
	}
	fmt.Fprintf(w, "\n%s\n  uid: %s\n  %s: %s\n", ev.Summary, ev.UID, verdict, ev.Reason)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, o := range ev.Occurrences {
		moved := ""
		if o.Start != o.OriginalStart {
			moved = "→ " + o.Start
		}
		state := string(o.State)
		switch {
		case state != "":
		case o.Cancelled:
			state = "(cancelled)"
		default:
			state = "(not tracked)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.OriginalStart, state, moved)
	}
	return tw.Flush()
}
