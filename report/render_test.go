package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenInput is a team of seven 1:1s in 2026-W47, the week of the
// contract's example (docs/DESIGN.md, "Report JSON";
// testdata/design_example.json), reported on the Monday after.
func goldenInput() Input {
	with := func(s calendar.Series, rel, name string) calendar.Series {
		s.Relationship, s.Name = rel, name
		return s
	}
	bob := with(series("bob", "bob@example.com", calendar.CadenceWeekly, "2026-03-03 10:00"), "report", "Bob Builder")
	carol := with(series("carol", "carol@example.com", calendar.CadenceBiweekly, "2026-01-14 14:00"), "peer", "")
	dave := with(series("dave", "dave@example.com", calendar.CadenceWeekly, "2026-02-05 16:00"), "skip-level", "")
	erin := with(series("erin", "erin@example.com", calendar.CadenceWeekly, "2026-05-04 11:00"), "report", "Erin")
	erin.Title = `Erin <script>alert("1:1")</script> & co`
	frank := with(series("frank", "frank@example.com", calendar.CadenceMonthly, "2026-02-04 09:00"), "report", "")
	grace := with(series("grace", "grace@example.com", calendar.CadenceOther, "2026-11-02 08:30"), "mentor", "")
	grace.Title = "Grace mentoring"
	henry := with(series("henry", "henry@example.com", calendar.CadenceMonthly, "2026-09-18 13:00"), "peer", "")
	ivan := withUntil(series("ivan", "ivan@example.com", calendar.CadenceWeekly, "2026-04-01 09:00"), "2026-09-30 09:00")
	ivan.Source = "work"

	in := Input{
		Week:     Week{2026, 47},
		Location: berlin,
		Now:      time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC),
		Series:   []calendar.Series{ivan, henry, grace, frank, erin, dave, carol, bob},
		Occurrences: join(
			run(bob, "2026-09-01 10:00", 7, "hhhhsh"),
			[]calendar.Occurrence{occ(bob, "2026-10-13 10:00", calendar.StateAdvanced, "2026-10-12 14:00")},
			run(bob, "2026-10-20 10:00", 7, "dhhh"),
			[]calendar.Occurrence{occ(bob, "2026-11-17 10:00", calendar.StatePostponed, "2026-11-19 10:00")},

			run(carol, "2026-09-09 14:00", 14, "hhh"),
			[]calendar.Occurrence{occ(carol, "2026-10-21 14:00", calendar.StatePostponed, "2026-10-22 14:00")},
			run(carol, "2026-11-04 14:00", 14, "hs"),

			run(dave, "2026-09-03 16:00", 7, "hhhhhhhhhhhd"),
			run(erin, "2026-08-31 11:00", 7, "hhhhhhhhhhhhu"),
			run(bob, "2026-11-24 10:00", 7, "uu"),

			[]calendar.Occurrence{
				occ(frank, "2026-09-02 09:00", calendar.StateHeld),
				occ(frank, "2026-10-07 09:00", calendar.StateSkipped),
				occ(frank, "2026-11-04 09:00", calendar.StateSkipped),

				occ(grace, "2026-11-02 08:30", calendar.StateHeld),
				occ(grace, "2026-11-05 08:30", calendar.StateHeld),
				occ(grace, "2026-11-09 08:30", calendar.StateHeld),
				occ(grace, "2026-11-12 08:30", calendar.StateDeclined),
				occ(grace, "2026-11-16 08:30", calendar.StateHeld),
				occ(grace, "2026-11-19 08:30", calendar.StateHeld),
				occ(grace, "2026-11-26 08:30", calendar.StateUpcoming),

				occ(henry, "2026-09-18 13:00", calendar.StateHeld),
				occ(henry, "2026-10-16 13:00", calendar.StateHeld),
				occ(henry, "2026-11-20 13:00", calendar.StateHeld),
			},
			run(ivan, "2026-09-02 09:00", 7, "hhhh"),
		),
		OpenActions: map[calendar.Pair]int{bob.Pair: 2, frank.Pair: 1},
	}
	// When and by whom some fates changed (docs/DESIGN.md, "When and by
	// whom"): Bob moved his with three days' notice, Anna moved one a day
	// and an hour ahead and cancelled Carol's two hours ahead (seen, not
	// told by the provider), Dave declined half an hour ahead (estimated).
	changes := []struct {
		s              calendar.Series
		orig, at, seen string
		by             string
		estimated      bool
	}{
		{bob, "2026-11-17 10:00", "2026-11-14 10:00", "", "bob@example.com", false},
		{bob, "2026-10-13 10:00", "2026-10-12 09:00", "", me, false},
		{carol, "2026-11-18 14:00", "", "2026-11-18 12:00", me, false},
		{dave, "2026-11-19 16:00", "", "2026-11-19 15:30", "dave@example.com", true},
	}
	for _, c := range changes {
		i := slices.IndexFunc(in.Occurrences, func(o calendar.Occurrence) bool {
			return o.SeriesID == c.s.ID && o.OriginalStart.Equal(at(c.orig))
		})
		if i < 0 {
			panic("goldenInput: no occurrence " + c.s.ID + " " + c.orig)
		}
		o := &in.Occurrences[i]
		if c.at != "" {
			o.ChangedAt = at(c.at)
		}
		if c.seen != "" {
			o.ChangeSeen = at(c.seen)
		}
		o.ChangedBy, o.Estimated = c.by, c.estimated
	}
	return in
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	full := Build(goldenInput())
	emptyIn := goldenInput()
	emptyIn.Week = Week{2026, 53}
	emptyIn.Now = time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC)
	emptyIn.Series, emptyIn.Occurrences = nil, nil
	empty := Build(emptyIn)
	stale := Build(staleInput())

	tests := []struct {
		name   string
		report *Report
		format string
		file   string
	}{
		{name: "text", report: full, format: "text", file: "report.txt.golden"},
		{name: "markdown", report: full, format: "markdown", file: "report.md.golden"},
		{name: "html", report: full, format: "html", file: "report.html.golden"},
		{name: "json", report: full, format: "json", file: "report.json.golden"},
		{name: "empty text", report: empty, format: "text", file: "empty.txt.golden"},
		{name: "empty markdown", report: empty, format: "markdown", file: "empty.md.golden"},
		{name: "empty html", report: empty, format: "html", file: "empty.html.golden"},
		{name: "empty json", report: empty, format: "json", file: "empty.json.golden"},
		{name: "stale text", report: stale, format: "text", file: "stale.txt.golden"},
		{name: "stale markdown", report: stale, format: "markdown", file: "stale.md.golden"},
		{name: "stale html", report: stale, format: "html", file: "stale.html.golden"},
		{name: "stale json", report: stale, format: "json", file: "stale.json.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := Write(&a, tt.report, tt.format); err != nil {
				t.Fatal(err)
			}
			if err := Write(&b, tt.report, tt.format); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renderings differ")
			}
			golden(t, tt.file, a.Bytes())
		})
	}
}

func TestGoldenSummaries(t *testing.T) {
	in := goldenInput()
	in.Now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // Monday of W48, 09:00 in Berlin
	var buf bytes.Buffer
	if err := WriteSummariesText(&buf, Summaries(in)); err != nil {
		t.Fatal(err)
	}
	golden(t, "summaries.txt.golden", buf.Bytes())

	buf.Reset()
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Summaries(in)); err != nil {
		t.Fatal(err)
	}
	golden(t, "summaries.json.golden", buf.Bytes())
}

// TestJSONShape checks the report JSON against the contract's example
// (docs/DESIGN.md, "Report JSON", reproduced in
// testdata/design_example.json): every field of the example is in the report,
// at the same place, with the same JSON type.
func TestJSONShape(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("testdata", "design_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(example, &want); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Build(goldenInput()).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
		t.Error("JSON does not end with a newline")
	}
	var got any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, p := range shapeDiff("", want, got) {
		t.Error(p)
	}

	// The values the example shows that this fixture reproduces.
	top := got.(map[string]any)
	for k, v := range map[string]any{"week": "2026-W47", "from": "2026-11-16", "to": "2026-11-22", "timezone": "Europe/Berlin", "generated_at": "2026-11-23T08:00:00Z"} {
		if top[k] != v {
			t.Errorf("%s = %v, want %v", k, top[k], v)
		}
	}
	if totals, wantTotals := top["totals"], want.(map[string]any)["totals"]; !jsonEqual(totals, wantTotals) {
		t.Errorf("totals = %v, want %v", totals, wantTotals)
	}
	bob := top["pairs"].([]any)[0].(map[string]any)
	wantBob := want.(map[string]any)["pairs"].([]any)[0].(map[string]any)
	for _, k := range []string{"pair", "me", "counterpart", "relationship", "title", "source", "cadence", "week", "occurrences", "open_actions"} {
		if !jsonSubset(wantBob[k], bob[k]) {
			t.Errorf("pairs[0].%s = %v, want %v", k, bob[k], wantBob[k])
		}
	}
}

// shapeDiff lists the places where got lacks a field of want or has another
// JSON type there. Arrays are compared element by element of want's first.
func shapeDiff(path string, want, got any) []string {
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": want an object"}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, shapeDiff(path+"."+k, w[k], gv)...)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{path + ": want an array"}
		}
		if len(w) > 0 {
			for i := range g {
				out = append(out, shapeDiff(fmt.Sprintf("%s[%d]", path, i), w[0], g[i])...)
			}
		}
	default:
		if jsonType(want) != jsonType(got) {
			out = append(out, path+": want a "+jsonType(want)+", got a "+jsonType(got))
		}
	}
	return out
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// jsonSubset reports whether got has every value of want; objects in got
// may have more fields.
func jsonSubset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !jsonSubset(v, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !jsonSubset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return jsonEqual(want, got)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestJSONRoundTrip(t *testing.T) {
	r := Build(goldenInput())
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("decode the report's own JSON: %v", err)
	}
	for _, format := range Formats {
		var a, b bytes.Buffer
		if err := Write(&a, r, format); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, &back, format); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s of the decoded report differs:\n%s\n---\n%s", format, b.String(), a.String())
		}
	}
}

func TestNeverKeptIsNullInJSON(t *testing.T) {
	in := goldenInput()
	in.Occurrences = run(bob, "2026-11-17 10:00", 7, "s")
	in.Series = []calendar.Series{bob}
	var buf bytes.Buffer
	if err := Build(in).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"days_since_last": null`) {
		t.Errorf("want days_since_last null in\n%s", buf.String())
	}
}

func TestEscaping(t *testing.T) {
	r := Build(goldenInput())
	tests := []struct {
		format  string
		want    []string // must appear
		notWant []string // must not appear
	}{
		{
			format:  "html",
			want:    []string{"Erin &lt;script&gt;alert(&#34;1:1&#34;)&lt;/script&gt; &amp; co"},
			notWant: []string{"<script", "</script"},
		},
		{
			format:  "markdown",
			want:    []string{`Erin &lt;script&gt;alert("1:1")&lt;/script&gt; &amp; co`},
			notWant: []string{"<script", "</script"},
		},
		{
			format:  "json",
			want:    []string{`"Erin \u003cscript\u003ealert(\"1:1\")\u003c/script\u003e \u0026 co"`},
			notWant: []string{"<script"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, r, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.want {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(strings.ToLower(buf.String()), s) {
					t.Errorf("contains %q", s)
				}
			}
		})
	}
}

func TestUserTextCannotBreakLayout(t *testing.T) {
	in := goldenInput()
	in.Series[len(in.Series)-1].Title = "Bob\t1:1 \x1b[31mred\x1b[0m\nsecond line | pipe"
	r := Build(in)
	tests := []struct {
		format  string
		notWant []string
	}{
		{format: "text", notWant: []string{"\x1b", "\t", "1:1 \x1b", "red\nsecond"}},
		{format: "markdown", notWant: []string{"\x1b", "\t", "red\nsecond", "line | pipe"}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, r, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.notWant {
				if strings.Contains(buf.String(), s) {
					t.Errorf("output contains %q:\n%s", s, buf.String())
				}
			}
			if tt.format == "markdown" {
				// Every table row has the same number of cells.
				for _, line := range strings.Split(buf.String(), "\n") {
					if strings.HasPrefix(line, "| ") {
						if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 11 {
							t.Errorf("row with %d separators: %s", n, line)
						}
					}
				}
			}
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, Build(goldenInput()), "pdf")
	if err == nil || err.Error() != `unknown format "pdf" (want text, markdown, html or json)` {
		t.Errorf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown format", buf.Len())
	}
}

func TestShiftText(t *testing.T) {
	tests := []struct {
		name string
		min  int
		want string
	}{
		{name: "two days later", min: 2880, want: "+2d"},
		{name: "an hour and a half later", min: 90, want: "+1h30m"},
		{name: "a day and an hour earlier", min: -1500, want: "-1d1h"},
		{name: "twenty hours earlier", min: -1200, want: "-20h"},
		{name: "a day less an hour, over a DST change", min: 1380, want: "+23h"},
		{name: "none", min: 0, want: "+0m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shiftText(tt.min); got != tt.want {
				t.Errorf("shiftText(%d) = %q, want %q", tt.min, got, tt.want)
			}
		})
	}
}
