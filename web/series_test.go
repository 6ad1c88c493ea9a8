package web_test

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"mime"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
)

// seriesKeys says, for each ?sort= column of /series, what the test
// expects pairs to be ordered by, ascending: a string, or numbers compared
// in turn (missing values as +Inf).
var seriesKeys = map[string]func(p report.PairSummary) any{
	"counterpart":  func(p report.PairSummary) any { return p.Counterpart },
	"title":        func(p report.PairSummary) any { return p.Title },
	"cadence":      func(p report.PairSummary) any { return string(p.Cadence) },
	"relationship": func(p report.PairSummary) any { return p.Relationship },
	"source":       func(p report.PairSummary) any { return p.Source },
	"kept":         func(p report.PairSummary) any { return []float64{p.Trailing.Consistency, float64(p.Trailing.Kept)} },
	"on_time":      func(p report.PairSummary) any { return []float64{p.Trailing.OnTime} },
	"streak":       func(p report.PairSummary) any { return []float64{float64(p.Trailing.Streak)} },
	"last": func(p report.PairSummary) any {
		if p.Trailing.DaysSinceLast == nil {
			return []float64{1e18}
		}
		return []float64{float64(*p.Trailing.DaysSinceLast)}
	},
	"next": func(p report.PairSummary) any {
		if p.NextStart == nil {
			return []float64{1e18}
		}
		return []float64{float64(p.NextStart.Unix())}
	},
	"overdue": func(p report.PairSummary) any {
		if p.Trailing.Overdue {
			return []float64{1}
		}
		return []float64{0}
	},
	"actions": func(p report.PairSummary) any { return []float64{float64(p.OpenActions)} },
}

func compareKeys(a, b any) int {
	if s, ok := a.(string); ok {
		return cmp.Compare(s, b.(string))
	}
	return slices.Compare(a.([]float64), b.([]float64))
}

var (
	seriesRowLink = regexp.MustCompile(`<tr[^>]*>\s*<td><a href="([^"]+)">`)
	seriesHeading = regexp.MustCompile(`<th scope="col"( aria-sort="(ascending|descending)")?><a href="([^"]+)">`)
)

// seriesOrder returns the pair pages the rows of a /series page link to,
// in order.
func seriesOrder(body string) []string {
	_, tbody, _ := strings.Cut(body, "<tbody>")
	var out []string
	for _, m := range seriesRowLink.FindAllStringSubmatch(tbody, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestSeriesPageSortsByEveryColumn(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	sums := report.Summaries(f.input(report.Week{}))
	if len(sums) < 3 {
		t.Fatalf("the seed has %d pairs", len(sums))
	}
	orders := map[string]bool{}
	for key, by := range seriesKeys {
		for _, dir := range []string{"asc", "desc"} {
			path := "/series?sort=" + key + "&dir=" + dir
			r := f.get(path)
			wantCode(t, path, r, 200)
			want := slices.Clone(sums)
			slices.SortStableFunc(want, func(a, b report.PairSummary) int {
				if dir == "desc" {
					a, b = b, a
				}
				return compareKeys(by(a), by(b))
			})
			var wantOrder []string
			for _, p := range want {
				wantOrder = append(wantOrder, pairPath(p.Counterpart))
			}
			got := seriesOrder(r.Body)
			if !slices.Equal(got, wantOrder) {
				t.Errorf("%s: rows\n%q\nwant\n%q", path, got, wantOrder)
			}
			orders[strings.Join(got, " ")] = true
			// The sorted column says so, and its link turns the order.
			heads := seriesHeading.FindAllStringSubmatch(r.Body, -1)
			if len(heads) != len(seriesKeys) {
				t.Fatalf("%s: %d sortable headings, want %d", path, len(heads), len(seriesKeys))
			}
			sorted := 0
			for _, h := range heads {
				href := strings.ReplaceAll(h[3], "&amp;", "&")
				if h[2] == "" {
					if !strings.HasSuffix(href, "&dir=asc") {
						t.Errorf("%s: an unsorted column links to %s", path, href)
					}
					continue
				}
				sorted++
				wantSort, next := "ascending", "desc"
				if dir == "desc" {
					wantSort, next = "descending", "asc"
				}
				if h[2] != wantSort || href != "/series?sort="+key+"&dir="+next {
					t.Errorf("%s: the sorted heading has aria-sort %q and links to %s", path, h[2], href)
				}
			}
			if sorted != 1 {
				t.Errorf("%s: %d headings with aria-sort", path, sorted)
			}
		}
	}
	if len(orders) < 4 {
		t.Errorf("only %d distinct orders over all the columns: the seed does not tell the sorts apart", len(orders))
	}
}

func TestSeriesPage(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := f.get("/series")
	wantCode(t, "GET /series", r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if strings.Contains(r.Body, scriptBit) {
		t.Error("a title is not escaped")
	}
	if !strings.Contains(r.Body, `<th scope="col" aria-sort="ascending"><a href="/series?sort=counterpart&amp;dir=desc">`) {
		t.Error("by default the table is not sorted by counterpart, ascending")
	}
	// Every pair is there with the figures of "oneonone series", and links
	// to its page and its history.
	sums := report.Summaries(f.input(report.Week{}))
	rows := strings.Split(strings.SplitN(r.Body, "<tbody>", 2)[1], "<tr")[1:]
	if len(rows) != len(sums) {
		t.Fatalf("%d rows, want %d", len(rows), len(sums))
	}
	for i, p := range sums {
		row := rows[i]
		tt := p.Trailing.Text()
		for _, want := range []string{
			`<a href="` + pairPath(p.Counterpart) + `">`,
			`<a href="` + pairPath(p.Counterpart) + `/history.csv" download>`,
			"<td class=\"num\">" + tt.Consistency + "</td>",
			"<td class=\"num\">" + tt.Streak + "</td>",
			"<td class=\"nowrap\">" + tt.Last + "</td>",
			fmt.Sprintf("<td class=\"num\">%d</td>", p.OpenActions),
		} {
			if !strings.Contains(row, want) {
				t.Errorf("row of %s lacks %q:\n%s", p.Counterpart, want, row)
			}
		}
	}
	// Bad parameters are refused.
	for _, q := range []string{"?sort=nope", "?dir=up"} {
		wantCode(t, "/series"+q, f.get("/series"+q), 400)
	}
	// The report's header links here.
	rep := f.get("/")
	head, _, _ := strings.Cut(rep.Body, "</header>")
	if !strings.Contains(head, `href="/series"`) {
		t.Errorf("the report's header does not link to /series:\n%s", head)
	}
}

func TestPairHistoryCSV(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	path := pairPath(bobAddr) + "/history.csv"
	r := f.get(path)
	wantCode(t, path, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	disp, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "history-bob_example.com.csv" {
		t.Errorf("Content-Disposition = %q (%v)", r.Header.Get("Content-Disposition"), err)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, r.Body)
	}
	if !slices.Equal(recs[0], report.HistoryCSVHeader) {
		t.Fatalf("header %q", recs[0])
	}
	// One row per stored occurrence of the pair, in the order and with
	// the fields of report.PairHistory.
	rows, ok := report.PairHistory(f.input(report.Week{}), bobPair())
	if !ok || len(recs)-1 != len(rows) || len(rows) < 10 {
		t.Fatalf("%d records for %d occurrences (%v)", len(recs)-1, len(rows), ok)
	}
	for i, row := range rows {
		rec := recs[i+1]
		want := []string{row.SeriesID, row.Title, row.OriginalStart.Format(time.RFC3339), row.Start.Format(time.RFC3339), string(row.State), fmt.Sprint(row.ShiftMinutes), row.MadeUpBy}
		if !slices.Equal(rec[:len(want)], want) {
			t.Errorf("record %d = %q, want %q", i+1, rec, want)
		}
	}
	// The seed's states are there, at their original starts, and the title
	// is as written (CSV is not HTML).
	byStart := map[string][]string{}
	for _, rec := range recs[1:] {
		byStart[rec[2]] = rec
		if rec[1] != hostile {
			t.Errorf("title %q, want %q", rec[1], hostile)
		}
	}
	n := 0
	for _, e := range f.team.Expect {
		if e.Counterpart != bobAddr {
			continue
		}
		n++
		rec, ok := byStart[e.OriginalStart.In(berlin).Format(time.RFC3339)]
		if !ok || rec[4] != string(e.State) {
			t.Errorf("%s %s (%s): record %q", e.OriginalStart, e.State, e.Why, rec)
		}
	}
	if n == 0 {
		t.Fatal("the seed expects nothing of bob")
	}
	// A pair with no series, and one that is no pair.
	nobody := "/pair/" + strings.ReplaceAll(calendar.NewPair(me, "nobody@example.com").String(), "|", "%7C") + "/history.csv"
	wantCode(t, nobody, f.get(nobody), 404)
	wantCode(t, "no pair", f.get("/pair/nopair/history.csv"), 404)
	// The pair page links to it.
	if p := f.get(pairPath(bobAddr)); !strings.Contains(p.Body, `href="`+path+`"`) {
		t.Error("the pair page does not link to its history.csv")
	}
}
