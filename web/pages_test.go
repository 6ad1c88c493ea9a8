package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
	"oneonone/wayback"
)

// pairSection returns the report's section of the pair with who.
func pairSection(t *testing.T, page, who string) string {
	t.Helper()
	for _, sec := range strings.Split(page, `<section class="pair`)[1:] {
		sec, _, _ = strings.Cut(sec, "</section>")
		if strings.Contains(sec, "&lt;"+who+"&gt;") || strings.Contains(sec, ">"+who+"<") {
			return sec
		}
	}
	t.Fatalf("no section of %s in the report:\n%s", who, page)
	return ""
}

func pairPath(who string) string {
	return "/pair/" + url.PathEscape(calendar.NewPair(me, who).String())
}

func TestReportPageShowsLastWeeksMissedOnes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := f.get("/")
	wantCode(t, "GET /", r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	week := report.LastFullWeek(f.now, berlin)
	if !strings.Contains(r.Body, "<h1>1:1 report "+week.String()+"</h1>") {
		t.Errorf("no heading for %s", week)
	}
	missed := f.lastWeekMissed()
	states := map[calendar.State]bool{}
	for _, e := range missed {
		states[e.State] = true
		sec := pairSection(t, r.Body, e.Counterpart)
		want := `<span class="state ` + string(e.State) + `">` + string(e.State) + `</span>` + e.OriginalStart.In(berlin).Format("Mon 2 Jan 15:04")
		if !strings.Contains(sec, want) {
			t.Errorf("%s: the section lacks %q:\n%s", e.Counterpart, want, sec)
		}
		if !strings.HasPrefix(sec, ` missed"`) && !strings.HasPrefix(sec, ` overdue"`) {
			t.Errorf("%s: the section is not marked missed: %.40q", e.Counterpart, sec)
		}
		if !strings.Contains(sec, `<a href="`+pairPath(e.Counterpart)+`">`) {
			t.Errorf("%s: no link to %s", e.Counterpart, pairPath(e.Counterpart))
		}
	}
	if !states[calendar.StateSkipped] || !states[calendar.StatePostponed] {
		t.Fatalf("the seed's last week should have a skipped and a postponed 1:1: %+v", missed)
	}
	// Missed ones come first.
	first := strings.Index(r.Body, `<section class="pair`)
	if !strings.HasPrefix(r.Body[first:], `<section class="pair missed"`) {
		t.Errorf("the first pair is not a missed one: %.60q", r.Body[first:])
	}
	// Navigation: the week before and after, and the current one.
	for _, href := range []string{"/?week=" + week.Add(-1).String(), "/?week=" + week.Add(1).String()} {
		if !strings.Contains(r.Body, `href="`+href+`"`) {
			t.Errorf("no link to %s", href)
		}
	}
	// Every pair with a series is linked at the bottom, those with nothing
	// this week too.
	series, _ := f.store.Series()
	for _, s := range series {
		if !strings.Contains(r.Body, `href="`+pairPath(s.Counterpart)+`"`) {
			t.Errorf("no link to the page of %s", s.Counterpart)
		}
	}
}

func TestReportPageOtherWeeks(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	current := report.WeekOf(f.now, berlin)
	r := f.get("/?week=" + current.String())
	wantCode(t, "this week", r, 200)
	if strings.Contains(r.Body, current.Add(1).String()) {
		t.Errorf("the current week links to the next one, %s", current.Add(1))
	}
	if !strings.Contains(r.Body, `<a href="/?week=`+current.String()+`" aria-current="page">this week</a>`) {
		t.Errorf("this week is not marked current")
	}

	old := report.Week{Year: 2026, Week: 30}
	r = f.get("/?week=2026-w30")
	wantCode(t, "2026-w30", r, 200)
	if !strings.Contains(r.Body, "1:1 report "+old.String()) || !strings.Contains(r.Body, `href="/?week=2026-W31"`) {
		t.Errorf("2026-W30 page lacks its heading or the link to W31")
	}

	for _, bad := range []string{"2026-W99", "last", "2026-47"} {
		r := f.get("/?week=" + url.QueryEscape(bad))
		wantCode(t, bad, r, 400)
		if !strings.Contains(r.Body, "No such week") {
			t.Errorf("%s: %s", bad, r.Body)
		}
	}
}

func TestPairPage(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, who := range []string{bobAddr, "dana@example.com", "chen@example.com"} {
		t.Run(who, func(t *testing.T) {
			r := f.get(pairPath(who))
			wantCode(t, who, r, 200)
			svg := regexp.MustCompile(`(?s)<svg class="plot" role="img" aria-label="([^"]+)" viewBox="[^"]+"[^>]*>.*?</svg>`).FindStringSubmatch(r.Body)
			if svg == nil {
				t.Fatalf("no chart svg with role and aria-label:\n%s", r.Body)
			}
			bars := regexp.MustCompile(`<g class="bar" data-week="([^"]+)"><title>([^<]*)</title>`).FindAllStringSubmatch(svg[0], -1)
			if len(bars) != 26 {
				t.Fatalf("%d bars, want 26", len(bars))
			}
			current := report.WeekOf(f.now, berlin)
			if bars[25][1] != current.String() || bars[0][1] != current.Add(-25).String() {
				t.Errorf("bars from %s to %s, want %s to %s", bars[0][1], bars[25][1], current.Add(-25), current)
			}
			// Each week's tooltip counts what the seed says happened in it.
			want := map[string]map[string]int{}
			for _, e := range f.team.Expect {
				if e.Counterpart != who || !e.OriginalStart.Before(f.now) {
					continue
				}
				w := report.WeekOf(e.OriginalStart, berlin).String()
				if want[w] == nil {
					want[w] = map[string]int{}
				}
				kind := string(e.State)
				if e.State == calendar.StatePostponed || e.State == calendar.StateAdvanced {
					kind = "postponed or advanced"
				}
				want[w][kind]++
			}
			firstFull := report.WeekOf(f.team.From, berlin).Add(1)
			for _, b := range bars {
				w, _ := report.ParseWeek(b[1])
				if w.Year*100+w.Week < firstFull.Year*100+firstFull.Week || w == current {
					continue // not wholly inside the seed's history
				}
				var parts []string
				for _, kind := range []string{"held", "postponed or advanced", "skipped", "declined"} {
					if n := want[b[1]][kind]; n > 0 {
						parts = append(parts, strconv.Itoa(n)+" "+kind)
					}
				}
				wantText := "nothing held or missed"
				if len(parts) > 0 {
					wantText = strings.Join(parts, ", ")
				}
				if _, got, _ := strings.Cut(b[2], "): "); got != wantText {
					t.Errorf("%s: tooltip %q, want it to end with %q", b[1], b[2], wantText)
				}
			}
			if !strings.Contains(r.Body, `<ul class="legend"`) || !strings.Contains(svg[1], "1:1s per week") {
				t.Errorf("no legend or no summary in the aria-label %q", svg[1])
			}
			if !strings.Contains(r.Body, `<h2 id="occurrences">Occurrences</h2>`) || !strings.Contains(r.Body, `<span class="state held">held</span>`) {
				t.Errorf("no occurrences list")
			}
		})
	}

	r := f.get(pairPath(bobAddr))
	for _, s := range []string{"send the Q4 hiring plan draft", "book the offsite room", "#1", "due 2026-11-26"} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("Bob's page lacks the open action %q", s)
		}
	}
	// A done action is not an open one; the "After" timeline lists it
	// where it was done.
	if open, _, _ := strings.Cut(r.Body, `<section class="box" aria-labelledby="after">`); strings.Contains(open, "an old one") {
		t.Errorf("Bob's page shows a done action among the open ones")
	}
	// The seed's skipped and postponed ones of Bob are listed.
	for _, e := range f.team.Expect {
		if e.Counterpart == bobAddr && (e.State == calendar.StateSkipped || e.State == calendar.StatePostponed) {
			want := `<span class="state ` + string(e.State) + `">` + string(e.State) + `</span><span class="when">` + e.OriginalStart.In(berlin).Format("Mon 2 Jan 15:04")
			if !strings.Contains(r.Body, want) {
				t.Errorf("Bob's page lacks %q", want)
			}
		}
	}
}

func TestPairPageNotFound(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, path := range []string{
		"/pair/" + url.PathEscape("anna@example.com|nobody@example.com"),
		"/pair/not-a-pair",
		"/pair/" + url.PathEscape("|"),
		"/nowhere",
	} {
		r := f.get(path)
		wantCode(t, path, r, 404)
		if !strings.Contains(r.Body, "<!DOCTYPE html>") {
			t.Errorf("%s: not an HTML page: %s", path, r.Body)
		}
	}
	r := f.get("/api/nowhere")
	wantCode(t, "/api/nowhere", r, 404)
	decode[map[string]string](t, r)
}

func TestEscaping(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	add := f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"<img src=x onerror=alert(1)> & more"}`, jsonHeaders...)
	wantCode(t, "add", add, 201)
	escaped := `Anna / Bob 1:1 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`
	for _, path := range []string{"/", pairPath(bobAddr)} {
		r := f.get(path)
		wantCode(t, path, r, 200)
		if !strings.Contains(r.Body, escaped) {
			t.Errorf("%s: the hostile title is not there escaped", path)
		}
		lower := strings.ToLower(r.Body)
		for _, bad := range []string{"<script", "<img src=x"} {
			if strings.Contains(lower, bad) {
				t.Errorf("%s: contains %q", path, bad)
			}
		}
	}
	if r := f.get(pairPath(bobAddr)); !strings.Contains(r.Body, "&lt;img src=x onerror=alert(1)&gt; &amp; more") {
		t.Errorf("the action text is not there escaped")
	}
	r := f.get("/api/series")
	if strings.Contains(r.Body, "<script") {
		t.Errorf("/api/series has a raw <script")
	}
}

func TestSecurityHeaders(t *testing.T) {
	for _, token := range []string{"", testToken} {
		f := newFixture(t, fixtureOptions{token: token})
		for _, path := range []string{"/", "/api/report", "/nowhere", "/healthz", pairPath(bobAddr)} {
			r := f.get(path, "Authorization: Bearer "+testToken)
			csp := r.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "style-src 'unsafe-inline'", "img-src 'self' data:", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("token %q, %s: CSP %q lacks %q", token, path, csp, want)
				}
			}
			if strings.Contains(csp, "script-src") {
				t.Errorf("%s: CSP allows scripts: %q", path, csp)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: headers %v", path, r.Header)
			}
		}
	}
}

// metricsOf returns the values of the <dl> after the first <dt>Kept… in s,
// by term: "Kept", "Streak", "Last kept".
func metricsOf(t *testing.T, what, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<dt>([^<(]+?)(?: \(\d+ weeks\))?</dt><dd>([^<]*)</dd>`).FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	for _, k := range []string{"Kept", "Streak", "Last kept"} {
		if out[k] == "" {
			t.Fatalf("%s: no %q figure in:\n%s", what, k, s)
		}
	}
	return out
}

// The report and each pair's page show the same figures, as of the same
// instant, and say which: the end of a past week, or now for this week.
func TestReportAndPairPageAgree(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	lastFull := report.LastFullWeek(f.now, berlin)
	_, lastEnd := lastFull.Range(berlin)
	current := report.WeekOf(f.now, berlin)
	for _, tc := range []struct {
		query string
		asOf  time.Time
	}{
		{"", lastEnd},
		{"?week=" + current.String(), f.now},
	} {
		rep := f.get("/" + tc.query)
		wantCode(t, "report"+tc.query, rep, 200)
		asOf := "as of " + tc.asOf.In(berlin).Format("Mon 2 Jan 2006 15:04")
		if !strings.Contains(rep.Body, asOf) {
			t.Errorf("report%s does not say %q", tc.query, asOf)
		}
		secs := strings.Split(rep.Body, `<section class="pair`)[1:]
		if len(secs) < 3 {
			t.Fatalf("report%s: %d pairs", tc.query, len(secs))
		}
		for _, sec := range secs {
			sec, _, _ = strings.Cut(sec, "</section>")
			link := regexp.MustCompile(`<h2><a href="([^"]+)">`).FindStringSubmatch(sec)
			if link == nil {
				t.Fatalf("report%s: a section without a link:\n%s", tc.query, sec)
			}
			href := strings.ReplaceAll(link[1], "&amp;", "&")
			want := metricsOf(t, "report "+href, sec)
			page := f.get(href)
			wantCode(t, href, page, 200)
			got := metricsOf(t, href, page.Body)
			for _, k := range []string{"Kept", "Streak", "Last kept", "On time", "Mean shift"} {
				if got[k] != want[k] {
					t.Errorf("%s%s: %s %q on the pair page, %q in the report", href, tc.query, k, got[k], want[k])
				}
			}
			if !strings.Contains(page.Body, asOf) {
				t.Errorf("%s: the pair page does not say %q", href, asOf)
			}
		}
	}
	if r := f.get(pairPath(bobAddr) + "?week=2026-W99"); r.Code != 400 || !strings.Contains(r.Body, "No such week") {
		t.Errorf("a pair page of a week that does not exist: %d %s", r.Code, r.Body)
	}
}

// TestPairPageShowsWayBack: after a skip with the next 1:1 still ahead,
// the way back found from the outbox's free/busy shows on the pair page
// and in the report's JSON; a pair that needs none shows none.
func TestPairPageShowsWayBack(t *testing.T) {
	f := newFixture(t, fixtureOptions{outbox: true})
	in := f.input(report.Week{})
	needs := report.WayBackNeeds(in)
	if len(needs) == 0 {
		t.Fatal("the demo team has no skip to make up at the fixture's now")
	}
	finder := &wayback.Finder{Store: f.store, Sources: map[string]wayback.Asker{"team": f.source},
		Hours: calendar.DefaultWorkingHours(), Location: berlin, Now: f.clock.Now}
	found, asked, err := finder.Run(context.Background(), in)
	if err != nil || asked != len(needs) || len(found) != len(needs) {
		t.Fatalf("Run = %v, %d, %v; want %d found", found, asked, err, len(needs))
	}
	need := needs[0]
	w := found[need.ID].In(berlin)
	r := f.get(pairPath(need.Counterpart))
	wantCode(t, need.Counterpart, r, 200)
	name := need.Name
	if name == "" {
		name = need.Counterpart
	}
	if want := html.EscapeString("Way back: " + w.Text(name)); !strings.Contains(r.Body, want) {
		t.Errorf("pair page lacks %q", want)
	}
	for _, p := range f.team.People {
		needed := false
		for _, n := range needs {
			needed = needed || n.Counterpart == p.Email
		}
		if !needed && strings.Contains(f.get(pairPath(p.Email)).Body, "Way back:") {
			t.Errorf("%s needs no way back, and its page shows one", p.Email)
		}
	}
}
