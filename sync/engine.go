package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
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
	// Ticker applies the boxes people ticked or unticked in the blocks of
	// events that changed (docs/DESIGN.md, "The agenda block"); nil
	// leaves ticks to be overwritten.
	Ticker Ticker
	// DryRun computes the agenda writes without making them, and hands
	// each to Plan.
	DryRun bool
	Plan   func(Planned)

	// ConfigKey names the rest of the configuration the history depends
	// on (the relationships of counterparts): when it changes, the next
	// cycle rebuilds every series.
	ConfigKey string

	recallMu gosync.Mutex
	recalled map[string]bool // sources given back what they remembered

	cacheOnce gosync.Once
	cache     *caches      // what the engine keeps between cycles, per source
	full      bool         // rebuild everything every cycle (tests: the reference)
	rebuilt   atomic.Int64 // series built since the engine started (tests)
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

// SyncSource pulls every calendar of one source, rebuilds the series and
// occurrence history of what changed or came due, and writes the agenda
// blocks.
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
	c := e.cacheFor(ns.Name)
	defer func() {
		if err := e.persistStates(c, false); err != nil {
			sum.Err = errors.Join(sum.Err, err)
		}
	}()
	cals, err := ns.Source.Calendars(ctx)
	if err != nil {
		sum.Err = fmt.Errorf("list calendars: %w", err)
		return sum
	}
	sum.Calendars = len(cals)
	ids := make([]string, len(cals))
	for i, cal := range cals {
		ids[i] = cal.ID
	}
	key := e.buildKey()
	if c.ready && (!slices.Equal(c.cals, ids) || c.key != key) {
		c.ready = false // another listing or configuration: rebuild it all
	}
	// built: every calendar was rebuilt under this configuration since its
	// objects last changed, so the stored index can be trusted.
	built := true
	var seen time.Time
	for _, cal := range cals {
		st, err := c.state(e.Store, ns.Name, cal.ID)
		if err != nil {
			sum.Err = err
			return sum
		}
		built = built && st.cur.Built == key
		if st.cur.LastSuccess.After(seen) {
			seen = st.cur.LastSuccess
		}
	}
	if c.seen.IsZero() {
		c.seen = seen
	}
	var errs, fetchProblems []error
	var deltas []delta
	for _, cal := range cals {
		d, reqs, probs, err := e.pullCalendar(ctx, ns, c, cal)
		sum.Changed += d.count()
		sum.Requests += reqs
		fetchProblems = append(fetchProblems, probs...)
		if err != nil {
			errs = append(errs, fmt.Errorf("calendar %s: %w", cal.ID, err))
		}
		deltas = append(deltas, d)
	}
	if ctx.Err() != nil {
		sum.Err = errors.Join(append(errs, ctx.Err())...)
		return sum
	}
	now := e.now()
	targets, refused, err := e.rebuild(ns, c, ids, deltas, key, built, now)
	if err != nil {
		errs = append(errs, err)
	}
	sum.Objects = 0
	for _, cal := range ids {
		sum.Objects += c.states[cal].cur.Objects
	}
	sum.Series = len(c.counts)
	problems := append(fetchProblems, c.problems()...)
	blocks, writeProblems, err := e.writeAgendas(ctx, ns, targets, deltas)
	if e.writes(ns) {
		blocks.Refused += refused
	}
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
	if sum.Err == nil {
		c.seen = now
	}
	return sum
}

// writes reports whether the engine writes agenda blocks into the source.
func (e *Engine) writes(ns NamedSource) bool {
	_, ok := ns.Source.(Writer)
	return ok && e.Agenda != nil
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

// pullCalendar fetches one calendar's changes. When something changed it
// stores the changes with the new cursor in one transaction; when nothing
// did, the cursor and times stay in memory (persistStates). It returns
// what changed, the requests made, and the objects the source could not
// fetch.
func (e *Engine) pullCalendar(ctx context.Context, ns NamedSource, c *sourceCache, cal calendar.Ref) (delta, int, []error, error) {
	d := delta{cal: cal.ID}
	cs, err := c.state(e.Store, ns.Name, cal.ID)
	if err != nil {
		return d, 0, nil, err
	}
	st := cs.cur
	st.Source, st.Calendar, st.Name = ns.Name, cal.ID, cal.Name
	known, err := c.known(e.Store, ns.Name, cal.ID)
	if err != nil {
		return d, 0, nil, err
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
		cs.cur = st
		return d, reqs, nil, err
	}
	st.LastSuccess, st.LastError = now, ""
	st.Cursor = ch.Cursor
	d = effective(cal.ID, known, ch)
	if d.count() == 0 {
		st.Objects = len(known)
		cs.cur = st
		return d, reqs, ch.Problems, nil
	}
	st.Built = "" // rebuilt below; until then the index is not to be trusted
	st.Objects = len(known) + d.added - len(d.deleted)
	if err := e.Store.ApplyChanges(ns.Name, cal.ID, calendar.Changes{Put: d.put, Deleted: d.deleted, Cursor: ch.Cursor}, st); err != nil {
		cs.cur = st
		return delta{cal: cal.ID}, reqs, nil, err
	}
	cs.cur, cs.stored = st, st
	return d, reqs, ch.Problems, nil
}

// rebuild brings the history of the source up to date with what changed:
// it applies the deltas to the index, rebuilds the pairs whose events
// changed or came due, saves their history in one transaction, and
// returns the targets write-back must look at (and the number of those it
// would only refuse). Without a trusted index (a new process after a
// change, another configuration or listing) it rebuilds everything.
func (e *Engine) rebuild(ns NamedSource, c *sourceCache, cals []string, deltas []delta, key string, built bool, now time.Time) (targets []history.Target, refused int, err error) {
	defer func() {
		if err != nil {
			c.forget()
		}
	}()
	if c.series == nil {
		if err := e.readSeries(ns.Name, c); err != nil {
			return nil, 0, err
		}
	}
	defer func() { c.listed = nil }()
	if !c.ready && built && !e.full {
		if _, err := e.loadIndex(ns.Name, c, cals, key); err != nil {
			return nil, 0, err
		}
	}
	if e.full || !c.ready {
		err = e.buildAll(ns, c, cals, deltas, now)
	} else {
		err = e.buildChanged(ns, c, deltas, now)
	}
	if err != nil {
		return nil, 0, err
	}
	if err := e.saveIndex(ns.Name, c, key); err != nil {
		return nil, 0, err
	}
	c.key = key
	for _, cal := range cals {
		c.states[cal].cur.Built = key
	}
	if !e.writes(ns) {
		return nil, 0, nil
	}
	return e.writeTargets(ns, c, now)
}

// buildAll decodes every stored object of the calendars and rebuilds the
// source's whole history from them. What the cycle fetched is decoded as
// it came, not read back from the store.
func (e *Engine) buildAll(ns NamedSource, c *sourceCache, cals []string, deltas []delta, now time.Time) error {
	listed := c.listed
	c.reset(cals)
	fetched := map[string]map[string]calendar.Object{}
	for _, d := range deltas {
		m := make(map[string]calendar.Object, len(d.put))
		for _, o := range d.put {
			m[o.Href] = o
		}
		fetched[d.cal] = m
		if l, ok := listed[d.cal]; ok {
			for _, href := range d.deleted {
				delete(l, href)
			}
		}
	}
	touched := map[string]bool{}
	for _, cal := range cals {
		var objs []calendar.Object
		if l, ok := listed[cal]; ok {
			// The stored objects are those listed before the cycle, less
			// those deleted, and those fetched.
			var rest []string
			for href := range l {
				if _, ok := fetched[cal][href]; !ok {
					rest = append(rest, href)
				}
			}
			slices.Sort(rest)
			stored, err := e.Store.ObjectsAt(ns.Name, cal, rest)
			if err != nil {
				return err
			}
			objs = append(stored, slices.Collect(maps.Values(fetched[cal]))...)
			slices.SortFunc(objs, func(a, b calendar.Object) int { return strings.Compare(a.Href, b.Href) })
		} else {
			var err error
			if objs, err = e.Store.Objects(ns.Name, cal); err != nil {
				return err
			}
		}
		c.etags[cal] = make(map[string]string, len(objs))
		for _, obj := range objs {
			c.put(ns, cal, obj, touched)
		}
	}
	for _, s := range c.series {
		touched[s.UID] = true
	}
	if err := e.build(ns, c, touched, slices.Collect(maps.Values(c.series)), now); err != nil {
		return err
	}
	c.ready = true
	return nil
}

// buildChanged applies the deltas and the objects write-back replaced to
// the index, and rebuilds every pair they touch or whose next boundary
// passed, with all of that pair's events and stored series.
func (e *Engine) buildChanged(ns NamedSource, c *sourceCache, deltas []delta, now time.Time) error {
	touched := map[string]bool{}
	for _, d := range deltas {
		for _, href := range d.deleted {
			c.drop(objRef{d.cal, href}, touched)
		}
		for _, obj := range d.put {
			c.put(ns, d.cal, obj, touched)
		}
	}
	// What write-back stored: our blocks only (the events' descriptions
	// change, not their history: the targets are computed again), or what
	// someone else changed meanwhile (rebuilt).
	ours := map[string]bool{}
	for _, r := range slices.SortedFunc(maps.Keys(c.written), func(a, b objRef) int {
		return cmp.Or(strings.Compare(a.cal, b.cal), strings.Compare(a.href, b.href))
	}) {
		objs, err := e.Store.ObjectsAt(ns.Name, r.cal, []string{r.href})
		if err != nil {
			return err
		}
		into := ours
		if c.written[r] {
			into = touched
		}
		if len(objs) == 0 {
			c.drop(r, touched)
			continue
		}
		c.put(ns, r.cal, objs[0], into)
	}
	c.written = nil
	if err := e.load(ns, c, touched); err != nil {
		return err
	}
	pairs := c.due(now)
	for uid := range touched {
		if p, ok := c.pairOf[uid]; ok {
			pairs[p] = true
		}
		if s, ok := c.series[ns.Name+"/"+uid]; ok {
			pairs[s.Pair] = true
		}
		if g, ok := c.group(uid); ok {
			if p, ok := history.PairOfGroup(g, e.Rules); ok {
				pairs[p] = true
			}
		}
	}
	for uid := range ours {
		if !touched[uid] {
			delete(c.targets, ns.Name+"/"+uid) // computed again from the new events
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	uids := maps.Clone(touched)
	for p := range pairs {
		for uid := range c.byPair[p] {
			uids[uid] = true
		}
	}
	var stored []calendar.Series
	for _, s := range c.series {
		if pairs[s.Pair] {
			uids[s.UID] = true
		}
	}
	for _, s := range c.series {
		if uids[s.UID] {
			stored = append(stored, s)
		}
	}
	if err := e.load(ns, c, uids); err != nil {
		return err
	}
	return e.build(ns, c, uids, stored, now)
}

// build runs history.Build over the events of the UIDs and the stored
// series given, saves what it made, and indexes it.
func (e *Engine) build(ns NamedSource, c *sourceCache, uids map[string]bool, stored []calendar.Series, now time.Time) error {
	h := history.Build(history.Input{
		Source: ns.Name,
		Events: c.events(uids),
		Stored: stored,
		// Only the recompute window is read and saved: older history
		// stays as stored, and costs the cycle nothing.
		OccurrencesFrom: e.Store.OccurrencesFrom,
		Rules:           e.Rules,
		Relationship:    e.Relationship,
		Now:             now,
		Horizon:         e.horizon(),
		History:         e.history(),
		Seen:            c.seen,
	})
	e.rebuilt.Add(int64(len(h.Series)))
	// A series that failed to expand is left out of h and keeps its stored
	// history; the others are saved. It is a problem of its object, not a
	// failure of the source.
	if len(h.Series) > 0 {
		if err := e.Store.SaveHistoryFrom(ns.Name, h.Series, h.Occurrences, h.From); err != nil {
			return errors.Join(h.Err, err)
		}
	}
	if h.Err != nil {
		return h.Err
	}
	c.index(ns.Name, uids, h)
	return nil
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
