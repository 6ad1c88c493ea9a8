package agenda

import (
	"errors"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

func TestNewAction(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	me := []string{"anna@example.com", "Anna.Alias@Example.org"}
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	ok := ActionInput{Me: me, With: "bob@example.com", Text: "send the draft", Now: now, Location: berlin}
	with := func(f func(*ActionInput)) ActionInput {
		in := ok
		f(&in)
		return in
	}
	tests := []struct {
		name  string
		in    ActionInput
		field string // "" when taken
		want  Action // when taken
	}{
		{"plain", ok, "", Action{Pair: pair, Owner: "anna@example.com", Text: "send the draft", Since: now, Origin: OriginStore}},
		{"with normalized", with(func(in *ActionInput) { in.With = " mailto:Bob@Example.COM " }), "",
			Action{Pair: pair, Owner: "anna@example.com", Text: "send the draft", Since: now, Origin: OriginStore}},
		{"owner the counterpart", with(func(in *ActionInput) { in.Owner = "BOB@example.com" }), "",
			Action{Pair: pair, Owner: "bob@example.com", Text: "send the draft", Since: now, Origin: OriginStore}},
		{"owner another of mine", with(func(in *ActionInput) { in.Owner = "anna.alias@example.org" }), "",
			Action{Pair: pair, Owner: "anna@example.com", Text: "send the draft", Since: now, Origin: OriginStore}},
		{"unowned", with(func(in *ActionInput) { in.Unowned = true; in.Origin = "notes/bob.md" }), "",
			Action{Pair: pair, Text: "send the draft", Since: now, Origin: "notes/bob.md"}},
		{"text trimmed, white space inside kept", with(func(in *ActionInput) { in.Text = " \t send\tthe\ndraft \n" }), "",
			Action{Pair: pair, Owner: "anna@example.com", Text: "send\tthe\ndraft", Since: now, Origin: OriginStore}},
		{"text at the limit", with(func(in *ActionInput) { in.Text = strings.Repeat("ä", MaxActionText) }), "",
			Action{Pair: pair, Owner: "anna@example.com", Text: strings.Repeat("ä", MaxActionText), Since: now, Origin: OriginStore}},
		{"due in the zone", with(func(in *ActionInput) { in.Due = "2026-11-27" }), "",
			Action{Pair: pair, Owner: "anna@example.com", Text: "send the draft", Since: now, Due: time.Date(2026, 11, 27, 0, 0, 0, 0, berlin), Origin: OriginStore}},

		{"no with", with(func(in *ActionInput) { in.With = "  " }), FieldWith, Action{}},
		{"with no @", with(func(in *ActionInput) { in.With = "bob" }), FieldWith, Action{}},
		{"with only @", with(func(in *ActionInput) { in.With = "@" }), FieldWith, Action{}},
		{"with no local part", with(func(in *ActionInput) { in.With = "@example.com" }), FieldWith, Action{}},
		{"with no domain", with(func(in *ActionInput) { in.With = "bob@" }), FieldWith, Action{}},
		{"with two @", with(func(in *ActionInput) { in.With = "bob@x@example.com" }), FieldWith, Action{}},
		{"with a space", with(func(in *ActionInput) { in.With = "bob smith@example.com" }), FieldWith, Action{}},
		{"with a list", with(func(in *ActionInput) { in.With = "bob@example.com,carl@example.com" }), FieldWith, Action{}},
		{"with a display name", with(func(in *ActionInput) { in.With = "Bob <bob@example.com>" }), FieldWith, Action{}},
		{"with too long", with(func(in *ActionInput) { in.With = strings.Repeat("b", 250) + "@example.com" }), FieldWith, Action{}},
		{"with is me", with(func(in *ActionInput) { in.With = "Anna@Example.com" }), FieldWith, Action{}},
		{"with is another of mine", with(func(in *ActionInput) { in.With = "anna.alias@example.org" }), FieldWith, Action{}},
		{"owner not an address", with(func(in *ActionInput) { in.Owner = "someone" }), FieldOwner, Action{}},
		{"owner only @", with(func(in *ActionInput) { in.Owner = "@" }), FieldOwner, Action{}},
		{"owner outside the pair", with(func(in *ActionInput) { in.Owner = "carl@example.com" }), FieldOwner, Action{}},
		{"no text", with(func(in *ActionInput) { in.Text = " \n\t " }), FieldText, Action{}},
		{"text too long", with(func(in *ActionInput) { in.Text = strings.Repeat("a", MaxActionText+1) }), FieldText, Action{}},
		{"text of 5000", with(func(in *ActionInput) { in.Text = strings.Repeat("a", 5000) }), FieldText, Action{}},
		{"text not UTF-8", with(func(in *ActionInput) { in.Text = "caf\xe9" }), FieldText, Action{}},
		{"text with NUL", with(func(in *ActionInput) { in.Text = "a\x00b" }), FieldText, Action{}},
		{"text with escape", with(func(in *ActionInput) { in.Text = "\x1b[31mred" }), FieldText, Action{}},
		{"text with DEL", with(func(in *ActionInput) { in.Text = "a\x7f" }), FieldText, Action{}},
		{"text with C1", with(func(in *ActionInput) { in.Text = "a\u009bb" }), FieldText, Action{}},
		{"due not a date", with(func(in *ActionInput) { in.Due = "27.11.2026" }), FieldDue, Action{}},
		{"due not a day", with(func(in *ActionInput) { in.Due = "2026-02-30" }), FieldDue, Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAction(tt.in)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got != tt.want {
					t.Fatalf("got %+v\nwant %+v", got, tt.want)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %+v, %v; want a *FieldError of %q", got, err, tt.field)
			}
			if fe.Field != tt.field || fe.Msg == "" || err.Error() != tt.field+": "+fe.Msg {
				t.Errorf("error %q (field %q), want one of field %q", err, fe.Field, tt.field)
			}
			if got != (Action{}) {
				t.Errorf("refused, yet returned %+v", got)
			}
		})
	}
}

// TestNewActionOrder: with several fields wrong, the error names the first
// of with, owner, text, due.
func TestNewActionOrder(t *testing.T) {
	in := ActionInput{Me: []string{"anna@example.com"}, With: "@", Owner: "x", Text: "", Due: "x"}
	for _, field := range []string{FieldWith, FieldOwner, FieldText, FieldDue} {
		_, err := NewAction(in)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Fatalf("error %v, want field %q", err, field)
		}
		switch field {
		case FieldWith:
			in.With = "bob@example.com"
		case FieldOwner:
			in.Owner = ""
		case FieldText:
			in.Text = "x"
		}
	}
}

func TestNewActionWithoutMe(t *testing.T) {
	for _, me := range [][]string{nil, {""}} {
		_, err := NewAction(ActionInput{Me: me, With: "bob@example.com", Text: "x"})
		var fe *FieldError
		if err == nil || errors.As(err, &fe) {
			t.Errorf("Me %q: error %v, want one that is no field's", me, err)
		}
	}
}

func TestPairWith(t *testing.T) {
	me := []string{"anna@example.com", "anna@example.org"}
	p, err := PairWith(me, "Bob@Example.com")
	if err != nil || p != calendar.NewPair("anna@example.com", "bob@example.com") {
		t.Errorf("PairWith = %v, %v", p, err)
	}
	for _, with := range []string{"", "@", "bob", "anna@example.org"} {
		var fe *FieldError
		if _, err := PairWith(me, with); !errors.As(err, &fe) || fe.Field != FieldWith {
			t.Errorf("PairWith(%q): %v, want a FieldError of with", with, err)
		}
	}
}

func TestTruncateText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"  short  ", "short"},
		{strings.Repeat("ä", MaxActionText), strings.Repeat("ä", MaxActionText)},
		{strings.Repeat("ä", MaxActionText+1), strings.Repeat("ä", MaxActionText-1) + "…"},
		{strings.Repeat("a", MaxActionText-2) + "  " + strings.Repeat("b", 50), strings.Repeat("a", MaxActionText-2) + "…"},
	} {
		got := cutText(tt.in, MaxActionText)
		if got != tt.want {
			t.Errorf("cutText(%.20q…) = %.20q… (%d runes), want %.20q…", tt.in, got, len([]rune(got)), tt.want)
		}
		if _, err := actionText(got); err != nil {
			t.Errorf("truncated text refused: %v", err)
		}
	}
}
