package agenda

import (
	"strings"
	"testing"
)

var (
	// cur is the block being written; old is what an earlier run wrote.
	cur = Block{Link: "https://docs.example.com/d/abc", Location: berlin, Actions: []Action{
		{ID: "1", Owner: "bob@example.com", Text: "Draft the Q1 hiring plan", Since: day(2026, 11, 10, 9)},
		{ID: "2", Owner: "anna@example.com", Text: "Book the offsite", Since: day(2026, 11, 10, 9), Due: day(2026, 11, 24, 9)},
	}}
	old = Block{With: "bob@example.com"}
	// hostile has action texts that look like markers and hold newlines.
	hostile = blockCases[2].block

	B, O, Hst   = cur.Text(), old.Text(), hostile.Text()
	BH, OH, HsH = cur.HTML(), old.HTML(), hostile.HTML()
)

func toCRLF(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// meet is the section Google adds to the description of an event with a
// Meet link, as it arrives in invitations.
const meet = "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-\n" +
	"Join with Google Meet: https://meet.google.com/abc-defg-hij\n\n" +
	"Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n" +
	"Please do not edit this section.\n" +
	"-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"

const meetHTML = `-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-<br>` +
	`Join with Google Meet: <a href="https://meet.google.com/abc-defg-hij">https://meet.google.com/abc-defg-hij</a><br><br>` +
	`Learn more about Meet at: <a href="https://support.google.com/a/users/answer/9282720" target="_blank">https://support.google.com/a/users/answer/9282720</a><br><br>` +
	`Please do not edit this section.<br>-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-`

var long = strings.Repeat("0123456789", 1000)

var mergeTests = []struct {
	name  string
	desc  string
	want  string
	strip string // Strip(desc)
}{
	{"empty", "", B, ""},
	{"plain text", "Discuss the roadmap", "Discuss the roadmap\n\n" + B, "Discuss the roadmap"},
	{"trailing newline", "text\n", "text\n\n" + B, "text\n"},
	{"trailing blank line", "text\n\n", "text\n\n" + B, "text\n\n"},
	{"three trailing newlines", "text\n\n\n", "text\n\n\n" + B, "text\n\n\n"},
	{"trailing spaces kept", "text  \n  ", "text  \n  \n\n" + B, "text  \n  "},
	{"LF lines", "one\ntwo", "one\ntwo\n\n" + B, "one\ntwo"},
	{"CRLF lines", "one\r\ntwo", "one\r\ntwo\r\n\r\n" + toCRLF(B), "one\r\ntwo"},
	{"CRLF trailing newline", "one\r\ntwo\r\n", "one\r\ntwo\r\n\r\n" + toCRLF(B), "one\r\ntwo\r\n"},
	{"CRLF trailing blank line", "one\r\n\r\n", "one\r\n\r\n" + toCRLF(B), "one\r\n\r\n"},
	{"unicode", "Prüfen 🙂👩‍👩‍👧 e\u0301 שלום عربي \u202eRTL\u202c", "Prüfen 🙂👩‍👩‍👧 e\u0301 שלום عربي \u202eRTL\u202c\n\n" + B, "Prüfen 🙂👩‍👩‍👧 e\u0301 שלום عربي \u202eRTL\u202c"},
	{"10000-character line", long, long + "\n\n" + B, long},
	{"10000-character line around a block", long + "\n" + O + "\n" + long, long + "\n" + B + "\n" + long, long + "\n" + long},
	{"meet boilerplate", "Weekly sync.\n\n" + meet, "Weekly sync.\n\n" + meet + "\n\n" + B, "Weekly sync.\n\n" + meet},
	{"marker text inside a line", "see " + BeginLine + " here", "see " + BeginLine + " here\n\n" + B, "see " + BeginLine + " here"},

	{"block unchanged", "Notes\n\n" + B, "Notes\n\n" + B, "Notes"},
	{"block unchanged alone", B, B, ""},
	{"block unchanged mid text", "a\n" + B + "\nb", "a\n" + B + "\nb", "a\nb"},
	{"block unchanged with trailing newline", "a\n\n" + B + "\n", "a\n\n" + B + "\n", "a"},
	{"block unchanged with CRLF", "a\r\n\r\n" + toCRLF(B), "a\r\n\r\n" + toCRLF(B), "a"},
	{"block unchanged turned CRLF in LF text", "a\n\n" + toCRLF(B), "a\n\n" + toCRLF(B), "a"},
	{"block unchanged with a trailing space after the marker", "a\n\n" + BeginLine + " \n" + strings.TrimPrefix(B, BeginLine+"\n"), "a\n\n" + BeginLine + " \n" + strings.TrimPrefix(B, BeginLine+"\n"), "a"},
	{"block unchanged with indented lines", "a\n\n  " + strings.ReplaceAll(B, "\n", "  \n\t"), "a\n\n  " + strings.ReplaceAll(B, "\n", "  \n\t"), "a"},

	{"block updated", "Notes\n\n" + O, "Notes\n\n" + B, "Notes"},
	{"block updated mid text", "before\n\n" + O + "\n\nafter\n", "before\n\n" + B + "\n\nafter\n", "before\n\n\nafter\n"},
	{"block updated at the start", O + "\nafter", B + "\nafter", "after"},
	{"block updated in CRLF text", "a\r\n" + toCRLF(O) + "\r\nb", "a\r\n" + toCRLF(B) + "\r\nb", "a\r\nb"},
	{"block updated with trailing space after the marker", "a\n" + BeginLine + " \n" + strings.TrimPrefix(O, BeginLine+"\n") + "\nb", "a\n" + B + "\nb", "a\nb"},
	{"block with hostile actions updated", "a\n\n" + Hst + "\n\nb", "a\n\n" + B + "\n\nb", "a\n\n\nb"},
	{"block with a ticked action updated", "a\n" + strings.Replace(B, "- [ ] bob", "- [x] bob", 1) + "\nb", "a\n" + B + "\nb", "a\nb"},

	{"begin without end", "a\n" + BeginLine + "\nAgenda: old\nOpen actions: none\nmy notes\nmore", "a\n" + B + "\nmy notes\nmore", "a\nmy notes\nmore"},
	{"begin without end at the end", "a\n\n" + BeginLine + "\nAgenda: old", "a\n\n" + B, "a"},
	{"begin without end, CRLF", "a\r\n" + BeginLine + "\r\nAgenda: old\r\nmine", "a\r\n" + toCRLF(B) + "\r\nmine", "a\r\nmine"},
	{"end without begin", "a\n" + EndLine + "\nb", "a\n" + B + "\nb", "a\nb"},
	{"end without begin at the end", "a\n" + EndLine, "a\n" + B, "a"},
	{"end before begin", "a\n" + EndLine + "\nb\n" + BeginLine + "\nc", "a\n" + B + "\nb\nc", "a\nb\nc"},
	{"two blocks", "a\n" + O + "\nmid\n" + O + "\nz", "a\n" + B + "\nmid\nz", "a\nmid\nz"},
	{"two blocks, second at the end", "a\n\n" + O + "\n\nmid\n\n" + B, "a\n\n" + B + "\n\nmid\n\n", "a\n\n\nmid\n\n"},
	{"two begins, one end", "a\n" + BeginLine + "\n" + O + "\nb", "a\n" + B + "\nb", "a\nb"},
	{"hand-typed markers in prose", "Note:\n" + BeginLine + "\nthis is my text\n" + EndLine + "\nbye", "Note:\n" + B + "\nthis is my text\nbye", "Note:\nthis is my text\nbye"},
	{"prose typed inside a block", "a\n" + strings.Replace(O, "Open actions: none", "Open actions: none\nmy own line", 1), "a\n" + B + "\nmy own line\n" + FlowLine + "\n", "a\nmy own line\n" + FlowLine + "\n"},
	{"blank line inside a block", "a\n" + BeginLine + "\n\nAgenda: x\n" + EndLine, "a\n" + B + "\n\nAgenda: x\n", "a\n\nAgenda: x\n"},
	{"indented markers", "a\n  " + BeginLine + "\t\nAgenda: x\n " + EndLine + " \nb", "a\n" + B + "\nb", "a\nb"},
}

func TestMerge(t *testing.T) {
	for _, tc := range mergeTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Merge(tc.desc, B); got != tc.want {
				t.Errorf("Merge:\n got %q\nwant %q", got, tc.want)
			}
			if got := Strip(tc.desc); got != tc.strip {
				t.Errorf("Strip:\n got %q\nwant %q", got, tc.strip)
			}
			plainFlavour.check(t, tc.desc, cur, old)
			plainFlavour.check(t, tc.desc, hostile, cur)
		})
	}
}

var mergeHTMLTests = []struct {
	name  string
	desc  string
	want  string
	strip string // StripHTML(desc): line breaks stay, as they may be markup
}{
	{"empty", "", BH, ""},
	{"google text", "Hello <b>team</b>, see <a href=\"https://x.example/\">this</a>", "Hello <b>team</b>, see <a href=\"https://x.example/\">this</a><br><br>" + BH, "Hello <b>team</b>, see <a href=\"https://x.example/\">this</a>"},
	{"ends with br", "text<br>", "text<br><br>" + BH, "text<br>"},
	{"ends with two br", "text<br/><BR />", "text<br/><BR />" + BH, "text<br/><BR />"},
	{"ends with a div", "<div>text</div>", "<div>text</div><br><br>" + BH, "<div>text</div>"},
	{"meet boilerplate", "Weekly sync.<br><br>" + meetHTML, "Weekly sync.<br><br>" + meetHTML + "<br><br>" + BH, "Weekly sync.<br><br>" + meetHTML},
	{"plain text in a google description", "one\ntwo", "one\ntwo<br><br>" + BH, "one\ntwo"},
	{"unicode", "Prüfen 🙂 e\u0301 שלום", "Prüfen 🙂 e\u0301 שלום<br><br>" + BH, "Prüfen 🙂 e\u0301 שלום"},
	{"10000-character line", long, long + "<br><br>" + BH, long},
	{"stray less-than sign", "a < b and <x", "a < b and <x<br><br>" + BH, "a < b and <x"},
	{"marker text inside a line", "see " + BeginLine + " here", "see " + BeginLine + " here<br><br>" + BH, "see " + BeginLine + " here"},

	{"block unchanged", "Hi<br><br>" + BH, "Hi<br><br>" + BH, "Hi"},
	{"block unchanged with br variants", "Hi<br><br>" + strings.ReplaceAll(BH, "<br>", "<br />"), "Hi<br><br>" + strings.ReplaceAll(BH, "<br>", "<br />"), "Hi"},
	{"block unchanged with a google link", "Hi<br><br>" + strings.Replace(BH, "https://docs.example.com/d/abc", `<a href="https://docs.example.com/d/abc" target="_blank">https://docs.example.com/d/abc</a>`, 1), "Hi<br><br>" + strings.Replace(BH, "https://docs.example.com/d/abc", `<a href="https://docs.example.com/d/abc" target="_blank">https://docs.example.com/d/abc</a>`, 1), "Hi"},
	{"block unchanged in divs", "<div>Hi</div><div>" + strings.ReplaceAll(BH, "<br>", "</div><div>") + "</div>", "<div>Hi</div><div>" + strings.ReplaceAll(BH, "<br>", "</div><div>") + "</div>", "<div>Hi</div><div></div>"},
	{"block unchanged with escaped markers", "Hi<br>&#45;&#45; oneonone agenda &#45;&#45;<br>" + strings.TrimPrefix(BH, BeginLine+"<br>"), "Hi<br>&#45;&#45; oneonone agenda &#45;&#45;<br>" + strings.TrimPrefix(BH, BeginLine+"<br>"), "Hi"},
	{"block unchanged with nbsp and newlines", "Hi<br>\n" + strings.ReplaceAll(BH, "<br>", "&nbsp;<br>\n"), "Hi<br>\n" + strings.ReplaceAll(BH, "<br>", "&nbsp;<br>\n"), "Hi<br>\n"},

	{"block updated", "Hi<br><br>" + OH, "Hi<br><br>" + BH, "Hi"},
	{"block updated mid text", "<b>Hi</b><br>" + OH + "<br>Bye", "<b>Hi</b><br>" + BH + "<br>Bye", "<b>Hi</b><br><br>Bye"},
	{"block updated in a p", "<p>Hi</p><p>" + OH + "</p><p>Bye</p>", "<p>Hi</p><p>" + BH + "</p><p>Bye</p>", "<p>Hi</p><p></p><p>Bye</p>"},
	{"block updated after meet boilerplate", meetHTML + "<br><br>" + OH, meetHTML + "<br><br>" + BH, meetHTML},
	{"block with hostile actions updated", "a<br>" + HsH + "<br>b", "a<br>" + BH + "<br>b", "a<br><br>b"},
	{"plain block in a google description", "Hi\n\n" + O, "Hi\n\n" + BH, "Hi\n\n"},

	{"begin without end", "a<br>" + BeginLine + "<br>Agenda: x<br>my notes", "a<br>" + BH + "<br>my notes", "a<br><br>my notes"},
	{"end without begin", "a<br>" + EndLine + "<br>b", "a<br>" + BH + "<br>b", "a<br><br>b"},
	{"two blocks", "a<br>" + OH + "<br>mid<br>" + OH, "a<br>" + BH + "<br>mid<br>", "a<br><br>mid<br>"},
	{"hand-typed markers in bold prose", "<b>" + BeginLine + "</b><br>my prose<br>" + EndLine, BH + "<br>my prose<br>", "<br>my prose<br>"},
}

func TestMergeHTML(t *testing.T) {
	for _, tc := range mergeHTMLTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MergeHTML(tc.desc, BH); got != tc.want {
				t.Errorf("MergeHTML:\n got %q\nwant %q", got, tc.want)
			}
			if got := StripHTML(tc.desc); got != tc.strip {
				t.Errorf("StripHTML:\n got %q\nwant %q", got, tc.strip)
			}
			htmlFlavour.check(t, tc.desc, cur, old)
			htmlFlavour.check(t, tc.desc, hostile, cur)
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name, desc, want string
		ok               bool
	}{
		{"none", "just text", "", false},
		{"one block", "a\n\n" + B + "\n", B, true},
		{"CRLF and spaces", "a\r\n " + BeginLine + " \r\n" + toCRLF(strings.TrimPrefix(B, BeginLine+"\n")), B, true},
		{"begin without end", "a\n" + BeginLine + "\nAgenda: x", "", false},
		{"block and a stray end", B + "\n" + EndLine, "", false},
		{"two blocks", B + "\n" + B, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Extract(tc.desc)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Extract = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	htmlTests := []struct {
		name, desc, want string
		ok               bool
	}{
		{"none", "just <b>text</b>", "", false},
		{"one block", "a<br><br>" + BH, BH, true},
		{"google normalised", "<div>a</div><div>" + strings.ReplaceAll(strings.Replace(BH, "https://docs.example.com/d/abc", `<a href="https://docs.example.com/d/abc">https://docs.example.com/d/abc</a>`, 1), "<br>", "<br/>\n") + "</div>", BH, true},
		{"escaped quotes", "a<br>" + strings.ReplaceAll(OH, "&#34;", "&quot;"), OH, true},
		{"two blocks", BH + "<br>" + BH, "", false},
	}
	for _, tc := range htmlTests {
		t.Run("html "+tc.name, func(t *testing.T) {
			got, ok := ExtractHTML(tc.desc)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ExtractHTML = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestStripRoundTrip checks that removing the block gives back the text it
// was appended to, for descriptions that do not end with a line break.
func TestStripRoundTrip(t *testing.T) {
	for _, d := range []string{"", "text", "a\nb", "a\r\nb", "  spaced  ", "🙂", long} {
		if got := Strip(Merge(d, B)); got != d {
			t.Errorf("Strip(Merge(%q)) = %q", d, got)
		}
		if got := StripHTML(MergeHTML(d, BH)); got != d {
			t.Errorf("StripHTML(MergeHTML(%q)) = %q", d, got)
		}
	}
}

func BenchmarkMerge(b *testing.B) {
	desc := "Notes\n\n" + meet + "\n\n" + O
	block := cur.Text()
	for b.Loop() {
		Merge(desc, block)
	}
}
