package agenda

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Outlook HTML bodies, as they arrive in X-ALT-DESC;FMTTYPE=text/html
// (unescaped): the classic Exchange conversion from RTF, Outlook's empty
// body, and the newer Outlook on the web body. The shapes follow
// calendar/testdata/edit_outlook.ics; the shared corpus has no X-ALT-DESC.
const (
	outlookDoc = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n" +
		"<META NAME=\"Generator\" CONTENT=\"MS Exchange Server version rmj.rmm.rup.rpr\">\n<TITLE></TITLE>\n</HEAD>\n<BODY>\n" +
		"<!-- Converted from text/rtf format -->\n\n" +
		"<P DIR=LTR><SPAN LANG=\"en-us\"><FONT FACE=\"Calibri\">Weekly 1:1, agenda in the doc; bring numbers.</FONT></SPAN></P>\n\n" +
		"</BODY>\n</HTML>"
	outlookEmpty = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n<TITLE></TITLE>\n</HEAD>\n<BODY>\n" +
		"<!-- Converted from text/rtf format -->\n\n<P DIR=LTR><SPAN LANG=\"en-us\">&nbsp;</SPAN></P>\n\n</BODY>\n</HTML>"
	owaDoc = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">` +
		`<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>` +
		`<body dir="ltr"><div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">` +
		`Weekly sync &amp; notes.</div></body></html>`
)

// at splits s before the first occurrence of sub.
func at(s, sub string) (string, string) {
	i := strings.Index(s, sub)
	return s[:i], s[i:]
}

var mergeDocumentTests = []struct {
	name  string
	desc  string
	want  string
	strip string // StripHTMLDocument(desc)
}{
	{"outlook: inside the body, one <br> after </P>", outlookDoc,
		func() string { h, t := at(outlookDoc, "</BODY>"); return h + "<br>" + BH + t }(), outlookDoc},
	{"outlook empty body: no separator", outlookEmpty,
		func() string { h, t := at(outlookEmpty, "</BODY>"); return h + BH + t }(), outlookEmpty},
	{"outlook on the web: after </div>", owaDoc,
		func() string { h, t := at(owaDoc, "</body>"); return h + "<br>" + BH + t }(), owaDoc},
	{"inline text: <br><br>", "<html><body>notes</body></html>", "<html><body>notes<br><br>" + BH + "</body></html>", "<html><body>notes</body></html>"},
	{"text ending in <br>", "<html><body>notes<br>\n</body></html>", "<html><body>notes<br>\n<br>" + BH + "</body></html>", "<html><body>notes<br>\n</body></html>"},
	{"the last </body>", "<html><body>a</body><body>b</body></html>", "<html><body>a</body><body>b<br><br>" + BH + "</body></html>", "<html><body>a</body><body>b</body></html>"},
	{"no </body>: before </HTML>", "<HTML><BODY>x\n</HTML>", "<HTML><BODY>x\n<br><br>" + BH + "</HTML>", "<HTML><BODY>x\n</HTML>"},
	{"odd spelling of the tag", "<html><body>x</Body  >", "<html><body>x<br><br>" + BH + "</Body  >", "<html><body>x</Body  >"},
	{"not a tag: </bodyx>", "<html><body>x</bodyx>", "<html><body>x</bodyx><br><br>" + BH, "<html><body>x</bodyx>"},
	{"fragment: as MergeHTML", "<p>notes</p>", "<p>notes</p><br><br>" + BH, "<p>notes</p>"},
	{"empty", "", BH, ""},
	{"block in place, stale", func() string { h, t := at(outlookDoc, "</BODY>"); return h + "<br>" + OH + t }(),
		func() string { h, t := at(outlookDoc, "</BODY>"); return h + "<br>" + BH + t }(), outlookDoc},
	{"block up to date", func() string { h, t := at(outlookDoc, "</BODY>"); return h + "<br>" + BH + t }(),
		func() string { h, t := at(outlookDoc, "</BODY>"); return h + "<br>" + BH + t }(), outlookDoc},
	{"block in a paragraph, in place", "<html><body><p>a</p><p>" + OH + "</p><p>b</p></body></html>",
		"<html><body><p>a</p><p>" + BH + "</p><p>b</p></body></html>", "<html><body><p>a</p><p></p><p>b</p></body></html>"},
	{"two blocks: the first kept, the second dropped", "<html><body>" + OH + "<br>x<br>" + HsH + "</body></html>",
		"<html><body>" + BH + "<br>x<br></body></html>", "<html><body><br>x<br></body></html>"},
	{"a begin without its end", "<html><body>x<br>" + BeginLine + "<br>Agenda: y</body></html>",
		"<html><body>x<br>" + BH + "</body></html>", "<html><body>x</body></html>"},
}

func TestMergeHTMLDocument(t *testing.T) {
	for _, tc := range mergeDocumentTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MergeHTMLDocument(tc.desc, BH); got != tc.want {
				t.Errorf("MergeHTMLDocument:\n got %q\nwant %q", got, tc.want)
			}
			if got := StripHTMLDocument(tc.desc); got != tc.strip {
				t.Errorf("StripHTMLDocument:\n got %q\nwant %q", got, tc.strip)
			}
			checkDocument(t, tc.desc, cur, old)
			checkDocument(t, tc.desc, hostile, cur)
		})
	}
}

// TestMergeHTMLOnDocument is why MergeHTMLDocument exists: MergeHTML puts
// the block after </html>, where Outlook does not show it.
func TestMergeHTMLOnDocument(t *testing.T) {
	if got := MergeHTML(outlookDoc, BH); !strings.HasSuffix(got, "</HTML><br><br>"+BH) {
		t.Errorf("MergeHTML on a document: %q", got)
	}
	// Google's fragments get the same from both.
	for _, tc := range mergeHTMLTests {
		if !strings.Contains(strings.ToLower(tc.desc), "</body") && !strings.Contains(strings.ToLower(tc.desc), "</html") {
			if a, b := MergeHTML(tc.desc, BH), MergeHTMLDocument(tc.desc, BH); a != b {
				t.Errorf("%s: MergeHTMLDocument differs from MergeHTML on a fragment:\n%q\n%q", tc.name, b, a)
			}
		}
	}
}

var (
	closeBody = regexp.MustCompile(`(?i)</body(?:[^a-z0-9<>\n][^<>\n]*)?>`)
	closeHTML = regexp.MustCompile(`(?i)</html(?:[^a-z0-9<>\n][^<>\n]*)?>`)
)

// docEnd is where a block goes in d, written apart from documentEnd: the
// last </body>, else the last </html>, else -1.
func docEnd(d string) int {
	for _, re := range []*regexp.Regexp{closeBody, closeHTML} {
		if m := re.FindAllStringIndex(d, -1); len(m) > 0 {
			return m[len(m)-1][0]
		}
	}
	return -1
}

// checkDocument asserts the rules of docs/DESIGN.md, "The agenda block", for
// MergeHTMLDocument: merging b1 into d, then updating it to b2.
func checkDocument(t *testing.T, d string, b1, b2 Block) {
	t.Helper()
	r1, r2 := b1.HTML(), b2.HTML()
	got := MergeHTMLDocument(d, r1)
	if !htmlFlavour.wellFormed(got) {
		t.Fatalf("not exactly one well-formed block in\n%q\nfrom\n%q", got, d)
	}
	if e, ok := ExtractHTML(got); !ok || e != r1 {
		t.Fatalf("extract = %q, %v; want %q", e, ok, r1)
	}
	if again := MergeHTMLDocument(got, r1); again != got {
		t.Fatalf("not idempotent:\n%q\n%q", got, again)
	}
	cuts := find(htmlLines(d))
	switch at := docEnd(d); {
	case len(cuts) > 0:
		if before, after := d[:cuts[0].start], d[cuts[len(cuts)-1].end:]; !strings.HasPrefix(got, before) || !strings.HasSuffix(got, after) {
			t.Fatalf("text around the block changed:\n%q\nfrom\n%q", got, d)
		}
		if s, want := StripHTMLDocument(got), StripHTMLDocument(d); s != want {
			t.Fatalf("strip(merge(d)) = %q, strip(d) = %q", s, want)
		}
	case at < 0:
		if want := MergeHTML(d, r1); got != want {
			t.Fatalf("fragment:\n%q\nwant\n%q", got, want)
		}
	default:
		head, tail := d[:at], d[at:]
		if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, tail) || len(got) < len(head)+len(tail)+len(r1) {
			t.Fatalf("not inserted at %d, before %q:\n%q", at, tail, got)
		}
		if sep := strings.TrimSuffix(got[len(head):len(got)-len(tail)], r1); !slices.Contains([]string{"", "<br>", "<br><br>"}, sep) {
			t.Fatalf("separator %q", sep)
		}
		// Strip gives d back, but for up to two <br> before the tag.
		s, ok := StripHTMLDocument(got), false
		for range 3 {
			if s == head+tail {
				ok = true
				break
			}
			loc := trailingBR.FindStringIndex(head)
			if loc == nil {
				break
			}
			head = head[:loc[0]]
		}
		if !ok {
			t.Fatalf("strip after insert = %q from %q", StripHTMLDocument(got), d)
		}
	}
	if a, b := htmlFlavour.prose(d), htmlFlavour.prose(got); !slices.Equal(a, b) {
		t.Fatalf("user lines changed:\n%q\n%q", a, b)
	}
	direct := MergeHTMLDocument(d, r2)
	updated := MergeHTMLDocument(got, r2)
	if direct != d && updated != direct {
		t.Fatalf("update differs:\n%q\n%q", updated, direct)
	}
	if StripHTMLDocument(updated) != StripHTMLDocument(got) {
		t.Fatalf("update changed the user's text:\n%q\n%q", StripHTMLDocument(updated), StripHTMLDocument(got))
	}
	if e, ok := ExtractHTML(updated); !ok || e != r2 {
		t.Fatalf("extract after update = %q, %v; want %q", e, ok, r2)
	}
}

func FuzzMergeHTMLDocument(f *testing.F) {
	for _, tc := range mergeDocumentTests {
		f.Add(tc.desc, "bob@example.com", "write the plan", "https://docs.example.com/d/abc", uint8(1))
	}
	for _, d := range seedDescriptions() {
		f.Add("<html><body>"+d+"</body></html>", "bob@example.com", "write the plan", "https://docs.example.com/d/abc", uint8(1))
	}
	for _, d := range corpusDescriptions(f) {
		f.Add(d, "bob@example.com", "write the plan", "https://docs.example.com/d/abc", uint8(1))
	}
	for i, text := range seedTexts {
		f.Add(outlookDoc, "bob@example.com", text, text, uint8(i))
	}
	f.Add("<body>x<!-- </body> --></body>", "o", "t", "l", uint8(0))
	f.Fuzz(func(t *testing.T, d, owner, text, link string, n uint8) {
		b1, b2 := fuzzBlocks(owner, text, link, n)
		checkDocument(t, d, b1, b2)
	})
}
