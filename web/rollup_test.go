package web_test

import (
	"net/http"
	"strings"
	"testing"

	"oneonone/report"
)

type designRollup struct {
	Week   string `json:"week"`
	AsOf   string `json:"as_of"`
	People []struct {
		Person      string  `json:"person"`
		Pairs       int     `json:"pairs"`
		Due         int     `json:"due"`
		Kept        int     `json:"kept"`
		Consistency float64 `json:"consistency"`
		Overdue     int     `json:"overdue"`
		Trend       struct {
			Direction string `json:"direction"`
		} `json:"trend"`
	} `json:"people"`
}

// TestRollupAPI: /api/rollup's figures for me are the sums of the pairs'
// figures that /api/series gives (the same window, as of the same instant:
// the current week, as of now); no format of it, nor /rollup, shows a
// counterpart or a title; a bad week or format is a 400 naming it.
func TestRollupAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	type summary struct {
		Counterpart string `json:"counterpart"`
		Title       string `json:"title"`
		Ended       bool   `json:"ended"`
		Trailing    struct {
			Due, Kept int
			Overdue   bool
		} `json:"trailing"`
	}
	sums := decode[[]summary](t, f.get("/api/series"))
	if len(sums) == 0 {
		t.Fatal("the demo team has no pairs: the test checks nothing")
	}
	week := report.WeekOf(f.clock.Now(), berlin).String()
	r := f.get("/api/rollup?week=" + week)
	wantCode(t, "GET /api/rollup", r, http.StatusOK)
	ru := decode[designRollup](t, r)
	if ru.Week != week {
		t.Errorf("roll-up of %s, want %s", ru.Week, week)
	}
	if len(ru.People) != 1 || ru.People[0].Person != me {
		t.Fatalf("people = %+v, want only %s", ru.People, me)
	}
	var pairs, due, kept, overdue int
	for _, p := range sums {
		if p.Trailing.Due == 0 && !p.Trailing.Overdue && p.Ended {
			continue // sets no expectations
		}
		pairs++
		due += p.Trailing.Due
		kept += p.Trailing.Kept
		if p.Trailing.Overdue {
			overdue++
		}
	}
	got := ru.People[0]
	if got.Due != due || got.Kept != kept || got.Overdue != overdue || got.Pairs != pairs {
		t.Errorf("roll-up %+v; the pairs sum to pairs %d due %d kept %d overdue %d", got, pairs, due, kept, overdue)
	}
	if due == 0 {
		t.Error("nothing was due in the demo's window: the test checks too little")
	}
	for _, path := range []string{"/rollup", "/api/rollup?format=text", "/api/rollup?format=markdown", "/api/rollup?format=html", "/api/rollup"} {
		r := f.get(path)
		wantCode(t, path, r, http.StatusOK)
		for _, p := range sums {
			for _, secret := range []string{p.Counterpart, p.Title} {
				if secret != "" && strings.Contains(r.Body, secret) {
					t.Errorf("%s shows %q", path, secret)
				}
			}
		}
	}
	if r := f.get("/rollup"); !strings.Contains(r.Body, `href="/rollup?week=`) {
		t.Errorf("/rollup's week links do not stay on the roll-up:\n%s", r.Body)
	}
	for _, q := range []string{"?week=2026-W99", "?format=pdf"} {
		wantCode(t, "GET /api/rollup"+q, f.get("/api/rollup"+q), http.StatusBadRequest)
	}
}

// TestRollupNeedsToken: with a token, the roll-up is behind it like the
// report.
func TestRollupNeedsToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	for _, path := range []string{"/api/rollup"} {
		if r := f.get(path); r.Code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d, want 401", path, r.Code)
		}
		wantCode(t, path+" with the token", f.get(path, "Authorization: Bearer "+testToken), http.StatusOK)
	}
}
