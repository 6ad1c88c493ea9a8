package store

import (
	"path/filepath"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
)

func TestPoints(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bob := calendar.NewPair("anna@example.com", "bob@example.com")
	dana := calendar.NewPair("anna@example.com", "dana@example.com")
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i, p := range []agenda.Point{
		{Pair: bob, Author: "bob@example.com", Text: "rota", Added: t0.Add(2 * time.Hour)},
		{Pair: bob, Author: "anna@example.com", Text: "offsite", Added: t0},
		{Pair: dana, Author: "dana@example.com", Text: "promotion", Added: t0},
	} {
		got, err := st.AddPoint(p)
		if err != nil || got.ID == "" {
			t.Fatalf("AddPoint %d = %+v, %v", i, got, err)
		}
		ids = append(ids, got.ID)
	}
	ps, err := st.Points(bob)
	if err != nil || len(ps) != 2 || ps[0].Text != "offsite" || ps[1].Text != "rota" {
		t.Fatalf("Points(bob) = %+v, %v; want offsite, rota", ps, err)
	}
	meeting := t0.AddDate(0, 0, 7)
	p, ok, err := st.SetPointDiscussed(ids[0], meeting.Add(10*time.Minute), meeting)
	if err != nil || !ok || p.Open() || !p.Meeting.Equal(meeting) {
		t.Fatalf("SetPointDiscussed = %+v, %v, %v", p, ok, err)
	}
	if p, _, _ := st.Point(ids[0]); p.Open() || !p.Meeting.Equal(meeting) {
		t.Errorf("stored = %+v", p)
	}
	if p, ok, _ := st.SetPointDiscussed(ids[0], time.Time{}, meeting); !ok || !p.Open() || !p.Meeting.IsZero() {
		t.Errorf("reopened = %+v", p)
	}
	if _, ok, err := st.DeletePoint(ids[2]); !ok || err != nil {
		t.Errorf("DeletePoint = %v, %v", ok, err)
	}
	if all, _ := st.Points(calendar.Pair{}); len(all) != 2 {
		t.Errorf("all points = %+v", all)
	}
	if _, ok, _ := st.SetPointDiscussed("p999", t0, t0); ok {
		t.Error("an unknown point was marked")
	}
}
