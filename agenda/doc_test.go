package agenda

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

func TestParseDoc(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	doc := "# Anna / Bob 1:1\r\n\n" +
		"## 2026-11-17\n" +
		"- talked about the roadmap\n" +
		"- [ ] bob@example.com: send the draft\n" +
		"- [x] @anna: book the offsite\n" +
		"  * [ ] @bob: read the RFC ☕\n" +
		"1. [X] done numbered\n" +
		"- [ ] @carol: not one of the pair\n" +
		"- [ ] carol@example.com: not one of the pair either\n" +
		"- [ ]\n" +
		"- [] not a task\n" +
		"```\n- [ ] inside a fence\n```\n" +
		"- [ ] plain item with no owner\n"
	got := ParseDoc([]byte(doc), pair)
	want := []DocItem{
		{Owner: "bob@example.com", Text: "send the draft"},
		{Owner: "anna@example.com", Text: "book the offsite", Done: true},
		{Owner: "bob@example.com", Text: "read the RFC ☕", Done: true}, // under a done item
		{Text: "done numbered", Done: true},
		{Text: "@carol: not one of the pair"},
		{Text: "carol@example.com: not one of the pair either"},
		{Text: "plain item with no owner"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseDoc =\n%+v\nwant\n%+v", got, want)
	}
}

// TestParseDocNestedUnderDone: an item nested under a done item, at any
// depth and through plain list items, is done; a sibling or an item of a
// later list is not.
func TestParseDocNestedUnderDone(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	doc := "- [x] ship the release\n" +
		"  - [ ] write the notes\n" +
		"    - [ ] proof-read them\n" +
		"  - plain sub-item\n" +
		"      - [ ] deep under a plain one\n" +
		"\n" +
		"  - [ ] after a blank line, still nested\n" +
		"\t- [ ] nested by a tab\n" +
		"- [ ] a sibling of the done item\n" +
		"  - [ ] under an open item\n" +
		"- [x] done again\n" +
		"## next\n" +
		"  - [ ] indented, but a new list after the heading\n" +
		"* [ ] other marker\n" +
		"1. [x] numbered done\n" +
		"   1. [ ] numbered under it\n"
	var open []string
	for _, it := range ParseDoc([]byte(doc), pair) {
		if !it.Done {
			open = append(open, it.Text)
		}
	}
	want := []string{"a sibling of the done item", "under an open item", "indented, but a new list after the heading", "other marker"}
	if !reflect.DeepEqual(open, want) {
		t.Fatalf("open items %q, want %q", open, want)
	}
}

// TestDocItemIDs: an item of the document has an ID, the same on every
// read and in the pair only; two items have two.
func TestDocItemIDs(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	path := filepath.Join(t.TempDir(), "bob.md")
	if err := os.WriteFile(path, []byte("- [ ] @bob: send the draft\n- [ ] book the room\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read := func(p calendar.Pair) []Action {
		t.Helper()
		open, err := Actions{Store: &memStore{}}.Open(context.Background(), p, path)
		if err != nil || len(open) != 2 {
			t.Fatalf("open %+v, %v", open, err)
		}
		return open
	}
	first, again := read(pair), read(pair)
	for i := range first {
		if !strings.HasPrefix(first[i].ID, DocItemPrefix) || len(first[i].ID) != len(DocItemPrefix)+12 || first[i].ID != again[i].ID {
			t.Errorf("item %d: id %q, then %q", i, first[i].ID, again[i].ID)
		}
	}
	if first[0].ID == first[1].ID {
		t.Errorf("two items, one id %q", first[0].ID)
	}
	if other := read(calendar.NewPair("anna@example.com", "chen@example.com")); other[1].ID == first[1].ID {
		t.Errorf("the same item of two pairs has one id %q", other[1].ID)
	}
}

func FuzzParseDoc(f *testing.F) {
	f.Add([]byte("- [ ] bob@example.com: x\n- [x] y\n"))
	f.Add([]byte("```\n- [ ] z\n"))
	pair := calendar.NewPair("a@x", "b@x")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, it := range ParseDoc(data, pair) {
			if it.Text == "" {
				t.Fatal("empty item text")
			}
		}
	})
}

// TestParseDocLongLine: a line longer than what is read of one costs only
// itself.
func TestParseDocLongLine(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	doc := "- [ ] @bob: " + strings.Repeat("x", 2<<20) + "\n- [ ] after the long line\n"
	got := ParseDoc([]byte(doc), pair)
	if len(got) != 2 || got[0].Owner != "bob@example.com" || len(got[0].Text) > maxDocLine || got[1].Text != "after the long line" {
		t.Fatalf("ParseDoc = %d items", len(got))
	}
}

// memStore is an ActionStore in memory.
type memStore struct {
	acts []Action
	seen map[string]time.Time
}

func (m *memStore) Actions(calendar.Pair) ([]Action, error) { return m.acts, nil }
func (m *memStore) DocItemSeen(key string) (time.Time, bool, error) {
	t, ok := m.seen[key]
	return t, ok, nil
}
func (m *memStore) SetDocItemSeen(key string, t time.Time) error {
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	m.seen[key] = t
	return nil
}

// TestOpenDocItemsByTheRules: the document's items become actions by
// NewAction's rules: an overlong text is cut to MaxActionText, an item the
// rules refuse otherwise is skipped, and the rest of the document stays.
func TestOpenDocItemsByTheRules(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "bob.md")
	doc := "- [ ] @bob: " + strings.Repeat("long ", 10_000) + "\n" + // 50 KB
		"- [ ] bell \a in the text\n" +
		"- [ ] escape \x1b[31m in the text\n" +
		"- [ ] caf\xe9, not UTF-8\n" +
		"- [ ] tab\tinside is white space\n" +
		"- [ ] @anna: the last one\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	st := &memStore{}
	open, err := Actions{Store: st, Now: func() time.Time { return now }}.Open(context.Background(), pair, path)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, a := range open {
		texts = append(texts, a.Text)
		if a.Pair != pair || a.Origin != path || !a.Since.Equal(now) || !strings.HasPrefix(a.ID, DocItemPrefix) {
			t.Errorf("action %+v", a)
		}
	}
	if len(open) != 3 {
		t.Fatalf("%d actions: %.80q", len(open), texts)
	}
	if n := len([]rune(open[0].Text)); n != MaxActionText || open[0].Owner != "bob@example.com" || !strings.HasSuffix(open[0].Text, "…") {
		t.Errorf("the long item: %d characters, owner %q", n, open[0].Owner)
	}
	if open[1].Text != "tab\tinside is white space" || open[1].Owner != "" {
		t.Errorf("second: %+v", open[1])
	}
	if open[2].Text != "the last one" || open[2].Owner != "anna@example.com" {
		t.Errorf("third: %+v", open[2])
	}
	// Only the items taken are recorded as seen.
	if len(st.seen) != 3 {
		t.Errorf("%d items recorded as seen, want 3", len(st.seen))
	}
	// Every action the document gave is one NewAction takes.
	for _, a := range open {
		if _, err := NewAction(ActionInput{Me: []string{pair.A}, With: pair.B, Owner: a.Owner, Unowned: true, Text: a.Text, Origin: a.Origin}); err != nil {
			t.Errorf("%.40q: %v", a.Text, err)
		}
	}
}
