package google_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/history"
	"oneonone/store"
	"oneonone/sync"
)

// The compass payloads are test.user@gmail.com's own events, with nobody
// invited. replayOwner is that user; peer is the counterpart these tests
// invite so that each series is a 1:1.
const (
	replayOwner = "test.user@gmail.com"
	peer        = "peer@example.com"
)

// items are a payload's events by id; get finds one by the end of its id.
type items map[string][]byte

func (it items) get(t *testing.T, suffix string) []byte {
	t.Helper()
	return it[it.id(t, suffix)]
}

func (it items) id(t *testing.T, suffix string) string {
	t.Helper()
	for id := range it {
		if strings.HasSuffix(id, suffix) {
			return id
		}
	}
	t.Fatalf("no item whose id ends in %s", suffix)
	return ""
}

// compassItems reads the items of a compass payload, each made a 1:1 by
// inviting peer (cancelled skeletons stay as Google sent them).
func compassItems(t *testing.T, name string) items {
	t.Helper()
	dir := os.Getenv("ONEONONE_CORPUS")
	if dir == "" {
		t.Skip("ONEONONE_CORPUS is not set: run make test, which points it at ../shared/corpus")
	}
	data, err := os.ReadFile(filepath.Join(dir, "google", "compass", name))
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	out := items{}
	for _, it := range list.Items {
		var id, status string
		_ = json.Unmarshal(it["id"], &id)
		_ = json.Unmarshal(it["status"], &status)
		if _, ok := it["start"]; ok && status != "cancelled" {
			it["attendees"] = json.RawMessage(`[{"email":"` + replayOwner + `","self":true,"organizer":true,"responseStatus":"accepted"},{"email":"` + peer + `","responseStatus":"accepted"}]`)
		}
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	return out
}

// replay is an engine over the fake, on the replay owner's calendar.
type replay struct {
	f   *fake
	eng *sync.Engine
	st  *store.Store
	now time.Time
}

func newReplay(t *testing.T, now time.Time) *replay {
	t.Helper()
	f := newFake(t)
	f.srv.AddCalendar(replayOwner, replayOwner, "America/Chicago")
	chicago := loadZone(t, "America/Chicago")
	c := f.client(t, nil, func(o *google.Options) { o.Calendar, o.Zone = replayOwner, chicago })
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &replay{f: f, st: st, now: now}
	r.eng = &sync.Engine{
		Store: st, Sources: []sync.NamedSource{{Name: "work", Source: c}},
		Rules: history.DetectRules{Me: []string{replayOwner}}, Horizon: 14 * 24 * time.Hour,
		Now: func() time.Time { return r.now },
	}
	return r
}

func (r *replay) apply(t *testing.T, items ...[]byte) {
	t.Helper()
	if err := r.f.srv.Apply(replayOwner, items...); err != nil {
		t.Fatal(err)
	}
}

func (r *replay) sync(t *testing.T) sync.Summary {
	t.Helper()
	sums, err := r.eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sums[0]
}

// states maps "01-02 15:04" (Chicago) to each stored occurrence's state.
func (r *replay) states(t *testing.T) map[string]calendar.State {
	t.Helper()
	occ, err := r.st.AllOccurrences()
	if err != nil {
		t.Fatal(err)
	}
	chicago := loadZone(t, "America/Chicago")
	out := map[string]calendar.State{}
	for _, o := range occ {
		k := o.OriginalStart.In(chicago).Format("01-02 15:04")
		if _, dup := out[k]; dup {
			t.Errorf("%s counted twice", k)
		}
		out[k] = o.State
	}
	return out
}

func expectStates(t *testing.T, got map[string]calendar.State, want map[string]calendar.State, absent ...string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	for _, k := range absent {
		if s, ok := got[k]; ok {
			t.Errorf("%s: %q, want no occurrence", k, s)
		}
	}
}

// TestCompassReplay plays Google's own payloads as a first list and then
// incremental pages, and checks the occurrence states the engine keeps.
func TestCompassReplay(t *testing.T) {
	chicago := loadZone(t, "America/Chicago")
	now := time.Date(2025, 3, 28, 12, 0, 0, 0, chicago)
	const daily = "ni4sj3ql1669otmjg7sn1mok"

	t.Run("delete single", func(t *testing.T) {
		r := newReplay(t, now)
		items := compassItems(t, "recurring_delete_single_delete.single.json")
		r.apply(t, items.get(t, daily))
		r.sync(t)
		r.apply(t, items.get(t, daily+"_20250325T130000Z")) // the incremental page
		if sum := r.sync(t); sum.Requests != 1 || sum.Changed != 1 {
			t.Errorf("incremental sync: %d requests, %d changed; want 1 and 1", sum.Requests, sum.Changed)
		}
		expectStates(t, r.states(t), map[string]calendar.State{
			"03-24 08:00": calendar.StateHeld, "03-25 08:00": calendar.StateSkipped, "03-26 08:00": calendar.StateHeld,
			"03-28 08:00": calendar.StateHeld, "03-29 08:00": calendar.StateUpcoming, "03-31 08:00": calendar.StateUpcoming,
			"02-09 08:00": calendar.StateHeld,
		}, "04-01 08:00")
	})

	t.Run("delete this and following", func(t *testing.T) {
		r := newReplay(t, now)
		before := compassItems(t, "recurring_delete_single_delete.single.json")
		r.apply(t, before.get(t, daily))
		r.sync(t)
		after := compassItems(t, "recurring_delete_this-and-following_delete.this-and-following.json")
		r.apply(t, after.get(t, daily), after.get(t, daily+"_20250325T130000Z"))
		r.sync(t)
		// The series now ends on the 26th: the 27th to 31st are gone, not skipped.
		expectStates(t, r.states(t), map[string]calendar.State{
			"03-25 08:00": calendar.StateSkipped, "03-26 08:00": calendar.StateHeld,
		}, "03-27 08:00", "03-29 08:00", "03-31 08:00")
	})

	t.Run("edit this and following", func(t *testing.T) {
		r := newReplay(t, now)
		const old = "234gl45i6i1s8rpui7dleor0"
		items := compassItems(t, "recurring_edit_this-and-following_this-and-following-2.json")
		// Before the edit: the old master without its UNTIL, with its two moved days.
		open := bytes.Replace(items.get(t, old), []byte(";UNTIL=20250326T045959Z"), nil, 1)
		r.apply(t, open, items.get(t, old+"_20250315T131500Z"), items.get(t, old+"_20250319T131500Z"))
		r.sync(t)
		// The edit: the old rule gets an UNTIL, a new _R master follows.
		r.apply(t, items.get(t, old), items.get(t, old+"_R20250326T131500"))
		sum := r.sync(t)
		if sum.Series != 2 {
			t.Errorf("%d series after the split, want 2", sum.Series)
		}
		got := r.states(t)
		expectStates(t, got, map[string]calendar.State{
			"03-12 08:15": calendar.StateHeld,
			"03-15 08:15": calendar.StatePostponed, // moved to 16:00
			"03-19 08:15": calendar.StatePostponed, // moved to the 20th
			"03-25 08:15": calendar.StateHeld,      // the old series' last
			"03-26 08:15": calendar.StateHeld,      // the new series' first
			"03-29 08:15": calendar.StateUpcoming,
		})
		for k, s := range got {
			if s == calendar.StateSkipped {
				t.Errorf("%s skipped: the split is not a run of skips", k)
			}
		}
	})

	t.Run("delete all", func(t *testing.T) {
		r := newReplay(t, now)
		items := compassItems(t, "recurring_delete_single_delete.single.json")
		r.apply(t, items.get(t, daily))
		r.sync(t)
		if err := r.f.srv.Delete(replayOwner, items.id(t, daily)); err != nil {
			t.Fatal(err)
		}
		r.sync(t)
		expectStates(t, r.states(t), map[string]calendar.State{
			"03-27 08:00": calendar.StateHeld, "03-28 08:00": calendar.StateHeld,
		}, "03-29 08:00", "03-31 08:00")
	})
}

// TestEngine410KeepsHistory: a sync token Google no longer accepts means a
// full list, and the history recorded so far stays.
func TestEngine410KeepsHistory(t *testing.T) {
	chicago := loadZone(t, "America/Chicago")
	r := newReplay(t, time.Date(2025, 3, 28, 12, 0, 0, 0, chicago))
	items := compassItems(t, "recurring_delete_single_delete.single.json")
	const daily = "ni4sj3ql1669otmjg7sn1mok"
	r.apply(t, items.get(t, daily), items.get(t, daily+"_20250325T130000Z"))
	r.sync(t)
	before := r.states(t)
	r.f.srv.InvalidateSyncTokens()
	r.now = r.now.Add(time.Hour)
	sum := r.sync(t)
	if sum.Requests != 2 {
		t.Errorf("after a 410: %d requests, want 2 (the refused one and the full list)", sum.Requests)
	}
	after := r.states(t)
	if len(after) != len(before) {
		t.Fatalf("history changed: %d → %d occurrences", len(before), len(after))
	}
	for k, s := range before {
		if after[k] != s {
			t.Errorf("%s: %s → %s after the full re-list", k, s, after[k])
		}
	}
	if sum := r.sync(t); sum.Requests != 1 {
		t.Errorf("the cycle after recovery made %d requests, want 1", sum.Requests)
	}
}

// userEditingClient edits the event in Google's UI between our read and
// our write, once.
type userEditingClient struct {
	*google.Client
	f      *fake
	edited bool
}

const googleUserEdit = "Bob added: let us talk about the offsite."

func (c *userEditingClient) Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error) {
	if !c.edited {
		c.edited = true
		cur, _ := c.f.srv.Event(anna, href)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(cur, &m)
		var desc string
		_ = json.Unmarshal(m["description"], &desc)
		m["description"], _ = json.Marshal(googleUserEdit + "<br>" + desc)
		b, _ := json.Marshal(m)
		if err := c.f.srv.Apply(anna, b); err != nil {
			return "", err
		}
	}
	return c.Client.Put(ctx, href, data, ifMatch)
}

// TestEngineConflictAndNonOrganizer: a 412 from a concurrent edit means
// re-read, re-merge, retry, and the user's edit survives; an event someone
// else organizes is never written; Google's HTML rewriting does not make us
// write forever.
func TestEngineConflictAndNonOrganizer(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	now := time.Date(2025, 4, 10, 12, 0, 0, 0, berlin)
	f := newFake(t)
	f.apply(t, "master_exdate.json")
	bobs := `{"kind":"calendar#event","etag":"\"5\"","id":"bobsseries1","status":"confirmed","summary":"Bob / Anna",
"description":"Bob's notes: https://example.com/x","organizer":{"email":"bob@example.com"},
"start":{"dateTime":"2025-03-05T15:00:00+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2025-03-05T15:30:00+01:00","timeZone":"Europe/Berlin"},
"recurrence":["RRULE:FREQ=WEEKLY"],"attendees":[{"email":"bob@example.com","organizer":true,"responseStatus":"accepted"},{"email":"anna@example.com","self":true,"responseStatus":"accepted"}]}`
	if err := f.srv.Apply(anna, []byte(bobs)); err != nil {
		t.Fatal(err)
	}
	c := &userEditingClient{Client: f.client(t, nil, func(o *google.Options) { o.Zone = berlin }), f: f, edited: true}
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	link := "https://docs.example.com/a"
	eng := &sync.Engine{
		Store: st, Sources: []sync.NamedSource{{Name: "work", Source: c}},
		Rules: history.DetectRules{Me: []string{anna}}, Horizon: 14 * 24 * time.Hour,
		Now: func() time.Time { return now },
		Agenda: func(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error) {
			return agenda.Block{Link: link, With: s.Counterpart, Location: berlin}, nil
		},
	}
	run := func() sync.Summary {
		t.Helper()
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sums[0]
	}
	if sum := run(); sum.Series != 2 || sum.Blocks.Written != 1 || sum.Blocks.Refused != 1 {
		t.Fatalf("first cycle: %d series, blocks %+v; want 2 series, 1 written, 1 refused", sum.Series, sum.Blocks)
	}
	for i := range 3 {
		if sum := run(); sum.Blocks.Written != 0 || sum.Requests != 1 {
			t.Fatalf("cycle %d: blocks %+v, %d requests; Google's HTML rewriting must not make us write again", i+2, sum.Blocks, sum.Requests)
		}
	}

	// The link changes and the user edits the event at the same moment.
	link, c.edited = "https://docs.example.com/b", false
	if sum := run(); sum.Blocks.Conflicts != 1 || sum.Blocks.Written != 1 {
		t.Fatalf("blocks after a concurrent edit = %+v, want 1 conflict retried and 1 written", sum.Blocks)
	}
	master, _ := f.srv.Event(anna, masterID)
	evs, _ := c.Decode("primary", calendar.Object{Href: masterID, Data: master})
	desc := evs[0].Description
	if !strings.HasPrefix(desc, googleUserEdit) || !strings.Contains(desc, "docs.example.com/b") || strings.Count(desc, agenda.BeginLine) != 1 {
		t.Errorf("after the conflict: %q", desc)
	}
	for _, line := range f.srv.RequestLog() {
		if strings.Contains(line, "bobsseries1") && !strings.HasPrefix(line, "GET") {
			t.Errorf("an event Bob organizes was written: %s", line)
		}
	}
}
