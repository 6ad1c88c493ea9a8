package agenda

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"oneonone/calendar"
)

// Point is a talking point of a pair: something one of the two wants to
// raise at their next 1:1 (docs/DESIGN.md, "Talking points"). It is carried
// from occurrence to occurrence while open, shown in the block of each
// upcoming one, and kept once discussed, with the 1:1 it was discussed in.
type Point struct {
	ID     string        `json:"id"`
	Pair   calendar.Pair `json:"pair"`
	Author string        `json:"author"` // lower-cased address: one of the pair
	Text   string        `json:"text"`
	Added  time.Time     `json:"added"`
	// Discussed is when it was marked discussed; zero while open.
	Discussed time.Time `json:"discussed,omitzero"`
	// Meeting is the start of the 1:1 it was discussed in (DiscussedIn);
	// zero while open.
	Meeting time.Time `json:"meeting,omitzero"`
	// Origin is where it is kept: OriginStore (the command line, the API,
	// the shared page), or the agenda document's path or URL.
	Origin string `json:"origin"`
}

// Open is true while the point has not been discussed.
func (p Point) Open() bool { return p.Discussed.IsZero() }

// MaxPointText is the longest text a talking point may have, in
// characters: a point is a line to raise, not a document.
const MaxPointText = 500

// PointInput is a new talking point as it is given: on the command line,
// in a request to the web API or the shared page, or as an item of the
// agenda document's "Talking points" section.
type PointInput struct {
	// Me are the user's addresses (identity.me); the pair is made with
	// Me[0] and With.
	Me []string
	// With is the counterpart's address (required).
	With string
	// Author is who raises it: one of the pair; any of Me, or "", is the
	// user.
	Author string
	// Text is the point (required): the rules of an action's text, at
	// most MaxPointText characters.
	Text string
	// Now is when it is added.
	Now time.Time
	// Origin is where it is kept; "" is OriginStore.
	Origin string
	// Known says whether a 1:1 with the counterpart is known, as
	// ActionInput.Known; nil skips the check.
	Known func(with string) (bool, error)
	// Force keeps a point of a counterpart Known does not know.
	Force bool
}

// NewPoint validates a new talking point and returns it: the one place
// that says what a point may be. Refusals are *FieldError values, as
// NewAction's (FieldWith, FieldOwner for the author, FieldText).
func NewPoint(in PointInput) (Point, error) {
	a, err := NewAction(ActionInput{Me: in.Me, With: in.With, Owner: in.Author, Text: in.Text, Now: in.Now,
		Origin: in.Origin, Known: in.Known, Force: in.Force})
	if err != nil {
		return Point{}, err
	}
	if n := utf8.RuneCountInString(a.Text); n > MaxPointText {
		return Point{}, fieldError(FieldText, "at most %d characters, got %d", MaxPointText, n)
	}
	return Point{Pair: a.Pair, Author: a.Owner, Text: a.Text, Added: a.Since, Origin: a.Origin}, nil
}

// DiscussedIn returns the 1:1 a point marked discussed at t was discussed
// in: the latest of starts (the pair's begun 1:1s, BegunStarts) at or
// before t and after the point was added, else t itself (marked outside
// any 1:1 oneonone knows of).
func DiscussedIn(p Point, starts []time.Time, t time.Time) time.Time {
	best := time.Time{}
	for _, s := range starts {
		if s.After(t) || s.Add(time.Hour).Before(p.Added) {
			continue
		}
		if s.After(best) {
			best = s
		}
	}
	if best.IsZero() {
		return t
	}
	return best
}

// History is what BegunStarts reads: the stored series and their
// occurrences (store.Store).
type History interface {
	Series() ([]calendar.Series, error)
	OccurrencesFrom(seriesID string, from time.Time) ([]calendar.Occurrence, error)
}

// BegunStarts returns the starts, from from on and in order, of the pair's
// 1:1s that have begun by now: not skipped, declined or gone from the
// calendar. The latest is where the ticked items of the pair's block start
// (Blocks.Since), and a point marked discussed, in a calendar or on the
// shared page, was discussed in one of them (DiscussedIn).
func BegunStarts(h History, p calendar.Pair, from, now time.Time) ([]time.Time, error) {
	all, err := h.Series()
	if err != nil {
		return nil, err
	}
	var starts []time.Time
	for _, s := range all {
		if s.Pair != p {
			continue
		}
		occ, err := h.OccurrencesFrom(s.ID, from)
		if err != nil {
			return nil, err
		}
		for _, o := range occ {
			if o.Vanished || o.State == calendar.StateSkipped || o.State == calendar.StateDeclined || o.Start.After(now) {
				continue
			}
			starts = append(starts, o.Start)
		}
	}
	slices.SortFunc(starts, time.Time.Compare)
	return starts, nil
}

// OpenPoints returns the open points of ps, oldest first.
func OpenPoints(ps []Point) []Point {
	var out []Point
	for _, p := range ps {
		if p.Open() {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Point) int { return a.Added.Compare(b.Added) })
	return out
}

// line renders "- [ ] author: text".
func (p Point) line() string {
	box := "- [ ]"
	if !p.Open() {
		box = "- [x]"
	}
	s := box
	if a := fold(p.Author); a != "" {
		s += " " + a + ":"
	}
	return s + " " + cutText(fold(p.Text), MaxItemText)
}

// morePoints is the line after the shown points when some are left out.
func morePoints(n int, link string) string {
	if link = fold(link); link != "" {
		return fmt.Sprintf("… and %d more at %s", n, link)
	}
	return fmt.Sprintf("… and %d more", n)
}
