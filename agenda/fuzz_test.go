package agenda

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// flavour is one of the two kinds of description, with its functions.
type flavour struct {
	name    string
	merge   func(desc, block string) string
	extract func(string) (string, bool)
	strip   func(string) string
	render  func(Block) string
	lines   func(string) []line
	// sep is the separator Merge must put between a description without
	// markers and the block, written here apart from the code under test.
	sep func(desc string) string
}

var trailingBR = regexp.MustCompile(`(?i)<br(?:[^a-z0-9<>\n][^<>\n]*)?>$`)

var (
	plainFlavour = flavour{
		name: "plain", merge: Merge, extract: Extract, strip: Strip,
		render: Block.Text, lines: plainLines,
		sep: func(d string) string {
			nl := "\n"
			if crlf(d) {
				nl = "\r\n"
			}
			switch {
			case d == "":
				return ""
			case strings.HasSuffix(d, nl+nl):
				return ""
			case strings.HasSuffix(d, nl):
				return nl
			}
			return nl + nl
		},
	}
	htmlFlavour = flavour{
		name: "html", merge: MergeHTML, extract: ExtractHTML, strip: StripHTML,
		render: Block.HTML, lines: htmlLines,
		sep: func(d string) string {
			if d == "" {
				return ""
			}
			n := 0
			for n < 2 {
				loc := trailingBR.FindStringIndex(d)
				if loc == nil {
					break
				}
				d = d[:loc[0]]
				n++
			}
			return strings.Repeat("<br>", 2-n)
		},
	}
)

// crlf reports whether d's line ending is "\r\n": that of its first line,
// or "\r" ending a description of one line.
func crlf(d string) bool {
	i := strings.Index(d, "\n")
	return i > 0 && d[i-1] == '\r' || i < 0 && strings.HasSuffix(d, "\r")
}

// trimSep removes the separator sep(x) would give for x without breaks.
func (f flavour) trimSep(d string) string {
	for range 2 {
		if f.name == "plain" {
			nl := "\n"
			if crlf(d) {
				nl = "\r\n"
			}
			if !strings.HasSuffix(d, nl) {
				break
			}
			d = d[:len(d)-len(nl)]
			continue
		}
		loc := trailingBR.FindStringIndex(d)
		if loc == nil {
			break
		}
		d = d[:loc[0]]
	}
	return d
}

// prose returns the raw text of the lines of s that are neither markers nor
// block lines and not empty: the user's lines, that every merge keeps. A
// "\r" that ends a line may go with its line break.
func (f flavour) prose(s string) []string {
	var out []string
	for _, l := range f.lines(s) {
		if l.text != "" && classify(l.text) == prose {
			out = append(out, strings.TrimRight(s[l.start:l.end], "\r"))
		}
	}
	return out
}

// wellFormed reports whether s holds exactly one block and no stray marker.
func (f flavour) wellFormed(s string) bool {
	cuts := find(f.lines(s))
	return len(cuts) == 1 && cuts[0].block
}

// check asserts the rules of docs/DESIGN.md, "The agenda block", for merging b1
// into d and then updating it to b2.
func (f flavour) check(t *testing.T, d string, b1, b2 Block) {
	t.Helper()
	r1, r2 := f.render(b1), f.render(b2)
	got := f.merge(d, r1)
	if !f.wellFormed(got) {
		t.Fatalf("%s: not exactly one well-formed block in\n%q\nfrom\n%q", f.name, got, d)
	}
	if e, ok := f.extract(got); !ok || e != r1 {
		t.Fatalf("%s: extract = %q, %v; want %q", f.name, e, ok, r1)
	}
	if again := f.merge(got, r1); again != got {
		t.Fatalf("%s: not idempotent:\n%q\n%q", f.name, got, again)
	}
	cuts := find(f.lines(d))
	if len(cuts) > 0 {
		// The block goes where the first block or marker was; the text
		// before it and after the last one is kept as it was.
		if before, after := d[:cuts[0].start], d[cuts[len(cuts)-1].end:]; !strings.HasPrefix(got, before) || !strings.HasSuffix(got, after) {
			t.Fatalf("%s: text around the block changed:\n%q\nfrom\n%q", f.name, got, d)
		}
	}
	if len(cuts) == 0 {
		block := r1
		if f.name == "plain" && crlf(d) {
			block = strings.ReplaceAll(r1, "\n", "\r\n")
		}
		if want := d + f.sep(d) + block; got != want {
			t.Fatalf("%s: appended\n%q\nwant\n%q", f.name, got, want)
		}
		// Strip gives d back, but for the line breaks d ended with, as
		// Merge appends after "text", "text\n" and "text\n\n" alike.
		if s, want := f.strip(got), f.trimSep(d); s != want {
			t.Fatalf("%s: strip after append = %q, want %q", f.name, s, want)
		}
	} else if s, want := f.strip(got), f.strip(d); s != want {
		t.Fatalf("%s: strip(merge(d)) = %q, strip(d) = %q, d = %q", f.name, s, want, d)
	}
	if a, b := f.prose(d), f.prose(got); !slices.Equal(a, b) {
		t.Fatalf("%s: user lines changed:\n%q\n%q", f.name, a, b)
	}
	direct := f.merge(d, r2)
	updated := f.merge(got, r2)
	if direct != d && updated != direct {
		t.Fatalf("%s: update differs:\n%q\n%q", f.name, updated, direct)
	}
	if f.strip(updated) != f.strip(got) {
		t.Fatalf("%s: update changed the user's text:\n%q\n%q", f.name, f.strip(updated), f.strip(got))
	}
	if e, ok := f.extract(updated); !ok || e != r2 {
		t.Fatalf("%s: extract after update = %q, %v; want %q", f.name, e, ok, r2)
	}
}

// fuzzBlocks builds two different blocks from fuzzed strings.
func fuzzBlocks(owner, text, link string, n uint8) (Block, Block) {
	since := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	a := Action{ID: "a1", Owner: owner, Text: text, Since: since}
	if n&1 != 0 {
		a.Due = since.AddDate(0, 0, 14)
	}
	b1 := Block{Link: link, With: owner, Actions: []Action{a}}
	b2 := Block{With: owner, Actions: []Action{{Owner: owner, Text: link}, {Text: text + " 2", Since: since}}}
	if n&2 != 0 {
		b1.Actions = nil
	}
	if n&4 != 0 {
		b1, b2 = b2, b1
	}
	return b1, b2
}

func fuzzMerge(f *testing.F, fl flavour) {
	for _, d := range seedDescriptions() {
		f.Add(d, "bob@example.com", "write the plan", "https://docs.example.com/d/abc", uint8(1))
	}
	for _, d := range corpusDescriptions(f) {
		f.Add(d, "bob@example.com", "write the plan", "https://docs.example.com/d/abc", uint8(1))
	}
	for i, text := range seedTexts {
		f.Add("notes", "bob@example.com", text, text, uint8(i))
	}
	f.Fuzz(func(t *testing.T, d, owner, text, link string, n uint8) {
		b1, b2 := fuzzBlocks(owner, text, link, n)
		fl.check(t, d, b1, b2)
	})
}

func FuzzMerge(f *testing.F)     { fuzzMerge(f, plainFlavour) }
func FuzzMergeHTML(f *testing.F) { fuzzMerge(f, htmlFlavour) }

// seedTexts are action texts that try to break out of a block.
var seedTexts = []string{
	BeginLine, EndLine, "x\n" + EndLine + "\ny", "a\r\nb\tc", "x<br>" + EndLine,
	"<b>bold</b> & \"quoted\"", "\u2028" + BeginLine + "\u2029", " ", "",
}

// seedDescriptions are descriptions written for these tests.
func seedDescriptions() []string {
	b := Block{Link: "https://docs.example.com/d/abc", Actions: []Action{{Owner: "bob@example.com", Text: "plan", Since: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)}}}
	text, htm := b.Text(), b.HTML()
	return []string{
		"", "text", "text\n", "text\n\n", "text\r\n", "a\r\nb\r\n\r\n",
		"text\n\n" + text, text + "\n\nafter", "a\n" + text + "\nb\n" + text + "\nc",
		"a\n" + BeginLine + "\nAgenda: x\nprose\n" + EndLine + "\nb",
		EndLine + "\n" + BeginLine, BeginLine + " \r\nAgenda: x\r\n" + EndLine + "\r\n",
		"Hello<br><br>" + htm, "<div>" + strings.ReplaceAll(htm, "<br>", "</div><div>") + "</div>",
		"x <a<br>" + htm, "a\n<" + EndLine, "<p>notes</p>" + htm + "<br/>more",
		"🙂 שלום e\u0301\n" + strings.Repeat("x", 1000),
		"<b>" + BeginLine + "</b><br>x<br>" + EndLine, "a<br>" + strings.ReplaceAll(htm, "<br>", "<br/>\n") + "</div>",
		"<div>" + BeginLine + "</div>" + strings.TrimPrefix(htm, BeginLine), htm + "<br>" + EndLine + "<br><br>" + htm,
		"<p>a</p>\n<p>" + htm + "</p>\n<p>b</p>", "x<br>\n" + text + "\n\ny",
	}
}

// corpusDescriptions returns the DESCRIPTION (and X-ALT-DESC) values of the
// iCalendar files and the "description" fields of the Google events in
// $ONEONONE_CORPUS; none when it is unset.
func corpusDescriptions(tb testing.TB) []string {
	root := os.Getenv("ONEONONE_CORPUS")
	if root == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	walk := func(dir, ext string, read func([]byte)) {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(path, ext) {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			read(data)
			return nil
		})
		if err != nil {
			tb.Fatalf("read corpus: %v", err)
		}
	}
	walk("ics", ".ics", func(data []byte) {
		for _, v := range icsDescriptions(data) {
			add(v)
		}
	})
	walk(filepath.Join("google", "compass"), ".json", func(data []byte) {
		var v any
		if json.Unmarshal(data, &v) == nil {
			jsonDescriptions(v, add)
		}
	})
	return out
}

// icsDescriptions returns the unescaped DESCRIPTION and X-ALT-DESC values
// of an iCalendar file (RFC 5545 3.1 unfolding, 3.3.11 escapes).
func icsDescriptions(data []byte) []string {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\n "), nil)
	data = bytes.ReplaceAll(data, []byte("\n\t"), nil)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		upper := strings.ToUpper(l)
		if !strings.HasPrefix(upper, "DESCRIPTION") && !strings.HasPrefix(upper, "X-ALT-DESC") {
			continue
		}
		quoted := false
		for i := 0; i < len(l); i++ {
			switch l[i] {
			case '"':
				quoted = !quoted
			case ':':
				if !quoted {
					v := strings.NewReplacer(`\n`, "\n", `\N`, "\n", `\,`, ",", `\;`, ";", `\\`, `\`).Replace(l[i+1:])
					out = append(out, v)
					i = len(l)
				}
			}
		}
	}
	return out
}

func jsonDescriptions(v any, add func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "description" {
				add(s)
			} else {
				jsonDescriptions(x, add)
			}
		}
	case []any:
		for _, x := range v {
			jsonDescriptions(x, add)
		}
	}
}
