package agenda

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"oneonone/calendar"
)

// MaxActionText is the longest text an action may have, in characters
// (runes), counted after trimming.
const MaxActionText = 1000

// OriginStore is the Origin of an action kept in the store (added with
// oneonone actions add or POST /api/actions).
const OriginStore = "store"

// maxAddress is the longest e-mail address taken, in bytes (RFC 5321's
// path limit less the angle brackets).
const maxAddress = 254

// The fields a FieldError names: the names of ActionInput's fields as the
// web API spells them; the command line maps them to its flags.
const (
	FieldWith  = "with"
	FieldOwner = "owner"
	FieldText  = "text"
	FieldDue   = "due"
)

// FieldError is a new action refused because of one of its fields.
type FieldError struct {
	Field string // FieldWith, FieldOwner, FieldText or FieldDue
	Msg   string // what is wrong, without the field's name
	Err   error  // a sentinel the refusal is, such as ErrNoOneOnOne; nil for none
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap returns the sentinel the refusal is, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// ErrNoOneOnOne is what the FieldError of FieldWith wraps when no 1:1 with
// the counterpart is known (ActionInput.Known) and the action is not
// forced: its Msg says so and how to keep the action anyway, in the
// command line's words ("--force"); the web API says "force".
var ErrNoOneOnOne = errors.New("no 1:1 with the counterpart is known")

func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ActionInput is a new action as it is given: on the command line, in a
// request to the web API, or as an item of an agenda document.
type ActionInput struct {
	// Me are the user's addresses (identity.me): the counterpart may be
	// none of them, and the pair is made with Me[0].
	Me []string
	// With is the counterpart's address (required).
	With string
	// Owner is who is to do it: one of the pair. Any of Me stands for the
	// user (Me[0]). "" is the user, unless Unowned is set.
	Owner string
	// Unowned keeps an empty Owner empty: an item of an agenda document
	// that names nobody belongs to neither of the pair.
	Unowned bool
	// Text is what is to be done (required). See NewAction for its rules.
	Text string
	// Due is the day it is due, YYYY-MM-DD in Location; "" for none.
	Due string
	// Location is the zone Due is read in (the configured timezone); nil
	// is UTC.
	Location *time.Location
	// Now is when the action is added: its Since.
	Now time.Time
	// Origin is where the action is kept: "" or OriginStore for the
	// store, else the agenda document's path or URL.
	Origin string
	// Known says whether a 1:1 with the counterpart (its normalized
	// address) is known: a series of the store (store.Store.KnowsCounterpart).
	// nil skips the check (an agenda document's item, an edit).
	Known func(with string) (bool, error)
	// Force keeps an action with a counterpart Known does not know.
	Force bool
}

// NewAction validates a new action and returns it: the one place that says
// what an action may be. Every refusal is a *FieldError naming the field at
// fault; any other error is the caller's mistake (no address in Me).
//
// The rules:
//   - With is an e-mail address (IsEmail, after calendar.NormalizeEmail)
//     and none of Me.
//   - Owner, when given, is an address of the pair; one of Me is the user.
//   - Text is trimmed of white space at its ends; it is then non-empty,
//     valid UTF-8, without control characters other than white space (the
//     block folds white space onto one line; it cannot show a NUL or an
//     escape), and at most MaxActionText characters.
//   - Due, when given, is YYYY-MM-DD, midnight of that day in Location.
//   - Last, once every field is valid: when Known is set, a 1:1 with With
//     is known, unless Force is set; else the refusal is a FieldError of
//     FieldWith that wraps ErrNoOneOnOne. An action of a pair that never
//     meets would never reach a block: it is a mistyped address more
//     often than not.
func NewAction(in ActionInput) (Action, error) {
	pair, err := PairWith(in.Me, in.With)
	if err != nil {
		return Action{}, err
	}
	me := calendar.NormalizeEmail(in.Me[0])
	a := Action{Pair: pair, Since: in.Now, Origin: in.Origin}
	if a.Origin == "" {
		a.Origin = OriginStore
	}
	switch owner := calendar.NormalizeEmail(in.Owner); {
	case owner == "" && in.Unowned:
	case owner == "" || isMe(in.Me, owner):
		a.Owner = me
	case !IsEmail(owner):
		return Action{}, fieldError(FieldOwner, "%q is not an e-mail address", in.Owner)
	case !pair.Has(owner):
		return Action{}, fieldError(FieldOwner, "%s is not one of the pair (%s)", owner, pair)
	default:
		a.Owner = owner
	}
	if a.Text, err = actionText(in.Text); err != nil {
		return Action{}, err
	}
	if in.Due != "" {
		loc := in.Location
		if loc == nil {
			loc = time.UTC
		}
		if a.Due, err = time.ParseInLocation(time.DateOnly, in.Due, loc); err != nil {
			return Action{}, fieldError(FieldDue, "want YYYY-MM-DD, got %q", in.Due)
		}
	}
	if in.Known != nil && !in.Force {
		with := pair.Other(me)
		known, err := in.Known(with)
		if err != nil {
			return Action{}, err
		}
		if !known {
			return Action{}, &FieldError{Field: FieldWith, Err: ErrNoOneOnOne,
				Msg: fmt.Sprintf("no 1:1 with %s is known (see oneonone series); --force to keep the action anyway", with)}
		}
	}
	return a, nil
}

// PairWith returns the pair of the user (me[0]) with the counterpart with,
// refusing, as a *FieldError of FieldWith, a with that is not an e-mail
// address or that is one of me.
func PairWith(me []string, with string) (calendar.Pair, error) {
	if len(me) == 0 || calendar.NormalizeEmail(me[0]) == "" {
		return calendar.Pair{}, errors.New("agenda: a new action needs the user's address (identity.me)")
	}
	w := calendar.NormalizeEmail(with)
	switch {
	case w == "":
		return calendar.Pair{}, fieldError(FieldWith, "required: the counterpart's e-mail address")
	case !IsEmail(w):
		return calendar.Pair{}, fieldError(FieldWith, "%q is not an e-mail address", with)
	case isMe(me, w):
		return calendar.Pair{}, fieldError(FieldWith, "want the counterpart, not you (%s)", w)
	}
	return calendar.NewPair(me[0], w), nil
}

// IsEmail is the plain check of an address that actions get: one @ with
// something on each side, at most 254 bytes, no white space, no control
// characters and none of < > , (so that it is one bare address, not a
// list or a display form).
func IsEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > maxAddress || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// isMe says whether the normalized address addr is one of the user's.
func isMe(me []string, addr string) bool {
	for _, m := range me {
		if calendar.NormalizeEmail(m) == addr {
			return true
		}
	}
	return false
}

// actionText returns s trimmed, or the *FieldError of FieldText that says
// why it cannot be an action's text.
func actionText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fieldError(FieldText, "not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fieldError(FieldText, "required: what is to be done")
	}
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return "", fieldError(FieldText, "control character %U at character %d", r, n+1)
		}
		n++
	}
	if n > MaxActionText {
		return "", fieldError(FieldText, "at most %d characters, got %d", MaxActionText, n)
	}
	return s, nil
}
