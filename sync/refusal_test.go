package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"oneonone/calendar/caldav"
	"oneonone/history"
	"oneonone/internal/fake/caldavserver"
	"oneonone/store"
	"oneonone/sync"
)

// refusingServer is the in-process server with one object whose PUTs the
// server keeps answering 500, as DAViCal does for some objects with
// server-local attendees.
type refusingServer struct {
	h      http.Handler
	mu     gosync.Mutex
	refuse string         // the path refused, "" for none
	status int            // of a refusal; 0 = 500
	puts   map[string]int // PUTs per path
	all    int            // requests of any kind
}

func (s *refusingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.all++
	s.mu.Unlock()
	if r.Method == http.MethodPut {
		s.mu.Lock()
		s.puts[r.URL.Path]++
		refused := r.URL.Path == s.refuse
		s.mu.Unlock()
		if refused && s.status == http.StatusForbidden {
			http.Error(w, "you may not change this event", http.StatusForbidden)
			return
		}
		if refused {
			http.Error(w, "DAViCal: internal error storing the event", http.StatusInternalServerError)
			return
		}
	}
	s.h.ServeHTTP(w, r)
}

func (s *refusingServer) putsTo(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts[p]
}

func twoOneOnOnes(t *testing.T) (*refusingServer, string, string, string) {
	t.Helper()
	dav := caldavserver.New("anna")
	cal, err := dav.CreateCalendar("work", "Work")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 17, 10, 0, 0, 0, berlin)
	for _, name := range []string{"bob.ics", "carol.ics"} {
		data := oneOnOne(strings.TrimSuffix(name, ".ics")+"@example.com", start)
		data = strings.ReplaceAll(data, "bob@example.com", strings.TrimSuffix(name, ".ics")+"@example.com")
		if _, _, err := dav.PutObject(cal, name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	rs := &refusingServer{h: dav.Handler(), puts: map[string]int{}}
	srv := httptest.NewServer(rs)
	t.Cleanup(srv.Close)
	return rs, srv.URL + "/", cal + "bob.ics", cal + "carol.ics"
}

func refusalEngine(t *testing.T, url string, now *time.Time, src func(*caldav.Client) sync.Source, notify bool) *sync.Engine {
	t.Helper()
	client, err := caldav.New(caldav.Options{URL: url, Zone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.WithClock(func() time.Time { return *now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var s sync.Source = client
	if src != nil {
		s = src(client)
	}
	return &sync.Engine{
		Store: st, Sources: []sync.NamedSource{{Name: "team", Source: s, NotifyAttendees: notify}},
		Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
		Horizon: 14 * 24 * time.Hour, Now: func() time.Time { return *now }, Agenda: fixedAgenda,
	}
}

// An object the server keeps refusing is that object's problem, named with
// the server's answer; the source succeeds, the other objects are written,
// and the refused one is tried again only after a pause that grows.
func TestLastingRefusalIsTheObjectsProblem(t *testing.T) {
	rs, url, bob, carol := twoOneOnOnes(t)
	rs.refuse = bob
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
	eng := refusalEngine(t, url, &now, nil, false)
	ctx := context.Background()

	sync1 := func(what string) sync.Summary {
		t.Helper()
		sums, err := eng.SyncAll(ctx)
		if err != nil {
			t.Fatalf("%s: the source failed: %v", what, err)
		}
		return sums[0]
	}
	problemNames := func(sum sync.Summary, want ...string) {
		t.Helper()
		var all []string
		for _, p := range sum.Problems {
			all = append(all, p.Error())
		}
		text := strings.Join(all, "\n")
		if len(sum.Problems) != 1 {
			t.Fatalf("problems = %q, want one, about %s", text, bob)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("problem %q does not say %q", text, w)
			}
		}
	}

	sum := sync1("first sync")
	if b := sum.Blocks; b.Written != 2 || b.Deferred != 2 || rs.putsTo(carol) != 1 || rs.putsTo(bob) != 1 {
		t.Fatalf("blocks %+v, PUTs bob %d carol %d; want carol's 2 blocks written, bob's 2 deferred after one PUT", b, rs.putsTo(bob), rs.putsTo(carol))
	}
	problemNames(sum, bob, "500", "DAViCal: internal error", "next try at")

	// Five minutes later: still waiting, no request for bob's object.
	now = now.Add(5 * time.Minute)
	sum = sync1("second sync")
	if rs.putsTo(bob) != 1 || sum.Blocks.Deferred != 2 {
		t.Fatalf("second sync: %d PUTs to bob, blocks %+v; want no new PUT while backing off", rs.putsTo(bob), sum.Blocks)
	}
	problemNames(sum, bob, "waiting before trying again", "refusals in a row: 1")

	// After the pause it tries again, fails, and waits twice as long.
	now = now.Add(10 * time.Minute)
	sync1("third sync")
	if rs.putsTo(bob) != 2 {
		t.Fatalf("third sync: %d PUTs to bob, want 2", rs.putsTo(bob))
	}
	now = now.Add(15 * time.Minute) // < 20 minutes: still waiting
	sync1("fourth sync")
	if rs.putsTo(bob) != 2 {
		t.Fatalf("fourth sync: %d PUTs to bob, want still 2", rs.putsTo(bob))
	}

	// The server is fixed: the next try writes, and the refusal is forgotten.
	rs.mu.Lock()
	rs.refuse = ""
	rs.mu.Unlock()
	now = now.Add(10 * time.Minute)
	sum = sync1("after the fix")
	if sum.Blocks.Written != 2 || len(sum.Problems) != 0 || rs.putsTo(bob) != 3 {
		t.Fatalf("after the fix: blocks %+v, problems %v, %d PUTs to bob; want 2 written, none", sum.Blocks, sum.Problems, rs.putsTo(bob))
	}
	if v, ok, _ := eng.Store.Facts(store.FactsWriteRefused).Bytes("team " + bob); ok {
		t.Errorf("refusal still remembered: %s", v)
	}
}

// An event the server refuses to let us write (403) is left alone, without
// a request, while the mark lasts; once it expired, the write is tried
// again, so that a permission granted since is used.
func TestReadOnlyEventIsTriedAgainAfterTheMarkExpires(t *testing.T) {
	rs, url, bob, carol := twoOneOnOnes(t)
	rs.mu.Lock()
	rs.refuse, rs.status = bob, http.StatusForbidden
	rs.mu.Unlock()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
	eng := refusalEngine(t, url, &now, nil, false)
	ctx := context.Background()
	sync1 := func(what string) sync.Summary {
		t.Helper()
		sums, err := eng.SyncAll(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return sums[0]
	}
	marks := eng.Store.Facts(store.FactsReadOnly)

	sum := sync1("first sync")
	if rs.putsTo(bob) != 1 || rs.putsTo(carol) != 1 || sum.Blocks.Refused != 2 || sum.Blocks.Written != 2 {
		t.Fatalf("first sync: PUTs bob %d carol %d, blocks %+v; want one each, bob's 2 blocks refused", rs.putsTo(bob), rs.putsTo(carol), sum.Blocks)
	}
	// One mark per event refused: the series and its override.
	if keys, err := marks.Keys(""); len(keys) != 2 || err != nil || !strings.HasPrefix(keys[0], "team "+bob) || !strings.HasPrefix(keys[1], "team "+bob) {
		t.Fatalf("read-only marks %q, %v; want bob's two events", keys, err)
	}

	// Within the day, no request for bob's event.
	now = now.Add(store.ReadOnlyTTL - time.Minute)
	if sum := sync1("within the day"); rs.putsTo(bob) != 1 || sum.Blocks.Refused != 2 {
		t.Fatalf("within the day: %d PUTs to bob, blocks %+v; want still 1, 2 refused", rs.putsTo(bob), sum.Blocks)
	}

	// The permission is granted; once the mark expired, the write is tried
	// again and goes through.
	rs.mu.Lock()
	rs.refuse = ""
	rs.mu.Unlock()
	now = now.Add(2 * time.Minute)
	sum = sync1("after the mark expired")
	if rs.putsTo(bob) != 2 || sum.Blocks.Written != 2 || sum.Blocks.Refused != 0 {
		t.Fatalf("after the mark expired: %d PUTs to bob, blocks %+v; want 2, bob's 2 blocks written", rs.putsTo(bob), sum.Blocks)
	}
	if keys, err := marks.Keys(""); len(keys) != 0 || err != nil {
		t.Errorf("read-only marks after the write %q, %v; want none", keys, err)
	}
}

// notifyingSource is a CalDAV source whose server says it would notify
// attendees (as iCloud does: implicit scheduling, no way to tell it not to).
type notifyingSource struct{ *caldav.Client }

func (notifyingSource) WouldNotify(context.Context) (bool, string, error) {
	return true, "iCloud (calendar-auto-schedule)", nil
}

func TestNoWriteWhereTheServerWouldNotify(t *testing.T) {
	for _, notify := range []bool{false, true} {
		rs, url, bob, carol := twoOneOnOnes(t)
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
		eng := refusalEngine(t, url, &now, func(c *caldav.Client) sync.Source { return notifyingSource{c} }, notify)
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b := sums[0].Blocks
		puts := rs.putsTo(bob) + rs.putsTo(carol)
		if !notify {
			if b.WouldNotify != 4 || b.Written != 0 || puts != 0 {
				t.Errorf("default: blocks %+v, %d PUTs; want 4 refused (server would notify attendees), no PUT", b, puts)
			}
			if line := sums[0].String(); !strings.Contains(line, "4 refused (server would notify attendees)") {
				t.Errorf("summary does not name the refusal: %s", line)
			}
			continue
		}
		if b.WouldNotify != 0 || b.Written != 4 || puts != 2 {
			t.Errorf("notify_attendees = true: blocks %+v, %d PUTs; want 4 written in 2 PUTs", b, puts)
		}
	}
}

func (s *refusingServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all
}

// The requests a summary counts are the requests the server saw: discovery,
// listing, fetching, writes, refused writes.
func TestSummaryCountsEveryRequest(t *testing.T) {
	rs, url, bob, _ := twoOneOnOnes(t)
	rs.refuse = bob
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
	eng := refusalEngine(t, url, &now, nil, false)
	for i := range 3 {
		before := rs.requests()
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sums[0].Requests, rs.requests()-before; got != want {
			t.Errorf("cycle %d: the summary counts %d requests, the server saw %d", i+1, got, want)
		}
		if i == 0 && sums[0].Blocks.Writes != 2 {
			t.Errorf("cycle 1: %d writes, want 2 (one refused)", sums[0].Blocks.Writes)
		}
		now = now.Add(time.Hour)
	}
}

// An Outlook event carries its description twice, the HTML one shown: the
// block goes into both, in one write, byte-exact outside the block, and a
// second cycle writes nothing.
func TestBlockInOutlookHTMLDescription(t *testing.T) {
	dav := caldavserver.New("anna")
	cal, err := dav.CreateCalendar("work", "Work")
	if err != nil {
		t.Fatal(err)
	}
	const alt = `X-ALT-DESC;FMTTYPE=text/html:<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2//E` + "\r\n" +
		` N">\n<HTML>\n<HEAD>\n<META NAME="Generator" CONTENT="MS Exchange Server">\n</HEAD>\n<BODY>\n<P>Bring the Q4 numbers\, please.</P>\n</BODY>\n</HTML>`
	data := strings.Replace(oneOnOne("bob-outlook@example.com", time.Date(2026, 11, 17, 10, 0, 0, 0, berlin)),
		"X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\n", alt+"\r\n", 1)
	if _, _, err := dav.PutObject(cal, "outlook.ics", []byte(data)); err != nil {
		t.Fatal(err)
	}
	rs := &refusingServer{h: dav.Handler(), puts: map[string]int{}}
	srv := httptest.NewServer(rs)
	t.Cleanup(srv.Close)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
	eng := refusalEngine(t, srv.URL+"/", &now, nil, false)
	sums, err := eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b := sums[0].Blocks; b.Written != 2 || b.Writes != 1 {
		t.Fatalf("blocks %+v, want 2 written in 1 write", b)
	}
	stored, _, ok := dav.Object(cal + "outlook.ics")
	if !ok {
		t.Fatal("object gone")
	}
	master := eventOf(t, stored, false)
	const before = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n<META NAME=\"Generator\" CONTENT=\"MS Exchange Server\">\n</HEAD>\n<BODY>\n<P>Bring the Q4 numbers, please.</P>\n"
	if !strings.HasPrefix(master.AltDescription, before) || !strings.HasSuffix(master.AltDescription, "</BODY>\n</HTML>") {
		t.Errorf("text outside the block changed in X-ALT-DESC:\n%q", master.AltDescription)
	}
	if !strings.Contains(master.AltDescription, "oneonone agenda") || !strings.Contains(master.AltDescription, "https://docs.example.com/1on1/bob@example.com") {
		t.Errorf("no block in X-ALT-DESC:\n%q", master.AltDescription)
	}
	if !strings.Contains(master.Description, "-- oneonone agenda --") {
		t.Errorf("no block in DESCRIPTION:\n%q", master.Description)
	}
	sums, err = eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b := sums[0].Blocks; b.Writes != 0 || b.AlreadyRight != 2 {
		t.Errorf("second cycle: blocks %+v, want no write, 2 already right", b)
	}
}
