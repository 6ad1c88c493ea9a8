package web

import (
	"bytes"
	"cmp"
	_ "embed"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"oneonone/agenda"
	"slices"
	"strconv"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/report"
)

//go:embed series.html.tmpl
var seriesSource string

// seriesTemplate is the /series page; it shares the pages' "head".
var seriesTemplate = template.Must(template.Must(pages.Clone()).Parse(seriesSource))

// seriesColumn is a column of the /series table: its ?sort= key, its
// heading, and how two pairs compare by it, ascending.
type seriesColumn struct {
	Key     string
	Heading string
	Compare func(a, b report.PairSummary) int
}

// seriesColumns are the columns of the /series table, those of "oneonone
// series". Ties keep the order of report.Summaries (by counterpart, then
// pair). A pair that never kept one has been waiting longest; one with no
// next occurrence has it furthest away.
var seriesColumns = []seriesColumn{
	{"counterpart", "Counterpart", func(a, b report.PairSummary) int { return cmp.Compare(a.Counterpart, b.Counterpart) }},
	{"title", "Title", func(a, b report.PairSummary) int { return cmp.Compare(a.Title, b.Title) }},
	{"cadence", "Cadence", func(a, b report.PairSummary) int { return cmp.Compare(a.Cadence, b.Cadence) }},
	{"relationship", "Relationship", func(a, b report.PairSummary) int { return cmp.Compare(a.Relationship, b.Relationship) }},
	{"source", "Source", func(a, b report.PairSummary) int { return cmp.Compare(a.Source, b.Source) }},
	{"kept", "Kept", func(a, b report.PairSummary) int {
		return cmp.Or(cmp.Compare(a.Trailing.Consistency, b.Trailing.Consistency), cmp.Compare(a.Trailing.Kept, b.Trailing.Kept))
	}},
	{"on_time", "On time", func(a, b report.PairSummary) int { return cmp.Compare(a.Trailing.OnTime, b.Trailing.OnTime) }},
	{"streak", "Streak", func(a, b report.PairSummary) int { return cmp.Compare(a.Trailing.Streak, b.Trailing.Streak) }},
	{"last", "Last kept", func(a, b report.PairSummary) int {
		return compareMissingLast(a.Trailing.DaysSinceLast, b.Trailing.DaysSinceLast, func(x, y *int) int { return cmp.Compare(*x, *y) })
	}},
	{"next", "Next", func(a, b report.PairSummary) int {
		return compareMissingLast(a.NextStart, b.NextStart, func(x, y *time.Time) int { return x.Compare(*y) })
	}},
	{"overdue", "Overdue", func(a, b report.PairSummary) int { return compareBool(a.Trailing.Overdue, b.Trailing.Overdue) }},
	{"actions", "Actions", func(a, b report.PairSummary) int { return cmp.Compare(a.OpenActions, b.OpenActions) }},
}

// compareMissingLast compares two optional values; a nil one is the
// greatest.
func compareMissingLast[T any](a, b *T, c func(x, y *T) int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return c(a, b)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// sortSummaries orders sums by the column key, ascending or descending,
// stably. false when there is no such column.
func sortSummaries(sums []report.PairSummary, key string, desc bool) bool {
	i := slices.IndexFunc(seriesColumns, func(c seriesColumn) bool { return c.Key == key })
	if i < 0 {
		return false
	}
	c := seriesColumns[i].Compare
	slices.SortStableFunc(sums, func(a, b report.PairSummary) int {
		if desc {
			return c(b, a)
		}
		return c(a, b)
	})
	return true
}

// seriesView is the /series page.
type seriesView struct {
	Style     template.CSS
	Weeks     int
	AsOf      string
	AsOfISO   string
	Zone      string
	Headers   []seriesHeader
	Rows      []seriesRow
	Generated string
}

// seriesHeader is a column heading: a link that sorts by it (ascending,
// or descending when it is the ascending column already), and its
// aria-sort when the table is sorted by it.
type seriesHeader struct {
	Text     string
	URL      string
	AriaSort string // "ascending", "descending", or ""
	Arrow    string
}

type seriesRow struct {
	Name         string
	URL          string // the pair page
	CSV          string // the pair's history.csv
	Title        string
	Cadence      string
	Relationship string
	Source       string
	Trailing     report.TrailingText
	Next         string
	Overdue      bool
	Actions      int
}

// seriesPage is GET /series?sort=COLUMN&dir=asc|desc: every pair with a
// series and the figures of "oneonone series" (report.Summaries), sorted
// on the server so that the links sort without a script.
func (s *Server) seriesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, dir := cmp.Or(q.Get("sort"), "counterpart"), cmp.Or(q.Get("dir"), "asc")
	if dir != "asc" && dir != "desc" {
		s.messagePage(w, http.StatusBadRequest, "No such order", "dir is asc or desc.")
		return
	}
	in, err := s.input(r.Context(), report.Week{}, true)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	sums := report.Summaries(in)
	if !sortSummaries(sums, key, dir == "desc") {
		keys := make([]string, len(seriesColumns))
		for i, c := range seriesColumns {
			keys[i] = c.Key
		}
		s.messagePage(w, http.StatusBadRequest, "No such column", "sort is one of "+strings.Join(keys, ", ")+".")
		return
	}
	loc := s.opt.Location
	now := s.now()
	v := seriesView{
		Style:     style(),
		Weeks:     in.TrailingWeeks,
		Zone:      loc.String(),
		Generated: now.UTC().Format("2006-01-02 15:04 UTC"),
	}
	if v.Weeks <= 0 {
		v.Weeks = report.DefaultTrailingWeeks
	}
	if len(sums) > 0 {
		v.Weeks = sums[0].Trailing.Weeks
		v.AsOf = report.AsOfText(sums[0].Trailing.AsOf)
		v.AsOfISO = sums[0].Trailing.AsOf.Format(time.RFC3339)
	}
	for _, c := range seriesColumns {
		h := seriesHeader{Text: c.Heading, URL: seriesURL(c.Key, "asc")}
		if c.Key == key {
			if dir == "asc" {
				h.AriaSort, h.Arrow, h.URL = "ascending", "▲", seriesURL(c.Key, "desc")
			} else {
				h.AriaSort, h.Arrow = "descending", "▼"
			}
		}
		if c.Key == "kept" {
			h.Text += " (" + strconv.Itoa(v.Weeks) + "w)"
		}
		v.Headers = append(v.Headers, h)
	}
	for _, p := range sums {
		row := seriesRow{
			Name:         personName(p.CounterpartName, p.Counterpart),
			URL:          pairURL(p.Pair),
			CSV:          pairURL(p.Pair) + "/history.csv",
			Title:        p.Title,
			Cadence:      string(p.Cadence),
			Relationship: p.Relationship,
			Source:       p.Source,
			Trailing:     p.Trailing.TextFor(cmp.Or(p.CounterpartName, p.Counterpart)),
			Next:         "-",
			Overdue:      p.Trailing.Overdue,
			Actions:      p.OpenActions,
		}
		switch {
		case p.NextStart != nil:
			row.Next = p.NextStart.In(loc).Format("Mon 2 Jan 15:04")
		case p.Ended:
			row.Next = "ended"
		}
		v.Rows = append(v.Rows, row)
	}
	var b bytes.Buffer
	if err := seriesTemplate.ExecuteTemplate(&b, "series", v); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, http.StatusOK, b.Bytes())
}

func seriesURL(key, dir string) string {
	return "/series?sort=" + url.QueryEscape(key) + "&dir=" + dir
}

// pairHistoryCSV is GET /pair/{pair}/history.csv: every known occurrence
// of the pair (report.PairHistory), one CSV row each, as a download.
func (s *Server) pairHistoryCSV(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pairParam(w, r)
	if !ok {
		return
	}
	in, err := s.inputAll(r.Context(), report.Week{}, false)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	rows, ok := report.PairHistory(in, p)
	if !ok {
		s.messagePage(w, http.StatusNotFound, "No such 1:1", "oneonone knows no 1:1 series of "+p.String()+".")
		return
	}
	var b bytes.Buffer
	if err := report.WriteHistoryCSV(&b, rows); err != nil {
		s.internalError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": historyFilename(p, s.me(r.Context()))}))
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// historyFilename is "history-bob_example.com.csv": the counterpart's
// address (the other half of the pair when neither is identity.me), with
// every byte that is not a letter, digit, dot or hyphen as "_".
func historyFilename(p calendar.Pair, me []string) string {
	who := p.String()
	for _, m := range me {
		if m := calendar.NormalizeEmail(m); m == p.A {
			who = p.B
			break
		} else if m == p.B {
			who = p.A
			break
		}
	}
	safe := []byte(who)
	for i, c := range safe {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			safe[i] = '_'
		}
	}
	return "history-" + string(safe) + ".csv"
}

// apiHistory is GET /api/history?with=EMAIL&format=json|csv|text: every
// occurrence of the pair of the user and EMAIL (report.PairHistory), as
// `oneonone history` prints it; JSON by default.
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "text" {
		writeFieldError(w, "format", "want json, csv or text")
		return
	}
	with := r.URL.Query().Get("with")
	me := s.me(r.Context())
	if _, err := agenda.PairWith(me, with); err != nil {
		s.actionError(w, r, err)
		return
	}
	in, err := s.inputAll(r.Context(), report.Week{}, false)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	rows, ok := report.PairHistoryWith(in, me, with)
	if !ok {
		writeError(w, http.StatusNotFound, "no 1:1 series with "+calendar.NormalizeEmail(with))
		return
	}
	var b bytes.Buffer
	if err := report.WriteHistory(&b, rows, format); err != nil {
		s.internalError(w, r, err)
		return
	}
	switch format {
	case "json":
		w.Header().Set("Content-Type", "application/json")
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Write(b.Bytes())
}
