// Package agendatest holds the new actions that every way of adding one
// (the command line, the web API) must refuse alike, so that their tests
// share one table rather than two that could drift apart.
package agendatest

import (
	"strings"

	"oneonone/agenda"
)

// Me are the user's addresses in these cases (identity.me): two, so that a
// counterpart equal to either is refused.
var Me = []string{"anna@example.com", "anna@home.example.org"}

// With is a valid counterpart of Me.
const With = "bob@example.com"

// Refusal is a new action that agenda.NewAction refuses, and the field it
// names.
type Refusal struct {
	Name                   string
	With, Owner, Text, Due string
	Field                  string // agenda.FieldWith, FieldOwner, FieldText or FieldDue
}

// Refusals are the cases every caller of agenda.NewAction must refuse with
// the same field named. Each has one field wrong; the others are valid.
var Refusals = []Refusal{
	{Name: "with missing", With: "", Text: "x", Field: agenda.FieldWith},
	{Name: "with is me", With: Me[0], Text: "x", Field: agenda.FieldWith},
	{Name: "with is my other address", With: strings.ToUpper(Me[1]), Text: "x", Field: agenda.FieldWith},
	{Name: "with is @", With: "@", Text: "x", Field: agenda.FieldWith},
	{Name: "with has no @", With: "bob", Text: "x", Field: agenda.FieldWith},
	{Name: "with is a display form", With: "Bob <bob@example.com>", Text: "x", Field: agenda.FieldWith},
	{Name: "owner outside the pair", With: With, Owner: "carl@example.com", Text: "x", Field: agenda.FieldOwner},
	{Name: "owner not an address", With: With, Owner: "someone", Text: "x", Field: agenda.FieldOwner},
	{Name: "text of 5000 characters", With: With, Text: strings.Repeat("a", 5000), Field: agenda.FieldText},
	{Name: "text one over the limit", With: With, Text: strings.Repeat("ä", agenda.MaxActionText+1), Field: agenda.FieldText},
	{Name: "text blank", With: With, Text: " \t ", Field: agenda.FieldText},
	{Name: "text with a control character", With: With, Text: "ring \a the bell", Field: agenda.FieldText},
	{Name: "due not a date", With: With, Text: "x", Due: "27.11.2026", Field: agenda.FieldDue},
}
