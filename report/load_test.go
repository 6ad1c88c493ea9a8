package report

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"oneonone/calendar"
)

type fakeHistory struct {
	in  Input
	err error
}

func (f fakeHistory) Series() ([]calendar.Series, error) { return f.in.Series, f.err }
func (f fakeHistory) AllOccurrences() ([]calendar.Occurrence, error) {
	return f.in.Occurrences, nil
}

func TestLoad(t *testing.T) {
	gold := goldenInput()
	calls := map[calendar.Pair]int{}
	open := func(_ context.Context, p calendar.Pair) (int, error) {
		calls[p]++
		return gold.OpenActions[p], nil
	}
	base := Input{Week: gold.Week, Location: gold.Location, Now: gold.Now}
	in, err := Load(context.Background(), base, fakeHistory{in: gold}, open)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != len(gold.Series) {
		t.Errorf("open called for %d pairs, want %d", len(calls), len(gold.Series))
	}
	for p, n := range calls {
		if n != 1 {
			t.Errorf("open called %d times for %s", n, p)
		}
	}
	var a, b bytes.Buffer
	if err := Build(in).WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	if err := Build(gold).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("report of the loaded input differs from the golden input's:\n%s\nwant\n%s", a.String(), b.String())
	}

	boom := errors.New("boom")
	if _, err := Load(context.Background(), base, fakeHistory{in: gold, err: boom}, nil); !errors.Is(err, boom) {
		t.Errorf("series error: got %v", err)
	}
	failing := func(context.Context, calendar.Pair) (int, error) { return 0, boom }
	if _, err := Load(context.Background(), base, fakeHistory{in: gold}, failing); !errors.Is(err, boom) {
		t.Errorf("open error: got %v", err)
	}
}
