// Package wayback finds a way back after a skipped 1:1 (docs/DESIGN.md, "A
// way back"): for each report.WayBackNeed, it asks the series' source for
// the busy time of both of the pair (CalDAV: a free/busy POST to the
// schedule outbox; Google: freebusy.query), finds the first slot free for
// both within working hours (report.FirstFree) and stores it, for the
// report, the pair page and the nudges to show. It never creates or moves
// an event, and asks nothing when nothing is to be suggested.
package wayback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	"oneonone/calendar"
	"oneonone/report"
	"oneonone/store"
)

// Asker is a source that can tell busy time: *caldav.Client and
// *google.Client are.
type Asker interface {
	FreeBusy(ctx context.Context, q calendar.FreeBusyQuery) ([]calendar.Availability, error)
}

// DefaultRefresh is how long a make-up found stands before the busy time
// is asked again (someone may have booked the slot since).
const DefaultRefresh = time.Hour

// Finder finds and stores the make-ups. It is safe for use by one
// goroutine at a time.
type Finder struct {
	Store *store.Store
	// Sources are the sources by name; a need whose series' source is not
	// here (or cannot tell busy time) is not looked into.
	Sources  map[string]Asker
	Hours    calendar.WorkingHours
	Location *time.Location
	Refresh  time.Duration    // 0: DefaultRefresh
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger     // nil: discarded

	mu     gosync.Mutex
	cannot map[string]time.Time // source → when it said it answers no free/busy
}

func (f *Finder) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Finder) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (f *Finder) refresh() time.Duration {
	if f.Refresh > 0 {
		return f.Refresh
	}
	return DefaultRefresh
}

func (f *Finder) facts() store.Facts {
	return f.Store.Facts(store.FactsWayBack).Expiring(store.WayBackTTL)
}

// Run looks for a make-up for each need of in (report.WayBackNeeds) that
// has none found within Refresh, and stores what it finds. It returns the
// make-ups now stored, by need ID (for in.WayBacks), and the number of
// free/busy requests it made. A source that fails is an error, after the
// other needs were looked into.
func (f *Finder) Run(ctx context.Context, in report.Input) (map[string]report.WayBack, int, error) {
	now := f.now()
	in.Now = now
	stored, err := report.ReadWayBacks(f.Store)
	if err != nil {
		return nil, 0, fmt.Errorf("way back: %w", err)
	}
	if stored == nil {
		stored = map[string]report.WayBack{}
	}
	asked := 0
	var errs []error
	for _, n := range report.WayBackNeeds(in) {
		if w, ok := stored[n.ID]; ok && now.Sub(w.Checked) < f.refresh() && (w.Start == nil || w.Start.After(now)) {
			continue
		}
		src := f.Sources[n.Source]
		if src == nil || f.cannotAsk(n.Source, now) {
			continue
		}
		asked++
		w, err := f.find(ctx, src, n, now)
		if errors.Is(err, calendar.ErrNoFreeBusy) {
			f.log().Info("way back: the source tells no busy time", slog.String("source", n.Source), slog.String("error", err.Error()))
			f.mu.Lock()
			if f.cannot == nil {
				f.cannot = map[string]time.Time{}
			}
			f.cannot[n.Source] = now
			f.mu.Unlock()
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("way back for %s (source %s): %w", n.Pair, n.Source, err))
			continue
		}
		b, err := json.Marshal(w)
		if err == nil {
			err = f.facts().PutBytes(n.ID, b)
		}
		if err != nil {
			return stored, asked, fmt.Errorf("way back: %w", err)
		}
		stored[n.ID] = w
		f.log().Debug("way back", slog.String("pair", n.Pair.String()), slog.String("suggestion", w.Text(n.Counterpart)))
	}
	return stored, asked, errors.Join(errs...)
}

// cannotAsk is true while a source that said it tells no busy time is
// left alone (Refresh).
func (f *Finder) cannotAsk(source string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	at, ok := f.cannot[source]
	return ok && now.Sub(at) < f.refresh()
}

// find asks src for both of the pair and searches their common free time.
func (f *Finder) find(ctx context.Context, src Asker, n report.WayBackNeed, now time.Time) (report.WayBack, error) {
	q := calendar.FreeBusyQuery{From: n.From, To: n.To, Organizer: n.Me, Addresses: []string{n.Me, n.Counterpart}}
	av, err := src.FreeBusy(ctx, q)
	if err != nil {
		return report.WayBack{}, err
	}
	if len(av) != len(q.Addresses) {
		return report.WayBack{}, fmt.Errorf("free/busy answered for %d addresses, asked for %d", len(av), len(q.Addresses))
	}
	own, other := av[0], av[1]
	if own.Unknown {
		return report.WayBack{}, fmt.Errorf("the server does not tell your own busy time (%s): %s", n.Me, own.Reason)
	}
	w := report.WayBack{Slot: n.Slot, Before: n.To, Both: !other.Unknown, Checked: now}
	busy := own.Busy
	if other.Unknown {
		w.Note = strings.TrimSpace(other.Reason)
	} else {
		busy = append(append([]calendar.Busy(nil), own.Busy...), other.Busy...)
	}
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	if start, ok := report.FirstFree(busy, n.From, n.To, n.Duration, f.Hours, loc); ok {
		end := start.Add(n.Duration)
		w.Start, w.End = &start, &end
	}
	return w, nil
}
