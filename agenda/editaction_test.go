package agenda_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/agendatest"
)

// TestNewActionUnknownPair: with Known, an action with a counterpart of no
// known 1:1 is refused, naming "with" and wrapping ErrNoOneOnOne, unless
// Force; the other fields are checked first.
func TestNewActionUnknownPair(t *testing.T) {
	var asked []string
	known := func(with string) (bool, error) {
		asked = append(asked, with)
		return with == agendatest.With, nil
	}
	in := agenda.ActionInput{Me: agendatest.Me, With: "Nobody@Example.com", Text: "x", Known: known}
	_, err := agenda.NewAction(in)
	var fe *agenda.FieldError
	if !errors.As(err, &fe) || fe.Field != agenda.FieldWith || !errors.Is(err, agenda.ErrNoOneOnOne) ||
		fe.Msg != "no 1:1 with nobody@example.com is known (see oneonone series); --force to keep the action anyway" {
		t.Fatalf("unknown counterpart: %v", err)
	}
	if len(asked) != 1 || asked[0] != "nobody@example.com" {
		t.Errorf("Known asked %q", asked)
	}
	in.Force = true
	if a, err := agenda.NewAction(in); err != nil || !a.Pair.Has("nobody@example.com") {
		t.Errorf("forced: %+v, %v", a, err)
	}
	in = agenda.ActionInput{Me: agendatest.Me, With: agendatest.With, Text: "x", Known: known}
	if _, err := agenda.NewAction(in); err != nil {
		t.Errorf("known counterpart: %v", err)
	}
	// Every other refusal comes first, with its own field.
	for _, tt := range agendatest.Refusals {
		_, err := agenda.NewAction(agenda.ActionInput{Me: agendatest.Me, With: tt.With, Owner: tt.Owner, Text: tt.Text, Due: tt.Due,
			Known: func(string) (bool, error) { return false, nil }})
		if !errors.As(err, &fe) || fe.Field != tt.Field || (tt.Field != agenda.FieldWith && errors.Is(err, agenda.ErrNoOneOnOne)) {
			t.Errorf("%s: %v", tt.Name, err)
		}
	}
	// Known's own failure is not a refusal of a field.
	boom := errors.New("store closed")
	_, err = agenda.NewAction(agenda.ActionInput{Me: agendatest.Me, With: agendatest.With, Text: "x", Known: func(string) (bool, error) { return false, boom }})
	if !errors.Is(err, boom) || errors.As(err, &fe) {
		t.Errorf("Known failing: %v", err)
	}
}

// TestEditAction: an edit changes the fields given, by NewAction's rules,
// and keeps the pair, ID, Since, Done and Origin.
func TestEditAction(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	a, err := agenda.NewAction(agenda.ActionInput{Me: agendatest.Me, With: agendatest.With, Text: "draft", Due: "2026-11-27", Location: berlin, Now: since})
	if err != nil {
		t.Fatal(err)
	}
	a.ID, a.Done = "7", since.Add(time.Hour)
	str := func(s string) *string { return &s }

	got, err := agenda.EditAction(a, agendatest.Me, agenda.ActionEdit{Text: str("  send the draft "), Location: berlin})
	if err != nil || got.Text != "send the draft" || got.ID != "7" || !got.Since.Equal(since) || !got.Done.Equal(a.Done) ||
		got.Origin != agenda.OriginStore || got.Pair != a.Pair || got.Owner != agendatest.Me[0] || !got.Due.Equal(a.Due) {
		t.Errorf("text edited: %+v, %v", got, err)
	}
	got, err = agenda.EditAction(a, agendatest.Me, agenda.ActionEdit{Due: str(""), Owner: str("BOB@example.com"), Location: berlin})
	if err != nil || !got.Due.IsZero() || got.Owner != agendatest.With || got.Text != "draft" {
		t.Errorf("due cleared, owner bob: %+v, %v", got, err)
	}
	got, err = agenda.EditAction(a, agendatest.Me, agenda.ActionEdit{Owner: str(agendatest.Me[1]), Due: str("2026-12-01"), Location: berlin})
	if err != nil || got.Owner != agendatest.Me[0] || got.Due.In(berlin).Format(time.DateOnly) != "2026-12-01" {
		t.Errorf("owner my other address: %+v, %v", got, err)
	}
	for _, tt := range []struct {
		name  string
		edit  agenda.ActionEdit
		field string
	}{
		{"blank text", agenda.ActionEdit{Text: str("  ")}, agenda.FieldText},
		{"long text", agenda.ActionEdit{Text: str(strings.Repeat("a", agenda.MaxActionText+1))}, agenda.FieldText},
		{"control character", agenda.ActionEdit{Text: str("a\x00b")}, agenda.FieldText},
		{"owner outside the pair", agenda.ActionEdit{Owner: str("carl@example.com")}, agenda.FieldOwner},
		{"bad due", agenda.ActionEdit{Due: str("27.11.2026")}, agenda.FieldDue},
	} {
		_, err := agenda.EditAction(a, agendatest.Me, tt.edit)
		var fe *agenda.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v, want a FieldError of %q", tt.name, err, tt.field)
		}
	}
}

// TestActionView: the one JSON shape of an action.
func TestActionView(t *testing.T) {
	a := agenda.Action{ID: "3", Pair: calendar.NewPair("bob@example.com", "anna@example.com"), Owner: "bob@example.com", Text: "x",
		Since: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Due: time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC), Origin: "store"}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	v := a.View("Anna@example.com", berlin)
	if v.Pair != "anna@example.com|bob@example.com" || v.With != "bob@example.com" || v.Due != "2026-11-27" || v.ID != "3" || !v.Done.IsZero() {
		t.Errorf("view %+v", v)
	}
	if got := agenda.Views(nil, "anna@example.com", nil); got == nil || len(got) != 0 {
		t.Errorf("Views(nil) = %#v", got)
	}
}
