package web_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
)

// TestPairPageAndAPIShowChanges: an occurrence whose fate changed, as
// history records it, shows its change on the pair page and in the API's
// report, with the window's change figures.
func TestPairPageAndAPIShowChanges(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	series, err := f.store.Series()
	if err != nil {
		t.Fatal(err)
	}
	week := report.LastFullWeek(f.now, berlin)
	from, to := week.Range(berlin)
	var bob calendar.Series
	var occ []calendar.Occurrence
	target := -1
	for _, s := range series {
		if s.Pair != bobPair() {
			continue
		}
		all, err := f.store.Occurrences(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range all {
			if !o.OriginalStart.Before(from) && o.OriginalStart.Before(to) && o.State != calendar.StateUpcoming {
				bob, occ, target = s, all, i
			}
		}
	}
	if target < 0 {
		t.Fatal("no occurrence of Bob's in the last full week")
	}
	// Only this occurrence of the pair changed, as far as the pages know:
	// the others' changes (the fixture's calendar has some) are cleared.
	for i := range occ {
		occ[i].ChangedAt, occ[i].ChangeSeen, occ[i].ChangedBy, occ[i].Estimated = time.Time{}, time.Time{}, "", false
	}
	o := &occ[target]
	o.ChangedAt = o.OriginalStart.Add(-3 * time.Hour)
	o.ChangedBy = me
	o.Estimated = true
	if err := f.store.SaveHistory(bob.Source, []calendar.Series{bob}, occ); err != nil {
		t.Fatal(err)
	}
	back, err := f.store.Occurrences(bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(back, func(b calendar.Occurrence) bool { return b.OriginalStart.Equal(o.OriginalStart) }); i < 0 || back[i].ChangedAt.IsZero() {
		t.Fatal("the store did not keep the occurrence's change")
	}
	verb := map[calendar.State]string{
		calendar.StateSkipped: "cancelled", calendar.StatePostponed: "moved", calendar.StateAdvanced: "moved",
		calendar.StateDeclined: "declined", calendar.StateHeld: "restored",
	}[o.State]
	phrase := verb + " by you, 3 h before (estimated)"

	page := f.get(pairPath(bobAddr))
	wantCode(t, "pair page", page, 200)
	for _, w := range []string{`<span class="change">` + phrase + `</span>`, "<dt>Late changes</dt><dd>1</dd>", "<dt>Median notice</dt><dd>3 h</dd>", "<dt>Changed by</dt><dd>you 1, "} {
		if !strings.Contains(page.Body, w) {
			t.Errorf("pair page lacks %q", w)
		}
	}
	r := f.get("/api/report")
	wantCode(t, "/api/report", r, 200)
	for _, w := range []string{`"notice_hours": 3,`, `"changed_by": "me",`, `"estimated": true`, `"late_changes": 1,`, `"median_notice_hours": 3,`, `"changes_by_me": 1,`} {
		if !strings.Contains(r.Body, w) {
			t.Errorf("/api/report lacks %s", w)
		}
	}
	html := f.get("/")
	if !strings.Contains(html.Body, phrase) {
		t.Errorf("the web report lacks %q", phrase)
	}
}
