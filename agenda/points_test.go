package agenda

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"oneonone/calendar"
)

func TestNewPoint(t *testing.T) {
	me := []string{"anna@example.com", "anna@home.example"}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p, err := NewPoint(PointInput{Me: me, With: "Bob@Example.com", Author: "bob@example.com", Text: "  the on-call rota  ", Now: now})
	if err != nil || p.Author != "bob@example.com" || p.Text != "the on-call rota" || !p.Added.Equal(now) || p.Origin != OriginStore || !p.Open() {
		t.Fatalf("NewPoint = %+v, %v", p, err)
	}
	if p, err := NewPoint(PointInput{Me: me, With: "bob@example.com", Author: "anna@home.example", Text: "x"}); err != nil || p.Author != "anna@example.com" {
		t.Errorf("an author among me = %+v, %v; want anna@example.com", p, err)
	}
	for _, c := range []struct {
		in    PointInput
		field string
	}{
		{PointInput{Me: me, With: "bob@example.com", Text: strings.Repeat("x", MaxPointText+1)}, FieldText},
		{PointInput{Me: me, With: "bob@example.com", Text: "a\x00b"}, FieldText},
		{PointInput{Me: me, With: "bob@example.com", Text: " "}, FieldText},
		{PointInput{Me: me, With: "bob@example.com", Author: "carol@example.com", Text: "x"}, FieldOwner},
		{PointInput{Me: me, With: "anna@example.com", Text: "x"}, FieldWith},
	} {
		_, err := NewPoint(c.in)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("NewPoint(%+v) = %v; want a refusal of %s", c.in, err, c.field)
		}
	}
}

func TestDiscussedIn(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, time.UTC) }
	p := Point{Added: day(2, 12)}
	starts := []time.Time{day(1, 10), day(8, 10), day(15, 10)}
	for _, c := range []struct{ at, want time.Time }{
		{day(8, 10).Add(20 * time.Minute), day(8, 10)}, // during the 1:1
		{day(9, 9), day(8, 10)},                        // the day after
		{day(3, 9), day(3, 9)},                         // before any 1:1 since it was added
	} {
		if got := DiscussedIn(p, starts, c.at); !got.Equal(c.want) {
			t.Errorf("DiscussedIn(%s) = %s, want %s", c.at, got, c.want)
		}
	}
}

// TestBlockCountsPointsOnly: a negative MaxPoints (max_points = 0) shows
// no point, only how many there are and where.
func TestBlockCountsPointsOnly(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	ps := []Point{{Pair: pair, Author: "bob@example.com", Text: "one"}, {Pair: pair, Author: "bob@example.com", Text: "two"}}
	b := Block{Link: "https://docs.example.com/bob", Points: ps, MaxPoints: -1}
	want := strings.Join([]string{
		BeginLine,
		"Agenda: https://docs.example.com/bob",
		"Talking points:",
		"… and 2 more at https://docs.example.com/bob",
		"Open actions: none",
		FlowLine,
		EndLine,
	}, "\n")
	if got := b.Text(); got != want {
		t.Errorf("block:\n%s\nwant:\n%s", got, want)
	}
}

func TestBlockShowsPoints(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	var ps []Point
	for _, s := range []string{"one", "two", "three"} {
		ps = append(ps, Point{Pair: pair, Author: "bob@example.com", Text: s})
	}
	ps[1].Discussed = time.Now()
	b := Block{Link: "https://docs.example.com/bob", Share: "https://1on1.example.com/s/tok", Points: ps, MaxPoints: 2}
	want := strings.Join([]string{
		BeginLine,
		"Agenda: https://docs.example.com/bob",
		"Add talking points: https://1on1.example.com/s/tok",
		"Talking points:",
		"- [ ] bob@example.com: one",
		"- [x] bob@example.com: two",
		"… and 1 more at https://1on1.example.com/s/tok",
		"Open actions: none",
		FlowLine,
		EndLine,
	}, "\n")
	if got := b.Text(); got != want {
		t.Errorf("block:\n%s\nwant:\n%s", got, want)
	}
	// The block is found again as ours, whole, in a description.
	desc := "my notes\n\n" + b.Text() + "\n\nmore notes"
	if merged := Merge(desc, b.Text()); merged != desc {
		t.Errorf("Merge of the same block = %q; want it unchanged", merged)
	}
	// A changed block replaces it whole, and nothing else.
	b.Points = ps[:1]
	if merged, want := Merge(desc, b.Text()), "my notes\n\n"+b.Text()+"\n\nmore notes"; merged != want {
		t.Errorf("Merge = %q, want %q", merged, want)
	}
	// No points: no line for them.
	if got := (Block{Link: "l"}).Text(); strings.Contains(got, pointsPrefix) {
		t.Errorf("a block without points shows %q", got)
	}
}

// TestBlockBudget: whatever the pair piles up, the block stays within
// MaxBlockChars as Google stores it (HTML-escaped), each item cut to
// MaxItemText, the rest counted; its first lines are the marker and the
// agenda link, what a reading pane's preview shows.
func TestBlockBudget(t *testing.T) {
	pair := calendar.NewPair("anna.long.address@subdomain.example.com", "bob.long.address@subdomain.example.com")
	long := strings.Repeat("<b>&amp; a very long talking point indeed ", 30)
	b := Block{Link: "https://docs.example.com/1on1/" + strings.Repeat("x", 200), Share: "https://1on1.example.com/s/" + strings.Repeat("t", 120), MaxPoints: 50}
	for i := 0; i < 50; i++ {
		b.Points = append(b.Points, Point{Pair: pair, Author: pair.B, Text: long})
	}
	for i := 0; i < 100; i++ {
		b.Actions = append(b.Actions, Action{Pair: pair, Owner: pair.A, Text: long + long, Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Due: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	}
	lines := b.Lines()
	if n := len(b.HTML()); n > MaxBlockChars {
		t.Errorf("HTML block of %d characters, over %d", n, MaxBlockChars)
	}
	if lines[0] != BeginLine || !strings.HasPrefix(lines[1], agendaPrefix) {
		t.Errorf("the block starts %q, %q", lines[0], lines[1])
	}
	more := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "- [") && utf8.RuneCountInString(l) > MaxItemText+100 {
			t.Errorf("item line of %d characters: %q", utf8.RuneCountInString(l), l)
		}
		if strings.HasPrefix(l, morePrefix) {
			more++
		}
	}
	if more != 2 {
		t.Errorf("%d \"… and N more\" lines, want one for the points and one for the actions:\n%s", more, b.Text())
	}
	t.Logf("worst-case block: %d lines, %d characters as text, %d as HTML", len(lines), len(b.Text()), len(b.HTML()))
	// The demo's ordinary block is untouched by the budget.
	small := Block{Link: "https://docs.example.com/bob", Actions: b.Actions[:2], Points: b.Points[:1]}
	if got := small.Lines(); len(got) != 9 {
		t.Errorf("a small block has %d lines:\n%s", len(got), small.Text())
	}
}

// history is a History of fixed series and occurrences.
type history struct {
	series []calendar.Series
	occ    map[string][]calendar.Occurrence
}

func (h history) Series() ([]calendar.Series, error) { return h.series, nil }

func (h history) OccurrencesFrom(id string, from time.Time) ([]calendar.Occurrence, error) {
	var out []calendar.Occurrence
	for _, o := range h.occ[id] {
		if !o.OriginalStart.Before(from) {
			out = append(out, o)
		}
	}
	return out, nil
}

func TestBegunStarts(t *testing.T) {
	bob := calendar.NewPair("anna@example.com", "bob@example.com")
	carol := calendar.NewPair("anna@example.com", "carol@example.com")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	occ := func(d int, st calendar.State) calendar.Occurrence {
		return calendar.Occurrence{OriginalStart: day(d), Start: day(d), State: st}
	}
	gone := occ(-3, calendar.StateHeld)
	gone.Vanished = true
	moved := occ(-60, calendar.StatePostponed)
	moved.Start = day(-12)
	h := history{
		series: []calendar.Series{{ID: "b2", Pair: bob}, {ID: "c", Pair: carol}, {ID: "b1", Pair: bob}},
		occ: map[string][]calendar.Occurrence{
			"b1": {moved, occ(-14, calendar.StateHeld), occ(-7, calendar.StateSkipped), gone, occ(7, calendar.StateUpcoming)},
			"b2": {occ(-10, calendar.StateDeclined), occ(-5, calendar.StateAdvanced), occ(0, calendar.StateUpcoming)},
			"c":  {occ(-1, calendar.StateHeld)},
		},
	}
	got, err := BegunStarts(h, bob, day(-30), now)
	if err != nil {
		t.Fatal(err)
	}
	// Not the skipped, declined or vanished ones, nor the one to come; the
	// one begun now though stored as upcoming; not before from by its
	// original start; in order across series.
	want := []time.Time{day(-14), day(-5), day(0)}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("BegunStarts = %v, want %v", got, want)
	}
}
