package agenda

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// itemsOf is each item of ParseDoc as "P text" (a talking point) or
// "A text" (an action), "x" after the letter when done.
func itemsOf(doc string) []string {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	var out []string
	for _, it := range ParseDoc([]byte(doc), pair) {
		s := "A"
		if it.Point {
			s = "P"
		}
		if it.Done {
			s += "x"
		}
		out = append(out, s+" "+it.Text)
	}
	return out
}

// TestParseDocPointsSection: the items under a "Talking points" heading,
// at any level and in any case, up to the next heading of the same or a
// higher level, are talking points; nested headings stay in the section;
// items before and after it are actions.
func TestParseDocPointsSection(t *testing.T) {
	doc := "# Anna / Bob\n" +
		"- [ ] before the section\n" +
		"## talking POINTS\n" +
		"- [ ] @bob: the offsite\n" +
		"- [x] discussed already\n" +
		"  - [ ] nested under a ticked point\n" +
		"### Bob's\n" +
		"- [ ] under a nested heading\n" +
		"#### deeper ####\n" +
		"* [ ] deeper still\n" +
		"## Actions\n" +
		"- [ ] after the section\n" +
		"# Talking points:\n" +
		"- [ ] a second section, level 1\n" +
		"## sub\n" +
		"- [ ] still in it\n" +
		"# Next #\n" +
		"- [ ] out again\n"
	want := []string{
		"A before the section",
		"P the offsite", "Px discussed already", "Px nested under a ticked point",
		"P under a nested heading", "P deeper still",
		"A after the section",
		"P a second section, level 1", "P still in it",
		"A out again",
	}
	if got := itemsOf(doc); !reflect.DeepEqual(got, want) {
		t.Fatalf("items\n%q\nwant\n%q", got, want)
	}
}

// TestParseDocPointsHeadings: what is and is not the section's heading: a
// heading in a fenced code block or indented as code is none, nor is a
// "#tag" or a heading that only mentions talking points; setext headings
// count, a paragraph of several lines above "---" is not "Talking points".
func TestParseDocPointsHeadings(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"fenced", "```\n## Talking points\n- [ ] in the fence\n```\n- [ ] after the fence\n", []string{"A after the fence"}},
		{"tilde fence inside the section", "## Talking points\n~~~md\n# Other\n- [ ] fenced\n~~~\n- [ ] still a point\n", []string{"P still a point"}},
		{"indented code", "    ## Talking points\n- [ ] an action\n", []string{"A an action"}},
		{"hashtag", "#Talking points\n- [ ] an action\n", []string{"A an action"}},
		{"mentions", "## Talking points for later\n- [ ] an action\n", []string{"A an action"}},
		{"seven hashes", "####### Talking points\n- [ ] an action\n", []string{"A an action"}},
		{"setext", "Talking points\n--------------\n- [ ] a point\n\nActions\n=======\n- [ ] an action\n", []string{"P a point", "A an action"}},
		{"setext level 1 ends at level 1", "Talking Points\n===\n## sub\n- [ ] a point\nOther\n===\n- [ ] an action\n", []string{"P a point", "A an action"}},
		{"paragraph above dashes", "We will go over the\nTalking points\n---\n- [ ] an action\n", []string{"A an action"}},
		{"item above dashes", "- [ ] Talking points\n---\n- [ ] an action\n", []string{"A Talking points", "A an action"}},
		{"kelvin sign", "## Tal\u212aing points\n- [ ] an action\n", []string{"A an action"}},
		{"indented heading", "   ## Talking points\n- [ ] a point\n", []string{"P a point"}},
		{"empty heading ends it", "## Talking points\n- [ ] a point\n##\n- [ ] an action\n", []string{"P a point", "A an action"}},
	} {
		if got := itemsOf(c.doc); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: items %q, want %q", c.name, got, c.want)
		}
	}
}

// TestActionsOpenSkipsPoints: the talking points of the document are no
// actions.
func TestActionsOpenSkipsPoints(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	path := writeDoc(t, "- [ ] an action\n## Talking points\n- [ ] a point\n")
	open, err := Actions{Store: &memStore{}}.Open(context.Background(), pair, path)
	if err != nil || len(open) != 1 || open[0].Text != "an action" {
		t.Fatalf("actions %+v, %v", open, err)
	}
}

func writeDoc(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bob.md")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// memPoints is a PointStore in memory.
type memPoints struct {
	memStore
	points []Point
}

func (m *memPoints) Points(calendar.Pair) ([]Point, error) { return m.points, nil }

// TestPointsOpen: the stored open points first, oldest first, then the
// document's open points in its order; Added is when each was first seen
// and stays; a ticked point is not shown; the author is the item's owner,
// "" for an item naming nobody; IDs are stable and apart from actions'; a
// point and an action of the same text are first seen apart.
func TestPointsOpen(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := t0
	path := writeDoc(t, "## Actions\n- [ ] same text\n## Talking points\n- [ ] @bob: same text\n- [x] @anna: ticked\n- [ ] nobody's\n")
	st := &memPoints{points: []Point{
		{ID: "p2", Pair: pair, Author: pair.A, Text: "stored later", Added: t0.Add(-time.Hour)},
		{ID: "p1", Pair: pair, Author: pair.B, Text: "stored first", Added: t0.Add(-2 * time.Hour)},
		{ID: "p3", Pair: pair, Author: pair.B, Text: "discussed", Added: t0.Add(-3 * time.Hour), Discussed: t0},
	}}
	pts := Points{Store: st, Now: func() time.Time { return now }}
	open, err := pts.Open(context.Background(), pair, path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range open {
		got = append(got, p.ID[:2]+" "+p.Author+" "+p.Text)
	}
	want := []string{"p1 bob@example.com stored first", "p2 anna@example.com stored later", "do bob@example.com same text", "do  nobody's"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("points %q, want %q", got, want)
	}
	for _, p := range open[2:] {
		if !strings.HasPrefix(p.ID, DocPointPrefix) || p.Origin != path || !p.Added.Equal(t0) || p.Pair != pair || !p.Open() {
			t.Errorf("document point %+v", p)
		}
	}
	// Seen once, later reads keep the first sighting and the IDs.
	now = t0.Add(48 * time.Hour)
	again, err := pts.Open(context.Background(), pair, path)
	if err != nil || len(again) != 4 {
		t.Fatalf("again: %d points, %v", len(again), err)
	}
	for i := 2; i < 4; i++ {
		if !again[i].Added.Equal(t0) || again[i].ID != open[i].ID {
			t.Errorf("again %d: %+v, first %+v", i, again[i], open[i])
		}
	}
	// The action of the same text is first seen now, not when the point was.
	acts, err := Actions{Store: &st.memStore, Now: func() time.Time { return now }}.Open(context.Background(), pair, path)
	if err != nil || len(acts) != 1 || !acts[0].Since.Equal(now) {
		t.Fatalf("actions %+v, %v", acts, err)
	}
	if len(st.seen) != 3 {
		t.Errorf("%d items seen, want 3", len(st.seen))
	}
}

// TestPointsOpenByTheRules: a document point goes through NewPoint's
// rules: an overlong text is cut to MaxPointText, one refused otherwise is
// skipped; without a document only the stored points come; an unreadable
// document gives the stored points and the error.
func TestPointsOpenByTheRules(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	path := writeDoc(t, "# Talking points\n- [ ] @bob: "+strings.Repeat("long ", 1000)+"\n- [ ] bell \a here\n- [ ] fine\n")
	st := &memPoints{points: []Point{{ID: "p1", Pair: pair, Author: pair.A, Text: "stored"}}}
	open, err := Points{Store: st}.Open(context.Background(), pair, path)
	if err != nil || len(open) != 3 {
		t.Fatalf("points %+v, %v", open, err)
	}
	if n := len([]rune(open[1].Text)); n != MaxPointText || !strings.HasSuffix(open[1].Text, "…") {
		t.Errorf("long point: %d characters", n)
	}
	if open[2].Text != "fine" {
		t.Errorf("third %+v", open[2])
	}
	if open, err := (Points{Store: st}).Open(context.Background(), pair, ""); err != nil || len(open) != 1 {
		t.Errorf("no document: %+v, %v", open, err)
	}
	open, err = Points{Store: st}.Open(context.Background(), pair, filepath.Join(t.TempDir(), "gone.md"))
	if !errors.Is(err, os.ErrNotExist) || len(open) != 1 {
		t.Errorf("unreadable document: %+v, %v", open, err)
	}
}

// FuzzParseDocSections: the section only sorts items, never finds or
// loses one: the document with every "talking points" spelled otherwise
// gives the same items, in the same order, none of them a point.
func FuzzParseDocSections(f *testing.F) {
	f.Add([]byte("## Talking points\n- [ ] @b: x\n### sub\n- [x] y\n## z\n- [ ] w\n"))
	f.Add([]byte("Talking points\n---\n- [ ] a\n```\n# Talking points\n- [ ] b\n```\n"))
	f.Add([]byte("# talking points #\n* [ ] a\n    # other\n- [ ] b\n"))
	pair := calendar.NewPair("a@x", "b@x")
	f.Fuzz(func(t *testing.T, data []byte) {
		got := ParseDoc(data, pair)
		ref := ParseDoc(respell(data), pair)
		if len(got) != len(ref) {
			t.Fatalf("%d items, %d without the section", len(got), len(ref))
		}
		for i := range got {
			g, r := got[i], ref[i]
			if r.Point {
				t.Fatalf("a point without the heading: %+v", r)
			}
			g.Point = false
			g.Text = string(respell([]byte(g.Text)))
			if g != r {
				t.Fatalf("item %d: %+v, without the section %+v", i, got[i], r)
			}
		}
	})
}

// respell replaces every "talking points" (ASCII letters in any case) with
// "talking pointz", byte for byte as long.
func respell(data []byte) []byte {
	out := bytes.Clone(data)
	const word = "talking points"
	for i := 0; i+len(word) <= len(out); i++ {
		if asciiEqualFold(string(out[i:i+len(word)]), word) {
			out[i+len(word)-1] = 'z'
		}
	}
	return out
}

// TestNewDoc: the template names the pair, has the flow with its time
// boxes and the two sections, and no item: a new document adds nothing
// to the block.
func TestNewDoc(t *testing.T) {
	doc := string(NewDoc("Anna@Example.com", "bob@example.com"))
	for _, want := range []string{
		"# 1:1 — anna@example.com and bob@example.com\n",
		"Check-in (5 min)", "Progress and obstacles (10–15 min)", "Two-way feedback (10 min)",
		"Development and next steps (5–10 min)", "Wrap-up (2 min)",
		"\n## Talking points\n", "\n## Actions\n", "@bob:",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("no %q in\n%s", want, doc)
		}
	}
	if items := ParseDoc([]byte(doc), calendar.NewPair("anna@example.com", "bob@example.com")); len(items) != 0 {
		t.Errorf("a new document has items: %+v", items)
	}
}
