package web

import (
	"bytes"
	"cmp"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/report"
)

//go:embed pages.html.tmpl
var pagesSource string

// webStyle is what the web face adds to the report's CSS (report.HTMLStyle):
// links, the week navigation, the pair page's chart and lists.
//
//go:embed web.css
var webStyle string

var pages = template.Must(template.New("pages").Parse(pagesSource))

// style is the CSS of every page: the report's, then the web face's.
func style() template.CSS { return report.HTMLStyle() + "\n" + template.CSS(webStyle) }

// pairURL returns the page of a pair, by its key "a@x|b@y".
func pairURL(pair string) string { return "/pair/" + url.PathEscape(pair) }

func weekURL(w report.Week) string { return "/?week=" + w.String() }

// render executes a page template and writes it with code.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, code, b.Bytes())
}

func writeHTML(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(body)
}

// message is a page that only says something: an error, a refusal.
type message struct {
	Style template.CSS
	Title string
	Text  string
}

func (s *Server) messagePage(w http.ResponseWriter, code int, title, text string) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "message", message{Style: style(), Title: title, Text: text}); err != nil {
		http.Error(w, title, code)
		return
	}
	writeHTML(w, code, b.Bytes())
}

// reportPage is GET /?week=: the weekly report with links to other weeks
// and to each pair's page.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request) {
	week, err := weekParam(r)
	if err != nil {
		s.messagePage(w, http.StatusBadRequest, "No such week", err.Error())
		return
	}
	in, err := s.input(r.Context(), week, true)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	rep := report.Build(in)
	// A pair's page shows its figures as of the same instant as this
	// report: the link names the week unless it is the default one.
	linkTo := pairURL
	if in.Week != report.LastFullWeek(in.Now, s.opt.Location) {
		linkTo = func(pair string) string { return pairURL(pair) + "?week=" + in.Week.String() }
	}
	var all []report.Link
	for _, p := range report.Summaries(in) {
		all = append(all, report.Link{Text: personName(p.CounterpartName, p.Counterpart), URL: linkTo(p.Pair)})
	}
	var b bytes.Buffer
	err = rep.WriteHTMLWith(&b, report.HTMLOptions{
		Style:    template.CSS(webStyle),
		Nav:      append(s.weekNav(in.Week), report.Link{Text: "all series", URL: "/series"}),
		PairURL:  linkTo,
		AllPairs: all,
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, http.StatusOK, b.Bytes())
}

// weekNav links the weeks around w: the one before, the one after (not
// past the current week), the last full week and the current one.
func (s *Server) weekNav(w report.Week) []report.Link {
	now := s.now()
	current := report.WeekOf(now, s.opt.Location)
	lastFull := report.LastFullWeek(now, s.opt.Location)
	nav := []report.Link{{Text: "← " + w.Add(-1).String(), URL: weekURL(w.Add(-1))}}
	if next := w.Add(1); !after(next, current) {
		nav = append(nav, report.Link{Text: next.String() + " →", URL: weekURL(next)})
	}
	nav = append(nav,
		report.Link{Text: "last full week", URL: "/", Current: w == lastFull},
		report.Link{Text: "this week", URL: weekURL(current), Current: w == current},
	)
	return nav
}

// after reports whether week a comes after b.
func after(a, b report.Week) bool {
	return a.Year > b.Year || (a.Year == b.Year && a.Week > b.Week)
}

func personName(name, addr string) string {
	if name == "" {
		return addr
	}
	return name + " <" + addr + ">"
}

// pairView is the pair page.
type pairView struct {
	Style        template.CSS
	Name         string // "Bob Builder <bob@example.com>"
	Pair         string
	Title        string
	Relationship string
	Cadence      string
	Source       string
	Weeks        int
	Week         string // the week whose report these figures are those of
	AsOf         string // "Mon 16 Nov 2026 00:00": the instant of every figure
	AsOfISO      string // the same, RFC 3339
	Zone         string
	OtherAsOf    report.Link // the same figures as of another instant
	Trailing     report.TrailingText
	Overdue      bool
	Ended        bool
	Next         string
	WayBack      string // the suggested make-up of a skipped 1:1; "" for none
	Chart        chart
	Occurrences  []pairOcc // upcoming ones and those of the chart's weeks, newest first
	Earlier      []pairOcc // older ones
	Actions      []pairAction
	Points       []pairPoint   // the open talking points, for the next 1:1
	Meetings     []pairMeeting // the "After" timeline: the chart's weeks' meetings, newest first
	Series       []pairSeries
	Generated    string
	HistoryCSV   string // the pair's history.csv
}

type pairOcc struct {
	Week   string
	State  string
	Times  string
	Title  string // the series' title, when the pair has several
	Change string // "moved by Bob, 3 days before"; "" when nothing changed it
}

type pairAction struct {
	Owner string
	Text  string
	When  string // "since 2026-11-12, due 2026-11-20"
	From  string // "#3", or "agenda document"
}

type pairPoint struct {
	ID     string
	Author string
	Text   string
}

// pairMeeting is one 1:1 of the "After" timeline: the talking points
// discussed in it, and the stored actions opened and closed since the one
// before it.
type pairMeeting struct {
	When    string // "Mon 2 Jan 2006 15:04"
	ISO     string
	Points  []pairPoint
	Opened  []pairAction
	Closed  []pairAction
	Nothing bool // none of the three
}

// timeline returns the meetings (starts, the pair's held 1:1s, oldest
// first) from from on, newest first, each with the points discussed in
// it (Point.Meeting) and the actions opened (Since) and closed (Done)
// after the meeting before it and up to it.
func timeline(starts []time.Time, acts []agenda.Action, points []agenda.Point, from time.Time, loc *time.Location) []pairMeeting {
	var out []pairMeeting
	for i, m := range starts {
		if m.Before(from) {
			continue
		}
		var prev time.Time
		if i > 0 {
			prev = starts[i-1]
		}
		between := func(t time.Time) bool { return !t.IsZero() && t.After(prev) && !t.After(m) }
		pm := pairMeeting{When: m.In(loc).Format("Mon 2 Jan 2006 15:04"), ISO: m.In(loc).Format(time.RFC3339)}
		for _, p := range points {
			if !p.Open() && p.Meeting.Equal(m) {
				pm.Points = append(pm.Points, pairPoint{ID: p.ID, Author: p.Author, Text: p.Text})
			}
		}
		for _, a := range acts {
			pa := pairAction{Owner: a.Owner, Text: a.Text, From: "#" + a.ID}
			if between(a.Since) {
				pa.When = "opened " + a.Since.In(loc).Format(time.DateOnly)
				pm.Opened = append(pm.Opened, pa)
			}
			if between(a.Done) {
				pa.When = "done " + a.Done.In(loc).Format(time.DateOnly)
				pm.Closed = append(pm.Closed, pa)
			}
		}
		pm.Nothing = len(pm.Points)+len(pm.Opened)+len(pm.Closed) == 0
		out = append(out, pm)
	}
	slices.Reverse(out)
	return out
}

type pairSeries struct {
	Title   string
	Details []string
}

// pairParam returns the request's {pair}, or answers 404 and returns
// false: when it is not a pair, and when the viewer may not see it
// (mayView) in the same words as a pair with no series, so that the
// answer does not tell that it exists.
func (s *Server) pairParam(w http.ResponseWriter, r *http.Request) (calendar.Pair, bool) {
	p, ok := calendar.ParsePair(r.PathValue("pair"))
	if !ok {
		s.messagePage(w, http.StatusNotFound, "No such 1:1", "A pair is written as two addresses: a@example.com|b@example.com.")
		return calendar.Pair{}, false
	}
	if !s.mayView(r.Context(), p) {
		s.messagePage(w, http.StatusNotFound, "No such 1:1", "oneonone knows no 1:1 series of "+p.String()+".")
		return calendar.Pair{}, false
	}
	return p, true
}

// pairPage is GET /pair/{pair}?week=: one pair's history, with its
// figures as they are in the report of that week (the last full week when
// absent), as of the same instant.
func (s *Server) pairPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pairParam(w, r)
	if !ok {
		return
	}
	week, err := weekParam(r)
	if err != nil {
		s.messagePage(w, http.StatusBadRequest, "No such week", err.Error())
		return
	}
	in, err := s.inputAll(r.Context(), week, false)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var series []calendar.Series
	ids := map[string]bool{}
	for _, ser := range in.Series {
		if ser.Pair == p {
			series = append(series, ser)
			ids[ser.ID] = true
		}
	}
	if len(series) == 0 {
		s.messagePage(w, http.StatusNotFound, "No such 1:1", "oneonone knows no 1:1 series of "+p.String()+".")
		return
	}
	acts := s.openActions(r.Context(), p)
	in.OpenActions = map[calendar.Pair]int{p: len(acts)}
	// The same computation as the report's, for the same week.
	sum, _ := report.PairOf(in, p)
	loc := s.opt.Location
	var occ []calendar.Occurrence
	for _, o := range in.Occurrences {
		if o.Pair == p || (o.Pair == calendar.Pair{} && ids[o.SeriesID]) {
			occ = append(occ, o)
		}
	}
	calendar.SortOccurrences(occ)
	slices.Reverse(occ)

	// Occurrences name their series when the pair's series have titles
	// that tell them apart.
	titles := map[string]string{}
	distinctTitles := false
	for _, ser := range series {
		titles[ser.ID] = ser.Title
		distinctTitles = distinctTitles || ser.Title != series[0].Title
	}
	now := s.now()
	v := pairView{
		Style:        style(),
		Name:         personName(sum.CounterpartName, sum.Counterpart),
		Pair:         sum.Pair,
		Title:        sum.Title,
		Relationship: sum.Relationship,
		Cadence:      string(sum.Cadence),
		Source:       sum.Source,
		Weeks:        sum.Trailing.Weeks,
		Week:         in.Week.String(),
		AsOf:         report.AsOfText(sum.Trailing.AsOf),
		AsOfISO:      sum.Trailing.AsOf.Format(time.RFC3339),
		Zone:         loc.String(),
		Trailing:     sum.Trailing.TextFor(cmp.Or(sum.CounterpartName, sum.Counterpart)),
		Overdue:      sum.Trailing.Overdue,
		Ended:        sum.Ended,
		Next:         "-",
		Chart:        weekChart(occ, report.WeekOf(now, loc), chartWeeks, loc),
		Generated:    now.UTC().Format("2006-01-02 15:04 UTC"),
		HistoryCSV:   pairURL(sum.Pair) + "/history.csv",
	}
	if current := report.WeekOf(now, loc); in.Week != current {
		v.OtherAsOf = report.Link{Text: "as of now", URL: pairURL(sum.Pair) + "?week=" + current.String()}
	} else {
		v.OtherAsOf = report.Link{Text: "as of the end of the last full week", URL: pairURL(sum.Pair)}
	}
	if sum.WayBack != nil {
		v.WayBack = sum.WayBack.In(loc).Text(cmp.Or(sum.CounterpartName, sum.Counterpart))
	}
	switch {
	case sum.NextStart != nil:
		v.Next = sum.NextStart.In(loc).Format("Mon 2 Jan 15:04")
	case sum.Ended:
		v.Next = "ended"
	}
	chartFrom, _ := report.WeekOf(now, loc).Add(-(chartWeeks - 1)).Range(loc)
	for _, o := range occ {
		po := pairOcc{
			Week:  report.WeekOf(o.OriginalStart, loc).String(),
			State: string(o.State),
			Times: report.Occurrence{
				OriginalStart: o.OriginalStart.In(loc), Start: o.Start.In(loc), ShiftMinutes: o.ShiftMinutes(),
			}.Times(),
			Change: report.OccurrenceOf(in, sum.PairInfo, o).ChangeText(cmp.Or(sum.CounterpartName, sum.Counterpart)),
		}
		if o.Start.IsZero() {
			po.Times = o.OriginalStart.In(loc).Format("Mon 2 Jan 15:04")
		}
		if distinctTitles {
			po.Title = titles[o.SeriesID]
		}
		if o.OriginalStart.Before(chartFrom) {
			v.Earlier = append(v.Earlier, po)
		} else {
			v.Occurrences = append(v.Occurrences, po)
		}
	}
	for _, a := range acts {
		pa := pairAction{Owner: a.Owner, Text: a.Text, From: "agenda document"}
		if a.Origin == "store" {
			pa.From = "#" + a.ID
		}
		var when []string
		if !a.Since.IsZero() {
			when = append(when, "since "+a.Since.In(loc).Format(time.DateOnly))
		}
		if !a.Due.IsZero() {
			when = append(when, "due "+a.Due.In(loc).Format(time.DateOnly))
		}
		pa.When = strings.Join(when, ", ")
		v.Actions = append(v.Actions, pa)
	}
	if err := s.pairTimeline(&v, p, now, chartFrom); err != nil {
		s.internalError(w, r, err)
		return
	}
	slices.SortStableFunc(series, func(a, b calendar.Series) int {
		return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(a.ID, b.ID))
	})
	for _, ser := range series {
		d := []string{string(ser.Cadence), "from " + ser.Start.In(loc).Format("Mon 2 Jan 2006 15:04")}
		if !ser.Until.IsZero() {
			d = append(d, "until "+ser.Until.In(loc).Format("2 Jan 2006"))
		}
		if !ser.Deleted.IsZero() {
			d = append(d, "deleted "+ser.Deleted.In(loc).Format("2 Jan 2006"))
		}
		d = append(d, ser.Source+" ("+ser.Calendar+")")
		if ser.RRule != "" {
			d = append(d, ser.RRule)
		}
		v.Series = append(v.Series, pairSeries{Title: ser.Title, Details: d})
	}
	s.render(w, r, http.StatusOK, "pair", v)
}

// pairTimeline fills the pair page's open talking points and its "After"
// timeline from the store: the pair's held 1:1s since from, its stored
// actions and its talking points.
func (s *Server) pairTimeline(v *pairView, p calendar.Pair, now, from time.Time) error {
	starts, err := agenda.BegunStarts(s.opt.Store, p, from, now)
	if err != nil {
		return err
	}
	acts, err := s.opt.Store.Actions(p)
	if err != nil {
		return err
	}
	points, err := s.opt.Store.Points(p)
	if err != nil {
		return err
	}
	for _, pt := range agenda.OpenPoints(points) {
		v.Points = append(v.Points, pairPoint{ID: pt.ID, Author: pt.Author, Text: pt.Text})
	}
	v.Meetings = timeline(starts, acts, points, from, s.opt.Location)
	return nil
}
