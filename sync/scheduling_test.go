package sync_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/internal/davtest"
	"oneonone/internal/demo"
	"oneonone/internal/fake/caldavserver"
	"oneonone/store"
	"oneonone/sync"
)

// countingTransport records the method and path of every request a client
// sends.
type countingTransport struct {
	base http.RoundTripper
	mu   gosync.Mutex
	reqs []davtest.Request
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, davtest.Request{Method: req.Method, Path: req.URL.Path})
	c.mu.Unlock()
	return c.base.RoundTrip(req)
}

// take returns the requests recorded since the last take.
func (c *countingTransport) take() []davtest.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reqs
	c.reqs = nil
	return out
}

// putsPerPath counts the PUTs of reqs by path.
func putsPerPath(reqs []davtest.Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		if r.Method == http.MethodPut {
			out[r.Path]++
		}
	}
	return out
}

// oneCalendarServer is an empty in-process CalDAV server with one calendar.
func oneCalendarServer(t *testing.T) (url, calPath string) {
	t.Helper()
	dav := caldavserver.New("anna")
	dav.SetBasicAuth("anna", "secret")
	p, err := dav.CreateCalendar("work", "Work")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dav.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + "/", p
}

// occKey and occVal compare occurrences across runs.
type occKey struct {
	pair string
	orig int64
}

type occVal struct {
	state calendar.State
	start int64
}

func occMap(t *testing.T, st *store.Store) map[occKey]occVal {
	t.Helper()
	occ, err := st.AllOccurrences()
	if err != nil {
		t.Fatal(err)
	}
	out := map[occKey]occVal{}
	for _, o := range occ {
		out[occKey{o.Pair.String(), o.OriginalStart.Unix()}] = occVal{o.State, o.Start.Unix()}
	}
	return out
}

func diffOccurrences(want, got map[occKey]occVal) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %s: missing, want %s", k.pair, time.Unix(k.orig, 0).UTC(), w.state))
		case g != w:
			out = append(out, fmt.Sprintf("%s %s: %s at %s, want %s at %s", k.pair, time.Unix(k.orig, 0).UTC(),
				g.state, time.Unix(g.start, 0).UTC(), w.state, time.Unix(w.start, 0).UTC()))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%s %s: unexpected, %s", k.pair, time.Unix(k.orig, 0).UTC(), g.state))
		}
	}
	sort.Strings(out)
	return out
}

// newAction is the action `actions add` would have added between cycles.
const newAction = "book the offsite"

// agendaWithNewAction is fixedAgenda with one more open action.
func agendaWithNewAction(now time.Time) sync.AgendaFunc {
	return func(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error) {
		b, _ := fixedAgenda(ctx, s, alone)
		if alone {
			b.Actions = append(b.Actions, agenda.Action{Pair: s.Pair, Owner: "anna@example.com", Text: newAction, Since: now})
		}
		return b, nil
	}
}

// userNote is what the user adds to a description on the server, before
// our block.
const userNote = "Bob, by hand in his calendar app ☕: can we also talk about the offsite?\n"

// TestNoSchedulingAndOnePutPerObject runs the demo team through agenda
// write-back on each server: a first sync that writes the blocks, a quiet
// resync, a changed agenda (a new action), a user's edit of a description
// on the server, a resync, a quiet resync, and a one-shot sync by a new
// engine and client over the same state file (as cron runs it). All along:
// no scheduling message (sabre/dav, Cyrus), the user's text byte for byte,
// the occurrence states of the in-process run and of the team's
// expectations, one PUT per calendar object per cycle, and no write when
// nothing changed.
func TestNoSchedulingAndOnePutPerObject(t *testing.T) {
	loc := berlin
	now := time.Date(2026, 11, 20, 22, 30, 0, 0, loc) // a Friday night
	team := demo.Seed(now, loc)
	seedDesc := seedDescriptions(t, team, loc)

	// The reference: the same team on the in-process server, no write-back.
	ref := func() map[occKey]occVal {
		url, p := oneCalendarServer(t)
		seed(t, url, "anna", "secret", p, team)
		eng, st, _ := newEngine(t, url, loc, &now)
		if _, err := eng.SyncAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		return occMap(t, st)
	}()

	for _, tc := range davTargets() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := tc.start(t)
			ctx := context.Background()
			seeder := seed(t, tg.base, tg.user, tg.pass, tg.calPath, team)
			var baseline []string // the scheduling messages after seeding
			if tg.server != nil {
				baseline = tg.server.SchedulingMessages(t)
			}

			statePath := filepath.Join(t.TempDir(), "state.db")
			open := func() (*sync.Engine, *store.Store, *countingTransport) {
				tr := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
				client, err := caldav.New(caldav.Options{URL: tg.base, Username: tg.user, Password: tg.pass, Zone: loc,
					HTTPClient: &http.Client{Transport: tr}})
				if err != nil {
					t.Fatal(err)
				}
				st, err := store.Open(statePath)
				if err != nil {
					t.Fatal(err)
				}
				eng := &sync.Engine{
					Store:   st,
					Sources: []sync.NamedSource{{Name: "team", Source: client}},
					Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
					Horizon: 14 * 24 * time.Hour,
					Now:     func() time.Time { return now },
					Agenda:  fixedAgenda,
					Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
				}
				return eng, st, tr
			}
			eng, st, tr := open()
			defer func() { st.Close() }()

			// cycle runs one sync and checks what every cycle must hold: no
			// error, one PUT per object (counted at the client and, where
			// the server logs requests, at the server).
			cycle := func(name string) (sync.Summary, []davtest.Request) {
				t.Helper()
				tr.take()
				var logged map[string]int
				if tg.server != nil {
					logged = serverPuts(t, tg.server, tg.calPath)
				}
				sums, err := eng.SyncAll(ctx)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				reqs := tr.take()
				puts := putsPerPath(reqs)
				// One PUT per object per cycle: master and overrides in
				// one write.
				for href, n := range puts {
					if n > 1 {
						t.Errorf("%s: %d PUTs to %s in one cycle, want one per object", name, n, href)
					}
				}
				if tg.server != nil {
					if after := serverPuts(t, tg.server, tg.calPath); after != nil {
						for href, n := range after {
							after[href] = n - logged[href]
							if after[href] == 0 {
								delete(after, href)
							}
						}
						if fmt.Sprint(after) != fmt.Sprint(puts) {
							t.Errorf("%s: the server logged PUTs %v, the client sent %v", name, after, puts)
						}
					}
				}
				t.Logf("%s: %s; %d requests, %d PUTs to %d objects", name, sums[0], len(reqs), len(putsPerPath(reqs)), len(puts))
				return sums[0], reqs
			}
			checkStates := func(when string) {
				t.Helper()
				if d := diffOccurrences(ref, occMap(t, st)); len(d) > 0 {
					t.Errorf("%s: %d occurrences differ from the in-process run:\n%s", when, len(d), strings.Join(d, "\n"))
				}
				occ, err := st.AllOccurrences()
				if err != nil {
					t.Fatal(err)
				}
				compareWithSeed(t, team, occ)
			}

			// 1. The first sync writes the blocks.
			sum, _ := cycle("first sync")
			if sum.Blocks.Written == 0 || sum.Blocks.Conflicts != 0 {
				t.Errorf("first sync: blocks %+v, want some written and no conflict", sum.Blocks)
			}
			if sum.Series != len(team.Series) {
				t.Errorf("first sync: %d series, want %d", sum.Series, len(team.Series))
			}
			checkStates("after the first sync")
			written := checkServer(t, seeder, tg.calPath, seedDesc, nil)
			if written == 0 {
				t.Errorf("after the first sync: no event on the server has a block")
			}

			// 2. A quiet resync writes nothing.
			sum, reqs := cycle("quiet resync")
			if sum.Blocks.Written != 0 || sum.Blocks.Conflicts != 0 || len(putsPerPath(reqs)) != 0 {
				t.Errorf("quiet resync: blocks %+v, PUTs %v; want none", sum.Blocks, putsPerPath(reqs))
			}

			// 3. The agenda changes: one more action for the pairs alone.
			eng.Agenda = agendaWithNewAction(now)
			sum, _ = cycle("new action")
			if sum.Blocks.Written == 0 || sum.Blocks.Conflicts != 0 {
				t.Errorf("new action: blocks %+v, want some written and no conflict", sum.Blocks)
			}
			if n := countOnServer(t, seeder, tg.calPath, "- [ ] anna@example.com: "+newAction); n != sum.Blocks.Written {
				t.Errorf("new action: %d events on the server show it, %d blocks written", n, sum.Blocks.Written)
			}

			// 4. The user edits a description on the server, outside our
			// block (with the headers that suppress scheduling).
			bob := editOnServer(t, seeder, tg.calPath, team)

			// 5. The resync keeps the user's text and writes nothing.
			sum, reqs = cycle("resync after the user's edit")
			if sum.Blocks.Written != 0 || len(putsPerPath(reqs)) != 0 {
				t.Errorf("resync after the user's edit: blocks %+v, PUTs %v; want none", sum.Blocks, putsPerPath(reqs))
			}
			checkServer(t, seeder, tg.calPath, seedDesc, bob)

			// 6. A quiet resync: one request per calendar, no write.
			sum, reqs = cycle("quiet resync 2")
			if sum.Blocks.Written != 0 || len(putsPerPath(reqs)) != 0 {
				t.Errorf("quiet resync 2: blocks %+v, PUTs %v; want none", sum.Blocks, putsPerPath(reqs))
			}
			if len(reqs) != sum.Calendars {
				t.Errorf("quiet resync 2: %d requests %v for %d calendars, want one each", len(reqs), reqs, sum.Calendars)
			}

			// 7. A one-shot sync, as cron runs it: a new engine and client
			// over the same state file, the calendar unchanged.
			st.Close()
			eng, st, tr = open()
			eng.Agenda = agendaWithNewAction(now)
			sum, reqs = cycle("one-shot sync")
			if sum.Blocks.Written != 0 || sum.Changed != 0 {
				t.Errorf("one-shot sync: blocks %+v, %d changed; want nothing", sum.Blocks, sum.Changed)
			}
			// The calendars found are kept in the state file, so a new
			// client does not discover them again.
			if len(reqs) != sum.Calendars {
				t.Errorf("one-shot sync: %d requests for %d calendars, want one each:\n%v", len(reqs), sum.Calendars, reqs)
			}
			checkStates("at the end")
			checkServer(t, seeder, tg.calPath, seedDesc, bob)

			// None of it made the server schedule.
			if tg.server != nil {
				msgs := tg.server.SchedulingMessages(t)
				if len(msgs) != len(baseline) {
					t.Errorf("%s logged %d scheduling messages after seeding, %d now:\n%s",
						tg.server.Name, len(baseline), len(msgs), strings.Join(msgs[len(baseline):], "\n"))
				}
				t.Logf("%s: %d scheduling messages in all", tg.server.Name, len(msgs))
			}
		})
	}
}

// seed puts every object of the team into one calendar with the project's
// client (whose PUTs ask the server not to schedule) and returns a client
// for the test's own reads and writes.
func seed(t *testing.T, url, user, pass, calPath string, team demo.Team) *caldav.Client {
	t.Helper()
	c, err := caldav.New(caldav.Options{URL: url, Username: user, Password: pass, Zone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range team.Objects {
		if _, err := c.Put(context.Background(), calPath+obj.Name, obj.Data, ""); err != nil {
			t.Fatalf("seed %s: %v", obj.Name, err)
		}
	}
	return c
}

// evKey names one event: UID and recurrence id.
type evKey struct {
	uid string
	rid int64
}

func schedEventKey(ev calendar.Event) evKey {
	k := evKey{uid: ev.UID}
	if ev.IsOverride() {
		k.rid = ev.RecurrenceID.Unix()
	}
	return k
}

func seedDescriptions(t *testing.T, team demo.Team, loc *time.Location) map[evKey]string {
	t.Helper()
	out := map[evKey]string{}
	for _, obj := range team.Objects {
		evs, err := ical.Parse(obj.Data, ical.ParseOptions{Href: obj.Name, DefaultZone: loc})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			out[schedEventKey(ev)] = ev.Description
		}
	}
	return out
}

// serverEvents reads every event of the calendar from the server.
func serverEvents(t *testing.T, c *caldav.Client, calPath string) []calendar.Event {
	t.Helper()
	ch, err := c.Changes(context.Background(), calPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []calendar.Event
	for _, obj := range ch.Put {
		evs, err := c.Decode(calPath, obj)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
	}
	return out
}

// edited is the user's edit: the event and its whole new description.
type edited struct {
	key  evKey
	desc string
}

// checkServer checks the text of every event on the server: the seed's
// description comes first, byte for byte, followed by at most one block
// (the edited event's description is exactly what the user wrote); it
// returns the number of events with a block.
func checkServer(t *testing.T, c *caldav.Client, calPath string, seed map[evKey]string, ed *edited) int {
	t.Helper()
	blocks := 0
	for _, ev := range serverEvents(t, c, calPath) {
		k := schedEventKey(ev)
		want, ok := seed[k]
		if !ok {
			t.Errorf("%s: an event the seed does not have", ev.Href)
			continue
		}
		n := strings.Count(ev.Description, agenda.BeginLine)
		if n > 1 {
			t.Errorf("%s %v: %d blocks:\n%q", ev.Href, k, n, ev.Description)
		}
		blocks += n
		if ed != nil && ed.key == k {
			if ev.Description != ed.desc {
				t.Errorf("%s: the user's edit did not survive:\ngot  %q\nwant %q", ev.Href, ev.Description, ed.desc)
			}
			continue
		}
		if !strings.HasPrefix(ev.Description, want) {
			t.Errorf("%s %v: the user's text is not kept:\ngot  %q\nwant %q first", ev.Href, k, ev.Description, want)
		}
	}
	return blocks
}

// countOnServer counts the events whose description holds s.
func countOnServer(t *testing.T, c *caldav.Client, calPath, s string) int {
	t.Helper()
	n := 0
	for _, ev := range serverEvents(t, c, calPath) {
		if strings.Contains(ev.Description, s) {
			n++
		}
	}
	return n
}

// editOnServer puts userNote before the description of Bob's series master on
// the server, as his calendar app would (our client's PUT, which carries
// the headers that suppress scheduling).
func editOnServer(t *testing.T, c *caldav.Client, calPath string, team demo.Team) *edited {
	t.Helper()
	ctx := context.Background()
	var uid string
	for _, s := range team.Series {
		if s.Counterpart == "bob@example.com" && !s.Ended {
			uid = s.UID
		}
	}
	if uid == "" {
		t.Fatal("the team has no live series with Bob")
	}
	href := calPath + uid + ".ics"
	obj, err := c.Get(ctx, href)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := c.Decode(calPath, obj)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(evs, func(ev calendar.Event) bool { return !ev.IsOverride() })
	if i < 0 {
		t.Fatalf("%s: no master", href)
	}
	if !strings.Contains(evs[i].Description, agenda.BeginLine) {
		t.Fatalf("%s: the master has no block to edit around:\n%q", href, evs[i].Description)
	}
	desc := userNote + evs[i].Description
	data, _, err := ical.SetDescription(obj.Data, uid, time.Time{}, desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, href, data, obj.ETag); err != nil {
		t.Fatalf("the user's edit: %v", err)
	}
	return &edited{key: schedEventKey(evs[i]), desc: desc}
}

// serverPuts counts the PUTs into calPath the server has logged, by path;
// nil when it keeps no request log.
func serverPuts(t *testing.T, s *davtest.Server, calPath string) map[string]int {
	t.Helper()
	reqs, ok := s.Requests(t)
	if !ok {
		return nil
	}
	out := map[string]int{}
	for _, r := range reqs {
		if r.Method == http.MethodPut && strings.HasPrefix(r.Path, calPath) {
			out[r.Path]++
		}
	}
	return out
}
