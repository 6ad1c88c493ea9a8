package agenda_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/logtest"
)

func TestBlocks(t *testing.T) {
	def := logtest.CaptureDefault(t)
	ctx := context.Background()
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	s := calendar.Series{Counterpart: "bob@example.com", Pair: pair}
	stored := []agenda.Action{{Pair: pair, Owner: "bob@example.com", Text: "send the draft"}}
	var docErr error
	opened := 0
	rec := logtest.New()
	b := agenda.Blocks{
		Link:     func(s calendar.Series) (string, error) { return "https://docs.example.com/" + s.Counterpart, nil },
		Location: time.UTC,
		Open: func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error) {
			opened++
			return stored, docErr
		},
		Log: rec.Logger(),
	}

	blk, err := b.Block(ctx, s, true)
	if err != nil || blk.Link != "https://docs.example.com/bob@example.com" || blk.With != s.Counterpart || len(blk.Actions) != 1 || blk.Location != time.UTC {
		t.Errorf("alone: %+v, %v", blk, err)
	}
	blk, err = b.Block(ctx, s, false)
	if err != nil || blk.Link == "" || len(blk.Actions) != 0 || opened != 1 {
		t.Errorf("in a group's event: %+v, %v, %d reads; want the link and no actions, unread", blk, err, opened)
	}

	// A document that cannot be read: the stored actions, logged.
	docErr = errors.New("doc gone")
	blk, err = b.Block(ctx, s, true)
	if err != nil || len(blk.Actions) != 1 {
		t.Errorf("unreadable document: %+v, %v; want the stored actions, no error", blk, err)
	}
	if l := rec.Lines(); len(l) != 1 || l[0].Level != slog.LevelWarn || l[0].Attrs["pair"] != pair.String() || l[0].Attrs["error"] != "doc gone" {
		t.Errorf("log %+v, want one warning naming the pair and the error", l)
	}
	b.Log = nil // discards
	if _, err := b.Block(ctx, s, true); err != nil {
		t.Error(err)
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("the default logger got %q", m)
	}

	// A link that cannot be made fails the block.
	b.Link = func(calendar.Series) (string, error) { return "", errors.New("bad template") }
	if _, err := b.Block(ctx, s, true); err == nil {
		t.Error("a failing Link: no error")
	}
}

func TestCountOpen(t *testing.T) {
	ctx := context.Background()
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	two := []agenda.Action{{Text: "a"}, {Text: "b"}}
	for _, tc := range []struct {
		name string
		acts []agenda.Action
		err  error
		n    int
		fail bool
	}{
		{"read", two, nil, 2, false},
		{"none", nil, nil, 0, false},
		{"document unreadable, stored ones counted", two, errors.New("doc gone"), 2, false},
		{"store unreadable", nil, errors.New("store gone"), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			count := agenda.CountOpen(func(context.Context, calendar.Pair) ([]agenda.Action, error) { return tc.acts, tc.err })
			n, err := count(ctx, pair)
			if n != tc.n || (err != nil) != tc.fail {
				t.Errorf("CountOpen = %d, %v; want %d, failure %v", n, err, tc.n, tc.fail)
			}
		})
	}
}
