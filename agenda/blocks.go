package agenda

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"oneonone/calendar"
)

// OpenFunc returns a pair's open actions. An error that comes with actions
// is a document that could not be read: the actions are what could be.
type OpenFunc func(ctx context.Context, p calendar.Pair) ([]Action, error)

// Blocks makes the block of each series' events, in the shape of
// sync.AgendaFunc (its Block method).
type Blocks struct {
	// Link returns the agenda document link of a series; "" for none, as
	// is a nil Link.
	Link func(s calendar.Series) (string, error)
	// Location is the zone of the dates shown; nil means UTC.
	Location *time.Location
	// Open returns a pair's open actions; nil means none.
	Open OpenFunc
	// Points returns the talking points a pair's block shows (the open
	// ones, and those discussed since their last 1:1); nil means none.
	// An error that comes with points is logged, as Open's.
	Points func(ctx context.Context, p calendar.Pair) ([]Point, error)
	// Since returns when the pair's latest 1:1 that has begun started
	// (zero: none yet). Items ticked after it (done actions, discussed
	// points) are shown ticked until the next one begins, so that a box
	// ticked in a calendar can be unticked there; those ticked before are
	// left out. nil shows no done action and leaves Points as they come.
	Since func(p calendar.Pair) (time.Time, error)
	// Done returns a pair's actions kept in the store, done or not: those
	// done after Since are shown ticked, below the open ones. nil means
	// none.
	Done func(p calendar.Pair) ([]Action, error)
	// MaxPoints is Block.MaxPoints.
	MaxPoints int
	// Share returns the pair's shared page ("" for none); nil means none.
	Share func(p calendar.Pair) string
	// Log receives a document that could not be read; nil means it is
	// discarded. Blocks never logs through slog's default logger.
	Log *slog.Logger
}

// Block returns the block of s's events: its link, and the pair's talking
// points, shared page and open actions only in events of the two of them
// (alone), never in a group's.
// An error of Link fails it; an error of Open does not: it is logged, and
// the actions that came back are shown.
func (b Blocks) Block(ctx context.Context, s calendar.Series, alone bool) (Block, error) {
	blk := Block{With: s.Counterpart, Location: b.Location}
	if b.Link != nil {
		link, err := b.Link(s)
		if err != nil {
			return Block{}, err
		}
		blk.Link = link
	}
	if !alone {
		return blk, nil
	}
	blk.MaxPoints = b.MaxPoints
	if b.Share != nil {
		blk.Share = b.Share(s.Pair)
	}
	since, ticked := time.Time{}, false
	if b.Since != nil {
		var err error
		if since, err = b.Since(s.Pair); err != nil {
			return Block{}, fmt.Errorf("last 1:1 of %s: %w", s.Pair, err)
		}
		ticked = true
	}
	if b.Points != nil {
		var err error
		blk.Points, err = b.Points(ctx, s.Pair)
		if err != nil && b.Log != nil {
			b.Log.Warn("agenda document unreadable, showing the stored talking points only",
				slog.String("pair", s.Pair.String()), slog.String("error", err.Error()))
		}
		if ticked {
			blk.Points = slices.DeleteFunc(blk.Points, func(p Point) bool { return !p.Open() && !p.Discussed.After(since) })
		}
	}
	if b.Open != nil {
		var err error
		blk.Actions, err = b.Open(ctx, s.Pair)
		if err != nil && b.Log != nil {
			b.Log.Warn("agenda document unreadable, showing the stored actions only",
				slog.String("pair", s.Pair.String()), slog.String("error", err.Error()))
		}
	}
	if ticked && b.Done != nil {
		all, err := b.Done(s.Pair)
		if err != nil {
			return Block{}, fmt.Errorf("actions of %s: %w", s.Pair, err)
		}
		var done []Action
		for _, a := range all {
			if !a.Done.IsZero() && a.Done.After(since) {
				done = append(done, a)
			}
		}
		slices.SortStableFunc(done, func(x, y Action) int { return x.Done.Compare(y.Done) })
		blk.Actions = append(blk.Actions, done...)
	}
	return blk, nil
}

// CountOpen counts a pair's open actions with open, for report.Load: when
// a document cannot be read its stored actions are counted (the document is
// reported where the block is written); a failure without any actions fails.
func CountOpen(open OpenFunc) func(ctx context.Context, p calendar.Pair) (int, error) {
	return func(ctx context.Context, p calendar.Pair) (int, error) {
		acts, err := open(ctx, p)
		if err != nil && acts == nil {
			return 0, err
		}
		return len(acts), nil
	}
}
