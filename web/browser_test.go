package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"oneonone/calendar"
	"oneonone/report"
)

// chromium returns the path of the system's Chromium: it fails the test on
// CI (env CI set) when there is none, and skips it elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("chromium not found (scripts/install-deps.sh installs it)")
	}
	t.Skip("chromium not found; scripts/install-deps.sh installs it")
	return ""
}

// TestBrowser loads the pages in headless Chromium, checks what a person
// sees, and saves full-page screenshots at phone and desktop widths into
// the test's artifact directory (kept with go test -artifacts -outputdir DIR).
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t, fixtureOptions{})
	dir := t.ArtifactDir()
	t.Logf("screenshots in %s", dir)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}
	eval := func(js string) float64 {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}

	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.Emulate(device.Info{
		Name: "phone", UserAgent: "Mozilla/5.0 (Linux; Android 14) Mobile", Width: 390, Height: 844,
		Scale: 2, Mobile: true, Touch: true,
	})

	// The report: last week's skipped and postponed 1:1s are on screen.
	run(desktop, chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main")))
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.lastWeekMissed() {
		when := e.OriginalStart.In(berlin).Format("Mon 2 Jan 15:04")
		if !strings.Contains(text, e.Counterpart) || !strings.Contains(text, string(e.State)+when) && !strings.Contains(text, string(e.State)+" "+when) {
			t.Errorf("the report does not show %s %s of %s:\n%s", e.State, when, e.Counterpart, text)
		}
	}
	// They stand out: a coloured badge, and a coloured edge on their pair.
	for _, sel := range []string{".state.skipped", ".state.postponed"} {
		bg, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("`+sel+`")).backgroundColor`))
		if err != nil || bg == "" || bg == "rgba(0, 0, 0, 0)" || bg == "rgb(255, 255, 255)" {
			t.Errorf("%s has background %q (%v): it does not stand out", sel, bg, err)
		}
	}
	if w := eval(`parseFloat(getComputedStyle(document.querySelector("section.pair.missed")).borderLeftWidth)`); w < 4 {
		t.Errorf("a missed pair's left border is %vpx", w)
	}
	shot("report-desktop")
	run(phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
	if w := eval(`document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the report is %vpx wide on a 390px phone: it scrolls sideways", w)
	}
	shot("report-phone")

	// The pair page, reached by its link on the report.
	link := `a[href="` + pairPath(bobAddr) + `"]`
	run(desktop, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(link)))
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(link))); err != nil {
		t.Fatal(err)
	}
	run(chromedp.WaitVisible(chromedp.CSS(`figure.chart svg[role="img"]`)))
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); loc != f.srv.URL+pairPath(bobAddr) {
		t.Errorf("the link led to %s", loc)
	}
	checkChart := func(width float64) {
		t.Helper()
		w := eval(`document.querySelector('figure.chart svg[role="img"]').getBoundingClientRect().width`)
		h := eval(`document.querySelector('figure.chart svg[role="img"]').getBoundingClientRect().height`)
		if w < 200 || h < 80 || w > width {
			t.Errorf("the chart is %vx%v px in a %vpx wide window", w, h, width)
		}
		if n := eval(`document.querySelectorAll("figure.chart g.bar").length`); n != 26 {
			t.Errorf("%v bars, want 26", n)
		}
		segs := eval(`Array.from(document.querySelectorAll("figure.chart rect.seg")).filter(r => { const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0 }).length`)
		if segs < 12 {
			t.Errorf("%v visible bar segments, want one for every week of the seed's history", segs)
		}
		if n := eval(`document.querySelectorAll('figure.chart rect.seg[data-kind="skipped"]').length`); n < 1 {
			t.Errorf("no skipped segment drawn")
		}
		if sw := eval(`document.documentElement.scrollWidth`); sw > width {
			t.Errorf("the pair page is %vpx wide in a %vpx window", sw, width)
		}
	}
	checkChart(1280)
	ptext, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"send the Q4 hiring plan draft", "Occurrences", "skipped", "postponed"} {
		if !strings.Contains(ptext, want) {
			t.Errorf("the pair page does not show %q", want)
		}
	}
	shot("pair-desktop")
	run(phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`figure.chart svg[role="img"]`)))
	checkChart(390)
	if px := eval(`parseFloat(getComputedStyle(document.querySelector("figure.chart text")).fontSize) * document.querySelector('figure.chart svg[role="img"]').getBoundingClientRect().width / 420`); px < 8 {
		t.Errorf("the chart's labels are %.1fpx on a phone", px)
	}
	shot("pair-phone")

	// A pair with a skipped and a declined one, on a phone.
	var other string
	for _, e := range f.team.Expect {
		if e.State == calendar.StateDeclined {
			other = e.Counterpart
			break
		}
	}
	if other == "" {
		t.Fatal("the seed has no declined occurrence")
	}
	run(chromedp.Navigate(f.srv.URL+pairPath(other)), chromedp.WaitVisible(chromedp.CSS(`figure.chart svg`)))
	checkChart(390)
	if n := eval(`document.querySelectorAll('figure.chart rect.seg[data-kind="declined"]').length`); n < 1 {
		t.Errorf("no declined segment drawn for %s", other)
	}
	shot("pair-declined-phone")

	// The series table, reached from the report's header, sorted by a
	// click on a column heading (a link: no script runs).
	run(desktop, chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`header a[href="/series"]`)))
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`header a[href="/series"]`))); err != nil {
		t.Fatal(err)
	}
	run(chromedp.WaitVisible(chromedp.CSS("table.series")))
	sums := report.Summaries(f.input(report.Week{}))
	if n := eval(`document.querySelectorAll("table.series tbody tr").length`); int(n) != len(sums) {
		t.Errorf("/series shows %v rows, want %d", n, len(sums))
	}
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`th a[href="/series?sort=streak&dir=asc"]`))); err != nil {
		t.Fatal(err)
	}
	run(chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"]`)))
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); loc != f.srv.URL+"/series?sort=streak&dir=asc" {
		t.Errorf("the heading led to %s", loc)
	}
	if h, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`th[aria-sort="ascending"]`))); !strings.HasPrefix(h, "Streak") {
		t.Errorf("sorted by %q, want Streak", h)
	}
	streaks, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("table.series tbody tr")).map(r => parseInt(r.cells[7].textContent, 10))`))
	if err != nil || len(streaks) != len(sums) || !slices.IsSorted(streaks) {
		t.Errorf("streaks in the table: %v (%v), want %d ascending", streaks, err, len(sums))
	}
	shot("series-desktop")
	run(phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.series")))
	if w := eval(`document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("/series is %vpx wide on a 390px phone: the page scrolls sideways", w)
	}
	shot("series-phone")

	// The roll-up: one row for me, no counterpart on it; it fits a phone.
	run(desktop, chromedp.Navigate(f.srv.URL+"/rollup"), chromedp.WaitVisible(chromedp.CSS("table.rollup")))
	if n := eval(`document.querySelectorAll("table.rollup tbody tr").length`); n != 1 {
		t.Errorf("/rollup shows %v rows, want 1 (%s)", n, me)
	}
	if body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, me) {
		t.Errorf("/rollup does not show %s:\n%s", me, body)
	} else {
		for _, p := range sums {
			if strings.Contains(body, p.Counterpart) {
				t.Errorf("/rollup shows the counterpart %s", p.Counterpart)
			}
		}
	}
	shot("rollup-desktop")
	run(phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.rollup")))
	if w := eval(`document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("/rollup is %vpx wide on a 390px phone: the page scrolls sideways", w)
	}
	shot("rollup-phone")

	// Printed, the report keeps its colours and drops the navigation.
	run(desktop, chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}))
	if d, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("nav.weeks")).display`)); d != "none" {
		t.Errorf("printed, the week navigation shows (display %q)", d)
	}
	shot("report-print")
}

// TestBrowserSharedPage opens a pair's shared page in headless Chromium as
// the counterpart would: adds a talking point through the form, ticks an
// action done, and finds both so after a reload. The page runs no script,
// and the forms pass the origin check as a browser sends them (the page's
// no-referrer policy makes its Origin "null").
func TestBrowserSharedPage(t *testing.T) {
	exe := chromium(t)
	f := newShareFixture(t, testToken) // the token is not needed: the link is the credential
	dir := t.ArtifactDir()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	page := f.srv.URL + "/s/" + f.tok

	run(chromedp.EmulateViewport(390, 844), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("form.add textarea")))
	if got := text("main"); !strings.Contains(got, "send the Q4 hiring plan draft") || !strings.Contains(got, "No open talking points.") {
		t.Errorf("the shared page shows:\n%s", got)
	}
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the shared page is %vpx wide on a 390px phone (%v)", w, err)
	}

	// A talking point through the form.
	run(chromedp.SendKeys(chromedp.CSS("form.add textarea"), "the offsite budget"))
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`form.add button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	run(chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); loc != page+"?ok=point" {
		t.Errorf("after adding, the browser is at %s", loc)
	}
	points, err := f.store.Points(bobPair())
	if err != nil || len(points) != 1 || points[0].Author != bobAddr || points[0].Text != "the offsite budget" {
		t.Fatalf("stored points %+v, %v", points, err)
	}

	// Tick the action "send the Q4 hiring plan draft" (ID 1).
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`li[data-id="1"] button.tick`))); err != nil {
		t.Fatal(err)
	}
	run(chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if a, _, _ := f.store.Action("1"); a.Done.IsZero() {
		t.Errorf("action 1 is not done after the tick: %+v", a)
	}

	// After a reload: the point is there, the ticked action is gone.
	run(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("ul.points")))
	got := text("main")
	if !strings.Contains(got, "bob@example.com: the offsite budget") {
		t.Errorf("after reload the page does not show the point:\n%s", got)
	}
	if strings.Contains(got, "send the Q4 hiring plan draft") || !strings.Contains(got, "book the offsite room") {
		t.Errorf("after reload the actions are:\n%s", got)
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shared-phone.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
