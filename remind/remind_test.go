package remind

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a time in November 2026, Berlin.
func at(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, berlin) }

const lead = 2 * time.Hour

var bob = calendar.Series{ID: "team/cal/bob", Source: "team", Calendar: "cal", UID: "bob", Title: "Anna / Bob",
	Pair: calendar.NewPair("anna@example.com", "bob@example.com"), Me: "anna@example.com",
	Counterpart: "bob@example.com", Name: "Bob", Cadence: calendar.CadenceWeekly, Start: at(2, 10, 0)}

// occ is bob's Monday slot of day d, at 10:00, in state st, moved to start
// when start is not zero.
func occ(d int, st calendar.State, start time.Time) calendar.Occurrence {
	o := calendar.Occurrence{SeriesID: bob.ID, Pair: bob.Pair, OriginalStart: at(d, 10, 0), Start: at(d, 10, 0), End: at(d, 11, 0), State: st}
	if !start.IsZero() {
		o.Start, o.End = start, start.Add(time.Hour)
	}
	return o
}

// The history: held on the 2nd and 9th, then, upcoming: the 16th moved
// earlier (to 08:00), the 23rd moved later (to the 24th, 15:00), the 30th
// skipped, Dec 7 declined, Dec 14 as planned (day 44 of November).
func history() []calendar.Occurrence {
	return []calendar.Occurrence{
		occ(2, calendar.StateHeld, time.Time{}),
		occ(9, calendar.StateHeld, time.Time{}),
		occ(16, calendar.StateAdvanced, at(16, 8, 0)),
		occ(23, calendar.StatePostponed, at(24, 15, 0)),
		occ(30, calendar.StateSkipped, time.Time{}),
		occ(37, calendar.StateDeclined, time.Time{}),
		occ(44, calendar.StateUpcoming, time.Time{}),
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func seed(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SaveHistory("team", []calendar.Series{bob}, history()); err != nil {
		t.Fatal(err)
	}
}

// recorder is a deliverer that records what it took, failing while fail
// is set.
type recorder struct {
	name string
	got  []Reminder
	fail bool
}

func (r *recorder) deliverer() Deliverer {
	return Deliverer{Name: r.name, Send: func(_ context.Context, rm Reminder) error {
		if r.fail {
			return errors.New(r.name + " down")
		}
		r.got = append(r.got, rm)
		return nil
	}}
}

func starts(rs []Reminder) []time.Time {
	var out []time.Time
	for _, r := range rs {
		out = append(out, r.Start)
	}
	return out
}

func equalTimes(a, b []time.Time) bool {
	return slices.EqualFunc(a, b, func(x, y time.Time) bool { return x.Equal(y) })
}

// Walking a fake clock over a month in 30-minute steps, with a restart
// (a new store and Runner over the same file) every few days: exactly one
// reminder per occurrence still on, at its moved time (earlier and later),
// none for the skipped and the declined ones; Run's next due time is the
// next one's.
func TestOnePerOccurrenceAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed(t, path)
	c := &clock{t: at(12, 0, 0)}
	mail := &recorder{name: "mail"}
	var sentAt []time.Time
	var st *store.Store
	var r *Runner
	restart := func() {
		if st != nil {
			st.Close()
		}
		var err error
		if st, err = store.Open(path); err != nil {
			t.Fatal(err)
		}
		r = &Runner{Store: st, Lead: lead, Deliver: []Deliverer{mail.deliverer()}, Now: c.now}
	}
	restart()
	defer func() { st.Close() }()
	end := at(46, 0, 0)
	var nexts []time.Time
	for i := 0; c.t.Before(end); i++ {
		if i%150 == 0 { // every 75 h
			restart()
		}
		sent, next, err := r.Run(context.Background(), Input{Location: berlin})
		if err != nil {
			t.Fatal(err)
		}
		for range sent {
			sentAt = append(sentAt, c.t)
		}
		if !next.IsZero() && (len(nexts) == 0 || !nexts[len(nexts)-1].Equal(next)) {
			nexts = append(nexts, next)
		}
		c.t = c.t.Add(30 * time.Minute)
	}
	want := []time.Time{at(16, 8, 0), at(24, 15, 0), at(44, 10, 0)}
	if !equalTimes(starts(mail.got), want) {
		t.Fatalf("reminders for %v, want %v", starts(mail.got), want)
	}
	wantAt := []time.Time{at(16, 6, 0), at(24, 13, 0), at(44, 8, 0)}
	if !equalTimes(sentAt, wantAt) {
		t.Fatalf("sent at %v, want %v", sentAt, wantAt)
	}
	if !equalTimes(nexts, wantAt) {
		t.Fatalf("next due %v, want %v", nexts, wantAt)
	}
	for _, rm := range mail.got {
		if rm.Start.Location() != berlin || rm.Title != bob.Title || rm.Counterpart != "bob@example.com" {
			t.Errorf("reminder %+v", rm)
		}
	}
}

// A move after the reminder was sent does not send a second one; a
// daemon down past the start sends none for it.
func TestMovedAfterSentAndMissed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed(t, path)
	st := openStore(t, path)
	c := &clock{t: at(16, 7, 0)}
	mail := &recorder{name: "mail"}
	r := &Runner{Store: st, Lead: lead, Deliver: []Deliverer{mail.deliverer()}, Now: c.now}
	if sent, _, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 1 {
		t.Fatalf("sent %d, %v", len(sent), err)
	}
	// Moved again, to 09:30 the same day: the slot was reminded of.
	h := history()
	h[2] = occ(16, calendar.StateAdvanced, at(16, 9, 30))
	if err := st.SaveHistory("team", []calendar.Series{bob}, h); err != nil {
		t.Fatal(err)
	}
	c.t = at(16, 8, 30)
	if sent, _, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 0 {
		t.Fatalf("after a move: sent %d, %v", len(sent), err)
	}
	// Down from before the 24th's due time to past its start.
	c.t = at(24, 15, 0)
	if sent, next, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 0 || !next.Equal(at(44, 8, 0)) {
		t.Fatalf("past the start: sent %d, next %v, %v", len(sent), next, err)
	}
	if len(mail.got) != 1 {
		t.Fatalf("%d reminders", len(mail.got))
	}
}

// The content: the open talking points, the open actions, and the points
// discussed in the previous held 1:1 (not those of an older one), the link.
func TestContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed(t, path)
	st := openStore(t, path)
	add := func(text string, added time.Time) agenda.Point {
		p, err := st.AddPoint(agenda.Point{Pair: bob.Pair, Author: "bob@example.com", Text: text, Added: added, Origin: agenda.OriginStore})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := add("older news", at(1, 9, 0))
	last := add("the offsite", at(5, 9, 0))
	add("my promotion", at(10, 9, 0))
	for _, x := range []struct {
		p       agenda.Point
		meeting time.Time
	}{{old, at(2, 10, 0)}, {last, at(9, 10, 0)}} {
		if _, _, err := st.SetPointDiscussed(x.p.ID, x.meeting.Add(30*time.Minute), x.meeting); err != nil {
			t.Fatal(err)
		}
	}
	acts := []agenda.Action{
		{ID: "a1", Pair: bob.Pair, Owner: "anna@example.com", Text: "send the budget"},
		{ID: "a2", Pair: bob.Pair, Owner: "bob@example.com", Text: "done already", Done: at(3, 0, 0)},
	}
	in := Input{
		Location: berlin,
		Link:     func(s calendar.Series) (string, error) { return "https://docs.example.com/" + s.UID, nil },
		Actions:  func(context.Context, calendar.Pair) ([]agenda.Action, error) { return acts, nil },
	}
	mail := &recorder{name: "mail"}
	r := &Runner{Store: st, Lead: lead, Deliver: []Deliverer{mail.deliverer()}, Now: func() time.Time { return at(16, 7, 0) }}
	sent, _, err := r.Run(context.Background(), in)
	if err != nil || len(sent) != 1 {
		t.Fatalf("sent %d, %v", len(sent), err)
	}
	rm := sent[0]
	texts := func(ps []agenda.Point) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Text)
		}
		return out
	}
	if got := texts(rm.Points); !slices.Equal(got, []string{"my promotion"}) {
		t.Errorf("open points %q", got)
	}
	if got := texts(rm.LastTime); !slices.Equal(got, []string{"the offsite"}) || !rm.LastMeeting.Equal(at(9, 10, 0)) {
		t.Errorf("last time %q at %v", got, rm.LastMeeting)
	}
	if len(rm.Actions) != 1 || rm.Actions[0].ID != "a1" {
		t.Errorf("actions %+v", rm.Actions)
	}
	if rm.Link != "https://docs.example.com/bob" || rm.ID != ReminderID(bob.ID, at(16, 10, 0)) || !rm.Slot.Equal(at(16, 10, 0)) {
		t.Errorf("reminder %+v", rm)
	}
}

// A deliverer that fails is tried again at the next run, while the 1:1
// has not begun, and the one that took it does not send it twice; one
// still failing at the start gives up.
func TestFailingDelivererRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed(t, path)
	c := &clock{t: at(16, 6, 0)}
	mail, chat := &recorder{name: "mail", fail: true}, &recorder{name: "notify"}
	newRunner := func(st *store.Store) *Runner {
		return &Runner{Store: st, Lead: lead, Deliver: []Deliverer{mail.deliverer(), chat.deliverer()}, Now: c.now}
	}
	st := openStore(t, path)
	r := newRunner(st)
	if sent, _, err := r.Run(context.Background(), Input{}); err == nil || len(sent) != 1 {
		t.Fatalf("sent %d, %v", len(sent), err)
	}
	c.t = at(16, 6, 15)
	if _, _, err := r.Run(context.Background(), Input{}); err == nil {
		t.Fatal("no error from the mail still failing")
	}
	// The mail is back, after a restart.
	st.Close()
	st = openStore(t, path)
	r = newRunner(st)
	mail.fail = false
	c.t = at(16, 7, 0)
	if sent, _, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 1 {
		t.Fatalf("retry: sent %d, %v", len(sent), err)
	}
	for range 3 {
		c.t = c.t.Add(15 * time.Minute)
		if sent, _, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 0 {
			t.Fatalf("again: sent %d, %v", len(sent), err)
		}
	}
	if len(mail.got) != 1 || len(chat.got) != 1 {
		t.Fatalf("%d mails, %d notifications", len(mail.got), len(chat.got))
	}
	// The 24th: the mail fails until the start, then nothing is tried.
	mail.fail = true
	c.t = at(24, 13, 0)
	_, _, _ = r.Run(context.Background(), Input{})
	mail.fail = false
	c.t = at(24, 15, 0)
	if sent, _, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 0 {
		t.Fatalf("after the start: sent %d, %v", len(sent), err)
	}
	if len(mail.got) != 1 || len(chat.got) != 2 {
		t.Fatalf("%d mails, %d notifications", len(mail.got), len(chat.got))
	}
}

// Off: a zero lead sends nothing. Two copies of one meeting in two sources
// are reminded of once.
func TestOffAndTwoSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed(t, path)
	st := openStore(t, path)
	mirror := bob
	mirror.ID, mirror.Source, mirror.UID, mirror.ICalUID = "mirror/cal/x", "mirror", "x", "bob"
	var h []calendar.Occurrence
	for _, o := range history() {
		o.SeriesID = mirror.ID
		h = append(h, o)
	}
	if err := st.SaveHistory("mirror", []calendar.Series{mirror}, h); err != nil {
		t.Fatal(err)
	}
	mail := &recorder{name: "mail"}
	now := func() time.Time { return at(16, 7, 0) }
	r := &Runner{Store: st, Deliver: []Deliverer{mail.deliverer()}, Now: now}
	if sent, next, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 0 || !next.IsZero() {
		t.Fatalf("off: sent %d, next %v, %v", len(sent), next, err)
	}
	r.Lead = lead
	if sent, _, err := r.Run(context.Background(), Input{}); err != nil || len(sent) != 1 {
		t.Fatalf("two sources: sent %d, %v", len(sent), err)
	}
}
