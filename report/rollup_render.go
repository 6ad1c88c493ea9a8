package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

//go:embed rollup.html.tmpl
var rollupSource string

// rollupTemplate shares the report's "style".
var rollupTemplate = template.Must(template.Must(template.New("report").Parse(htmlSource)).New("rollup").Parse(rollupSource))

// WriteRollup renders r to w in format: "text", "markdown", "html" or
// "json" (Formats).
func WriteRollup(w io.Writer, r *Rollup, format string) error { return write(w, r, format) }

// WriteJSON writes r as indented JSON with a trailing newline
// (docs/DESIGN.md, "The roll-up").
func (r *Rollup) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write roll-up json: %w", err)
	}
	return nil
}

// rollupView is the roll-up as the text, Markdown and HTML renderers show
// it.
type rollupView struct {
	Week      string
	Dates     string
	Timezone  string
	Generated string
	AsOf      string
	Weeks     int
	People    []personView
	Stale     []staleView
	Extra     HTMLOptions // Style and Nav only
}

type personView struct {
	Person      string
	Pairs       string
	Consistency string // "86% (50/58)"; "-" when nothing was due
	OnTime      string // "76%"; "-"
	Overdue     int
	Trend       string // "down 7 pts (from 93%)", "flat", "up 3 pts (from 80%)", "-"
	Direction   string // Trend.Direction
	Nothing     bool   // nothing due
}

func (r *Rollup) view() rollupView {
	v := rollupView{
		Week:      r.Week.String(),
		Dates:     dateRange(r.From, r.To),
		Timezone:  r.Timezone,
		Generated: r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		AsOf:      AsOfText(r.AsOf),
		Weeks:     r.TrailingWeeks,
	}
	for _, st := range r.Stale {
		sv := staleView{Name: clean(st.Name), Since: "never", Error: truncate(strings.TrimSpace(clean(st.Error)), maxError)}
		if st.Since != nil {
			sv.Since = AsOfText(*st.Since)
		}
		v.Stale = append(v.Stale, sv)
	}
	for _, p := range r.People {
		pv := personView{
			Person: clean(p.Person), Pairs: strconv.Itoa(p.Pairs), Overdue: p.Overdue,
			Consistency: "-", OnTime: "-", Trend: p.Trend.Text(), Direction: p.Trend.Direction, Nothing: p.Due == 0,
		}
		if p.Due > 0 {
			pv.Consistency = fmt.Sprintf("%d%% (%d/%d)", percent(p.Consistency), p.Kept, p.Due)
			pv.OnTime = fmt.Sprintf("%d%%", percent(p.OnTime))
		}
		v.People = append(v.People, pv)
	}
	return v
}

// Text returns the trend as the reports show it: "down 7 pts (from
// 93%)", "up 3 pts (from 80%)", "flat (93%)", "-" when there is none.
func (t Trend) Text() string {
	if t.Delta == nil || t.Previous == nil {
		return "-"
	}
	pts := percent(abs64(*t.Delta))
	switch t.Direction {
	case TrendUp:
		return fmt.Sprintf("up %d pts (from %d%%)", pts, percent(*t.Previous))
	case TrendDown:
		return fmt.Sprintf("down %d pts (from %d%%)", pts, percent(*t.Previous))
	}
	return fmt.Sprintf("flat (%d%%)", percent(*t.Previous))
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// RollupNote says what the roll-up leaves out, in every format.
const RollupNote = "Figures per person only: no counterpart, agenda, action or talking point is shown."

// WriteText writes r for a terminal: one aligned line per person.
func (r *Rollup) WriteText(w io.Writer) error {
	v := r.view()
	var b bytes.Buffer
	fmt.Fprintf(&b, "1:1 roll-up %s: %s (%s)\n", v.Week, v.Dates, clean(v.Timezone))
	fmt.Fprintf(&b, "generated %s, over %d weeks", v.Generated, v.Weeks)
	if v.AsOf != "" {
		fmt.Fprintf(&b, " as of %s", v.AsOf)
	}
	b.WriteString("\n" + RollupNote + "\n\n")
	if len(v.Stale) > 0 {
		b.WriteString(StaleHeading + "\n")
		for _, s := range v.Stale {
			fmt.Fprintf(&b, "  STALE %s\n", s.Text())
		}
		b.WriteString("\n")
	}
	if len(v.People) == 0 {
		b.WriteString("Nobody to show: identity.me is empty.\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "PERSON\tPAIRS\tKEPT\tON TIME\tOVERDUE\tTREND")
		for _, p := range v.People {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", p.Person, p.Pairs, p.Consistency, p.OnTime, p.Overdue, p.Trend)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := w.Write(trimTrailingSpace(b.Bytes()))
	return err
}

// WriteMarkdown writes r as a Markdown page (one table).
func (r *Rollup) WriteMarkdown(w io.Writer) error {
	v := r.view()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# 1:1 roll-up %s\n\n", v.Week)
	fmt.Fprintf(&b, "%s · %s · generated %s", v.Dates, md(v.Timezone), v.Generated)
	if v.AsOf != "" {
		fmt.Fprintf(&b, " · figures as of %s", v.AsOf)
	}
	b.WriteString("\n\n" + RollupNote + "\n\n")
	if len(v.Stale) > 0 {
		b.WriteString("> **" + StaleHeading + "**\n>\n")
		for _, s := range v.Stale {
			fmt.Fprintf(&b, "> - **stale** %s\n", md(s.Text()))
		}
		b.WriteString("\n")
	}
	if len(v.People) == 0 {
		b.WriteString("Nobody to show: identity.me is empty.\n")
	} else {
		fmt.Fprintf(&b, "| Person | Pairs | Kept (%d weeks) | On time | Overdue | Trend |\n", v.Weeks)
		b.WriteString("|---|---|---|---|---|---|\n")
		for _, p := range v.People {
			overdue := strconv.Itoa(p.Overdue)
			if p.Overdue > 0 {
				overdue = "**" + overdue + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", md(p.Person), p.Pairs, p.Consistency, p.OnTime, overdue, p.Trend)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteHTML writes r as one self-contained HTML page in the report's
// design: inline CSS, no scripts; all text is escaped.
func (r *Rollup) WriteHTML(w io.Writer) error { return r.WriteHTMLWith(w, HTMLOptions{}) }

// WriteHTMLWith is WriteHTML with what a host page adds: opt.Style and
// opt.Nav (the others are not used).
func (r *Rollup) WriteHTMLWith(w io.Writer, opt HTMLOptions) error {
	v := r.view()
	v.Extra = HTMLOptions{Style: opt.Style, Nav: opt.Nav}
	var b bytes.Buffer
	if err := rollupTemplate.Execute(&b, v); err != nil {
		return fmt.Errorf("render roll-up html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (rollupView) StaleHeading() string { return StaleHeading }

func (rollupView) Note() string { return RollupNote }
