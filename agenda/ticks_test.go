package agenda

import (
	"context"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

var tickPair = calendar.NewPair("anna@example.com", "bob@example.com")

func tickBlock() Block {
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	return Block{
		Link: "https://docs.example.com/d/abc",
		Points: []Point{
			{ID: "p1", Pair: tickPair, Author: "bob@example.com", Text: "The offsite budget", Added: at, Origin: OriginStore},
			{ID: "p2", Pair: tickPair, Author: "anna@example.com", Text: "Hiring", Added: at, Discussed: at.Add(time.Hour), Origin: OriginStore},
		},
		Actions: []Action{
			{ID: "a1", Pair: tickPair, Owner: "bob@example.com", Text: "Draft the plan", Since: at, Origin: OriginStore},
			{ID: "a2", Pair: tickPair, Owner: "anna@example.com", Text: "Book the room", Since: at, Due: at.AddDate(0, 0, 7), Origin: OriginStore},
			{ID: "a3", Pair: tickPair, Owner: "anna@example.com", Text: "Send notes", Since: at, Done: at.Add(2 * time.Hour), Origin: OriginStore},
			{ID: "d1", Pair: tickPair, Owner: "bob@example.com", Text: "From the doc", Since: at, Origin: "notes.md"},
		},
	}
}

// tick returns text with the box of the line holding key replaced by box.
func tick(t *testing.T, text, key, box string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	n := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "- [") && strings.TrimSpace(l[5:]) == key {
			lines[i] = box + l[5:]
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d lines of %q in %q", n, key, text)
	}
	return strings.Join(lines, "\n")
}

func TestReadTicksRoundTrip(t *testing.T) {
	b := tickBlock()
	for _, flav := range []struct {
		name string
		desc string
		read func(string) []Tick
	}{
		{"plain", Merge("My notes\n- [x] not ours: outside (since 2026-11-10)", b.Text()), ReadTicks},
		{"crlf", Merge("My notes\r\n", b.Text()), ReadTicks},
		{"html", MergeHTML("<p>My <b>notes</b></p>- [x] bob@example.com: Draft the plan (since 2026-11-10)", b.HTML()), ReadTicksHTML},
	} {
		got := flav.read(flav.desc)
		want := []Tick{
			{Key: "bob@example.com: The offsite budget", Point: true},
			{Key: "anna@example.com: Hiring", Done: true, Point: true},
			{Key: "bob@example.com: Draft the plan (since 2026-11-10)"},
			{Key: "anna@example.com: Book the room (since 2026-11-10, due 2026-11-17)"},
			{Key: "anna@example.com: Send notes (since 2026-11-10)", Done: true},
			{Key: "bob@example.com: From the doc (since 2026-11-10)"},
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %+v", flav.name, got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: tick %d = %+v, want %+v", flav.name, i, got[i], want[i])
			}
		}
		if ch := b.Changes(got); !ch.Empty() {
			t.Errorf("%s: the block as rendered changes %+v", flav.name, ch)
		}
	}
	if k := ItemKey(b.Actions[1], nil); k != "anna@example.com: Book the room (since 2026-11-10, due 2026-11-17)" {
		t.Errorf("ItemKey = %q", k)
	}
	if k := PointKey(b.Points[0]); k != "bob@example.com: The offsite budget" {
		t.Errorf("PointKey = %q", k)
	}
}

func TestBlockChanges(t *testing.T) {
	b := tickBlock()
	text := b.Text()
	// Ticked: an open action (upper-case X), an open point; unticked: a
	// done action and a discussed point; the document's item ticked too.
	desc := tick(t, text, ItemKey(b.Actions[0], nil), "- [X]")
	desc = tick(t, desc, ItemKey(b.Actions[2], nil), "- [ ]")
	desc = tick(t, desc, ItemKey(b.Actions[3], nil), "- [x]")
	desc = tick(t, desc, PointKey(b.Points[0]), "- [x]")
	desc = tick(t, desc, PointKey(b.Points[1]), "- [ ]")
	ch := b.Changes(ReadTicks(Merge("before\n", desc)))
	if len(ch.Done) != 1 || ch.Done[0].ID != "a1" || len(ch.Reopened) != 1 || ch.Reopened[0].ID != "a3" ||
		len(ch.Discussed) != 1 || ch.Discussed[0].ID != "p1" || len(ch.ReopenedPts) != 1 || ch.ReopenedPts[0].ID != "p2" {
		t.Errorf("changes = %+v", ch)
	}
}

func TestBlockChangesIgnored(t *testing.T) {
	b := tickBlock()
	key := ItemKey(b.Actions[0], nil)
	ticked := strings.Replace(b.Text(), "- [ ] "+key, "- [x] "+key, 1)
	for name, desc := range map[string]string{
		"outside the block":  b.Text() + "\n\n- [x] " + key,
		"edited by the user": strings.Replace(ticked, "Draft the plan", "Draft the plan today", 1),
		"tampered box":       strings.Replace(b.Text(), "- [ ] "+key, "- [v] "+key, 1),
		"two blocks":         ticked + "\n\n" + b.Text(),
		"begin without end":  strings.TrimSuffix(ticked, EndLine),
		"point under actions": strings.Replace(strings.Replace(b.Text(), "- [ ] bob@example.com: The offsite", "- [x] bob@example.com: The offsite", 1),
			"Talking points:", "Open actions:", 1),
		"line twice":  strings.Replace(ticked, "- [x] "+key, "- [x] "+key+"\n- [ ] "+key, 1),
		"not a block": "- [x] " + key,
	} {
		if ch := b.Changes(ReadTicks(desc)); !ch.Empty() {
			t.Errorf("%s: changes %+v", name, ch)
		}
	}
	// The "tampered box" line is no longer grammar: the block is broken,
	// and nothing is read.
	if got := ReadTicks(strings.Replace(b.Text(), "- [ ] "+key, "- [v] "+key, 1)); got != nil {
		t.Errorf("tampered: %+v", got)
	}
}

type tickStore struct {
	done      map[string]time.Time
	discussed map[string][2]time.Time
}

func (s *tickStore) SetActionDone(id string, t time.Time) (Action, bool, error) {
	s.done[id] = t
	return Action{ID: id, Done: t}, true, nil
}

func (s *tickStore) SetPointDiscussed(id string, t, meeting time.Time) (Point, bool, error) {
	s.discussed[id] = [2]time.Time{t, meeting}
	return Point{ID: id, Discussed: t, Meeting: meeting}, true, nil
}

func TestTicksApply(t *testing.T) {
	b := tickBlock()
	now := time.Date(2026, 11, 12, 10, 30, 0, 0, time.UTC)
	held := time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)
	st := &tickStore{done: map[string]time.Time{}, discussed: map[string][2]time.Time{}}
	tk := Ticks{Actions: st, Points: st, Now: func() time.Time { return now },
		Starts: func(calendar.Pair) ([]time.Time, error) { return []time.Time{held.AddDate(0, 0, -7), held}, nil }}
	ctx := context.Background()
	if changed, err := tk.Tick(ctx, tickPair, b, ReadTicks(b.Text())); changed || err != nil || len(st.done)+len(st.discussed) != 0 {
		t.Fatalf("nothing ticked: changed %v, %v, %v %v", changed, err, st.done, st.discussed)
	}
	desc := tick(t, b.Text(), ItemKey(b.Actions[0], nil), "- [x]")
	desc = tick(t, desc, ItemKey(b.Actions[2], nil), "- [ ]")
	desc = tick(t, desc, PointKey(b.Points[0]), "- [x]")
	changed, err := tk.Tick(ctx, tickPair, b, ReadTicks(desc))
	if !changed || err != nil {
		t.Fatalf("changed %v, %v", changed, err)
	}
	if d, ok := st.done["a1"]; !ok || !d.Equal(now) {
		t.Errorf("a1 done %v %v", d, ok)
	}
	if d, ok := st.done["a3"]; !ok || !d.IsZero() {
		t.Errorf("a3 not reopened: %v %v", d, ok)
	}
	if d := st.discussed["p1"]; !d[0].Equal(now) || !d[1].Equal(held) {
		t.Errorf("p1 discussed %v", d)
	}
	if len(st.done) != 2 || len(st.discussed) != 1 {
		t.Errorf("more changed: %v %v", st.done, st.discussed)
	}
}

func TestBlockLinesDone(t *testing.T) {
	b := tickBlock()
	lines := b.Lines()
	var got []string
	for _, l := range lines {
		if strings.HasPrefix(l, "- [") {
			got = append(got, l[:5])
		}
	}
	if strings.Join(got, ",") != "- [ ],- [x],- [ ],- [ ],- [x],- [ ]" {
		t.Errorf("boxes %v in %q", got, lines)
	}
}

func FuzzReadTicks(f *testing.F) {
	b := tickBlock()
	f.Add(Merge("notes", b.Text()), false)
	f.Add(MergeHTML("<p>notes</p>", b.HTML()), true)
	f.Add(strings.Replace(b.Text(), "- [ ]", "- [X]", 2), false)
	f.Add("- [x] a\n"+BeginLine+"\n- [x]\n"+EndLine, false)
	f.Fuzz(func(t *testing.T, desc string, isHTML bool) {
		read := ReadTicks
		if isHTML {
			read = ReadTicksHTML
		}
		ticks := read(desc)
		if len(ticks) > maxTicks || len(ticks) > strings.Count(desc, "[")+1 {
			t.Fatalf("%d ticks", len(ticks))
		}
		for _, tk := range ticks {
			if strings.ContainsAny(tk.Key, "\n\r") {
				t.Fatalf("key %q spans lines", tk.Key)
			}
		}
		_ = b.Changes(ticks)
		// Merging the block back reads as the block renders.
		merged := Merge(desc, b.Text())
		if isHTML {
			merged = MergeHTML(desc, b.HTML())
			if !b.Changes(ReadTicksHTML(merged)).Empty() {
				t.Fatalf("merged block reads as changes")
			}
		} else if !b.Changes(ReadTicks(merged)).Empty() {
			t.Fatalf("merged block reads as changes")
		}
	})
}
