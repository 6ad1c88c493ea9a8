// Package remind sends a reminder before each upcoming 1:1, once per
// occurrence, to both of the pair: its time, the agenda link, the open
// talking points and actions, and what was discussed last time
// (docs/DESIGN.md, "Reminders"). What was sent is remembered in the store.
package remind

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
)

// TTL is how long the mark of a reminder sent is kept: it must outlive
// the occurrence's start (the lead is at most 7 days) and any later move of
// it, so that a moved occurrence is not reminded of twice.
const TTL = 62 * 24 * time.Hour

// Lookback is how far before now the stored occurrences are read: far
// enough for a slot postponed by up to that much (keyed by its original
// start) and, most often, for the pair's previous held 1:1; when none is
// held in it, the pair's older history is read for that one reminder.
const Lookback = 92 * 24 * time.Hour

// Reminder is one reminder: an upcoming occurrence of a 1:1 with what to
// bring to it.
type Reminder struct {
	// ID is "<series ID> <original start, RFC 3339 UTC>": one per slot,
	// whatever moves it.
	ID       string
	SeriesID string
	Slot     time.Time      // the occurrence's original start
	Start    time.Time      // its actual (moved) start
	End      time.Time      // its actual end
	State    calendar.State // upcoming, postponed or advanced
	Title    string
	Pair     calendar.Pair
	Me       string // the user's address in the series
	// Counterpart is the other one's address, Name their name when known.
	Counterpart, Name string
	Link              string         // the agenda link; "" when none is configured
	Location          *time.Location // the zone the times are shown in
	Points            []agenda.Point // the open talking points, oldest first
	Actions           []agenda.Action
	// LastMeeting is the start of the pair's previous held 1:1, zero when
	// none is known; LastTime the points discussed in it.
	LastMeeting time.Time
	LastTime    []agenda.Point
}

// Deliverer hands a reminder to one way of telling: a mail, the
// notification targets. Name keys what it took in the store, so that a
// deliverer that failed is tried again at the next run (while the 1:1 has
// not begun) without the others sending twice; it must be unique and
// stable across restarts.
type Deliverer struct {
	Name string
	Send func(ctx context.Context, r Reminder) error
}

// Input is what a run reads besides the store: the zone and the sources of
// the content, passed in so that remind knows nothing of the config.
type Input struct {
	Location *time.Location // nil: UTC
	// Link returns the agenda link of a series; nil: none.
	Link func(calendar.Series) (string, error)
	// Points returns a pair's talking points, open and discussed; nil:
	// the store's (Store.Points).
	Points func(ctx context.Context, p calendar.Pair) ([]agenda.Point, error)
	// Actions returns a pair's open actions; nil: none.
	Actions agenda.OpenFunc
}

// Runner sends the reminders due.
type Runner struct {
	Store *store.Store
	// Lead is how long before an occurrence's actual start its reminder
	// is due; 0 is off.
	Lead    time.Duration
	Deliver []Deliverer
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: discarded
}

func (r *Runner) facts() store.Facts {
	return r.Store.Facts(store.FactsReminders).Expiring(TTL)
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// ReminderID is the ID of the reminder of a slot.
func ReminderID(seriesID string, slot time.Time) string {
	return seriesID + " " + slot.UTC().Format(time.RFC3339)
}

func deliveredKey(id, deliverer string) string { return id + " → " + deliverer }

// Due is true when the reminder of o is due at now with lead d: o is still
// on, its actual start minus d has come, and it has not begun.
func Due(o calendar.Occurrence, d time.Duration, now time.Time) bool {
	return on(o) && !now.Before(o.Start.Add(-d)) && now.Before(o.Start)
}

// on is true for an occurrence that will take place: neither cancelled
// (skipped) nor declined, nor past.
func on(o calendar.Occurrence) bool {
	switch o.State {
	case calendar.StateUpcoming, calendar.StatePostponed, calendar.StateAdvanced:
		return !o.Vanished
	}
	return false
}

// candidate is an occurrence of a series that counts.
type candidate struct {
	s calendar.Series
	o calendar.Occurrence
}

// Run sends, through every deliverer that has not taken it yet, the
// reminder of each occurrence due now, and remembers each deliverer that
// took it. It returns the reminders sent this run (by at least one
// deliverer) and when the next reminder not yet sent is due (zero for
// none known); a failing deliverer's error is returned with the others
// joined, and that reminder is tried again at the next run while due.
func (r *Runner) Run(ctx context.Context, in Input) (sent []Reminder, next time.Time, err error) {
	if r.Lead <= 0 || len(r.Deliver) == 0 {
		return nil, time.Time{}, nil
	}
	now := r.now()
	cands, byPair, err := r.load(now)
	if err != nil {
		return nil, time.Time{}, err
	}
	var errs []error
	for _, c := range cands {
		if ctx.Err() != nil {
			return sent, next, ctx.Err()
		}
		id := ReminderID(c.s.ID, c.o.OriginalStart)
		pending, err := r.pending(id)
		if err != nil {
			return sent, next, err
		}
		if len(pending) == 0 {
			continue
		}
		if due := c.o.Start.Add(-r.Lead); due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		if !Due(c.o, r.Lead, now) {
			continue
		}
		rm, err := r.build(ctx, in, c, byPair[c.s.Pair])
		if err != nil {
			errs = append(errs, fmt.Errorf("reminder %s: %w", id, err))
			continue
		}
		took := false
		for _, d := range pending {
			if err := d.Send(ctx, rm); err != nil {
				errs = append(errs, fmt.Errorf("reminder %s by %s: %w", id, d.Name, err))
				continue
			}
			if err := r.facts().PutTime(deliveredKey(id, d.Name), now); err != nil {
				return sent, next, fmt.Errorf("reminders: %w", err)
			}
			took = true
		}
		if took {
			r.log().Info("reminder sent", slog.String("series", c.s.ID), slog.String("pair", c.s.Pair.String()),
				slog.Time("start", c.o.Start))
			sent = append(sent, rm)
		}
	}
	return sent, next, errors.Join(errs...)
}

// pending returns the deliverers that have not taken reminder id.
func (r *Runner) pending(id string) ([]Deliverer, error) {
	var out []Deliverer
	for _, d := range r.Deliver {
		_, done, err := r.facts().Time(deliveredKey(id, d.Name))
		if err != nil {
			return nil, fmt.Errorf("reminders: %w", err)
		}
		if !done {
			out = append(out, d)
		}
	}
	return out, nil
}

// load reads the series that count and their occurrences from now minus
// Lookback: the ones still on that have not begun are the candidates,
// sorted by start; every occurrence read is kept by pair, for last time.
func (r *Runner) load(now time.Time) ([]candidate, map[calendar.Pair][]candidate, error) {
	all, err := r.Store.Series()
	if err != nil {
		return nil, nil, fmt.Errorf("reminders: %w", err)
	}
	var cands []candidate
	byPair := map[calendar.Pair][]candidate{}
	for _, s := range counting(all) {
		occ, err := r.Store.OccurrencesFrom(s.ID, now.Add(-Lookback))
		if err != nil {
			return nil, nil, fmt.Errorf("reminders: %w", err)
		}
		for _, o := range occ {
			byPair[s.Pair] = append(byPair[s.Pair], candidate{s, o})
			if on(o) && now.Before(o.Start) {
				cands = append(cands, candidate{s, o})
			}
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(a.o.Start.Compare(b.o.Start), cmp.Compare(a.s.ID, b.s.ID))
	})
	return cands, byPair, nil
}

// counting returns the series that count: not deleted, and of the copies
// of one meeting in two sources (the same pair and iCalendar UID) the one
// rebuilt last, then the smallest ID, as the report keeps (docs/DESIGN.md,
// "One meeting in two sources").
func counting(all []calendar.Series) []calendar.Series {
	type key struct {
		pair calendar.Pair
		uid  string
	}
	best := map[key]calendar.Series{}
	var order []key
	for _, s := range all {
		if !s.Deleted.IsZero() {
			continue
		}
		k := key{s.Pair, cmp.Or(s.ICalUID, s.UID, s.ID)}
		b, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || s.Checked.After(b.Checked) || s.Checked.Equal(b.Checked) && s.ID < b.ID {
			best[k] = s
		}
	}
	out := make([]calendar.Series, 0, len(order))
	for _, k := range order {
		out = append(out, best[k])
	}
	return out
}

// build gathers the content of the reminder of c; read holds the pair's
// occurrences read.
func (r *Runner) build(ctx context.Context, in Input, c candidate, read []candidate) (Reminder, error) {
	loc := cmp.Or(in.Location, time.UTC)
	rm := Reminder{
		ID: ReminderID(c.s.ID, c.o.OriginalStart), SeriesID: c.s.ID, Slot: c.o.OriginalStart,
		Start: c.o.Start.In(loc), End: c.o.End.In(loc), State: c.o.State,
		Title: c.s.Title, Pair: c.s.Pair, Me: c.s.Me, Counterpart: c.s.Counterpart, Name: c.s.Name, Location: loc,
	}
	if in.Link != nil {
		link, err := in.Link(c.s)
		if err != nil {
			return Reminder{}, fmt.Errorf("agenda link: %w", err)
		}
		rm.Link = link
	}
	var points []agenda.Point
	var err error
	if in.Points != nil {
		points, err = in.Points(ctx, c.s.Pair)
	} else {
		points, err = r.Store.Points(c.s.Pair)
	}
	if err != nil {
		return Reminder{}, fmt.Errorf("talking points: %w", err)
	}
	rm.Points = agenda.OpenPoints(points)
	if in.Actions != nil {
		acts, err := in.Actions(ctx, c.s.Pair)
		if err != nil && len(acts) == 0 {
			return Reminder{}, fmt.Errorf("actions: %w", err)
		}
		if err != nil {
			r.log().Warn("reminder: actions", slog.String("pair", c.s.Pair.String()), slog.String("error", err.Error()))
		}
		for _, a := range acts {
			if a.Done.IsZero() {
				rm.Actions = append(rm.Actions, a)
			}
		}
	}
	last, err := r.lastHeld(c, read)
	if err != nil {
		return Reminder{}, err
	}
	if !last.IsZero() {
		rm.LastMeeting = last.In(loc)
		for _, p := range points {
			if !p.Open() && p.Meeting.Equal(last) {
				rm.LastTime = append(rm.LastTime, p)
			}
		}
	}
	return rm, nil
}

// lastHeld returns the start of the pair's latest held occurrence before
// c's start, among those read, else from the whole history of the pair's
// series; zero when there is none.
func (r *Runner) lastHeld(c candidate, read []candidate) (time.Time, error) {
	latest := func(xs []candidate) time.Time {
		var t time.Time
		for _, x := range xs {
			if x.o.State == calendar.StateHeld && x.o.Start.Before(c.o.Start) && x.o.Start.After(t) {
				t = x.o.Start
			}
		}
		return t
	}
	if t := latest(read); !t.IsZero() {
		return t, nil
	}
	seen := map[string]bool{}
	var older []candidate
	for _, x := range read {
		if seen[x.s.ID] {
			continue
		}
		seen[x.s.ID] = true
		occ, err := r.Store.Occurrences(x.s.ID)
		if err != nil {
			return time.Time{}, fmt.Errorf("reminders: %w", err)
		}
		for _, o := range occ {
			older = append(older, candidate{x.s, o})
		}
	}
	return latest(older), nil
}
