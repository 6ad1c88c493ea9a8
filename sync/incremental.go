package sync

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/recur"
	"oneonone/history"
	"oneonone/store"
)

// A quiet cycle costs what changed (docs/DESIGN.md, "The quiet
// cycle"). The engine keeps, per source, an index of the stored objects:
// which UIDs each object holds, which pair each UID's events belong to,
// how many write-back targets each live series has and how many are ours.
// The index is stored too (one record per source, written when it
// changes), so that a new process trusts it as long as every calendar was
// rebuilt under the same configuration since its objects last changed
// (store.CalendarState.Built). Objects are decoded when a build or
// write-back needs their events, and kept decoded per (href, ETag) in
// the daemon. A cycle rebuilds only the pairs whose events changed or one
// of whose series' next boundary (calendar.Series.Next) passed, and
// nothing when neither happened; the times of a quiet cycle stay in
// memory and reach the store at most every statesEvery (and at Flush).

// statesEvery is how often, at most, the times and cursors of quiet
// cycles (LastSync, LastSuccess, Cursor) are written to the store.
const statesEvery = 10 * time.Minute

// caches holds every source's cache. An Engine and the dry-run engine
// Daemon.PlanNow makes from it share one: both move the same cursors.
type caches struct {
	mu gosync.Mutex
	m  map[string]*sourceCache
}

type objRef struct{ cal, href string }

// targetCount is what write-back will find in a live series: its target
// events, and how many of them are ours to write.
type targetCount struct{ Mine, Total int }

// sourceCache is what the engine keeps of one source between its cycles.
// Only that source's cycle (one at a time) touches it.
type sourceCache struct {
	// ready says the index describes every stored object of the
	// calendars cals (in listing order).
	ready bool
	key   string // the build key the index was made under
	cals  []string
	order map[string]int
	etags map[string]map[string]string // calendar → href → ETag
	// listed holds, while the index is not ready, the ETags read from
	// the store before this cycle's changes: what a stored index must
	// describe to be trusted.
	listed map[string]map[string]string

	objUIDs map[objRef][]string               // object → the UIDs of its events
	uids    map[string]map[objRef]struct{}    // UID → the objects holding its events
	bad     map[objRef]string                 // objects decoded only in part: why
	decoded map[objRef][]calendar.Event       // objects decoded so far
	pairOf  map[string]calendar.Pair          // UID → its pair, as last built
	byPair  map[calendar.Pair]map[string]bool // pair → its UIDs, as last built
	counts  map[string]targetCount            // live series ID → its targets, counted
	targets map[string][]history.Target       // live series ID → its targets, once computed
	probs   map[string][]string               // UID → what its build found wrong
	// written holds objects write-back replaced since the last cycle;
	// true when what it stored came from the server after a conflict
	// (someone else's change), false when only our blocks changed.
	written map[objRef]bool
	stored  []byte // the index as last stored
	dirty   bool   // the index changed since it was stored
	// right holds the targets whose block was found right, with the
	// block (verifyKey): while both stay the same, write-back need not
	// look at the description again.
	right map[*calendar.Event]string

	series map[string]calendar.Series // the source's stored series by ID; nil: not read yet
	states map[string]*calState
	seen   time.Time // Now of the last successful cycle
}

// calState is a calendar's state in memory and as last stored.
type calState struct {
	cur, stored store.CalendarState
}

func (e *Engine) caches() *caches {
	e.cacheOnce.Do(func() {
		if e.cache == nil {
			e.cache = &caches{m: map[string]*sourceCache{}}
		}
	})
	return e.cache
}

func (e *Engine) cacheFor(source string) *sourceCache {
	cs := e.caches()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.m[source]
	if c == nil {
		c = &sourceCache{}
		cs.m[source] = c
	}
	return c
}

// forget drops what a source's cache holds but the calendar states,
// after a failure that may have left it out of step with the store: the
// next cycle starts from the store.
func (c *sourceCache) forget() {
	*c = sourceCache{states: c.states, seen: c.seen}
}

// noteWritten records that write-back stored a new version of an object;
// foreign when it came from the server after a conflict.
func (e *Engine) noteWritten(source, cal, href string, foreign bool) {
	c := e.cacheFor(source)
	if c.written == nil {
		c.written = map[objRef]bool{}
	}
	r := objRef{cal, href}
	c.written[r] = c.written[r] || foreign
	if foreign {
		// Someone else changed the object: the next process must not
		// trust the index for its calendar.
		if s, ok := c.states[cal]; ok {
			s.cur.Built = ""
		}
	}
}

// state returns the calendar's state, read from the store the first time.
func (c *sourceCache) state(st *store.Store, source, cal string) (*calState, error) {
	if s, ok := c.states[cal]; ok {
		return s, nil
	}
	stored, _, err := st.CalendarState(source, cal)
	if err != nil {
		return nil, err
	}
	if c.states == nil {
		c.states = map[string]*calState{}
	}
	s := &calState{cur: stored, stored: stored}
	c.states[cal] = s
	return s, nil
}

// known is what Changes compares the listing with: the cached ETags when
// the index is ready, else the store's. Sources only read it.
func (c *sourceCache) known(st *store.Store, source, cal string) (map[string]string, error) {
	if c.ready {
		if m, ok := c.etags[cal]; ok {
			return m, nil
		}
	}
	m, err := st.ObjectETags(source, cal)
	if err != nil {
		return nil, err
	}
	if c.listed == nil {
		c.listed = map[string]map[string]string{}
	}
	c.listed[cal] = m
	return m, nil
}

// delta is what a calendar's fetch changed against what was stored.
type delta struct {
	cal     string
	put     []calendar.Object // new or changed objects
	deleted []string
	added   int // of put, those not stored before
}

func (d delta) count() int { return len(d.put) + len(d.deleted) }

// effective reduces what Changes returned to what differs from known: an
// object listed again with the ETag stored is no change.
func effective(cal string, known map[string]string, ch calendar.Changes) delta {
	d := delta{cal: cal}
	seen := make(map[string]bool, len(ch.Put))
	for _, o := range ch.Put {
		seen[o.Href] = true
		etag, ok := known[o.Href]
		if ok && etag != "" && etag == o.ETag {
			continue
		}
		if !ok {
			d.added++
		}
		d.put = append(d.put, o)
	}
	if ch.Full {
		for href := range known {
			if !seen[href] {
				d.deleted = append(d.deleted, href)
			}
		}
		slices.Sort(d.deleted)
		return d
	}
	for _, href := range ch.Deleted {
		if _, ok := known[href]; ok && !seen[href] {
			d.deleted = append(d.deleted, href)
		}
	}
	return d
}

// buildKey names what a rebuild makes of the same events besides them:
// the detection rules, the window, the horizon and the operator's
// ConfigKey. A calendar built under another key is rebuilt.
func (e *Engine) buildKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "me=%s\n", strings.Join(e.Rules.Me, ","))
	for _, re := range e.Rules.Include {
		fmt.Fprintf(&b, "include=%s\n", re)
	}
	for _, re := range e.Rules.Exclude {
		fmt.Fprintf(&b, "exclude=%s\n", re)
	}
	fmt.Fprintf(&b, "horizon=%s\nhistory=%s\nconfig=%s\n", e.horizon(), e.history(), e.ConfigKey)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// reset empties the index before a full build of the calendars.
func (c *sourceCache) reset(cals []string) {
	c.cals = slices.Clone(cals)
	c.order = make(map[string]int, len(cals))
	for i, cal := range cals {
		c.order[cal] = i
	}
	c.etags = map[string]map[string]string{}
	c.objUIDs = map[objRef][]string{}
	c.uids = map[string]map[objRef]struct{}{}
	c.bad = map[objRef]string{}
	c.decoded = map[objRef][]calendar.Event{}
	c.pairOf = map[string]calendar.Pair{}
	c.byPair = map[calendar.Pair]map[string]bool{}
	c.counts = map[string]targetCount{}
	c.targets = map[string][]history.Target{}
	c.probs = map[string][]string{}
	c.written = nil
	c.ready = false
}

// link records that object r holds events of the UIDs.
func (c *sourceCache) link(r objRef, uids []string) {
	c.dirty = true
	c.objUIDs[r] = uids
	for _, uid := range uids {
		if c.uids[uid] == nil {
			c.uids[uid] = map[objRef]struct{}{}
		}
		c.uids[uid][r] = struct{}{}
	}
}

// drop removes an object from the index, adding its UIDs to touched.
func (c *sourceCache) drop(r objRef, touched map[string]bool) {
	if _, ok := c.objUIDs[r]; ok {
		c.dirty = true
	}
	for _, uid := range c.objUIDs[r] {
		touched[uid] = true
		delete(c.uids[uid], r)
		if len(c.uids[uid]) == 0 {
			delete(c.uids, uid)
		}
	}
	delete(c.objUIDs, r)
	delete(c.decoded, r)
	delete(c.bad, r)
	delete(c.etags[r.cal], r.href)
}

// put decodes obj into the index, replacing what it held of the same
// href, and adds the UIDs of the old and new events to touched.
func (c *sourceCache) put(ns NamedSource, cal string, obj calendar.Object, touched map[string]bool) {
	r := objRef{cal, obj.Href}
	c.drop(r, touched)
	evs := c.decode(ns, r, obj)
	var uids []string
	for i := range evs {
		if !slices.Contains(uids, evs[i].UID) {
			uids = append(uids, evs[i].UID)
		}
		touched[evs[i].UID] = true
	}
	c.link(r, uids)
	if c.etags[cal] == nil {
		c.etags[cal] = map[string]string{}
	}
	c.etags[cal][obj.Href] = obj.ETag
}

// decode decodes one object as a full build would, and keeps its events.
func (c *sourceCache) decode(ns NamedSource, r objRef, obj calendar.Object) []calendar.Event {
	evs, err := ns.Source.Decode(r.cal, obj)
	if err != nil {
		c.bad[r] = err.Error()
	} else {
		delete(c.bad, r)
	}
	for i := range evs {
		evs[i].Source, evs[i].Calendar = ns.Name, r.cal
		if evs[i].Href == "" {
			evs[i].Href = obj.Href
		}
		if evs[i].ETag == "" {
			evs[i].ETag = obj.ETag
		}
	}
	c.decoded[r] = evs
	return evs
}

// refs returns the objects holding events of the UIDs, in the order a
// full build reads them: by calendar in listing order, then by href.
func (c *sourceCache) refs(uids map[string]bool) []objRef {
	set := map[objRef]struct{}{}
	for uid := range uids {
		for r := range c.uids[uid] {
			set[r] = struct{}{}
		}
	}
	out := slices.Collect(maps.Keys(set))
	c.sortRefs(out)
	return out
}

// sortRefs puts objects in the order a full build reads them: by
// calendar in listing order, then by href.
func (c *sourceCache) sortRefs(refs []objRef) {
	slices.SortFunc(refs, func(a, b objRef) int {
		return cmp.Or(cmp.Compare(c.order[a.cal], c.order[b.cal]), strings.Compare(a.href, b.href))
	})
}

// load decodes, from the store, the objects of the UIDs not decoded yet.
func (e *Engine) load(ns NamedSource, c *sourceCache, uids map[string]bool) error {
	missing := map[string][]string{}
	for _, r := range c.refs(uids) {
		if _, ok := c.decoded[r]; !ok {
			missing[r.cal] = append(missing[r.cal], r.href)
		}
	}
	for _, cal := range slices.Sorted(maps.Keys(missing)) {
		objs, err := e.Store.ObjectsAt(ns.Name, cal, missing[cal])
		if err != nil {
			return err
		}
		for _, obj := range objs {
			c.decode(ns, objRef{cal, obj.Href}, obj)
		}
	}
	return nil
}

// events returns the decoded events of the UIDs, in the order of a full
// build.
func (c *sourceCache) events(uids map[string]bool) []calendar.Event {
	var out []calendar.Event
	for _, r := range c.refs(uids) {
		for _, ev := range c.decoded[r] {
			if uids[ev.UID] {
				out = append(out, ev)
			}
		}
	}
	return out
}

// group returns the group of events a full build makes of one UID: its
// events in the first calendar that holds any. Its objects are decoded.
func (c *sourceCache) group(uid string) (recur.Group, bool) {
	evs := c.events(map[string]bool{uid: true})
	if len(evs) == 0 {
		return recur.Group{}, false
	}
	n := 0
	for n < len(evs) && evs[n].Calendar == evs[0].Calendar {
		n++
	}
	gs := recur.GroupEvents(evs[:n])
	if len(gs) == 0 {
		return recur.Group{}, false
	}
	return gs[0], true
}

// readSeries reads the source's stored series into the cache.
func (e *Engine) readSeries(source string, c *sourceCache) error {
	all, err := e.Store.SeriesOf(source)
	if err != nil {
		return err
	}
	c.series = make(map[string]calendar.Series, len(all))
	for _, s := range all {
		c.series[s.ID] = s
	}
	return nil
}

// due returns the pairs of the stored series not gone whose next boundary
// passed (or that have none: stored before boundaries were). A series
// whose last build failed (a rule that needs too much work) is rebuilt
// when its objects change, not every cycle: its problem stays reported.
func (c *sourceCache) due(now time.Time) map[calendar.Pair]bool {
	out := map[calendar.Pair]bool{}
	for _, s := range c.series {
		if _, failed := c.probs[s.UID]; failed {
			continue
		}
		if s.Deleted.IsZero() && (s.Next.IsZero() || now.After(s.Next)) {
			out[s.Pair] = true
		}
	}
	return out
}

// index records what a build of the UIDs made of them.
func (c *sourceCache) index(source string, uids map[string]bool, h history.Result) {
	type entry struct {
		pair   calendar.Pair
		paired bool
		count  targetCount
		live   bool
		probs  string
	}
	snapshot := func() map[string]entry {
		m := make(map[string]entry, len(uids))
		for uid := range uids {
			var x entry
			x.pair, x.paired = c.pairOf[uid]
			x.count, x.live = c.counts[source+"/"+uid]
			x.probs = strings.Join(c.probs[uid], "\n")
			m[uid] = x
		}
		return m
	}
	before := snapshot()
	defer func() {
		if !maps.Equal(before, snapshot()) {
			c.dirty = true
		}
	}()
	for uid := range uids {
		id := source + "/" + uid
		delete(c.counts, id)
		delete(c.targets, id)
		delete(c.probs, uid)
		if p, ok := c.pairOf[uid]; ok {
			delete(c.byPair[p], uid)
			if len(c.byPair[p]) == 0 {
				delete(c.byPair, p)
			}
			delete(c.pairOf, uid)
		}
	}
	for uid, p := range h.Pairs {
		c.pairOf[uid] = p
		if c.byPair[p] == nil {
			c.byPair[p] = map[string]bool{}
		}
		c.byPair[p][uid] = true
	}
	for _, s := range h.Series {
		c.series[s.ID] = s
	}
	for _, s := range h.Live {
		c.counts[s.ID] = targetCount{}
		c.targets[s.ID] = nil
	}
	for _, t := range h.Targets {
		id := t.Series.ID
		c.targets[id] = append(c.targets[id], t)
		n := c.counts[id]
		n.Total++
		if t.Mine {
			n.Mine++
		}
		c.counts[id] = n
	}
	for uid, ps := range h.ProblemsByUID {
		for _, p := range ps {
			c.probs[uid] = append(c.probs[uid], p.Error())
		}
	}
}

// problems lists what the source's objects and builds have wrong, in a
// stable order: objects decoded only in part, then series not updated.
func (c *sourceCache) problems() []error {
	var out []error
	refs := slices.Collect(maps.Keys(c.bad))
	c.sortRefs(refs)
	for _, r := range refs {
		out = append(out, errors.New(c.bad[r]))
	}
	for _, uid := range slices.Sorted(maps.Keys(c.probs)) {
		for _, p := range c.probs[uid] {
			out = append(out, errors.New(p))
		}
	}
	return out
}

// writeTargets returns the targets write-back must look at: those of
// every live series with a target of ours (computed from the decoded
// events where the cycle did not build them), and the number of targets
// in series with none of ours, which write-back would only refuse.
func (e *Engine) writeTargets(ns NamedSource, c *sourceCache, now time.Time) (out []history.Target, refused int, err error) {
	need := map[string]bool{}
	for id, n := range c.counts {
		if n.Mine == 0 {
			refused += n.Total
			continue
		}
		if _, ok := c.targets[id]; !ok {
			need[c.series[id].UID] = true
		}
	}
	if len(need) > 0 {
		if err := e.load(ns, c, need); err != nil {
			return nil, 0, err
		}
		for uid := range need {
			id := ns.Name + "/" + uid
			g, ok := c.group(uid)
			if !ok {
				c.targets[id] = nil
				continue
			}
			c.targets[id] = history.Targets(c.series[id], g, e.Rules, now, e.horizon())
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.counts)) {
		if c.counts[id].Mine > 0 {
			out = append(out, c.targets[id]...)
		}
	}
	return out, refused, nil
}

// storedIndex is the index as stored: one record per source.
type storedIndex struct {
	Key       string                   `json:"key"`
	Calendars []string                 `json:"calendars"`
	Objects   []indexObject            `json:"objects"`
	Pairs     map[string]calendar.Pair `json:"pairs,omitempty"`
	Counts    map[string][2]int        `json:"counts,omitempty"` // series ID → [mine, total]
	Problems  map[string][]string      `json:"problems,omitempty"`
}

type indexObject struct {
	Cal  int      `json:"c"`
	Href string   `json:"h"`
	UIDs []string `json:"u,omitempty"`
	Bad  string   `json:"bad,omitempty"`
}

// encodeIndex encodes the index, objects in build order.
func (c *sourceCache) encodeIndex(key string) ([]byte, error) {
	x := storedIndex{Key: key, Calendars: c.cals, Pairs: c.pairOf, Problems: c.probs, Counts: map[string][2]int{}}
	refs := slices.Collect(maps.Keys(c.objUIDs))
	c.sortRefs(refs)
	for _, r := range refs {
		x.Objects = append(x.Objects, indexObject{Cal: c.order[r.cal], Href: r.href, UIDs: c.objUIDs[r], Bad: c.bad[r]})
	}
	for id, n := range c.counts {
		x.Counts[id] = [2]int{n.Mine, n.Total}
	}
	return json.Marshal(x)
}

// saveIndex stores the index when it changed.
func (e *Engine) saveIndex(source string, c *sourceCache, key string) error {
	if !c.dirty && c.stored != nil {
		return nil
	}
	v, err := c.encodeIndex(key)
	if err != nil {
		return fmt.Errorf("encode the build index of %s: %w", source, err)
	}
	if bytes.Equal(v, c.stored) {
		c.dirty = false
		return nil
	}
	if err := e.Store.Facts(store.FactsBuildIndex).PutBytes(source, v); err != nil {
		return err
	}
	c.stored, c.dirty = v, false
	return nil
}

// loadIndex reads the stored index into the cache, when it describes the
// objects stored for the calendars: built under key, for the same
// listing, holding the same hrefs. It reports whether it did.
func (e *Engine) loadIndex(source string, c *sourceCache, cals []string, key string) (bool, error) {
	v, ok, err := e.Store.Facts(store.FactsBuildIndex).Bytes(source)
	if err != nil || !ok {
		return false, err
	}
	var x storedIndex
	if json.Unmarshal(v, &x) != nil || x.Key != key || !slices.Equal(x.Calendars, cals) {
		return false, nil
	}
	c.reset(cals)
	for _, o := range x.Objects {
		if o.Cal < 0 || o.Cal >= len(cals) {
			return false, nil
		}
		r := objRef{cals[o.Cal], o.Href}
		c.link(r, o.UIDs)
		if o.Bad != "" {
			c.bad[r] = o.Bad
		}
	}
	listed := c.listed
	c.listed = nil
	for _, cal := range cals {
		etags, ok := listed[cal]
		if !ok {
			return false, nil
		}
		for href := range etags {
			if _, ok := c.objUIDs[objRef{cal, href}]; !ok {
				return false, nil
			}
		}
		c.etags[cal] = etags
	}
	if len(c.objUIDs) != countHrefs(c.etags) {
		return false, nil
	}
	for uid, p := range x.Pairs {
		c.pairOf[uid] = p
		if c.byPair[p] == nil {
			c.byPair[p] = map[string]bool{}
		}
		c.byPair[p][uid] = true
	}
	for id, n := range x.Counts {
		c.counts[id] = targetCount{Mine: n[0], Total: n[1]}
	}
	for uid, ps := range x.Problems {
		c.probs[uid] = ps
	}
	c.stored, c.dirty = v, false
	c.ready = true
	return true, nil
}

func countHrefs(m map[string]map[string]string) int {
	n := 0
	for _, hrefs := range m {
		n += len(hrefs)
	}
	return n
}

// persistStates writes the calendar states that need it: an error
// recorded or cleared, a new build key, a name, or times older in the
// store than statesEvery; with force, every state that changed. Those of
// one source go in one transaction.
func (e *Engine) persistStates(c *sourceCache, force bool) error {
	need := false
	var dirty []*calState
	for _, s := range c.states {
		if s.cur == s.stored {
			continue
		}
		dirty = append(dirty, s)
		cur, old := s.cur, s.stored
		if force || cur.LastError != old.LastError || cur.Built != old.Built || cur.Name != old.Name ||
			cur.Objects != old.Objects || old.LastSync.IsZero() ||
			cur.LastSync.Sub(old.LastSync) >= statesEvery || cur.LastSuccess.Sub(old.LastSuccess) >= statesEvery {
			need = true
		}
	}
	if !need {
		return nil
	}
	slices.SortFunc(dirty, func(a, b *calState) int { return strings.Compare(a.cur.Calendar, b.cur.Calendar) })
	states := make([]store.CalendarState, len(dirty))
	for i, s := range dirty {
		states[i] = s.cur
	}
	if err := e.Store.PutCalendarStates(states); err != nil {
		return err
	}
	for _, s := range dirty {
		s.stored = s.cur
	}
	return nil
}

// Flush writes what the engine holds in memory only (the times and
// cursors of quiet cycles) to the store. The daemon calls it when it
// stops; a cycle writes them itself at most every statesEvery.
func (e *Engine) Flush() error {
	cs := e.caches()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cs.m)) {
		if err := e.persistStates(cs.m[name], true); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("write sync states: %w", errors.Join(errs...))
	}
	return nil
}
