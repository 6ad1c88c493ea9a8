package bench

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/store"
	"oneonone/sync"
)

// quietCalendars are the calendars of the steady-state tests: many small
// ones, each a manager's, with 1:1s and noise.
func quietCalendars(n int) []*Calendar {
	cals := make([]*Calendar, n)
	for i := range cals {
		cals[i] = Generate(Spec{Owner: fmt.Sprintf("lead%d@example.com", i), Series: 3, NoisePerSeries: 1,
			Now: benchNow, Years: 1, Zone: berlin(), Seed: uint64(200 + i)})
	}
	return cals
}

// snapshot is what the store holds of the history and the objects.
type snapshot struct {
	objects     map[string][]calendar.Object
	series      []calendar.Series
	occurrences []calendar.Occurrence
}

func snap(t *testing.T, st *store.Store) snapshot {
	t.Helper()
	s := snapshot{objects: map[string][]calendar.Object{}}
	states, err := st.CalendarStates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range states {
		objs, err := st.Objects(cs.Source, cs.Calendar)
		if err != nil {
			t.Fatal(err)
		}
		s.objects[cs.Source+" "+cs.Calendar] = objs
	}
	if s.series, err = st.Series(); err != nil {
		t.Fatal(err)
	}
	for i := range s.series {
		s.series[i].Checked = time.Time{} // the time of the last rebuild: moves every cycle
	}
	if s.occurrences, err = st.AllOccurrences(); err != nil {
		t.Fatal(err)
	}
	return s
}

// quietCheck runs cycles over calendars that nobody changes, agenda
// write-back on, and checks what docs/DESIGN.md promises ("Syncing a
// source", "The agenda block"): after the cycle that writes the blocks and
// the one that sees them come back, each cycle costs one request per
// calendar (plus, for CalDAV, the discovery of the calendars), writes
// nothing to any calendar, makes no commit to the state file, and leaves
// the stored objects and history as they were; and so on as time passes.
func quietCheck(t *testing.T, cals []*Calendar, srcs []sync.NamedSource, discovery int64, requests, writes func() int64) {
	now := benchNow
	eng := newEngine(t, t.TempDir(), srcs, cals, &now, engineOpts{agenda: true})
	defer eng.Store.Close()

	first := total(syncAll(t, eng))
	if want := len(cals); first.Calendars != want {
		t.Fatalf("first cycle: %d calendars, want %d", first.Calendars, want)
	}
	if first.Blocks.Written == 0 {
		t.Fatal("first cycle wrote no agenda block")
	}
	second := total(syncAll(t, eng)) // our own writes come back
	t.Logf("first cycle: %d requests, %d blocks written; second: %d requests, %d changed, %d written",
		first.Requests, first.Blocks.Written, second.Requests, second.Changed, second.Blocks.Written)
	if second.Blocks.Written != 0 {
		t.Errorf("second cycle wrote %d blocks, want 0", second.Blocks.Written)
	}

	before := snap(t, eng.Store)
	for cycle := range 4 {
		if cycle >= 2 {
			now = now.Add(5 * time.Minute) // the daemon's interval
		}
		r0, w0, c0 := requests(), writes(), eng.Store.Commits()
		sum := total(syncAll(t, eng))
		reqs, wr, commits := requests()-r0, writes()-w0, eng.Store.Commits()-c0
		perCal := float64(sum.Requests) / float64(sum.Calendars)
		t.Logf("quiet cycle %d: %d calendars, %d requests (%.2f per calendar, %d for discovery), %d writes, %d blocks already right",
			cycle+1, sum.Calendars, reqs, perCal, reqs-int64(sum.Requests), wr, sum.Blocks.AlreadyRight)
		if sum.Requests != sum.Calendars || reqs != int64(sum.Calendars)+discovery {
			t.Errorf("quiet cycle %d: %d requests (%d by the engine's count) for %d calendars, want one per calendar and %d for discovery",
				cycle+1, reqs, sum.Requests, sum.Calendars, discovery)
		}
		if wr != 0 || sum.Blocks.Written != 0 || sum.Changed != 0 || sum.Blocks.Conflicts != 0 {
			t.Errorf("quiet cycle %d: %d writes to the calendars, %d blocks written, %d objects changed, %d conflicts; want none",
				cycle+1, wr, sum.Blocks.Written, sum.Changed, sum.Blocks.Conflicts)
		}
		if sum.Blocks.AlreadyRight == 0 {
			t.Errorf("quiet cycle %d: no block found right", cycle+1)
		}
		if cycle < 2 && commits != 0 {
			// Nothing fetched, nothing came due: nothing to write.
			t.Errorf("quiet cycle %d made %d bbolt commits, want 0", cycle+1, commits)
		}
		if cycle < 2 {
			if after := snap(t, eng.Store); !reflect.DeepEqual(before, after) {
				t.Errorf("quiet cycle %d changed the stored objects or history", cycle+1)
			}
		}
	}
}

// TestQuietCycleCalDAV: 25 calendars in one CalDAV source.
func TestQuietCycleCalDAV(t *testing.T) {
	t.Parallel()
	cals := quietCalendars(25)
	env := newDAV(t, cals...)
	src := env.source(t)
	// What finding the calendars costs, once per hour and source.
	r0 := env.requests()
	refs, err := src.Source.Calendars(context.Background())
	if err != nil || len(refs) != len(cals) {
		t.Fatalf("discovery: %d calendars, %v", len(refs), err)
	}
	discovery := env.requests() - r0
	if discovery > 4 {
		t.Errorf("discovery costs %d requests, want a few whatever the number of calendars", discovery)
	}
	// The client remembers the calendars it found (for an hour), so a
	// quiet cycle makes no discovery request at all.
	quietCheck(t, cals, []sync.NamedSource{src}, 0, env.requests, env.writes.Load)
}

// TestQuietCycleGoogle: 25 Google calendars, a source each.
func TestQuietCycleGoogle(t *testing.T) {
	t.Parallel()
	cals := quietCalendars(25)
	env := newGoogle(t, cals...)
	quietCheck(t, cals, env.sources(t), 0, env.requests, env.srv.Writes)
}
