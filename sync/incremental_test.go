package sync_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/history"
	"oneonone/store"
	"oneonone/sync"
)

// memSource is a calendar source held in memory: one calendar, one object
// per UID, each object's data naming the events it decodes to. Changes
// lists what changed since the cursor (a generation), or everything
// without one.
type memSource struct {
	gen     int
	objs    map[string]memObject // href → object
	deleted map[string]int       // href → generation it went in
	decoded map[string][]calendar.Event
	decodes int // objects decoded
}

type memObject struct {
	etag string
	gen  int
}

func newMemSource() *memSource {
	return &memSource{objs: map[string]memObject{}, deleted: map[string]int{}, decoded: map[string][]calendar.Event{}}
}

// set makes the calendar hold exactly these events.
func (m *memSource) set(events []calendar.Event) {
	m.gen++
	byHref := map[string][]calendar.Event{}
	for _, ev := range events {
		byHref[ev.UID+".ics"] = append(byHref[ev.UID+".ics"], ev)
	}
	for href, evs := range byHref {
		sum := sha256.Sum256(fmt.Appendf(nil, "%#v", evs))
		etag := hex.EncodeToString(sum[:8])
		if o, ok := m.objs[href]; ok && o.etag == etag {
			continue
		}
		m.objs[href] = memObject{etag: etag, gen: m.gen}
		m.decoded[href+" "+etag] = evs
		delete(m.deleted, href)
	}
	for href := range m.objs {
		if _, ok := byHref[href]; !ok {
			delete(m.objs, href)
			m.deleted[href] = m.gen
		}
	}
}

func (m *memSource) Calendars(context.Context) ([]calendar.Ref, error) {
	return []calendar.Ref{{ID: "work", Name: "Work"}}, nil
}

func (m *memSource) Changes(_ context.Context, _ string, cursor string, _ map[string]string) (calendar.Changes, error) {
	ch := calendar.Changes{Cursor: strconv.Itoa(m.gen), Requests: 1}
	since, err := strconv.Atoi(cursor)
	if err != nil {
		ch.Full, since = true, -1
	}
	for _, href := range slices.Sorted(maps.Keys(m.objs)) {
		if o := m.objs[href]; o.gen > since {
			ch.Put = append(ch.Put, calendar.Object{Href: href, ETag: o.etag, Data: []byte(href + " " + o.etag)})
		}
	}
	if !ch.Full {
		for href, g := range m.deleted {
			if g > since {
				ch.Deleted = append(ch.Deleted, href)
			}
		}
	}
	return ch, nil
}

func (m *memSource) Decode(_ string, obj calendar.Object) ([]calendar.Event, error) {
	m.decodes++
	evs, ok := m.decoded[string(obj.Data)]
	if !ok {
		return nil, fmt.Errorf("%s: unknown data", obj.Href)
	}
	return slices.Clone(evs), nil
}

// TestIncrementalKeepsTheSameHistory: an engine that rebuilds only what
// changed or came due (a daemon's, and a new process per cycle as cron
// runs `oneonone sync`) leaves exactly the history an engine rebuilding
// everything every cycle does, after every one of about 150 cycles over
// two years at irregular steps (an hour to ten days) with the edits of
// editedCalendar. Between edits nothing is fetched:
// slots become held, enter the horizon and leave the window with time
// alone.
func TestIncrementalKeepsTheSameHistory(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cal := newEditedCalendar(loc)

	type side struct {
		name  string
		src   *memSource
		st    *store.Store
		eng   *sync.Engine
		fresh bool // a new engine every cycle
	}
	var now time.Time
	newEngine := func(s *side) {
		s.eng = &sync.Engine{
			Store: s.st, Sources: []sync.NamedSource{{Name: "team", Source: s.src}},
			Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
			Horizon: 14 * 24 * time.Hour, History: 8 * 7 * 24 * time.Hour,
			Now: func() time.Time { return now },
		}
	}
	var sides []*side
	for _, name := range []string{"full", "daemon", "cron"} {
		st, err := store.Open(filepath.Join(t.TempDir(), name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		s := &side{name: name, src: newMemSource(), st: st, fresh: name == "cron"}
		newEngine(s)
		if name == "full" {
			sync.RebuildEverything(s.eng)
		}
		sides = append(sides, s)
	}
	full := sides[0]
	// history compares what matters: Checked (the last rebuild) and Next
	// differ by design between engines that rebuild at different times.
	history := func(st *store.Store) ([]calendar.Series, []calendar.Occurrence) {
		ss, err := st.Series()
		if err != nil {
			t.Fatal(err)
		}
		for i := range ss {
			ss[i].Checked, ss[i].Next = time.Time{}, time.Time{}
		}
		occ, err := st.AllOccurrences()
		if err != nil {
			t.Fatal(err)
		}
		return ss, occ
	}

	rng := rand.New(rand.NewPCG(1, 2))
	now = cal.at(2024, 1, 3, 9)
	end := now.AddDate(2, 0, 0)
	cycles, quiet := 0, 0
	for step := 0; now.Before(end); step++ {
		now = now.Add(time.Hour + time.Duration(rng.Int64N(int64(10*24*time.Hour))))
		edited := cal.edit(step, now)
		events := cal.events()
		var sums [][]sync.Summary
		for _, s := range sides {
			s.src.set(events)
			if s.fresh {
				newEngine(s)
			}
			sum, err := s.eng.SyncAll(context.Background())
			if err != nil {
				t.Fatalf("cycle %d (%s), %s: %v", step, now.Format(time.DateTime), s.name, err)
			}
			sums = append(sums, sum)
		}
		cycles++
		if !edited {
			quiet++
		}
		fs, fo := history(full.st)
		for i, s := range sides[1:] {
			ss, so := history(s.st)
			if !reflect.DeepEqual(fs, ss) {
				t.Fatalf("cycle %d (%s): %s's series differ from a full rebuild's:\nfull %+v\n%s %+v", step, now.Format(time.DateTime), s.name, fs, s.name, ss)
			}
			if !reflect.DeepEqual(fo, so) {
				t.Fatalf("cycle %d (%s): %s's history differs from a full rebuild's: %d occurrences, %d\nfull %v\n%s %v",
					step, now.Format(time.DateTime), s.name, len(fo), len(so), fo, s.name, so)
			}
			if a, b := sums[0][0].Series, sums[i+1][0].Series; a != b {
				t.Fatalf("cycle %d: %s's summary counts %d series, the full rebuild's %d", step, s.name, b, a)
			}
		}
	}
	if cycles < 120 || quiet < 100 {
		t.Fatalf("%d cycles, %d without an edit: the test did not cover what it says", cycles, quiet)
	}
	// The history did outgrow the window: the test compared kept pasts.
	_, occ := history(full.st)
	old := 0
	for _, o := range occ {
		if o.OriginalStart.Before(now.Add(-8 * 7 * 24 * time.Hour)) {
			old++
		}
	}
	if old < 100 {
		t.Fatalf("only %d of %d occurrences lie before the window", old, len(occ))
	}
	// And the daemon did less: it rebuilt a series only when it changed or
	// came due; it decoded each object once per version.
	fb, db := sync.SeriesBuilt(full.eng), sync.SeriesBuilt(sides[1].eng)
	t.Logf("%d cycles (%d without an edit): %d series built by the full engine, %d by the daemon; %d and %d objects decoded",
		cycles, quiet, fb, db, full.src.decodes, sides[1].src.decodes)
	// Steps of five days on average leave most series due most cycles
	// (a weekly slot has a boundary every few days): fewer, not far fewer.
	if db*4 > fb*3 {
		t.Errorf("the daemon built %d series, the full rebuild %d: want at most three quarters", db, fb)
	}
	if d := sides[1].src.decodes; d > 30 {
		t.Errorf("the daemon decoded %d objects over %d cycles: want each version once (about 20)", d, cycles)
	}
}

// TestQuietCycleCommitsNothing: a cycle in which nothing was fetched and
// nothing came due makes no bbolt commit and rebuilds no series, in the
// daemon and in a new process; the times it keeps in memory reach the
// store at Flush.
func TestQuietCycleCommitsNothing(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 1, 6, 10, 0, 0, 0, loc)
	src := newMemSource()
	src.set([]calendar.Event{{
		UID: "bob", Summary: "Anna / Bob", Start: start, End: start.Add(30 * time.Minute),
		Organizer:  calendar.Attendee{Email: "anna@example.com"},
		Attendees:  []calendar.Attendee{{Email: "anna@example.com"}, {Email: "bob@example.com"}},
		Recurrence: &calendar.Recurrence{RRules: []string{"FREQ=WEEKLY;BYDAY=TU"}},
	}})
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Wednesday noon: the next boundary is next Tuesday's slot (or its
	// entering the horizon), days away.
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, loc)
	engine := func() *sync.Engine {
		return &sync.Engine{
			Store: st, Sources: []sync.NamedSource{{Name: "team", Source: src}},
			Rules: history.DetectRules{Me: []string{"anna@example.com"}},
			Now:   func() time.Time { return now },
		}
	}
	e := engine()
	if _, err := e.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	commits, built, decodes := st.Commits(), sync.SeriesBuilt(e), src.decodes
	for range 5 {
		now = now.Add(time.Minute)
		sums, err := e.SyncAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sums[0].Series != 1 || sums[0].Objects != 1 || sums[0].Changed != 0 {
			t.Fatalf("quiet cycle summary: %+v", sums[0])
		}
	}
	if n := st.Commits() - commits; n != 0 {
		t.Errorf("5 quiet cycles made %d bbolt commits, want 0", n)
	}
	if n := sync.SeriesBuilt(e) - built; n != 0 {
		t.Errorf("5 quiet cycles rebuilt %d series, want 0", n)
	}
	if n := src.decodes - decodes; n != 0 {
		t.Errorf("5 quiet cycles decoded %d objects, want 0", n)
	}
	// A new process (a one-shot `sync`) trusts the stored index.
	cron := engine()
	now = now.Add(time.Minute)
	if sums, err := cron.SyncAll(context.Background()); err != nil || sums[0].Series != 1 {
		t.Fatalf("new process: %v %+v", err, sums)
	}
	if n := st.Commits() - commits; n != 0 {
		t.Errorf("a quiet cycle in a new process made %d bbolt commits, want 0", n)
	}
	if n := src.decodes - decodes; n != 0 {
		t.Errorf("a quiet cycle in a new process decoded %d objects, want 0", n)
	}
	// Ten minutes on, the times are written: once.
	now = now.Add(10 * time.Minute)
	if _, err := e.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := st.Commits() - commits; n != 1 {
		t.Errorf("a quiet cycle ten minutes after the states were written made %d commits, want 1", n)
	}
	now = now.Add(time.Minute)
	if _, err := e.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	cs, _, err := st.CalendarState("team", "work")
	if err != nil || !cs.LastSync.Equal(now) {
		t.Errorf("after Flush the stored last sync is %s (%v), want %s", cs.LastSync, err, now)
	}
	// Time passing a slot's start rebuilds that series, and only then.
	now = time.Date(2026, 3, 10, 10, 5, 0, 0, loc)
	built = sync.SeriesBuilt(e)
	if _, err := e.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := sync.SeriesBuilt(e) - built; n != 1 {
		t.Errorf("the cycle after a slot began rebuilt %d series, want 1", n)
	}
	occ, err := st.Occurrences("team/bob")
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, o := range occ {
		if o.OriginalStart.Equal(time.Date(2026, 3, 10, 10, 0, 0, 0, loc)) && o.State == calendar.StateHeld {
			held++
		}
	}
	if held != 1 {
		t.Errorf("the slot that began is not held: %v", occ)
	}
}
