package agenda

import (
	"context"
	"strings"
	"time"

	"oneonone/calendar"
)

// A box in our block may be ticked where people tick: in their calendar
// client (docs/DESIGN.md, "The agenda block", "Ticks"). ReadTicks reads
// the boxes back; an item is known by its line without the box (ItemKey,
// PointKey), so a line the user edited matches nothing and counts for
// nothing.

// Tick is one item line of our block as read from a description.
type Tick struct {
	// Key is the line without its box, as compared (white space
	// collapsed): ItemKey or PointKey of the item it was rendered from.
	Key string
	// Done says the box is ticked ("- [x]" or "- [X]").
	Done bool
	// Point says the line is under "Talking points:", else it is an
	// action's.
	Point bool
}

// maxTicks bounds what one description can make us read.
const maxTicks = 1000

// ReadTicks returns the item lines of the block in a plain-text
// description, in order. Only a description holding exactly one
// well-formed block, and nothing else for Merge to repair, has ticks: a
// "- [x]" line outside the block is the user's text and never read.
func ReadTicks(desc string) []Tick { return ticksOf(find(plainLines(desc))) }

// ReadTicksHTML is ReadTicks for an HTML description (Google): the
// block's lines are read as text, tags removed and entities decoded.
func ReadTicksHTML(desc string) []Tick { return ticksOf(find(htmlLines(desc))) }

func ticksOf(cuts []cut) []Tick {
	if len(cuts) != 1 || !cuts[0].block {
		return nil
	}
	var out []Tick
	point := false
	for _, l := range cuts[0].lines {
		switch {
		case strings.HasPrefix(l, pointsPrefix):
			point = true
			continue
		case strings.HasPrefix(l, actionsPrefix):
			point = false
			continue
		}
		var done bool
		switch {
		case strings.HasPrefix(l, "- [ ]"):
		case strings.HasPrefix(l, "- [x]"), strings.HasPrefix(l, "- [X]"):
			done = true
		default:
			continue
		}
		if len(out) == maxTicks {
			break
		}
		out = append(out, Tick{Key: strings.TrimSpace(l[len("- [ ]"):]), Done: done, Point: point})
	}
	return out
}

// ItemKey is the line the block shows for a, without its box: "owner:
// text (since 2006-01-02, due 2006-01-02)", dates in loc (nil: UTC).
func ItemKey(a Action, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return strings.TrimSpace(a.line(loc)[len("- [ ]"):])
}

// PointKey is the line the block shows for p, without its box: "author:
// text".
func PointKey(p Point) string {
	return strings.TrimSpace(p.line()[len("- [ ]"):])
}

// TickChanges are what the boxes read from a description change in the
// block they were read against.
type TickChanges struct {
	Done, Reopened         []Action // shown open and ticked; shown ticked and unticked
	Discussed, ReopenedPts []Point
}

// Empty is true when the boxes read change nothing.
func (c TickChanges) Empty() bool {
	return len(c.Done)+len(c.Reopened)+len(c.Discussed)+len(c.ReopenedPts) == 0
}

// Changes matches ticks against what b shows: an item whose box reads
// otherwise than b renders it changed. Only items kept in the store
// (OriginStore) count; a line that matches no item shown, or more than
// one, is left alone.
func (b Block) Changes(ticks []Tick) TickChanges {
	var ch TickChanges
	if len(ticks) == 0 {
		return ch
	}
	read := map[Tick]int{} // key and section → how many lines, by box
	boxes := map[Tick]bool{}
	for _, t := range ticks {
		k := Tick{Key: t.Key, Point: t.Point}
		read[k]++
		boxes[k] = t.Done
	}
	box := func(key string, point bool) (done, ok bool) {
		k := Tick{Key: key, Point: point}
		if read[k] != 1 {
			return false, false
		}
		return boxes[k], true
	}
	loc := b.Location
	shownActions := map[string]int{}
	for _, a := range b.Actions {
		shownActions[ItemKey(a, loc)]++
	}
	for _, a := range b.Actions {
		key := ItemKey(a, loc)
		if a.Origin != OriginStore || shownActions[key] != 1 {
			continue
		}
		done, ok := box(key, false)
		switch {
		case !ok:
		case done && a.Done.IsZero():
			ch.Done = append(ch.Done, a)
		case !done && !a.Done.IsZero():
			ch.Reopened = append(ch.Reopened, a)
		}
	}
	pts := b.shownPoints()
	shownPoints := map[string]int{}
	for _, p := range pts {
		shownPoints[PointKey(p)]++
	}
	for _, p := range pts {
		key := PointKey(p)
		if p.Origin != OriginStore || shownPoints[key] != 1 {
			continue
		}
		done, ok := box(key, true)
		switch {
		case !ok:
		case done && p.Open():
			ch.Discussed = append(ch.Discussed, p)
		case !done && !p.Open():
			ch.ReopenedPts = append(ch.ReopenedPts, p)
		}
	}
	return ch
}

// shownPoints are the points Lines shows.
func (b Block) shownPoints() []Point {
	max := b.maxPoints()
	if max < 0 {
		return nil
	}
	if len(b.Points) > max {
		return b.Points[:max]
	}
	return b.Points
}

// TickActions is where Ticks marks actions done or open (the store).
type TickActions interface {
	SetActionDone(id string, t time.Time) (Action, bool, error)
}

// TickPoints is where Ticks marks talking points discussed or open (the
// store).
type TickPoints interface {
	SetPointDiscussed(id string, t, meeting time.Time) (Point, bool, error)
}

// Ticks applies the boxes ticked in a calendar (the shape of sync.Ticker).
type Ticks struct {
	Actions TickActions
	// Points is nil when talking points are not kept.
	Points TickPoints
	// Starts returns the starts of the pair's 1:1s that have begun, for
	// DiscussedIn; nil means none known.
	Starts func(p calendar.Pair) ([]time.Time, error)
	Now    func() time.Time
}

// Tick applies the ticks read from an event's description against shown,
// the block the engine was about to write into it: a box ticked on an
// open item marks it done (discussed) now, a box unticked on an item shown
// ticked opens it again. changed says the store changed, so the block must
// be made again.
func (t Ticks) Tick(ctx context.Context, pair calendar.Pair, shown Block, ticks []Tick) (changed bool, err error) {
	ch := shown.Changes(ticks)
	if ch.Empty() {
		return false, nil
	}
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	now = now.UTC().Truncate(time.Second)
	set := func(id string, at time.Time) error {
		if t.Actions == nil {
			return nil
		}
		_, ok, err := t.Actions.SetActionDone(id, at)
		changed = changed || ok
		return err
	}
	for _, a := range ch.Done {
		if err := set(a.ID, now); err != nil {
			return changed, err
		}
	}
	for _, a := range ch.Reopened {
		if err := set(a.ID, time.Time{}); err != nil {
			return changed, err
		}
	}
	if t.Points == nil {
		return changed, ctx.Err()
	}
	var starts []time.Time
	if len(ch.Discussed) > 0 && t.Starts != nil {
		if starts, err = t.Starts(pair); err != nil {
			return changed, err
		}
	}
	for _, p := range ch.Discussed {
		_, ok, err := t.Points.SetPointDiscussed(p.ID, now, DiscussedIn(p, starts, now))
		changed = changed || ok
		if err != nil {
			return changed, err
		}
	}
	for _, p := range ch.ReopenedPts {
		_, ok, err := t.Points.SetPointDiscussed(p.ID, time.Time{}, time.Time{})
		changed = changed || ok
		if err != nil {
			return changed, err
		}
	}
	return changed, ctx.Err()
}
