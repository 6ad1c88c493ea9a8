package main

import (
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/sync"
)

// The reminder loop, on a fake clock and timer: nothing before the first
// cycle; after it, it sleeps until the next due time, wakes then without a
// cycle and sends the reminder once, by mail (to the user and the
// counterpart) and to the webhook, then sleeps at most reminderMaxSleep;
// a second wake sends nothing.
func TestRemindersLoop(t *testing.T) {
	var mu gosync.Mutex
	var events []string
	var texts []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		events = append(events, r.Header.Get("X-Oneonone-Event"))
		text, _ := m["text"].(string)
		texts = append(texts, text)
		mu.Unlock()
	}))
	defer recv.Close()
	cfg, st := hookConfig(t, recv.URL, "[agenda]\nreminder = \"2h\"\nlink = \"https://docs.example.com/{{.Counterpart}}\"\n"+
		"[report.email]\nto = [\"anna@example.com\"]\nfrom = \"oneonone@example.com\"\nsmtp = \"127.0.0.1:1\"\nsecurity = \"none\"\n")
	loc := cfg.Location()
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	s := calendar.Series{ID: "team/cal/bob", Source: "team", Calendar: "cal", UID: "bob", Title: "Anna / Bob",
		Pair: calendar.NewPair("anna@example.com", "bob@example.com"), Me: "anna@example.com", Counterpart: "bob@example.com",
		Name: "Bob", Cadence: calendar.CadenceWeekly, Start: at(2, 10, 0)}
	occ := func(d int, st calendar.State) calendar.Occurrence {
		return calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: at(d, 10, 0), Start: at(d, 10, 0), End: at(d, 11, 0), State: st}
	}
	if err := st.SaveHistory("team", []calendar.Series{s}, []calendar.Occurrence{occ(9, calendar.StateHeld), occ(16, calendar.StateUpcoming)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddPoint(agenda.Point{Pair: s.Pair, Author: "bob@example.com", Text: "my promotion", Added: at(10, 9, 0), Origin: agenda.OriginStore}); err != nil {
		t.Fatal(err)
	}
	r, err := newReminders(cfg, st, nil)
	if err != nil || r == nil || r.notify == nil || r.mail == nil {
		t.Fatalf("reminders %v, %v", r, err)
	}
	var now time.Time
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	r.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	type sleep struct {
		d    time.Duration
		wake chan time.Time
	}
	sleeps := make(chan sleep)
	r.after = func(d time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		sleeps <- sleep{d, c}
		return c
	}
	var mails [][]string
	var bodies []string
	r.mail = func(_ context.Context, _ string, to []string, msg []byte) error {
		m, err := mail.ReadMessage(strings.NewReader(string(msg)))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
		mu.Lock()
		mails = append(mails, to)
		bodies = append(bodies, string(b))
		mu.Unlock()
		return nil
	}
	set(at(16, 7, 30))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	r.Cycle(sync.Summary{}, 0)
	first := <-sleeps
	if first.d != 30*time.Minute {
		t.Fatalf("slept %v, want until 08:00", first.d)
	}
	set(at(16, 8, 0))
	first.wake <- at(16, 8, 0)
	second := <-sleeps
	if second.d != reminderMaxSleep {
		t.Fatalf("slept %v after the reminder", second.d)
	}
	set(at(16, 8, 15))
	r.Cycle(sync.Summary{}, 0)
	<-sleeps
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(mails) != 1 || !slices.Equal(mails[0], []string{"anna@example.com", "bob@example.com"}) {
		t.Fatalf("mails to %v", mails)
	}
	if len(events) != 1 || events[0] != "reminder" {
		t.Fatalf("events %v", events)
	}
	for _, body := range []string{bodies[0], texts[0]} {
		for _, want := range []string{"When: Monday 16 November 2026, 10:00–11:00 CET", "Agenda: https://docs.example.com/bob@example.com",
			"bob@example.com: my promotion", "Last time (Mon 9 Nov)"} {
			if !strings.Contains(body, want) {
				t.Errorf("%q lacks %q", body, want)
			}
		}
	}
}

// Off, or nowhere to send: no loop.
func TestRemindersOff(t *testing.T) {
	cfg, st := hookConfig(t, "http://127.0.0.1:1", "")
	if r, err := newReminders(cfg, st, nil); r != nil || err != nil {
		t.Fatalf("off: %v, %v", r, err)
	}
	if got := reminderRecipients([]string{"anna@example.com"}, "Anna@example.com"); !slices.Equal(got, []string{"anna@example.com"}) {
		t.Fatalf("recipients %v", got)
	}
}
