package agenda

import (
	"time"

	"oneonone/calendar"
)

// ActionEdit is a change to a stored action: each field that is not nil
// replaces the action's (oneonone actions edit, PATCH /api/actions/{id}).
type ActionEdit struct {
	Text  *string
	Due   *string // YYYY-MM-DD; "" takes the due date away
	Owner *string // one of the pair; "" is the user
	// Location is the zone Due is read and written in (the configured
	// timezone); nil is UTC.
	Location *time.Location
}

// IsZero says whether the edit changes nothing.
func (e ActionEdit) IsZero() bool { return e.Text == nil && e.Due == nil && e.Owner == nil }

// EditAction returns a with the edit applied, by the rules of NewAction:
// the edited action is what NewAction makes of its fields, so an edit can
// make only an action that could have been added. The pair, its ID, Since,
// Done and Origin stay. me are the user's addresses (identity.me); the
// side of the pair that is one of them stands for the user (the first
// side when neither is, as for an agenda document's item).
func EditAction(a Action, me []string, e ActionEdit) (Action, error) {
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	mine := a.Pair.A
	if isMe(me, a.Pair.B) && !isMe(me, a.Pair.A) {
		mine = a.Pair.B
	}
	in := ActionInput{
		Me:       append([]string{mine}, me...),
		With:     a.Pair.Other(mine),
		Owner:    a.Owner,
		Unowned:  a.Owner == "",
		Text:     a.Text,
		Location: loc,
		Now:      a.Since,
		Origin:   a.Origin,
	}
	if !a.Due.IsZero() {
		in.Due = a.Due.In(loc).Format(time.DateOnly)
	}
	if e.Text != nil {
		in.Text = *e.Text
	}
	if e.Due != nil {
		in.Due = *e.Due
	}
	if e.Owner != nil {
		in.Owner, in.Unowned = *e.Owner, false
	}
	out, err := NewAction(in)
	if err != nil {
		return Action{}, err
	}
	if out.Pair != a.Pair {
		// Cannot happen: the pair is made of its own two sides.
		out.Pair = a.Pair
	}
	out.ID, out.Done = a.ID, a.Done
	return out, nil
}

// ActionView is an action as it is shown in JSON, by the web API
// (/api/actions) and by oneonone actions list --format json alike.
type ActionView struct {
	ID     string    `json:"id"` // "doc-…" for an item of an agenda document
	Pair   string    `json:"pair"`
	With   string    `json:"with"` // the counterpart
	Owner  string    `json:"owner"`
	Text   string    `json:"text"`
	Since  time.Time `json:"since"`
	Due    string    `json:"due,omitempty"` // YYYY-MM-DD
	Done   time.Time `json:"done,omitzero"` // absent while open
	Origin string    `json:"origin"`        // "store", or the agenda document it was read from
}

// View returns a as shown in JSON to the user me (identity.me[0]), its
// times in loc (nil: UTC).
func (a Action) View(me string, loc *time.Location) ActionView {
	if loc == nil {
		loc = time.UTC
	}
	v := ActionView{
		ID: a.ID, Pair: a.Pair.String(), With: a.Pair.Other(calendar.NormalizeEmail(me)), Owner: a.Owner,
		Text: a.Text, Since: a.Since.In(loc), Origin: a.Origin,
	}
	if !a.Due.IsZero() {
		v.Due = a.Due.In(loc).Format(time.DateOnly)
	}
	if !a.Done.IsZero() {
		v.Done = a.Done.In(loc)
	}
	return v
}

// Views returns the views of list, never nil (an empty list is []).
func Views(list []Action, me string, loc *time.Location) []ActionView {
	out := make([]ActionView, 0, len(list))
	for _, a := range list {
		out = append(out, a.View(me, loc))
	}
	return out
}
