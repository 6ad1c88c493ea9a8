package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"oneonone/calendar"
	"oneonone/history"
	"oneonone/store"
)

// NamedSource is a configured source with its name.
type NamedSource struct {
	Name   string
	Source Source
	// NotifyAttendees is the operator's choice to write agenda blocks
	// into events with attendees even where the server would send them a
	// scheduling message for it (a Notifier that cannot be told not to).
	NotifyAttendees bool
	// InClear is the host the source sends its credentials to over plain
	// http:// because the operator allowed it (insecure = true); each
	// cycle says so at warn. "" for none.
	InClear string
}

// requestCounter is a Source that counts the HTTP requests it makes.
type requestCounter interface{ Requests() int64 }

// Engine pulls sources into the store and keeps the 1:1 history.
type Engine struct {
	Store   *store.Store
	Sources []NamedSource
	Rules   history.DetectRules
	// Relationship names the relationship to a counterpart ("report",
	// "peer", …); nil means "1:1" for everyone.
	Relationship func(counterpart string) string
	// Horizon is how far ahead upcoming occurrences are kept (agenda.horizon).
	Horizon time.Duration
	// History is how far back each cycle recomputes occurrences from the
	// calendar; older ones stay as stored. Default 53 weeks.
	History time.Duration
	Now     func() time.Time
	// Log receives the engine's and its Daemon's logs; nil means they are
	// discarded. The engine never logs through slog's default logger.
	Log *slog.Logger

	// Agenda returns the block a series' events carry; nil turns agenda
	// write-back off.
	Agenda AgendaFunc
	// DryRun computes the agenda writes without making them, and hands
	// each to Plan.
	DryRun bool
	Plan   func(Planned)

	recallMu gosync.Mutex
	recalled map[string]bool // sources given back what they remembered
}

// Summary is what one cycle did for one source.
type Summary struct {
	Source    string
	Calendars int
	Objects   int // objects stored for the source after the cycle
	Changed   int // objects new, changed or deleted in this cycle
	Series    int // 1:1 series recognised
	// Requests counts every request the cycle made to the source's
	// server: discovery, listing, fetching, writes and their follow-ups.
	Requests int
	Problems []error // objects read, or written, only in part or not at all, each named
	Blocks   Blocks  // what agenda write-back did
	// DryRun says the cycle wrote no block: Blocks.Written counts the
	// blocks it would have written.
	DryRun bool
	Err    error // what failed the cycle (or some calendars of it)
}

// String is the one-line summary `sync` prints: counts only. A failed
// cycle ends in "; failed"; Err itself is not in the line.
func (s Summary) String() string {
	line := fmt.Sprintf("%s: %d calendars, %d objects seen, %d changed, %d series, %d requests",
		s.Source, s.Calendars, s.Objects, s.Changed, s.Series, s.Requests)
	b := s.Blocks
	if s.DryRun {
		line += fmt.Sprintf("; blocks: %d would write, %d already right, %d refused (read-only)",
			b.Written, b.AlreadyRight, b.Refused)
	} else {
		line += fmt.Sprintf("; blocks: %d written in %d writes, %d already right, %d conflicts retried, %d refused (read-only)",
			b.Written, b.Writes, b.AlreadyRight, b.Conflicts, b.Refused)
	}
	if b.WouldNotify > 0 {
		line += fmt.Sprintf(", %d refused (server would notify attendees)", b.WouldNotify)
	}
	if b.Deferred > 0 {
		line += fmt.Sprintf(", %d left for a later cycle", b.Deferred)
	}
	if n := len(s.Problems); n > 0 {
		line += fmt.Sprintf(", %d objects with problems (logged)", n)
	}
	if s.Err != nil {
		// The cause is the caller's to report, on a line of its own.
		line += "; failed"
	}
	return line
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// discard is the logger of an Engine without Log.
var discard = slog.New(slog.DiscardHandler)

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return discard
}

// SyncAll runs one cycle over every source. A failing source does not stop
// the others; their errors are joined.
func (e *Engine) SyncAll(ctx context.Context) ([]Summary, error) {
	var sums []Summary
	var errs []error
	for _, ns := range e.Sources {
		sum := e.SyncSource(ctx, ns)
		sums = append(sums, sum)
		if sum.Err != nil {
			errs = append(errs, fmt.Errorf("sync source %s: %w", ns.Name, sum.Err))
		}
	}
	return sums, errors.Join(errs...)
}

// SyncSource pulls every calendar of one source, then rebuilds its series
// and occurrence history from what is stored.
func (e *Engine) SyncSource(ctx context.Context, ns NamedSource) (sum Summary) {
	sum.Source = ns.Name
	sum.DryRun = e.DryRun
	if ns.InClear != "" {
		e.log().Warn("credentials sent in clear", slog.String("source", ns.Name), slog.String("host", ns.InClear),
			slog.String("to fix", "use an https:// url and drop insecure = true"))
	}
	if rc, ok := ns.Source.(requestCounter); ok {
		// Everything the cycle sends, counted where it is sent.
		before := rc.Requests()
		defer func() { sum.Requests = int(rc.Requests() - before) }()
	}
	if err := e.recall(ns); err != nil {
		sum.Err = err
		return sum
	}
	defer func() {
		if err := e.remember(ns); err != nil {
			sum.Err = errors.Join(sum.Err, err)
		}
	}()
	cals, err := ns.Source.Calendars(ctx)
	if err != nil {
		sum.Err = fmt.Errorf("list calendars: %w", err)
		return sum
	}
	sum.Calendars = len(cals)
	var errs, fetchProblems []error
	for _, cal := range cals {
		n, reqs, probs, err := e.pullCalendar(ctx, ns, cal)
		sum.Changed += n
		sum.Requests += reqs
		fetchProblems = append(fetchProblems, probs...)
		if err != nil {
			errs = append(errs, fmt.Errorf("calendar %s: %w", cal.ID, err))
		}
	}
	if ctx.Err() != nil {
		sum.Err = errors.Join(append(errs, ctx.Err())...)
		return sum
	}
	objects, series, targets, problems, err := e.rebuild(ns, cals)
	problems = append(fetchProblems, problems...)
	sum.Objects, sum.Series, sum.Problems = objects, series, problems
	if err != nil {
		errs = append(errs, err)
	}
	blocks, writeProblems, err := e.writeAgendas(ctx, ns, targets)
	sum.Blocks = blocks
	problems = append(problems, writeProblems...)
	sum.Problems = problems
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range problems {
		e.log().Warn("calendar object with problems", slog.String("source", ns.Name), slog.String("error", p.Error()))
	}
	sum.Err = errors.Join(errs...)
	return sum
}

// memory is where sources remember things between runs: a cache, trusted
// for store.SourceMemoryTTL after it was last written; keyed by source.
func (e *Engine) memory() store.Facts {
	return e.Store.Facts(store.FactsSourceMemory).Expiring(store.SourceMemoryTTL)
}

// recall gives a Rememberer, once per engine, what it remembered in the
// state file.
func (e *Engine) recall(ns NamedSource) error {
	r, ok := ns.Source.(Rememberer)
	if !ok {
		return nil
	}
	e.recallMu.Lock()
	defer e.recallMu.Unlock()
	if e.recalled[ns.Name] {
		return nil
	}
	v, ok, err := e.memory().Bytes(ns.Name)
	if err != nil {
		return err
	}
	if ok {
		r.Recall(v)
	}
	if e.recalled == nil {
		e.recalled = map[string]bool{}
	}
	e.recalled[ns.Name] = true
	return nil
}

// remember keeps what a Rememberer learnt, when it changed: a cycle that
// learnt nothing new writes nothing.
func (e *Engine) remember(ns NamedSource) error {
	r, ok := ns.Source.(Rememberer)
	if !ok {
		return nil
	}
	state, changed := r.Remember()
	if !changed {
		return nil
	}
	if state == nil {
		return e.memory().Delete(ns.Name)
	}
	return e.memory().PutBytes(ns.Name, state)
}

// pullCalendar fetches one calendar's changes and stores them with the new
// cursor in one transaction. It returns how many objects changed, the
// requests made, and the objects the source could not fetch.
func (e *Engine) pullCalendar(ctx context.Context, ns NamedSource, cal calendar.Ref) (int, int, []error, error) {
	st, _, err := e.Store.CalendarState(ns.Name, cal.ID)
	if err != nil {
		return 0, 0, nil, err
	}
	st.Source, st.Calendar, st.Name = ns.Name, cal.ID, cal.Name
	known, err := e.Store.ObjectETags(ns.Name, cal.ID)
	if err != nil {
		return 0, 0, nil, err
	}
	ch, err := ns.Source.Changes(ctx, cal.ID, st.Cursor, known)
	reqs := ch.Requests
	if errors.Is(err, calendar.ErrCursorExpired) {
		e.log().Info("sync cursor expired, listing the calendar again", slog.String("source", ns.Name), slog.String("calendar", cal.ID))
		ch, err = ns.Source.Changes(ctx, cal.ID, "", known)
		reqs += ch.Requests
	}
	now := e.now()
	st.LastSync = now
	if err != nil {
		st.LastError = err.Error()
		if perr := e.Store.PutCalendarState(st); perr != nil {
			err = errors.Join(err, perr)
		}
		return 0, reqs, nil, err
	}
	st.LastSuccess, st.LastError = now, ""
	changed := len(ch.Put) + len(ch.Deleted)
	if ch.Full {
		changed = countFullChanges(known, ch.Put)
	}
	if err := e.Store.ApplyChanges(ns.Name, cal.ID, ch, st); err != nil {
		return 0, reqs, nil, err
	}
	return changed, reqs, ch.Problems, nil
}

// countFullChanges counts what a full listing changed against what was stored.
func countFullChanges(known map[string]string, put []calendar.Object) int {
	n := 0
	seen := make(map[string]bool, len(put))
	for _, o := range put {
		seen[o.Href] = true
		if etag, ok := known[o.Href]; !ok || etag != o.ETag || etag == "" {
			n++
		}
	}
	for href := range known {
		if !seen[href] {
			n++
		}
	}
	return n
}

// rebuild recognises the source's series in the stored objects, expands
// and classifies their occurrences, merges them with the stored history and
// saves the result in one transaction.
func (e *Engine) rebuild(ns NamedSource, cals []calendar.Ref) (objects, nseries int, targets []history.Target, problems []error, err error) {
	var events []calendar.Event
	for _, cal := range cals {
		objs, err := e.Store.Objects(ns.Name, cal.ID)
		if err != nil {
			return 0, 0, nil, nil, err
		}
		objects += len(objs)
		for _, obj := range objs {
			evs, err := ns.Source.Decode(cal.ID, obj)
			if err != nil {
				problems = append(problems, err)
			}
			for i := range evs {
				evs[i].Source, evs[i].Calendar = ns.Name, cal.ID
				if evs[i].Href == "" {
					evs[i].Href = obj.Href
				}
				if evs[i].ETag == "" {
					evs[i].ETag = obj.ETag
				}
			}
			events = append(events, evs...)
		}
	}
	stored, err := e.Store.Series()
	if err != nil {
		return objects, 0, nil, problems, err
	}
	h := history.Build(history.Input{
		Source: ns.Name,
		Events: events,
		Stored: stored,
		// Only the recompute window is read and saved: older history
		// stays as stored, and costs the cycle nothing.
		OccurrencesFrom: e.Store.OccurrencesFrom,
		Rules:           e.Rules,
		Relationship:    e.Relationship,
		Now:             e.now(),
		Horizon:         e.horizon(),
		History:         e.history(),
	})
	// A series that failed to expand is left out of h and keeps its stored
	// history; the others are saved. It is a problem of its object, not a
	// failure of the source.
	problems = append(problems, h.Problems...)
	if err := e.Store.SaveHistoryFrom(ns.Name, h.Series, h.Occurrences, h.From); err != nil {
		return objects, len(h.Live), nil, problems, errors.Join(h.Err, err)
	}
	return objects, len(h.Live), h.Targets, problems, h.Err
}

func (e *Engine) horizon() time.Duration {
	if e.Horizon > 0 {
		return e.Horizon
	}
	return 14 * 24 * time.Hour
}

func (e *Engine) history() time.Duration {
	if e.History > 0 {
		return e.History
	}
	return 53 * 7 * 24 * time.Hour
}
