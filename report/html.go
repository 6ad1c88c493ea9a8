package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlStyle is the report's CSS, for the pages that should look like it.
var htmlStyle = func() template.CSS {
	var b bytes.Buffer
	if err := htmlTemplate.ExecuteTemplate(&b, "style", nil); err != nil {
		panic(err)
	}
	return template.CSS(b.String())
}()

// HTMLStyle returns the CSS of the HTML report, so that other pages (the web
// face's) share its design.
func HTMLStyle() template.CSS { return htmlStyle }

// Link is a link the HTML report shows.
type Link struct {
	Text    string
	URL     string
	Current bool // the page itself (aria-current)
}

// HTMLOptions is what a host page (the web face) adds to the HTML report.
// The zero value adds nothing: WriteHTML's page.
type HTMLOptions struct {
	// Style is CSS added after the report's own.
	Style template.CSS
	// Nav is shown under the heading (other weeks).
	Nav []Link
	// PairURL, when set, returns the URL each pair's heading links to; its
	// argument is the pair key (PairReport.Pair).
	PairURL func(pair string) string
	// AllPairs is shown after the report, headed "All 1:1s".
	AllPairs []Link
}

// WriteHTML writes r as one self-contained HTML page: inline CSS, no
// scripts, readable on a phone and printable. Skipped, postponed and
// declined occurrences and overdue pairs stand out; all text is escaped.
func (r *Report) WriteHTML(w io.Writer) error {
	return r.WriteHTMLWith(w, HTMLOptions{})
}

// WriteHTMLWith writes the page of WriteHTML with what opt adds.
func (r *Report) WriteHTMLWith(w io.Writer, opt HTMLOptions) error {
	v := r.view()
	v.Extra = opt
	if opt.PairURL != nil {
		for i := range v.Pairs {
			v.Pairs[i].URL = opt.PairURL(v.Pairs[i].Pair)
		}
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, v); err != nil {
		return fmt.Errorf("render report html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
