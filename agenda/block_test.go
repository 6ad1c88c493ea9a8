package agenda

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

var (
	berlin = time.FixedZone("CET", 3600)
	pair   = calendar.NewPair("anna@example.com", "bob@example.com")
)

func day(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

var blockCases = []struct {
	name  string
	block Block
}{
	{"full", Block{
		Link:     "https://docs.example.com/d/abc",
		With:     "bob@example.com",
		Location: berlin,
		Actions: []Action{
			{ID: "1", Pair: pair, Owner: "bob@example.com", Text: "Draft the Q1 hiring plan", Since: day(2026, 11, 10, 9), Origin: "store"},
			// 23:00 UTC is the next day at UTC+1.
			{ID: "2", Pair: pair, Owner: "anna@example.com", Text: "Book the offsite", Since: day(2026, 11, 9, 23), Due: day(2026, 11, 24, 12), Origin: "store"},
			// Done: shown ticked (Blocks gives only those done since the last 1:1).
			{ID: "3", Pair: pair, Owner: "anna@example.com", Text: "Already done", Since: day(2026, 11, 1, 9), Done: day(2026, 11, 3, 9)},
		},
	}},
	{"nolink", Block{With: "bob@example.com"}},
	{"hostile", Block{
		Link: "  https://docs.example.com/d/x?a=1&b=<2>\n",
		Actions: []Action{
			{Owner: "bob@example.com", Text: EndLine, Since: day(2026, 11, 10, 9)},
			{Owner: "bob@example.com", Text: "line one\r\n" + EndLine + "\n\tline three", Since: day(2026, 11, 10, 9)},
			{Owner: "bob@example.com", Text: `<script>alert("x")</script> & 'y'` + "\u2028" + BeginLine, Since: day(2026, 11, 10, 9)},
			{Owner: "", Text: "no owner, no date"},
			{Owner: "bob@example.com", Text: "  due only  ", Due: day(2026, 12, 1, 9)},
		},
	}},
	{"unicode", Block{
		Link: "https://docs.example.com/d/ünï",
		Actions: []Action{
			{Owner: "zoë@example.com", Text: "Prüfen 🙂 שלום e\u0301 — 日本語", Since: day(2026, 11, 10, 9)},
		},
	}},
}

func TestBlockGolden(t *testing.T) {
	for _, tc := range blockCases {
		t.Run(tc.name, func(t *testing.T) {
			lines := tc.block.Lines()
			if lines[0] != BeginLine || lines[len(lines)-1] != EndLine || lines[len(lines)-2] != FlowLine {
				t.Errorf("lines do not start with BeginLine and end with FlowLine, EndLine: %q", lines)
			}
			for _, l := range lines {
				if strings.ContainsAny(l, "\r\n\t") || l != strings.TrimSpace(l) {
					t.Errorf("line %q is not one trimmed line", l)
				}
			}
			if got := strings.Join(lines, "\n"); got != tc.block.Text() {
				t.Errorf("Text() = %q, want Lines joined: %q", tc.block.Text(), got)
			}
			golden(t, tc.name+".txt.golden", tc.block.Text()+"\n")
			golden(t, tc.name+".html.golden", tc.block.HTML()+"\n")
			if !plainFlavour.wellFormed(tc.block.Text()) || !htmlFlavour.wellFormed(tc.block.HTML()) {
				t.Errorf("rendering is not one well-formed block")
			}
		})
	}
}

func TestActionLine(t *testing.T) {
	since, due := day(2026, 11, 10, 9), day(2026, 11, 24, 9)
	tests := []struct {
		name string
		a    Action
		want string
	}{
		{"since", Action{Owner: "bob@example.com", Text: "Plan", Since: since}, "- [ ] bob@example.com: Plan (since 2026-11-10)"},
		{"due", Action{Owner: "bob@example.com", Text: "Plan", Since: since, Due: due}, "- [ ] bob@example.com: Plan (since 2026-11-10, due 2026-11-24)"},
		{"folded", Action{Owner: "bob@example.com", Text: "a\nb\r\nc\td  e", Since: since}, "- [ ] bob@example.com: a b c d e (since 2026-11-10)"},
		{"marker text", Action{Owner: "bob@example.com", Text: BeginLine, Since: since}, "- [ ] bob@example.com: " + BeginLine + " (since 2026-11-10)"},
		{"no owner", Action{Text: "Plan", Since: since}, "- [ ] Plan (since 2026-11-10)"},
		{"no dates", Action{Owner: "bob@example.com", Text: "Plan"}, "- [ ] bob@example.com: Plan"},
		{"invalid utf-8", Action{Owner: "bob@example.com", Text: "a\xffb"}, "- [ ] bob@example.com: a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := Block{Actions: []Action{tc.a}}.Lines()
			if got := lines[3]; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestActionJSON(t *testing.T) {
	a := Action{ID: "1", Pair: pair, Owner: "bob@example.com", Text: "Plan", Since: day(2026, 11, 10, 9), Origin: "store"}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); strings.Contains(s, `"due"`) || strings.Contains(s, `"done"`) {
		t.Errorf("zero due and done not left out: %s", s)
	}
	var back Action
	if err := json.Unmarshal(data, &back); err != nil || back.Pair != a.Pair || !back.Since.Equal(a.Since) || back.Text != a.Text {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
