package sync_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/google"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/internal/fake/googleapi"
	"oneonone/store"
	"oneonone/sync"
)

// tickCal is a calendar holding Anna's weekly 1:1 with Bob, whose
// description the test reads and edits as a calendar client would.
type tickCal struct {
	src  sync.Source
	desc func(t *testing.T) string       // the master's description
	set  func(t *testing.T, desc string) // the user saves it
}

var (
	tickNow   = time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
	tickHeld  = time.Date(2026, 11, 17, 10, 0, 0, 0, berlin) // the latest 1:1 begun by tickNow
	tickPair  = calendar.NewPair("anna@example.com", "bob@example.com")
	tickSince = time.Date(2026, 11, 10, 9, 0, 0, 0, berlin)
)

// putHook runs before a conditional PUT of the CalDAV client.
type hookedClient struct {
	*caldav.Client
	mu     gosync.Mutex
	before func()
}

func (c *hookedClient) Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error) {
	c.mu.Lock()
	f := c.before
	c.before = nil
	c.mu.Unlock()
	if f != nil && ifMatch != "" {
		f()
	}
	return c.Client.Put(ctx, href, data, ifMatch)
}

func davTickCal(t *testing.T) (tickCal, *hookedClient) {
	url, calPath := oneCalendarServer(t)
	client, err := caldav.New(caldav.Options{URL: url, Username: "anna", Password: "secret", Zone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	href := calPath + "bob-1on1.ics"
	if _, err := client.Put(ctx, href, []byte(oneOnOne("bob-1on1@example.com", tickHeld)), ""); err != nil {
		t.Fatal(err)
	}
	hc := &hookedClient{Client: client}
	c := tickCal{src: hc}
	c.desc = func(t *testing.T) string {
		t.Helper()
		obj, err := client.Get(ctx, href)
		if err != nil {
			t.Fatal(err)
		}
		return eventOf(t, obj.Data, false).Description
	}
	c.set = func(t *testing.T, desc string) {
		t.Helper()
		obj, err := client.Get(ctx, href)
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := ical.SetDescription(obj.Data, "bob-1on1@example.com", time.Time{}, desc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Put(ctx, href, data, obj.ETag); err != nil {
			t.Fatal(err)
		}
	}
	return c, hc
}

func googleTickCal(t *testing.T) (tickCal, *googleapi.Server) {
	srv := googleapi.New()
	srv.AddCalendar(teamMe, teamMe, berlin.String())
	when := func(tm time.Time) map[string]string {
		return map[string]string{"dateTime": tm.Format(time.RFC3339), "timeZone": berlin.String()}
	}
	item, _ := json.Marshal(map[string]any{
		"kind": "calendar#event", "id": "bob1on1", "status": "confirmed", "iCalUID": "bob-1on1@example.com",
		"summary": "Anna / Bob 1:1", "start": when(tickHeld), "end": when(tickHeld.Add(30 * time.Minute)),
		"recurrence":  []string{"RRULE:FREQ=WEEKLY"},
		"description": googleapi.RewriteHTML(html.EscapeString(userText)),
		"organizer":   map[string]any{"email": teamMe, "self": true},
		"attendees": []map[string]any{
			{"email": teamMe, "responseStatus": "accepted", "self": true, "organizer": true},
			{"email": "bob@example.com", "responseStatus": "accepted"},
		},
	})
	if err := srv.Apply(teamMe, item); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	client, err := google.New(context.Background(), google.Options{Calendar: teamMe, Endpoint: ts.URL + "/calendar/v3/", Zone: berlin,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	field := func(t *testing.T) map[string]json.RawMessage {
		t.Helper()
		data, ok := srv.Event(teamMe, "bob1on1")
		if !ok {
			t.Fatal("event gone")
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	c := tickCal{src: client}
	c.desc = func(t *testing.T) string {
		var d string
		_ = json.Unmarshal(field(t)["description"], &d)
		return d
	}
	c.set = func(t *testing.T, desc string) {
		m := field(t)
		m["description"], _ = json.Marshal(desc)
		b, _ := json.Marshal(m)
		if err := srv.Apply(teamMe, b); err != nil {
			t.Fatal(err)
		}
	}
	return c, srv
}

// countingTicker counts the calls of the Ticker it wraps.
type countingTicker struct {
	sync.Ticker
	calls int
}

func (c *countingTicker) Tick(ctx context.Context, p calendar.Pair, b agenda.Block, ticks []agenda.Tick) (bool, error) {
	c.calls++
	return c.Ticker.Tick(ctx, p, b, ticks)
}

// tickEngine is an engine over c whose blocks come from the store, as
// cmd/oneonone wires them, with the latest 1:1 begun at tickHeld.
func tickEngine(t *testing.T, c tickCal) (*sync.Engine, *store.Store, *countingTicker) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := func() time.Time { return tickNow }
	starts := func(calendar.Pair) ([]time.Time, error) {
		return []time.Time{tickHeld.AddDate(0, 0, -7), tickHeld}, nil
	}
	acts := agenda.Actions{Store: st}
	blocks := agenda.Blocks{
		Location: berlin,
		Open:     func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error) { return acts.Open(ctx, p, "") },
		Points: func(ctx context.Context, p calendar.Pair) ([]agenda.Point, error) {
			return st.Points(p)
		},
		Since: func(calendar.Pair) (time.Time, error) { return tickHeld, nil },
		Done:  st.Actions,
	}
	ticker := &countingTicker{Ticker: agenda.Ticks{Actions: st, Points: st, Starts: starts, Now: now}}
	eng := &sync.Engine{
		Store: st, Sources: []sync.NamedSource{{Name: "team", Source: c.src}},
		Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
		Horizon: 14 * 24 * time.Hour, Now: now, Agenda: blocks.Block, Ticker: ticker,
	}
	return eng, st, ticker
}

func syncOnce(t *testing.T, eng *sync.Engine) sync.Summary {
	t.Helper()
	sums, err := eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sums[0]
}

// userPart is the description without its block: the user's text.
func userPart(desc string, isHTML bool) string {
	if isHTML {
		return agenda.StripHTML(desc)
	}
	return agenda.Strip(desc)
}

// retick replaces the box of the one line of desc holding key.
func retick(t *testing.T, desc, key, from, to string) string {
	t.Helper()
	if n := strings.Count(desc, from+" "+key); n != 1 {
		t.Fatalf("%d lines %q in %q", n, from+" "+key, desc)
	}
	return strings.Replace(desc, from+" "+key, to+" "+key, 1)
}

func tickFlavours() []struct {
	name string
	html bool
	make func(t *testing.T) tickCal
} {
	return []struct {
		name string
		html bool
		make func(t *testing.T) tickCal
	}{
		{"caldav", false, func(t *testing.T) tickCal { c, _ := davTickCal(t); return c }},
		{"google", true, func(t *testing.T) tickCal { c, _ := googleTickCal(t); return c }},
	}
}

func TestTicksInCalendar(t *testing.T) {
	for _, fl := range tickFlavours() {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			c := fl.make(t)
			eng, st, ticker := tickEngine(t, c)
			act, err := st.AddAction(agenda.Action{Pair: tickPair, Owner: "bob@example.com", Text: "send the draft", Since: tickSince, Origin: agenda.OriginStore})
			if err != nil {
				t.Fatal(err)
			}
			pt, err := st.AddPoint(agenda.Point{Pair: tickPair, Author: "bob@example.com", Text: "the offsite", Added: tickSince, Origin: agenda.OriginStore})
			if err != nil {
				t.Fatal(err)
			}
			if s := syncOnce(t, eng); s.Blocks.Writes != 1 {
				t.Fatalf("first sync: %+v", s.Blocks)
			}
			// The cycle after a write reads the object back; the one after
			// it is quiet, and costs the ticker nothing.
			syncOnce(t, eng)
			calls := ticker.calls
			quiet := syncOnce(t, eng)
			if quiet.Changed != 0 || quiet.Blocks.Writes != 0 || ticker.calls != calls {
				t.Fatalf("quiet cycle: %+v, %d changed, %d ticker calls", quiet.Blocks, quiet.Changed, ticker.calls-calls)
			}
			written := c.desc(t)
			user := userPart(written, fl.html)
			akey, pkey := agenda.ItemKey(act, berlin), agenda.PointKey(pt)
			if !strings.Contains(written, "- [ ] "+akey) || !strings.Contains(written, "- [ ] "+pkey) {
				t.Fatalf("block without the items: %q", written)
			}

			// A "- [x]" of the same item in the user's own text counts
			// for nothing.
			outside := "- [x] " + akey + "\n"
			if fl.html {
				outside = "- [x] " + html.EscapeString(akey) + "<br>"
			}
			c.set(t, outside+written)
			s := syncOnce(t, eng)
			if a, _, _ := st.Action(act.ID); !a.Done.IsZero() || s.Blocks.Writes != 0 {
				t.Fatalf("a box outside the block: action %+v, blocks %+v", a, s.Blocks)
			}
			c.set(t, written)
			syncOnce(t, eng)

			// Ticked in the calendar (a capital X, as some clients do):
			// done in the store, the block keeps it ticked, no write.
			ticked := retick(t, written, akey, "- [ ]", "- [X]")
			ticked = retick(t, ticked, pkey, "- [ ]", "- [x]")
			c.set(t, ticked)
			s = syncOnce(t, eng)
			a, _, _ := st.Action(act.ID)
			if !a.Done.Equal(tickNow) {
				t.Errorf("ticked action: done %v, want %v", a.Done, tickNow)
			}
			p, _, _ := st.Point(pt.ID)
			if !p.Discussed.Equal(tickNow) || !p.Meeting.Equal(tickHeld) {
				t.Errorf("ticked point: discussed %v in %v, want %v in %v", p.Discussed, p.Meeting, tickNow, tickHeld)
			}
			got := c.desc(t)
			if !strings.Contains(got, "- [x] "+akey) || !strings.Contains(got, "- [x] "+pkey) {
				t.Errorf("block after the ticks: %q", got)
			}
			if up := userPart(got, fl.html); up != user {
				t.Errorf("user text changed:\n%q\nwant\n%q", up, user)
			}
			if s.Blocks.Writes != 1 || s.Blocks.Written != 1 {
				// "[X]" is rewritten as "[x]": one write.
				t.Errorf("after the ticks: %+v", s.Blocks)
			}
			if s := syncOnce(t, eng); s.Blocks.Writes != 0 {
				t.Errorf("quiet cycle after the ticks: %+v", s.Blocks)
			}

			// Unticked: open again, no write (the block reads as the
			// user left it).
			calls = ticker.calls
			unticked := retick(t, c.desc(t), akey, "- [x]", "- [ ]")
			unticked = retick(t, unticked, pkey, "- [x]", "- [ ]")
			c.set(t, unticked)
			s = syncOnce(t, eng)
			if a, _, _ := st.Action(act.ID); !a.Done.IsZero() {
				t.Errorf("unticked action still done: %v", a.Done)
			}
			if p, _, _ := st.Point(pt.ID); !p.Open() {
				t.Errorf("unticked point still discussed: %v", p.Discussed)
			}
			if ticker.calls != calls+1 || s.Blocks.Writes != 0 {
				t.Errorf("untick: %d ticker calls, blocks %+v", ticker.calls-calls, s.Blocks)
			}
			if got := c.desc(t); got != unticked {
				t.Errorf("description after the untick:\n%q\nwant\n%q", got, unticked)
			}

			// Done elsewhere (oneonone actions done) while the calendar
			// still shows it open: the open box written before is no
			// untick, and the block is brought up to date.
			if _, _, err := st.SetActionDone(act.ID, tickNow); err != nil {
				t.Fatal(err)
			}
			s = syncOnce(t, eng)
			if a, _, _ := st.Action(act.ID); !a.Done.Equal(tickNow) {
				t.Errorf("done from the command line reopened: %v", a.Done)
			}
			if got := c.desc(t); !strings.Contains(got, "- [x] "+akey) || s.Blocks.Writes != 1 {
				t.Errorf("block after a done from the command line (%+v): %q", s.Blocks, got)
			}
			syncOnce(t, eng) // reads our write back
			calls = ticker.calls
			for i := 0; i < 2; i++ {
				if s := syncOnce(t, eng); s.Blocks.Writes != 0 || s.Requests != quiet.Requests {
					t.Errorf("quiet cycle: %+v, %d requests, want %d", s.Blocks, s.Requests, quiet.Requests)
				}
			}
			if ticker.calls != calls {
				t.Errorf("quiet cycles called the ticker %d times", ticker.calls-calls)
			}

			// Reopened on the command line, and then someone edits the
			// event (their own text) before the next sync: the ticked box
			// still reads as we wrote it, which is nobody's tick; the
			// action stays open and the block follows the store. And the
			// same the other way: done on the command line, the event
			// edited, the open box we wrote is no untick.
			for _, step := range []struct {
				name string
				done time.Time
				box  string
			}{{"reopened", time.Time{}, "- [ ] "}, {"done", tickNow, "- [x] "}} {
				if _, _, err := st.SetActionDone(act.ID, step.done); err != nil {
					t.Fatal(err)
				}
				edited := c.desc(t)
				if fl.html {
					edited = "a note of mine<br>" + edited
				} else {
					edited = "a note of mine\n" + edited
				}
				c.set(t, edited)
				s = syncOnce(t, eng)
				if a, _, _ := st.Action(act.ID); !a.Done.Equal(step.done) {
					t.Errorf("%s on the command line, then the event edited: done %v, want %v", step.name, a.Done, step.done)
				}
				got := c.desc(t)
				if !strings.Contains(got, step.box+akey) || !strings.Contains(got, "a note of mine") || s.Blocks.Writes != 1 {
					t.Errorf("%s on the command line, then the event edited (%+v): %q", step.name, s.Blocks, got)
				}
				syncOnce(t, eng) // reads our write back
			}
		})
	}
}

// TestTickBeforeOurWrite: the user ticks a box between our read and our
// write; the write meets a 412, and the tick is applied before the block
// is made again.
func TestTickBeforeOurWrite(t *testing.T) {
	c, hc := davTickCal(t)
	eng, st, _ := tickEngine(t, c)
	act, err := st.AddAction(agenda.Action{Pair: tickPair, Owner: "bob@example.com", Text: "send the draft", Since: tickSince, Origin: agenda.OriginStore})
	if err != nil {
		t.Fatal(err)
	}
	syncOnce(t, eng)
	akey := agenda.ItemKey(act, berlin)
	// A new action makes us write; the user ticks the first one just
	// before.
	other, err := st.AddAction(agenda.Action{Pair: tickPair, Owner: "anna@example.com", Text: "book the room", Since: tickSince.Add(time.Hour), Origin: agenda.OriginStore})
	if err != nil {
		t.Fatal(err)
	}
	hc.mu.Lock()
	hc.before = func() { c.set(t, retick(t, c.desc(t), akey, "- [ ]", "- [x]")) }
	hc.mu.Unlock()
	s := syncOnce(t, eng)
	if s.Blocks.Conflicts != 1 || s.Blocks.Written != 1 {
		t.Errorf("blocks %+v, want one conflict and one written", s.Blocks)
	}
	if a, _, _ := st.Action(act.ID); !a.Done.Equal(tickNow) {
		t.Errorf("tick made during our write lost: done %v", a.Done)
	}
	got := c.desc(t)
	if !strings.Contains(got, "- [x] "+akey) || !strings.Contains(got, "- [ ] "+agenda.ItemKey(other, berlin)) {
		t.Errorf("block after the race: %q", got)
	}
	if !strings.HasPrefix(got, userText+"\n\n") {
		t.Errorf("user text lost: %q", got)
	}
}
