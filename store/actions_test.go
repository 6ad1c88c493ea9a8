package store

import (
	"path/filepath"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
)

func TestActions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	bob := calendar.NewPair("anna@example.com", "bob@example.com")
	chen := calendar.NewPair("anna@example.com", "chen@example.com")
	t0 := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i, a := range []agenda.Action{
		{Pair: bob, Owner: "bob@example.com", Text: "send the draft", Since: t0.Add(time.Hour), Origin: "store"},
		{Pair: chen, Owner: "anna@example.com", Text: "book the room", Since: t0, Origin: "store"},
		{Pair: bob, Owner: "anna@example.com", Text: "review ☕ notes", Since: t0, Origin: "store"},
	} {
		got, err := s.AddAction(a)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == "" || (i > 0 && got.ID == ids[i-1]) {
			t.Fatalf("action %d got ID %q", i, got.ID)
		}
		ids = append(ids, got.ID)
	}
	list, err := s.Actions(bob)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Text != "review ☕ notes" || list[1].Text != "send the draft" {
		t.Fatalf("bob's actions = %+v, want two, oldest first", list)
	}
	done := t0.Add(48 * time.Hour)
	a, ok, err := s.SetActionDone(ids[0], done)
	if err != nil || !ok || !a.Done.Equal(done) {
		t.Fatalf("done: %+v %v %v", a, ok, err)
	}
	if _, ok, err := s.SetActionDone("999", done); ok || err != nil {
		t.Fatalf("unknown id: ok=%v err=%v", ok, err)
	}
	// Survives a reopen of the file; reopening an action clears Done.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, ok, err = s.Action(ids[0])
	if err != nil || !ok || a.Done.IsZero() {
		t.Fatalf("after reopen: %+v %v %v", a, ok, err)
	}
	if a, _, _ = s.SetActionDone(ids[0], time.Time{}); !a.Done.IsZero() {
		t.Fatal("reopen did not clear Done")
	}
	all, _ := s.Actions(calendar.Pair{})
	if len(all) != 3 {
		t.Fatalf("all actions = %d, want 3", len(all))
	}
	// IDs keep counting after 9.
	for range 8 {
		s.AddAction(agenda.Action{Pair: chen, Text: "x", Since: t0})
	}
	all, _ = s.Actions(chen)
	if last := all[len(all)-1].ID; last != "11" {
		t.Fatalf("last id = %s, want 11 (numeric order)", last)
	}
}

func TestDocItemSeen(t *testing.T) {
	s := openTemp(t)
	when := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	if _, ok, err := s.DocItemSeen("p h"); ok || err != nil {
		t.Errorf("DocItemSeen before = %v, %v", ok, err)
	}
	if err := s.SetDocItemSeen("p h", when); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.DocItemSeen("p h"); !v.Equal(when) || !ok || err != nil {
		t.Errorf("DocItemSeen = %v, %v, %v", v, ok, err)
	}
	// A malformed time is as if never seen, as with the flat facts.
	if err := s.Facts(FactsDocItems).PutString("bad", "not a time"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.DocItemSeen("bad"); ok || err != nil {
		t.Errorf("DocItemSeen(malformed) = %v, %v; want not seen, no error", ok, err)
	}
}

// TestUpdateDeleteAction: an edit replaces the stored action; a delete
// removes it for good; an unknown ID is neither.
func TestUpdateDeleteAction(t *testing.T) {
	s := openTemp(t)
	bob := calendar.NewPair("anna@example.com", "bob@example.com")
	t0 := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	a, err := s.AddAction(agenda.Action{Pair: bob, Owner: "anna@example.com", Text: "draft", Since: t0, Origin: "store"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.AddAction(agenda.Action{Pair: bob, Owner: "bob@example.com", Text: "read", Since: t0, Origin: "store"})
	if err != nil {
		t.Fatal(err)
	}
	a.Text, a.Due = "send the draft", t0.AddDate(0, 0, 3)
	if ok, err := s.UpdateAction(a); !ok || err != nil {
		t.Fatalf("update: %v %v", ok, err)
	}
	if got, ok, err := s.Action(a.ID); !ok || err != nil || got.Text != "send the draft" || !got.Due.Equal(a.Due) {
		t.Errorf("after update: %+v %v %v", got, ok, err)
	}
	if ok, err := s.UpdateAction(agenda.Action{ID: "999", Pair: bob, Text: "x"}); ok || err != nil {
		t.Errorf("update of an unknown id: %v %v", ok, err)
	}
	if _, ok, _ := s.Action("999"); ok {
		t.Error("an update of an unknown id stored it")
	}
	got, ok, err := s.DeleteAction(a.ID)
	if !ok || err != nil || got.ID != a.ID || got.Text != "send the draft" {
		t.Fatalf("delete: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := s.Action(a.ID); ok {
		t.Error("deleted action still there")
	}
	if list, _ := s.Actions(bob); len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("after delete: %+v", list)
	}
	if _, ok, err := s.DeleteAction(a.ID); ok || err != nil {
		t.Errorf("delete twice: %v %v", ok, err)
	}
	// The next action does not take the deleted one's ID.
	if c, _ := s.AddAction(agenda.Action{Pair: bob, Text: "x", Since: t0}); c.ID == a.ID {
		t.Errorf("id %s reused", c.ID)
	}
}

// TestKnowsCounterpart: a counterpart is known when a stored series is a
// 1:1 with them, in any case; the user's own address is no counterpart.
func TestKnowsCounterpart(t *testing.T) {
	s := openTemp(t)
	for _, addr := range []string{"bob@example.com", "anna@example.com"} {
		if ok, err := s.KnowsCounterpart(addr); ok || err != nil {
			t.Errorf("empty store knows %s: %v %v", addr, ok, err)
		}
	}
	if err := s.SaveHistory("team", []calendar.Series{series("team/cal/a")}, nil); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"bob@example.com": true, "BOB@Example.COM": true, "anna@example.com": false, "chen@example.com": false, "": false} {
		if ok, err := s.KnowsCounterpart(addr); ok != want || err != nil {
			t.Errorf("KnowsCounterpart(%q) = %v, %v; want %v", addr, ok, err, want)
		}
	}
}
