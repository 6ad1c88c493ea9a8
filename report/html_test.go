package report

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

func TestWriteHTMLWith(t *testing.T) {
	r := Build(goldenInput())
	var plain, zero bytes.Buffer
	if err := r.WriteHTML(&plain); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTMLWith(&zero, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if plain.String() != zero.String() {
		t.Fatalf("WriteHTMLWith with no options differs from WriteHTML")
	}

	var b bytes.Buffer
	err := r.WriteHTMLWith(&b, HTMLOptions{
		Style:    "nav.weeks { gap: 1rem; }",
		Nav:      []Link{{Text: "← 2026-W46", URL: "/?week=2026-W46"}, {Text: "last full week", URL: "/", Current: true}},
		PairURL:  func(pair string) string { return "/pair/" + url.PathEscape(pair) },
		AllPairs: []Link{{Text: `Erin <erin@example.com> "&"`, URL: "/pair/x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"}\nnav.weeks { gap: 1rem; }\n</style>",
		`<nav class="weeks" aria-label="weeks">` + "\n" + `<a href="/?week=2026-W46">← 2026-W46</a>` + "\n" + `<a href="/" aria-current="page">last full week</a>` + "\n</nav>\n</header>",
		`<h2><a href="/pair/anna@example.com%7Cbob@example.com">Bob Builder &lt;bob@example.com&gt;</a></h2>`,
		`<h2><a href="/pair/anna@example.com%7Cfrank@example.com">frank@example.com</a><span class="flag">overdue</span></h2>`,
		`<h2>All 1:1s</h2>`,
		`<li><a href="/pair/x">Erin &lt;erin@example.com&gt; &#34;&amp;&#34;</a></li>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Count(page, "<style>") != 1 || !strings.Contains(page, string(HTMLStyle())) {
		t.Errorf("the page does not carry HTMLStyle once")
	}
	// A URL that is not safe is not linked as given.
	b.Reset()
	if err := r.WriteHTMLWith(&b, HTMLOptions{PairURL: func(string) string { return "javascript:alert(1)" }}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "javascript:") {
		t.Errorf("a javascript: URL got through")
	}
}

func TestHTMLStyle(t *testing.T) {
	css := string(HTMLStyle())
	if !strings.HasPrefix(css, "body {") || !strings.HasSuffix(css, "}") || !strings.Contains(css, "@media print") {
		t.Errorf("HTMLStyle = %.80q…", css)
	}
}

func TestTextHelpers(t *testing.T) {
	r := Build(goldenInput())
	bob := r.Pairs[0]
	for _, p := range r.Pairs {
		if p.Counterpart == "bob@example.com" {
			bob = p
		}
	}
	if got := bob.Occurrences[0].Times(); got != "Tue 17 Nov 10:00 → Thu 19 Nov 10:00 (+2d)" {
		t.Errorf("Times = %q", got)
	}
	tt := bob.Trailing.TextFor("Bob Builder")
	want := TrailingText{
		Consistency: "83% (10/12)", OnTime: "67%", Streak: "4", Last: "4 days ago", MeanShift: "1d10h",
		Changes: "0 late; median notice 2 days; by you 1, by Bob Builder 1",
		Late:    "0", MedianNotice: "2 days", ChangedBy: "you 1, Bob Builder 1",
	}
	if tt != want {
		t.Errorf("TextFor = %+v\nwant %+v", tt, want)
	}
	if got := bob.Trailing.Text().ChangedBy; got != "you 1, the counterpart 1" {
		t.Errorf("Text().ChangedBy = %q", got)
	}
	if got := (Trailing{}).Text(); got.Consistency != "-" || got.Last != "never" || got.MeanShift != "-" {
		t.Errorf("empty Text = %+v", got)
	}
}
