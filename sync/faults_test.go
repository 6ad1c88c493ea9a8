package sync_test

// The fault tests run the engine, with agenda write-back, through many
// cycles against servers that fail a fifth of the requests in every way a
// network and a server fail, while a user edits descriptions between the
// cycles and during our writes. When the faults stop, two clean cycles must
// leave the calendar and the store exactly where a fault-free run leaves
// them: every target event with one block, the right one; every byte the
// user wrote still there; the same occurrence history.
//
// ONEONONE_SOAK=1 makes the runs long (see soakOr).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/google"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/internal/demo"
	"oneonone/internal/fake/caldavserver"
	"oneonone/internal/fake/googleapi"
	"oneonone/internal/faulty"
	"oneonone/store"
	"oneonone/sync"
)

// soakEnv, set to 1, makes the fault and crash tests run long (make soak).
const soakEnv = "ONEONONE_SOAK"

// soakOr returns quick, or soak under ONEONONE_SOAK=1.
func soakOr(quick, soak int) int {
	if os.Getenv(soakEnv) == "1" {
		return soak
	}
	return quick
}

// faultSeed is the seed of a run: ONEONONE_FAULT_SEED, else def. A
// failure names the seed, so a run can be repeated.
func faultSeed(t *testing.T, def uint64) uint64 {
	t.Helper()
	if s := os.Getenv("ONEONONE_FAULT_SEED"); s != "" {
		var v uint64
		if _, err := fmt.Sscan(s, &v); err != nil {
			t.Fatalf("ONEONONE_FAULT_SEED=%q: %v", s, err)
		}
		return v
	}
	return def
}

var faultZone = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// faultNow is the fixed "now" of every run here: a Friday night, so that
// the demo team has a past, a present and a horizon.
var faultNow = time.Date(2026, 11, 20, 22, 30, 0, 0, faultZone)

const teamMe = "anna@example.com"

// teamAgenda is the block of every series: a link per counterpart, and one
// open action in the events of the pair alone. It depends on nothing but
// the series, so every run writes the same blocks.
func teamAgenda(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error) {
	b := agenda.Block{Link: "https://docs.example.com/1on1/" + s.Counterpart, With: s.Counterpart, Location: faultZone}
	if alone {
		b.Actions = []agenda.Action{{Pair: s.Pair, Owner: s.Counterpart, Text: "bring the Q4 numbers — «bitte»", Since: time.Date(2026, 11, 2, 9, 0, 0, 0, faultZone)}}
	}
	return b, nil
}

var quiet = slog.New(slog.DiscardHandler)

// teamEngine is an engine over one source with the team's rules, the fixed
// now and write-back.
func teamEngine(st *store.Store, name string, src sync.Source) *sync.Engine {
	return &sync.Engine{
		Store:   st,
		Sources: []sync.NamedSource{{Name: name, Source: src}},
		Rules:   history.DetectRules{Me: []string{teamMe}},
		Horizon: 14 * 24 * time.Hour,
		Now:     func() time.Time { return faultNow },
		Agenda:  teamAgenda,
		Log:     quiet,
	}
}

func openStoreAt(t *testing.T, p string) *store.Store {
	t.Helper()
	st, err := store.Open(p)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return st
}

// loadTeam puts the demo team into a CalDAV server and returns the paths
// of its calendars.
func loadTeam(t *testing.T, dav *caldavserver.Server, team demo.Team) []string {
	t.Helper()
	paths := map[string]string{}
	var out []string
	for _, obj := range team.Objects {
		if _, ok := paths[obj.Calendar]; !ok {
			p, err := dav.CreateCalendar(obj.Calendar, obj.Calendar)
			if err != nil {
				t.Fatal(err)
			}
			paths[obj.Calendar] = p
			out = append(out, p)
		}
		if _, _, err := dav.PutObject(paths[obj.Calendar], obj.Name, obj.Data); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// eventKey names one event of a calendar: its object and, for an override,
// its recurrence id.
type eventKey struct {
	href string
	rid  string // "" for a master or one-off
}

func keyOf(ev *calendar.Event) eventKey {
	k := eventKey{href: ev.Href}
	if ev.IsOverride() {
		k.rid = ev.RecurrenceID.UTC().Format(time.RFC3339)
	}
	return k
}

func (k eventKey) String() string {
	if k.rid == "" {
		return k.href
	}
	return k.href + " @" + k.rid
}

// historyKey is what must be the same in two runs' histories.
type historyKey struct {
	series, original, state, start, end, madeUpBy string
	vanished                                      bool
}

// storedHistory reads the store's occurrences as a set, and fails on one that is
// there twice.
func storedHistory(t *testing.T, st *store.Store) map[historyKey]bool {
	t.Helper()
	occ, err := st.AllOccurrences()
	if err != nil {
		t.Fatal(err)
	}
	out := map[historyKey]bool{}
	seen := map[string]bool{}
	for _, o := range occ {
		id := o.SeriesID + " " + o.Key()
		if seen[id] {
			t.Errorf("occurrence %s stored twice", id)
		}
		seen[id] = true
		out[historyKey{
			series: o.SeriesID, original: o.OriginalStart.UTC().Format(time.RFC3339), state: string(o.State),
			start: o.Start.UTC().Format(time.RFC3339), end: o.End.UTC().Format(time.RFC3339),
			madeUpBy: o.MadeUpBy, vanished: o.Vanished,
		}] = true
	}
	return out
}

func sameHistory(t *testing.T, got, want map[historyKey]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, fmt.Sprintf("%+v", k))
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, fmt.Sprintf("%+v", k))
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	for _, m := range missing {
		t.Errorf("history lacks what a fault-free run has: %s", m)
	}
	for _, e := range extra {
		t.Errorf("history has what a fault-free run has not: %s", e)
	}
	if len(want) == 0 {
		t.Error("the fault-free run has no history at all")
	}
}

// calendarView reads the events of a calendar as a server holds them.
type calendarView interface {
	// descriptions returns every event's description.
	descriptions(t *testing.T) map[eventKey]string
}

// davView reads the CalDAV server directly, past any faults.
type davView struct {
	dav   *caldavserver.Server
	paths []string
}

func (v davView) descriptions(t *testing.T) map[eventKey]string {
	t.Helper()
	out := map[eventKey]string{}
	for _, p := range v.paths {
		for _, href := range v.dav.Objects(p) {
			data, _, _ := v.dav.Object(href)
			evs, err := ical.Parse(data, ical.ParseOptions{Href: href, DefaultZone: faultZone})
			if len(evs) == 0 {
				t.Fatalf("the server holds an object that gives no event: %v", err)
			}
			for i := range evs {
				evs[i].Href = href
				out[keyOf(&evs[i])] = evs[i].Description
			}
		}
	}
	return out
}

// baseline is what a fault-free run leaves: the history, and the block
// every target event carries (targets are the events with a block).
type baseline struct {
	history map[historyKey]bool
	blocks  map[eventKey]string // the block as Extract (or ExtractHTML) gives it
}

// extract is agenda.Extract or agenda.ExtractHTML.
type extractFunc func(string) (string, bool)

// converge runs clean cycles until one writes nothing and fails nowhere;
// it fails the test after max cycles.
func converge(t *testing.T, eng *sync.Engine, max int) int {
	t.Helper()
	var last error
	for i := 1; i <= max; i++ {
		sums, err := eng.SyncAll(context.Background())
		if err == nil && sums[0].Blocks.Written == 0 && sums[0].Blocks.Conflicts == 0 {
			return i
		}
		last = err
		if err == nil {
			last = fmt.Errorf("blocks %+v", sums[0].Blocks)
		}
	}
	t.Fatalf("no quiet clean cycle after %d: %v", max, last)
	return 0
}

// takeBaseline runs the engine with no faults and no user over a fresh
// calendar until it is quiet.
func takeBaseline(t *testing.T, eng *sync.Engine, st *store.Store, view calendarView, extract extractFunc) baseline {
	t.Helper()
	b := baseline{blocks: map[eventKey]string{}}
	converge(t, eng, 5)
	b.history = storedHistory(t, st)
	for k, d := range view.descriptions(t) {
		if blk, ok := extract(d); ok {
			b.blocks[k] = blk
		}
	}
	if len(b.blocks) == 0 {
		t.Fatal("the fault-free run wrote no block")
	}
	return b
}

// user plays the calendar's owner, who edits descriptions in her calendar
// app: she prepends a note to an event, or deletes our block from it, or
// breaks it (cuts its end line off). It remembers what she saved last in
// each event, for the final check. It is safe for concurrent use: the
// in-flight edits come from the server's goroutines.
type user struct {
	mu    gosync.Mutex
	rng   *rand.Rand
	saved map[eventKey]string // the description the user last saved
	edits map[string]int      // by kind
	html  bool
}

func newUser(seed uint64, html bool) *user {
	return &user{rng: rand.New(rand.NewPCG(seed, 99)), saved: map[eventKey]string{}, edits: map[string]int{}, html: html}
}

// notes are what the user prepends: Unicode of many scripts, characters
// that iCalendar TEXT escapes, a line of its own each. None changes under
// Google's HTML rewriting (googleapi.RewriteHTML), so the bytes can be
// compared there too.
var notes = []string{
	"Notiz: Größe der Überstunden klären — äöü ß ☕",
	"日本語のメモ：来週の評価について話す",
	"Заметка: обсудить план на квартал; «важно», да",
	"ملاحظة: مراجعة الأهداف",
	"emoji 🙂👩🏽‍💻🇩🇪 and a ZWJ sequence",
	"combining: e\u0301 n\u0303 — and a tab\there",
	"backslash \\ semicolon ; comma , colon : stay",
	"a long note " + strings.Repeat("that goes on and on, ", 12) + "until it ends.",
}

// The user's moves.
const (
	movePrepend = "prepend"
	moveDelete  = "delete block"
	moveBreak   = "break block"
	anyMove     = ""
)

// edit changes one event's description by one of the user's moves (move,
// or one picked at random); old is what the event holds now. It returns
// the new description (false when the move does not apply) and records the
// move.
func (u *user) edit(old, move string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	br := "\n"
	strip, extract := agenda.Strip, agenda.Extract
	if u.html {
		br, strip, extract = "<br>", agenda.StripHTML, agenda.ExtractHTML
	}
	r := u.rng.IntN(20)
	switch move {
	case movePrepend:
		r = 0
	case moveDelete:
		r = 10
	case moveBreak:
		r = 19
	}
	_, hasBlock := extract(old)
	switch {
	case r < 10 || !hasBlock:
		note := notes[u.rng.IntN(len(notes))]
		if u.html {
			note = html.EscapeString(note)
		}
		u.edits[movePrepend]++
		return fmt.Sprintf("%s (%d)%s", note, u.rng.IntN(1000), br) + old, true
	case r < 17:
		u.edits[moveDelete]++
		return strip(old), true
	default:
		i := strings.LastIndex(old, agenda.EndLine)
		if i < 0 {
			return "", false
		}
		u.edits[moveBreak]++
		return old[:i] + old[i+len(agenda.EndLine):], true
	}
}

func (u *user) remember(k eventKey, desc string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.saved[k] = desc
}

func (u *user) summary() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var parts []string
	for _, k := range []string{movePrepend, moveDelete, moveBreak} {
		parts = append(parts, fmt.Sprintf("%d %s", u.edits[k], k))
	}
	return strings.Join(parts, ", ")
}

// davEdit makes one user edit (move, or any), on the server itself, to
// the event rid ("" the master, anyEvent any) of the object at href.
func (u *user) davEdit(t *testing.T, dav *caldavserver.Server, href, rid, move string) {
	data, _, ok := dav.Object(href)
	if !ok {
		return
	}
	evs, err := ical.Parse(data, ical.ParseOptions{Href: href, DefaultZone: faultZone})
	if err != nil || len(evs) == 0 {
		t.Errorf("user: %s does not parse: %v", href, err)
		return
	}
	u.mu.Lock()
	ev := evs[u.rng.IntN(len(evs))]
	u.mu.Unlock()
	if rid != anyEvent {
		found := false
		for _, e := range evs {
			e.Href = href
			if keyOf(&e).rid == rid {
				ev, found = e, true
			}
		}
		if !found {
			t.Errorf("user: no event %s in %s", rid, href)
			return
		}
	}
	ev.Href = href
	desc, ok := u.edit(ev.Description, move)
	if !ok {
		return
	}
	out, _, err := ical.SetDescription(data, ev.UID, ev.RecurrenceID, desc)
	if err != nil {
		t.Errorf("user: edit %s: %v", keyOf(&ev), err)
		return
	}
	if _, _, err := dav.PutObject(path.Dir(href)+"/", path.Base(href), out); err != nil {
		t.Errorf("user: save %s: %v", href, err)
		return
	}
	// What the server holds now is what she saved (SetDescription
	// normalises line ends).
	after, _ := ical.Parse(out, ical.ParseOptions{Href: href, DefaultZone: faultZone})
	for i := range after {
		after[i].Href = href
		if keyOf(&after[i]) == keyOf(&ev) {
			u.remember(keyOf(&ev), after[i].Description)
		}
	}
}

// anyEvent asks davEdit to pick an event of the object.
const anyEvent = "*"

// pickEvent is where the user edits between cycles: half the time an
// event that carries a block, else any event.
func pickEvent(rng *rand.Rand, base baseline, initial map[eventKey]string) eventKey {
	from := initial
	if rng.IntN(2) == 0 {
		from = map[eventKey]string{}
		for k := range base.blocks {
			from[k] = ""
		}
	}
	keys := make([]eventKey, 0, len(from))
	for k := range from {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b eventKey) int { return strings.Compare(a.String(), b.String()) })
	return keys[rng.IntN(len(keys))]
}

// flavour is how descriptions are written: plain text (iCalendar) or HTML
// (Google).
type flavour struct {
	extract extractFunc
	strip   func(string) string
	// merge is what the engine's write makes of a description the user
	// saved: agenda.Merge, or for Google agenda.MergeHTML followed by
	// Google's own rewriting when it writes.
	merge func(desc, block string) string
	br    string // a line break
}

var (
	plainText  = flavour{extract: agenda.Extract, strip: agenda.Strip, merge: agenda.Merge, br: "\n"}
	googleHTML = flavour{extract: agenda.ExtractHTML, strip: agenda.StripHTML, br: "<br>",
		merge: func(desc, block string) string {
			if m := agenda.MergeHTML(desc, block); m != desc {
				return googleapi.RewriteHTML(m)
			}
			return desc
		}}
)

// userText is the user's text of a description: Strip's, without the line
// breaks at its end (Strip cannot tell those from the blank line Merge puts
// before a block; the byte-for-byte check covers them).
func (f flavour) userText(desc string) string {
	s := f.strip(desc)
	for strings.HasSuffix(s, f.br) {
		s = strings.TrimSuffix(s, f.br)
	}
	return s
}

// checkCalendar is the end state every run must reach: each target event
// of the baseline carries exactly its block, once; no other event has one;
// the user's text of every event (agenda.Strip) is what she saved last, or
// what the calendar had at the start; and, byte for byte, each event holds
// exactly what the user saved with the block merged in (targets) or exactly
// what she saved (the others).
func checkCalendar(t *testing.T, view calendarView, base baseline, initial map[eventKey]string, u *user, fl flavour) {
	t.Helper()
	now := view.descriptions(t)
	if len(now) != len(initial) {
		t.Errorf("%d events now, %d at the start", len(now), len(initial))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	lost := 0
	for k, desc := range now {
		saved, ok := u.saved[k]
		if !ok {
			saved, ok = initial[k]
		}
		if !ok {
			t.Errorf("%s: an event that was not there at the start", k)
			continue
		}
		if got, want := fl.userText(desc), fl.userText(saved); got != want {
			lost++
			t.Errorf("%s: user text changed:\n got %q\nwant %q", k, got, want)
		}
		n := strings.Count(desc, agenda.BeginLine)
		blk, isTarget := base.blocks[k]
		switch {
		case !isTarget && n != 0:
			t.Errorf("%s: not a target, yet holds %d blocks:\n%q", k, n, desc)
		case !isTarget && desc != saved:
			t.Errorf("%s: not a target, yet changed:\n got %q\nwant %q", k, desc, saved)
		case isTarget && n != 1:
			t.Errorf("%s: %d blocks, want exactly one:\n%q", k, n, desc)
		case isTarget:
			if got, ok := fl.extract(desc); !ok || got != blk {
				t.Errorf("%s: block %q (well-formed %v), want %q", k, got, ok, blk)
			}
			if want := fl.merge(saved, blk); desc != want {
				t.Errorf("%s: not the user's last save with the block merged in:\n got %q\nwant %q", k, desc, want)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d events lost user text", lost)
	}
}

// TestFaultsCalDAV: the demo team on the in-process CalDAV server behind
// faulty at a 20% fault rate, every kind of fault, a user editing between
// cycles and during our writes.
func TestFaultsCalDAV(t *testing.T) {
	cycles := soakOr(30, 500)
	seed := faultSeed(t, 20261120)
	team := demo.Seed(faultNow, faultZone)
	started := time.Now()

	// The fault-free run.
	cleanDAV := caldavserver.New("anna")
	cleanPaths := loadTeam(t, cleanDAV, team)
	cleanSrv := httptest.NewServer(cleanDAV.Handler())
	defer cleanSrv.Close()
	cleanClient, err := caldav.New(caldav.Options{URL: cleanSrv.URL + "/", Zone: faultZone})
	if err != nil {
		t.Fatal(err)
	}
	cleanStore := openStoreAt(t, filepath.Join(t.TempDir(), "clean.db"))
	defer cleanStore.Close()
	base := takeBaseline(t, teamEngine(cleanStore, "team", cleanClient), cleanStore, davView{cleanDAV, cleanPaths}, agenda.Extract)

	// The faulty run: the server, a user who edits some PUTs' objects just
	// before they land (so that they meet a 412), and the faults in front.
	dav := caldavserver.New("anna")
	paths := loadTeam(t, dav, team)
	view := davView{dav, paths}
	initial := view.descriptions(t)
	u := newUser(seed, false)
	var inFlight struct {
		gosync.Mutex
		on    bool
		rng   *rand.Rand
		edits int
	}
	inFlight.on, inFlight.rng = true, rand.New(rand.NewPCG(seed, 7))
	editing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			inFlight.Lock()
			hit := inFlight.on && inFlight.rng.IntN(6) == 0
			if hit {
				inFlight.edits++
			}
			inFlight.Unlock()
			if hit {
				u.davEdit(t, dav, r.URL.Path, anyEvent, anyMove)
			}
		}
		dav.Handler().ServeHTTP(w, r)
	})
	faults := faulty.New(faulty.Config{Rate: 0.2, Seed: seed, Delay: 2 * time.Second})
	srv := httptest.NewServer(faults.Handler(editing))
	defer srv.Close()

	// A timeout short enough that held requests cost little.
	client, err := caldav.New(caldav.Options{URL: srv.URL + "/", Zone: faultZone, HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	st := openStoreAt(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	eng := teamEngine(st, "team", client)

	rng := rand.New(rand.NewPCG(seed, 1))
	failed, written, conflicts := 0, 0, 0
	for range cycles {
		for range rng.IntN(3) { // the user, between cycles
			k := pickEvent(rng, base, initial)
			u.davEdit(t, dav, k.href, k.rid, anyMove)
		}
		// Now and then the server hides its ctag: the client compares
		// ETag listings instead.
		dav.SetCTag(rng.IntN(5) != 0)
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			failed++
		}
		written += sums[0].Blocks.Written
		conflicts += sums[0].Blocks.Conflicts
	}

	// Faults stop, the user stops; what was held back lands; clean cycles.
	faults.SetRate(0)
	dav.SetCTag(true)
	inFlight.Lock()
	inFlight.on = false
	inFlight.Unlock()
	faults.Wait()
	cleanCycles := converge(t, eng, 4)

	checkCalendar(t, view, base, initial, u, plainText)
	sameHistory(t, storedHistory(t, st), base.history)
	t.Logf("seed %d: %d cycles (%d with errors), %d blocks written, %d conflicts retried; faults: %s; user: %s, %d of them during a PUT; converged in %d clean cycles; %v",
		seed, cycles, failed, written, conflicts, faults.Summary(), u.summary(), inFlight.edits, cleanCycles, time.Since(started).Round(time.Millisecond))
	if faults.Summary() == "" || failed == 0 {
		t.Error("no cycle met a fault: the test tests nothing")
	}
}

// googleTeam turns the demo team into Google Calendar events, as the API
// holds them: one item per master, one-off and exception, times with the
// zone, recurrence lines, attendees with response status, descriptions as
// the HTML Google keeps.
func googleTeam(t *testing.T, team demo.Team) [][]byte {
	t.Helper()
	var items [][]byte
	idOf := func(uid string) string {
		return strings.ToLower(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'v' || r >= 'A' && r <= 'V' {
				return r
			}
			return -1
		}, uid))
	}
	when := func(ev *calendar.Event, tm time.Time) map[string]string {
		if ev.AllDay {
			return map[string]string{"date": tm.Format(time.DateOnly)}
		}
		return map[string]string{"dateTime": tm.In(faultZone).Format(time.RFC3339), "timeZone": faultZone.String()}
	}
	status := map[string]string{calendar.PartStatAccepted: "accepted", calendar.PartStatDeclined: "declined", calendar.PartStatTentative: "tentative"}
	for _, obj := range team.Objects {
		evs, err := ical.Parse(obj.Data, ical.ParseOptions{Href: obj.Name, DefaultZone: faultZone})
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			ev := &evs[i]
			item := map[string]any{
				"kind": "calendar#event", "id": idOf(ev.UID), "status": "confirmed",
				"summary": ev.Summary, "iCalUID": ev.UID, "sequence": ev.Sequence,
				"start": when(ev, ev.Start), "end": when(ev, ev.End),
			}
			if ev.Description != "" {
				item["description"] = googleapi.RewriteHTML(html.EscapeString(ev.Description))
			}
			switch ev.Status {
			case calendar.StatusCancelled:
				item["status"] = "cancelled"
			case calendar.StatusTentative:
				item["status"] = "tentative"
			}
			if ev.Organizer.Email != "" {
				item["organizer"] = map[string]any{"email": ev.Organizer.Email, "self": ev.Organizer.Email == teamMe}
			}
			var atts []map[string]any
			for _, a := range ev.Attendees {
				rs := status[a.PartStat]
				if rs == "" {
					rs = "needsAction"
				}
				atts = append(atts, map[string]any{
					"email": a.Email, "responseStatus": rs, "self": a.Email == teamMe,
					"organizer": a.Email == ev.Organizer.Email,
					"resource":  a.CUType == calendar.CUTypeRoom || a.CUType == calendar.CUTypeResource,
				})
			}
			if atts != nil {
				item["attendees"] = atts
			}
			if ev.IsOverride() {
				item["id"] = idOf(ev.UID) + "_" + ev.RecurrenceID.UTC().Format("20060102T150405Z")
				item["recurringEventId"] = idOf(ev.UID)
				item["originalStartTime"] = when(ev, ev.RecurrenceID)
			} else if r := ev.Recurrence; r != nil {
				var lines []string
				for _, rule := range r.RRules {
					lines = append(lines, "RRULE:"+rule)
				}
				for _, x := range r.ExDates {
					lines = append(lines, "EXDATE;TZID="+faultZone.String()+":"+x.In(faultZone).Format("20060102T150405"))
				}
				for _, x := range r.RDates {
					lines = append(lines, "RDATE;TZID="+faultZone.String()+":"+x.In(faultZone).Format("20060102T150405"))
				}
				item["recurrence"] = lines
			}
			b, err := json.Marshal(item)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, b)
		}
	}
	return items
}

// googleView reads the fake's events directly, past any faults.
type googleView struct {
	srv *googleapi.Server
	ids []string
	dec *google.Client
}

func (v googleView) descriptions(t *testing.T) map[eventKey]string {
	t.Helper()
	out := map[eventKey]string{}
	for _, id := range v.ids {
		data, ok := v.srv.Event(teamMe, id)
		if !ok {
			t.Fatalf("event %s is gone", id)
		}
		evs, err := v.dec.Decode(teamMe, calendar.Object{Href: id, Data: data})
		if err != nil || len(evs) != 1 {
			t.Fatalf("event %s does not decode: %v", id, err)
		}
		out[keyOf(&evs[0])] = evs[0].Description
	}
	return out
}

// googleEdit makes one user edit to event id in the fake, as Google
// Calendar's UI would.
func (u *user) googleEdit(t *testing.T, srv *googleapi.Server, dec *google.Client, id string) {
	data, ok := srv.Event(teamMe, id)
	if !ok {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Errorf("user: %s: %v", id, err)
		return
	}
	var old string
	_ = json.Unmarshal(m["description"], &old)
	desc, ok := u.edit(old, anyMove)
	if !ok {
		return
	}
	m["description"], _ = json.Marshal(desc)
	b, _ := json.Marshal(m)
	if err := srv.Apply(teamMe, b); err != nil {
		t.Errorf("user: save %s: %v", id, err)
		return
	}
	evs, err := dec.Decode(teamMe, calendar.Object{Href: id, Data: b})
	if err != nil || len(evs) != 1 {
		t.Errorf("user: %s does not decode: %v", id, err)
		return
	}
	u.remember(keyOf(&evs[0]), desc)
}

// newGoogleFake serves the team from a fake Google Calendar, behind
// wrap, and returns a client whose retries do not sleep.
func newGoogleFake(t *testing.T, team demo.Team, wrap func(http.Handler) http.Handler) (*googleapi.Server, *google.Client, []string, *retryCount) {
	t.Helper()
	srv := googleapi.New()
	srv.AddCalendar(teamMe, teamMe, faultZone.String())
	items := googleTeam(t, team)
	if err := srv.Apply(teamMe, items...); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		var h struct{ ID string }
		_ = json.Unmarshal(it, &h)
		ids = append(ids, h.ID)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	rc := &retryCount{}
	c, err := google.New(context.Background(), google.Options{
		Calendar: teamMe, Endpoint: ts.URL + "/calendar/v3/", Zone: faultZone,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Retry:      google.RetryPolicy{Sleep: rc.sleep},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, ids, rc
}

// statusCount counts the statuses a handler answers.
type statusCount struct {
	mu gosync.Mutex
	n  map[int]int
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (c *statusCount) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	next.ServeHTTP(sw, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[sw.code]++
}

// String lists the counts by status: "200×812, 403×40, …".
func (c *statusCount) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var codes []int
	for code := range c.n {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var parts []string
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", code, c.n[code]))
	}
	return strings.Join(parts, ", ")
}

// retryCount is the retry policy's Sleep: it counts and returns at once.
type retryCount struct {
	mu    gosync.Mutex
	waits int
	total time.Duration
}

func (r *retryCount) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits++
	r.total += d
	return ctx.Err()
}

// TestFaultsGoogle: the demo team in the fake Google Calendar, which
// answers a fifth of the requests 429, 403 rateLimitExceeded, 500 or 503;
// sync tokens invalidated now and then (410); a user who edits between
// cycles and while our patch is in flight (412); and, in front, a few
// answers cut or lost after the patch was applied.
func TestFaultsGoogle(t *testing.T) {
	cycles := soakOr(60, 2000)
	seed := faultSeed(t, 20261121)
	team := demo.Seed(faultNow, faultZone)
	started := time.Now()

	// The fault-free run.
	cleanSrv, cleanClient, cleanIDs, _ := newGoogleFake(t, team, nil)
	cleanStore := openStoreAt(t, filepath.Join(t.TempDir(), "clean.db"))
	defer cleanStore.Close()
	cleanEng := teamEngine(cleanStore, "work", cleanClient)
	base := takeBaseline(t, cleanEng, cleanStore, googleView{cleanSrv, cleanIDs, cleanClient}, agenda.ExtractHTML)
	compareWithSeed(t, team, mustOccurrences(t, cleanStore))

	for _, n := range notes {
		if e := html.EscapeString(n); googleapi.RewriteHTML(e) != e {
			t.Fatalf("note %q changes under Google's rewriting: the byte-for-byte check would not hold", n)
		}
	}

	u := newUser(seed, true)
	var inFlight struct {
		gosync.Mutex
		on    bool
		rng   *rand.Rand
		edits int
	}
	inFlight.on, inFlight.rng = true, rand.New(rand.NewPCG(seed, 7))
	var srv *googleapi.Server
	var client *google.Client
	faults := faulty.New(faulty.Config{Rate: 0.05, Seed: seed, Kinds: []faulty.Kind{faulty.Cut, faulty.Reset, faulty.Lost}})
	statuses := &statusCount{n: map[int]int{}}
	wrap := func(next http.Handler) http.Handler {
		editing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				inFlight.Lock()
				hit := inFlight.on && inFlight.rng.IntN(5) == 0
				if hit {
					inFlight.edits++
				}
				inFlight.Unlock()
				if hit {
					u.googleEdit(t, srv, client, path.Base(r.URL.Path))
				}
			}
			statuses.serve(next, w, r)
		})
		return faults.Handler(editing)
	}
	srv, client, ids, retries := newGoogleFake(t, team, wrap)
	view := googleView{srv, ids, client}
	initial := view.descriptions(t)
	srv.SetFaultRate(0.2, seed, 429, 403, 500, 503)
	srv.SetPageSize(4) // a full list takes pages, and a fault can fall between them

	st := openStoreAt(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	eng := teamEngine(st, "work", client)
	rng := rand.New(rand.NewPCG(seed, 1))
	failed, written, conflicts, invalidated := 0, 0, 0, 0
	for range cycles {
		for range rng.IntN(3) {
			u.googleEdit(t, srv, client, pickEvent(rng, base, initial).href)
		}
		if rng.IntN(8) == 0 {
			srv.InvalidateSyncTokens()
			invalidated++
		}
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			failed++
		}
		written += sums[0].Blocks.Written
		conflicts += sums[0].Blocks.Conflicts
	}

	srv.SetFaultRate(0, seed)
	faults.SetRate(0)
	inFlight.Lock()
	inFlight.on = false
	inFlight.Unlock()
	faults.Wait()
	cleanCycles := converge(t, eng, 4)

	checkCalendar(t, view, base, initial, u, googleHTML)
	sameHistory(t, storedHistory(t, st), base.history)

	retries.mu.Lock()
	waits := retries.waits
	retries.mu.Unlock()
	t.Logf("seed %d: %d cycles (%d with errors), %d requests to the fake, answered %s; %d retries (backoff not slept); %d sync-token invalidations; %d blocks written, %d conflicts retried; in front: %s; user: %s, %d during a patch; converged in %d clean cycles; %v",
		seed, cycles, failed, srv.Requests(), statuses.String(), waits, invalidated, written, conflicts, faults.Summary(), u.summary(), inFlight.edits, cleanCycles, time.Since(started).Round(time.Millisecond))
	if waits == 0 {
		t.Error("no request was retried: the fault rate did nothing")
	}
}

func mustOccurrences(t *testing.T, st *store.Store) []calendar.Occurrence {
	t.Helper()
	occ, err := st.AllOccurrences()
	if err != nil {
		t.Fatal(err)
	}
	return occ
}

// TestGoogleUnreadable403IsNotReadOnly: a 403 whose body does not come
// through (cut on the way, as the fault test's front does it) once marked
// the event read-only for good, so it never got its block. It must be an
// error of that cycle only.
func TestGoogleUnreadable403IsNotReadOnly(t *testing.T) {
	team := demo.Seed(faultNow, faultZone)
	var mu gosync.Mutex
	cut := 1
	srv, client, ids, _ := newGoogleFake(t, team, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hit := r.Method == http.MethodPatch && cut > 0
			if hit {
				cut--
			}
			mu.Unlock()
			if hit { // Google's 403 rateLimitExceeded, its body cut short
				w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, `{"error":{"errors":[{"domain":"usageLimits","reason":"rateLim`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	st := openStoreAt(t, filepath.Join(t.TempDir(), "state.db"))
	defer st.Close()
	eng := teamEngine(st, "work", client)
	if _, err := eng.SyncAll(context.Background()); err == nil {
		t.Fatal("the first cycle met a 403 and reported no error: it took it for a refusal")
	}
	converge(t, eng, 3)
	blocks := 0
	for _, d := range (googleView{srv, ids, client}).descriptions(t) {
		if _, ok := agenda.ExtractHTML(d); ok {
			blocks++
		}
	}
	if want := countTargets(t, team); blocks != want {
		t.Errorf("%d events carry a block, want %d", blocks, want)
	}
}

// countTargets is how many events a fault-free Google run gives a block.
func countTargets(t *testing.T, team demo.Team) int {
	t.Helper()
	srv, client, ids, _ := newGoogleFake(t, team, nil)
	st := openStoreAt(t, filepath.Join(t.TempDir(), "count.db"))
	defer st.Close()
	return len(takeBaseline(t, teamEngine(st, "work", client), st, googleView{srv, ids, client}, agenda.ExtractHTML).blocks)
}

// Bad input from servers. Each case adds something hostile to the demo
// team's calendar (or to the server's answers) and runs the engine with
// write-back over it: the case must give a clear error naming the object,
// or work, in bounded time and memory, without a panic, and leave the rest
// of the calendar exactly as a clean run leaves it.

// ics is one VCALENDAR of the given VEVENT bodies (lines without CRLF),
// folded at 75 octets.
func ics(vevents ...[]string) []byte {
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//badinput//EN\r\n")
	for _, ev := range vevents {
		b.WriteString("BEGIN:VEVENT\r\n")
		for _, l := range ev {
			width := 75
			for len(l) > width {
				cut := width
				for cut > 1 && l[cut]&0xC0 == 0x80 {
					cut--
				}
				b.WriteString(l[:cut])
				b.WriteString("\r\n ")
				l, width = l[cut:], 74
			}
			b.WriteString(l + "\r\n")
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.Bytes()
}

// badOneOnOne is a weekly 1:1 of Anna with someone new, started a few
// weeks ago, with extra lines (a RRULE replaces the weekly one).
func badOneOnOne(uid string, extra ...string) []string {
	lines := []string{
		"UID:" + uid, "DTSTAMP:20261101T080000Z",
		"DTSTART;TZID=Europe/Berlin:20261005T150000", "DTEND;TZID=Europe/Berlin:20261005T153000",
		"SUMMARY:Anna / " + uid + " 1:1",
		"ORGANIZER:mailto:anna@example.com",
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@example.com",
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:" + uid + "@example.com",
	}
	rule := "RRULE:FREQ=WEEKLY"
	for _, l := range extra {
		if strings.HasPrefix(l, "RRULE:") {
			rule = l
			continue
		}
		lines = append(lines, l)
	}
	return append(lines, rule)
}

// textValue escapes s as an iCalendar TEXT value.
func textValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

// rewriter answers with next's answer changed by fn (status, headers and
// body as next wrote them) while on is set.
func rewriter(on *atomic.Bool, fn func(r *http.Request, h http.Header, body []byte) (int, []byte)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !on.Load() {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			code, body := fn(r, rec.Header(), rec.Body.Bytes())
			if code == 0 {
				code = rec.Code
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(code)
			_, _ = w.Write(body)
		})
	}
}

var getetagRE = regexp.MustCompile(`(<[A-Za-z0-9]*:?getetag[^>]*>)([^<]*)(<)`)

// etagRewriter changes every ETag the server shows (headers and getetag
// properties) by fn.
func etagRewriter(on *atomic.Bool, fn func(etag string) string) func(http.Handler) http.Handler {
	return rewriter(on, func(r *http.Request, h http.Header, body []byte) (int, []byte) {
		if e := h.Get("ETag"); e != "" {
			h.Set("ETag", `"`+fn(strings.Trim(e, `"`))+`"`)
		}
		body = getetagRE.ReplaceAllFunc(body, func(m []byte) []byte {
			sub := getetagRE.FindSubmatch(m)
			val := html.UnescapeString(string(sub[2]))
			return []byte(string(sub[1]) + html.EscapeString(`"`+fn(strings.Trim(val, `"`))+`"`) + string(sub[3]))
		})
		return 0, body
	})
}

// replaceResponse replaces the DAV:response of a multistatus whose href
// ends in suffix by what repl makes of the namespace prefix in use.
func replaceResponse(body []byte, suffix string, repl func(prefix string) string) []byte {
	i := bytes.Index(body, []byte(suffix+"</"))
	if i < 0 {
		return body
	}
	open := bytes.LastIndex(body[:i], []byte("response>"))
	lt := bytes.LastIndexByte(body[:open], '<')
	if open < 0 || lt < 0 {
		return body
	}
	prefix := string(body[lt+1 : open])
	end := bytes.Index(body[i:], []byte("</"+prefix+"response>"))
	if end < 0 {
		return body
	}
	end += i + len("</"+prefix+"response>")
	return slices.Concat(body[:lt], []byte(repl(prefix)), body[end:])
}

// xmlReplacement is what Go's encoding/xml (and so caldavserver) puts in
// XML for text that is not UTF-8: U+FFFD for each bad byte. XML cannot
// carry such bytes, so a CalDAV client never sees them in a multistatus.
func xmlReplacement(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

type badCase struct {
	name    string
	objects map[string][]byte // put into the work calendar before the first cycle
	// wrap puts something between the client and the server; it acts
	// while its switch is on, which is from the second cycle on when late
	// is set (so that the first sync has stored the calendar).
	wrap func(on *atomic.Bool) func(http.Handler) http.Handler
	late bool
	// want names what the cycles must report (a problem or an error), all
	// of it; nil: nothing.
	want []string
	// lies is set when the server lies about every object: then each of
	// the team's events is either as it was or as a clean run leaves it,
	// never anything else.
	lies bool
	// check looks at what became of the bad objects.
	check func(t *testing.T, dav *caldavserver.Server, st *store.Store, sums []sync.Summary)
}

// TestBadServerInput runs every hostile case against the team's calendar.
func TestBadServerInput(t *testing.T) {
	team := demo.Seed(faultNow, faultZone)
	cleanDAV := caldavserver.New("anna")
	cleanPaths := loadTeam(t, cleanDAV, team)
	cleanSrv := httptest.NewServer(cleanDAV.Handler())
	defer cleanSrv.Close()
	cleanClient, err := caldav.New(caldav.Options{URL: cleanSrv.URL + "/", Zone: faultZone})
	if err != nil {
		t.Fatal(err)
	}
	cleanStore := openStoreAt(t, filepath.Join(t.TempDir(), "clean.db"))
	defer cleanStore.Close()
	base := takeBaseline(t, teamEngine(cleanStore, "team", cleanClient), cleanStore, davView{cleanDAV, cleanPaths}, agenda.Extract)
	const work = "/anna/calendars/work/"

	// The sizes: 20 MB and 100,000 events under ONEONONE_SOAK=1; a tenth of
	// that or less in make test, where the race detector makes parsing slow.
	hugeMB, many, overrides, ahead := soakOr(1, 20), soakOr(10000, 100000), soakOr(500, 100000), soakOr(100, 2000)
	huge := strings.Repeat("Lorem ipsum dolor sit amet, 0123456789 äöü ☕ ", hugeMB<<20/48)
	// tooLarge is what the cycles must say of an object our write makes
	// larger than caldavserver takes (10 MB): the server refuses it (413).
	tooLarge := func(name string, data []byte) []string {
		if len(data) < 10<<20 {
			return nil
		}
		return []string{name, "413 Request Entity Too Large"}
	}
	manyEvents := func(n int) []byte {
		evs := make([][]string, n)
		for i := range evs {
			day := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
			evs[i] = []string{fmt.Sprintf("UID:flood-%d", i), "DTSTAMP:20261101T080000Z",
				"DTSTART:" + day.Format("20060102T150405Z"), "DURATION:PT30M", fmt.Sprintf("SUMMARY:flood %d", i)}
		}
		return ics(evs...)
	}
	// manyOverrides is a 1:1 of Anna and who whose last n slots (step
	// apart, back from last) are each moved by an hour.
	manyOverrides := func(who, rule string, last time.Time, step func(time.Time, int) time.Time, n int) []byte {
		first := step(last, n-1).In(faultZone)
		evs := [][]string{badOneOnOne(who, "RRULE:"+rule,
			"DTSTART;TZID=Europe/Berlin:"+first.Format("20060102T150405"),
			"DTEND;TZID=Europe/Berlin:"+first.Add(30*time.Minute).Format("20060102T150405"))}
		evs[0] = slices.DeleteFunc(evs[0], func(l string) bool {
			return strings.Contains(l, "Europe/Berlin:20261005")
		})
		for i := range n {
			day := step(last, i).In(faultZone)
			evs = append(evs, []string{"UID:" + who, "DTSTAMP:20261101T080000Z",
				"RECURRENCE-ID;TZID=Europe/Berlin:" + day.Format("20060102T150405"),
				"DTSTART;TZID=Europe/Berlin:" + day.Add(time.Hour).Format("20060102T150405"),
				"DTEND;TZID=Europe/Berlin:" + day.Add(90*time.Minute).Format("20060102T150405"),
				"SUMMARY:Anna / " + who + " 1:1 (moved)", "ORGANIZER:mailto:anna@example.com",
				"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@example.com", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:" + who + "@example.com"})
		}
		return ics(evs...)
	}
	daysBack := func(t time.Time, i int) time.Time { return t.AddDate(0, 0, -i) }
	tenMinutesBack := func(t time.Time, i int) time.Time { return t.Add(-time.Duration(i) * 10 * time.Minute) }
	seriesOf := func(t *testing.T, st *store.Store, who string) []calendar.Occurrence {
		t.Helper()
		var out []calendar.Occurrence
		for _, o := range mustOccurrences(t, st) {
			if o.Pair.Has(who + "@example.com") {
				out = append(out, o)
			}
		}
		return out
	}
	descOf := func(t *testing.T, dav *caldavserver.Server, href string) string {
		t.Helper()
		data, _, ok := dav.Object(href)
		if !ok {
			t.Fatalf("%s is gone", href)
		}
		evs, _ := ical.Parse(data, ical.ParseOptions{Href: href, DefaultZone: faultZone})
		for _, ev := range evs {
			if !ev.IsOverride() {
				return ev.Description
			}
		}
		t.Fatalf("%s has no master", href)
		return ""
	}

	hugeICS := ics(badOneOnOne("hugo2", "DESCRIPTION:"+textValue(huge)))
	olgaICS := manyOverrides("olga", "FREQ=DAILY", time.Date(2026, 11, 29, 15, 0, 0, 0, faultZone), daysBack, overrides)
	cases := []badCase{
		{
			name:    fmt.Sprintf("%d MB description in a 1:1", hugeMB),
			objects: map[string][]byte{"huge.ics": hugeICS},
			// The series counts, and gets its block; past 10 MB the server
			// refuses the object (413), and the cycle says so.
			want: tooLarge("huge.ics", hugeICS),
			check: func(t *testing.T, dav *caldavserver.Server, st *store.Store, _ []sync.Summary) {
				if len(seriesOf(t, st, "hugo2")) == 0 {
					t.Error("the series with a huge description was not recognised")
				}
			},
		},
		{
			name:    fmt.Sprintf("%d VEVENTs in one object", many),
			objects: map[string][]byte{"flood.ics": manyEvents(many)},
		},
		{
			name:    fmt.Sprintf("a 1:1 with %d overrides", overrides),
			objects: map[string][]byte{"olga.ics": olgaICS},
			want:    tooLarge("olga.ics", olgaICS),
			check: func(t *testing.T, dav *caldavserver.Server, st *store.Store, _ []sync.Summary) {
				occ := seriesOf(t, st, "olga")
				if len(occ) == 0 {
					t.Fatal("no occurrence of the series with many overrides")
				}
				for _, o := range occ {
					if o.State != calendar.StatePostponed && o.State != calendar.StateUpcoming {
						t.Errorf("%s: %s, want postponed (each slot moved by an hour) or upcoming", o.OriginalStart, o.State)
						break
					}
				}
			},
		},
		{
			// Every override within the horizon is a target, and writing
			// each means parsing the whole object: a cycle writes at most
			// 32 events of one object.
			name:    fmt.Sprintf("a 1:1 with %d overrides within the horizon", ahead),
			objects: map[string][]byte{"minutely.ics": manyOverrides("mina", "FREQ=MINUTELY;INTERVAL=10", time.Date(2026, 12, 4, 12, 0, 0, 0, faultZone), tenMinutesBack, ahead)},
			check: func(t *testing.T, dav *caldavserver.Server, st *store.Store, sums []sync.Summary) {
				for i, s := range sums {
					if s.Blocks.Written > 32+len(base.blocks) {
						t.Errorf("cycle %d wrote %d blocks: more than 32 into one object", i+1, s.Blocks.Written)
					}
				}
			},
		},
		{
			name:    "FREQ=SECONDLY without COUNT",
			objects: map[string][]byte{"secondly.ics": ics(badOneOnOne("sven", "RRULE:FREQ=SECONDLY"))},
			want:    []string{"sven"},
		},
		{
			name: "rules that never or barely match",
			objects: map[string][]byte{
				"feb30.ics":    ics(badOneOnOne("feb", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")),
				"weekno.ics":   ics(badOneOnOne("wendy", "RRULE:FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO;BYHOUR=3;BYMINUTE=7;BYSECOND=59")),
				"setpos.ics":   ics(badOneOnOne("seto", "RRULE:FREQ=MINUTELY;BYSETPOS=-1;BYMONTHDAY=31;BYMONTH=4")),
				"yearday.ics":  ics(badOneOnOne("yara", "RRULE:FREQ=DAILY;BYYEARDAY=366;BYDAY=FR;BYMONTH=12")),
				"interval.ics": ics(badOneOnOne("ivan", "RRULE:FREQ=SECONDLY;INTERVAL=4294967297;BYHOUR=99")),
			},
			want: []string{"interval.ics", "INTERVAL 4294967297 too large"},
		},
		{
			name: "invalid UTF-8 in SUMMARY and DESCRIPTION",
			objects: map[string][]byte{"utf8.ics": ics(badOneOnOne("uwe",
				"SUMMARY:Anna / Uwe 1:1 \xff\xfe caf\xc3",
				"DESCRIPTION:Notes \xe2\x82 half a euro\\, \xc0\xaf overlong\\, \xed\xa0\x80 surrogate"))},
			check: func(t *testing.T, dav *caldavserver.Server, st *store.Store, _ []sync.Summary) {
				d := descOf(t, dav, work+"utf8.ics")
				want := xmlReplacement("Notes \xe2\x82 half a euro, \xc0\xaf overlong, \xed\xa0\x80 surrogate")
				if got := agenda.Strip(d); got != want {
					t.Errorf("user text %q, want %q byte for byte (as the multistatus carried it)", got, want)
				}
				if strings.Count(d, agenda.BeginLine) != 1 {
					t.Errorf("want one block: %q", d)
				}
			},
		},
		{
			name: "HTML in a plain-text description",
			objects: map[string][]byte{"html.ics": ics(badOneOnOne("hana",
				"DESCRIPTION:"+textValue(`<p>Agenda</p><ul><li>one</li></ul><br/><script>alert("x")</script>&amp; <!-- -- oneonone agenda -- -->`)))},
			check: func(t *testing.T, dav *caldavserver.Server, st *store.Store, _ []sync.Summary) {
				d := descOf(t, dav, work+"html.ics")
				want := `<p>Agenda</p><ul><li>one</li></ul><br/><script>alert("x")</script>&amp; <!-- -- oneonone agenda -- -->`
				if got := agenda.Strip(d); got != want || strings.Count(d, "\n"+agenda.BeginLine) != 1 {
					t.Errorf("description %q, want the HTML kept and one block", d)
				}
			},
		},
		{
			name: "an ETag that changes on every answer",
			wrap: func(on *atomic.Bool) func(http.Handler) http.Handler {
				var n atomic.Int64
				return etagRewriter(on, func(e string) string { return fmt.Sprintf("%s-%d", e, n.Add(1)) })
			},
			lies: true,
			// Every write meets a 412 and gives up after three tries,
			// naming the event.
			want: []string{"still changing after 3 attempts"},
		},
		{
			name: "one ETag for every object",
			wrap: func(on *atomic.Bool) func(http.Handler) http.Handler {
				return etagRewriter(on, func(string) string { return "same" })
			},
			lies: true,
			want: []string{"still changing after 3 attempts"},
		},
		{
			name: "a 207 of garbage XML",
			wrap: func(on *atomic.Bool) func(http.Handler) http.Handler {
				return rewriter(on, func(r *http.Request, h http.Header, body []byte) (int, []byte) {
					if r.Method == "PROPFIND" && strings.HasPrefix(r.URL.Path, work) {
						return 0, []byte(`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>` + "\x00\xff" + `</d:href><d:propstat><d:prop><d:getetag>"x"</d:prop></d:multistatus`)
					}
					return 0, body
				})
			},
			late: true,
			want: []string{"calendar " + work},
		},
		{
			name:    "garbage calendar data for one object in a multiget",
			objects: map[string][]byte{"junk.ics": ics(badOneOnOne("june"))},
			wrap: func(on *atomic.Bool) func(http.Handler) http.Handler {
				return rewriter(on, func(r *http.Request, h http.Header, body []byte) (int, []byte) {
					if r.Method == "REPORT" {
						re := regexp.MustCompile(`(?s)(<[a-zA-Z]*:?href>[^<]*junk\.ics</[a-zA-Z]*:?href>.*?<[a-zA-Z]*:?calendar-data[^>]*>)(.*?)(</[a-zA-Z]*:?calendar-data>)`)
						return 0, re.ReplaceAll(body, []byte("${1}BEGIN:VCALENDAR&#13;\nthis is not iCalendar&#13;\n${3}"))
					}
					return 0, body
				})
			},
			want: []string{"junk.ics"},
		},
		{
			name:    "a 207 that gives one object no data",
			objects: map[string][]byte{"broken.ics": ics(badOneOnOne("bruno"))},
			wrap: func(on *atomic.Bool) func(http.Handler) http.Handler {
				return rewriter(on, func(r *http.Request, h http.Header, body []byte) (int, []byte) {
					if r.Method != "REPORT" {
						return 0, body
					}
					return 0, replaceResponse(body, "broken.ics", func(p string) string {
						return "<" + p + "response><" + p + "href>" + work + "broken.ics</" + p + "href><" + p +
							"status>HTTP/1.1 500 Internal Server Error</" + p + "status></" + p + "response>"
					})
				})
			},
			want: []string{"broken.ics"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dav := caldavserver.New("anna")
			paths := loadTeam(t, dav, team)
			view := davView{dav, paths}
			initial := view.descriptions(t)
			for name, data := range tc.objects {
				if _, _, err := dav.PutObject(work, name, data); err != nil {
					t.Fatal(err)
				}
			}
			var on atomic.Bool
			on.Store(!tc.late)
			var h http.Handler = dav.Handler()
			if tc.wrap != nil {
				h = tc.wrap(&on)(h)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			client, err := caldav.New(caldav.Options{URL: srv.URL + "/", Zone: faultZone})
			if err != nil {
				t.Fatal(err)
			}
			st := openStoreAt(t, filepath.Join(t.TempDir(), "state.db"))
			defer st.Close()
			eng := teamEngine(st, "team", client)

			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			var peak atomic.Uint64 // the largest heap in use seen while the cycles run
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			}()
			start := time.Now()
			var sums []sync.Summary
			var said []string
			for i := range 3 {
				if i == 1 {
					on.Store(true)
				}
				s, err := eng.SyncAll(context.Background())
				sums = append(sums, s...)
				if err != nil {
					said = append(said, err.Error())
				}
				for _, p := range s[0].Problems {
					said = append(said, p.Error())
				}
			}
			took := time.Since(start)
			close(stop)
			<-sampled
			runtime.ReadMemStats(&ms1)
			all := strings.Join(said, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("the cycles did not say %q; they said:\n%.2000s", w, all)
				}
			}
			if tc.want == nil && all != "" {
				t.Errorf("the cycles reported:\n%.2000s", all)
			}
			// Bounds that a regression to work per event times object size
			// (as before maxWritesPerObject) would break.
			// Counted in bytes allocated, not in time: the largest case
			// allocates under 300 MB.
			if limit := uint64(soakOr(2, 6)) << 30; ms1.TotalAlloc-ms0.TotalAlloc > limit {
				t.Errorf("3 cycles allocated %d MB, more than %d MB", (ms1.TotalAlloc-ms0.TotalAlloc)>>20, limit>>20)
			}
			if limit := uint64(soakOr(1, 3)) << 30; peak.Load() > limit {
				t.Errorf("heap in use reached %d MB, more than %d MB", peak.Load()>>20, limit>>20)
			}
			t.Logf("3 cycles in %v, %d MB allocated, heap in use at most %d MB (%d MB before); said: %.300q",
				took.Round(time.Millisecond), (ms1.TotalAlloc-ms0.TotalAlloc)>>20, peak.Load()>>20, ms0.HeapInuse>>20, all)

			// The team's own events and history are as a clean run leaves
			// them, whatever the bad objects did.
			on.Store(false)
			now := view.descriptions(t)
			for k, was := range initial {
				desc := now[k]
				if blk, ok := base.blocks[k]; ok {
					if want := agenda.Merge(was, blk); desc != want && !(tc.lies && desc == was) {
						t.Errorf("%s: %q, want %q", k, desc, want)
					}
				} else if desc != was {
					t.Errorf("%s changed: %q, want %q", k, desc, was)
				}
			}
			got := storedHistory(t, st)
			for k := range got {
				if !teamSeries(team, k.series) {
					delete(got, k) // a bad object's own series
				}
			}
			sameHistory(t, got, base.history)
			if tc.check != nil {
				tc.check(t, dav, st, sums)
			}
		})
	}
}

// teamSeries reports whether a series ID is one of the demo team's.
func teamSeries(team demo.Team, id string) bool {
	for _, s := range team.Series {
		if strings.HasSuffix(id, "/"+s.UID) {
			return true
		}
	}
	return false
}
