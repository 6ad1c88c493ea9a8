package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
	res := inspect(file, data, rules, loc, from, to, now)
	if len(res.Events) == 0 && len(res.Problems) > 0 {
		return fmt.Errorf("%s", res.Problems[0])
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeInspectText(e.stdout, res)
}

// inspect reads an .ics file the way the engine reads a calendar object,
// and explains it with history.Inspect.
func inspect(file string, data []byte, rules history.DetectRules, loc *time.Location, from, to, now time.Time) inspectResult {
	res := inspectResult{
		File:   file,
		From:   from.Format(time.RFC3339),
		To:     to.Format(time.RFC3339),
		Me:     rules.Me,
		Events: []inspectEvent{},
	}
	events, err := ical.Parse(data, ical.ParseOptions{Href: file, DefaultZone: loc})
	if err != nil {
		res.Problems = splitErrors(err)
	}
	explained, err := history.Inspect(history.InspectInput{Events: events, Rules: rules, From: from, To: to, Now: now})
	if err != nil {
		res.Problems = append(res.Problems, splitErrors(err)...)
	}
	for _, x := range explained {
		ie := inspectEvent{
			UID: x.UID, Summary: x.Summary, OneOnOne: x.OneOnOne, Cancelled: x.Cancelled, Reason: x.Reason,
			Counterpart: x.Counterpart, Cadence: x.Cadence, RRule: x.RRule,
			Occurrences: []inspectOccurrence{},
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
		res.Events = append(res.Events, ie)
	}
	return res
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

func writeInspectText(w io.Writer, res inspectResult) error {
	fmt.Fprintf(w, "%s: %d events, window %s to %s\n", res.File, len(res.Events), res.From, res.To)
	for _, p := range res.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, ev := range res.Events {
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
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
