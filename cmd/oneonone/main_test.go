package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runCmd runs a command line and returns its exit code, stdout and stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestInspectScenarios checks every occurrence state on fixtures shaped like
// what Google, Outlook/Exchange, Apple and Nextcloud export.
func TestInspectScenarios(t *testing.T) {
	type occ struct{ orig, start, state string }
	tests := []struct {
		file string
		uid  string
		want []occ
	}{
		{"google.ics", "4ffq0b3k1mvl2o1t6a1c1d1e1f@google.com", []occ{
			{"2025-09-02T10:00:00+02:00", "", "held"},
			{"2025-09-09T10:00:00+02:00", "", "skipped"}, // override STATUS:CANCELLED
			{"2025-09-16T10:00:00+02:00", "", "held"},
			{"2025-09-23T10:00:00+02:00", "2025-09-25T10:00:00+02:00", "postponed"},
			{"2025-09-30T10:00:00+02:00", "", "held"},
			{"2025-10-07T10:00:00+02:00", "", "declined"}, // PARTSTAT=DECLINED
			{"2025-10-14T10:00:00+02:00", "", "held"},
			{"2025-10-21T10:00:00+02:00", "", "held"}, // COUNT=8 ends here
		}},
		{"outlook.ics", "040000008200E00074C5B7101A82E00800000000B0B3A0E4C12ADC01000000000000000010000000D3B5C6F2A3E7A44B8F0E9D7C6B5A4321", []occ{
			{"2025-10-01T14:00:00+02:00", "", "held"},
			{"2025-10-08T14:00:00+02:00", "", "held"},
			{"2025-10-15T14:00:00+02:00", "", "skipped"}, // EXDATE with a Windows TZID
			{"2025-10-22T14:00:00+02:00", "2025-10-21T14:00:00+02:00", "advanced"},
			{"2025-10-29T14:00:00+01:00", "", "held"}, // after the DST change
			{"2025-11-05T14:00:00+01:00", "", "held"}, // UNTIL in UTC
		}},
		{"apple.ics", "6F3C2A1B-9D8E-4F7A-B6C5-D4E3F2A1B0C9", []occ{
			{"2025-09-04T09:30:00+02:00", "", "held"},
			{"2025-09-18T09:30:00+02:00", "", "held"},
			{"2025-10-02T09:30:00+02:00", "", "skipped"},
			{"2025-10-16T09:30:00+02:00", "2025-10-16T10:30:00+02:00", "postponed"},
			{"2025-10-30T09:30:00+01:00", "", "held"},
		}},
		{"nextcloud.ics", "a1e5f0c2-3b4d-4e6f-8a9b-0c1d2e3f4a5b", []occ{
			{"2025-09-01T16:00:00+02:00", "", "held"},
			{"2025-09-08T16:00:00+02:00", "", "skipped"},
			{"2025-09-15T16:00:00+02:00", "", "held"}, // split: UNTIL before the 22nd
		}},
		{"nextcloud.ics", "b2f6a1d3-4c5e-4f70-9b0c-1d2e3f4a5b6c", []occ{
			{"2025-09-22T17:00:00+02:00", "", "held"},
			{"2025-09-29T17:00:00+02:00", "2025-10-01T17:00:00+02:00", "postponed"}, // made up by a one-off
			{"2025-10-06T17:00:00+02:00", "", "skipped"},                            // second value of a multi-valued EXDATE
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.uid[:8], func(t *testing.T) {
			code, out, errs := runCmd(t, "inspect", filepath.Join("testdata", tt.file),
				"--from", "2025-08-01", "--to", "2025-12-01", "--me", "anna@example.com", "--tz", "Europe/Berlin", "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var res inspectResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) > 0 {
				t.Errorf("problems: %v", res.Problems)
			}
			var ev *inspectEvent
			for i := range res.Events {
				if res.Events[i].UID == tt.uid {
					ev = &res.Events[i]
				}
			}
			if ev == nil {
				t.Fatalf("event %s not found", tt.uid)
			}
			if !ev.OneOnOne {
				t.Fatalf("not recognised as a 1:1: %s", ev.Reason)
			}
			if len(ev.Occurrences) != len(tt.want) {
				t.Fatalf("%d occurrences, want %d: %+v", len(ev.Occurrences), len(tt.want), ev.Occurrences)
			}
			for i, w := range tt.want {
				g := ev.Occurrences[i]
				start := w.start
				if start == "" {
					start = w.orig
				}
				if g.OriginalStart != w.orig || g.Start != start || string(g.State) != w.state {
					t.Errorf("occurrence %d: got %s → %s %s, want %s → %s %s", i, g.OriginalStart, g.Start, g.State, w.orig, start, w.state)
				}
			}
		})
	}
}

// A recurring 1:1 whose master is STATUS:CANCELLED (what a Nextcloud
// attendee's calendar holds after the organizer cancels the series) has
// ended: inspect lists its instances as cancelled, with no state: no
// skips, as the engine records none.
func TestInspectCancelledSeries(t *testing.T) {
	code, out, errs := runCmd(t, "inspect", filepath.Join("testdata", "cancelled_series.ics"),
		"--from", "2025-08-01", "--to", "2025-10-14", "--me", "anna@example.com", "--tz", "Europe/Berlin", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res inspectResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("%d events, want 1", len(res.Events))
	}
	ev := res.Events[0]
	if ev.OneOnOne || !ev.Cancelled || ev.Counterpart != "bob@example.com" {
		t.Errorf("cancelled series: one_on_one %v, cancelled %v, counterpart %q; want an ended 1:1 with bob",
			ev.OneOnOne, ev.Cancelled, ev.Counterpart)
	}
	// Its six instances in the window are listed as the calendar holds
	// them, cancelled, and none has a state: none is a skip.
	if len(ev.Occurrences) != 6 {
		t.Fatalf("%d instances, want the 6 in the window", len(ev.Occurrences))
	}
	for _, o := range ev.Occurrences {
		if o.State != "" || !o.Cancelled {
			t.Errorf("%s: state %q, cancelled %v; want no state, cancelled", o.OriginalStart, o.State, o.Cancelled)
		}
	}
}

func TestInspectNoise(t *testing.T) {
	code, out, errs := runCmd(t, "inspect", "testdata/google.ics", "--from", "2025-08-01", "--to", "2025-12-01", "--me", "anna@example.com", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res inspectResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, ev := range res.Events {
		if ev.OneOnOne {
			continue
		}
		reasons[ev.Summary] = ev.Reason
	}
	if reasons["Team standup"] != "3 human participants, a 1:1 has two" || reasons["Out of office"] != "not recurring" {
		t.Errorf("noise reasons = %v", reasons)
	}
}

// TestInspectCorpus runs every .ics file of the corpus through inspect: no
// panic, and either events or one clear line on stderr.
func TestInspectCorpus(t *testing.T) {
	dir := os.Getenv("ONEONONE_CORPUS")
	if dir == "" {
		t.Skip("ONEONONE_CORPUS is not set: run make test, which points it at ../shared/corpus")
	}
	files, err := filepath.Glob(filepath.Join(dir, "ics", "*", "*.ics"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .ics files under %s: %v", dir, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			code, out, errs := runCmd(t, "inspect", f, "--from", "1990-01-01", "--to", "2030-01-01", "--format", "json")
			switch code {
			case 0:
				var res inspectResult
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatalf("output is not JSON: %v", err)
				}
			case 1:
				if strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
					t.Fatalf("want one line on stderr, got %q", errs)
				}
			default:
				t.Fatalf("exit %d: %s", code, errs)
			}
			if strings.Contains(errs, "goroutine") || strings.Contains(errs, "panic") {
				t.Fatalf("stack trace: %s", errs)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("timezone = \"Mars/Olympus\"\nintervall = \"5m\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"report", "--nope"}, 2, "flag provided but not defined"},
		{"bad week", []string{"report", "--config", bad, "--week", "2026-W99"}, 2, "--week"},
		{"bad format", []string{"report", "--format", "pdf"}, 2, `unknown format "pdf"`},
		{"missing config", []string{"sync", "--config", filepath.Join(dir, "nope.toml")}, 1, "nope.toml"},
		{"bad config", []string{"config", "check", "--config", bad}, 1, "intervall"},
		{"missing file", []string{"inspect", filepath.Join(dir, "nope.ics")}, 1, "nope.ics"},
		{"not ics", []string{"inspect", bad}, 1, "bad.toml"},
		{"bad date", []string{"inspect", "testdata/google.ics", "--from", "yesterday"}, 2, "--from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr %q does not mention %q", errs, tt.want)
			}
			if strings.Contains(errs, "goroutine ") {
				t.Errorf("stack trace on stderr: %s", errs)
			}
		})
	}
}

func TestConfigCheckNamesEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	cfg := `timezone = "Mars/Olympus"
[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "config", "check", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, key := range []string{"timezone", "source[0].url"} {
		if !strings.Contains(errs, key) {
			t.Errorf("stderr does not name %s:\n%s", key, errs)
		}
	}
}

// TestConfigCheckCalDAVCalendarHosts: config check takes a calendar URL on
// another host of the server's domain over HTTPS (iCloud's partition
// hosts), as sync does, and refuses one in another domain, naming the host.
func TestConfigCheckCalDAVCalendarHosts(t *testing.T) {
	for _, tc := range []struct {
		name, calendar string
		code           int
		want           string // in stderr
	}{
		{"partition host", "https://p12-caldav.icloud.com/123/calendars/home/", 0, ""},
		{"path", "/123/calendars/home/", 0, ""},
		{"other domain", "https://caldav.example.net/cal/", 1, "caldav.example.net"},
		{"plain HTTP", "http://p12-caldav.icloud.com/123/calendars/home/", 1, "p12-caldav.icloud.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ONEONONE_TEST_CALDAV_PW", "pw")
			path := filepath.Join(t.TempDir(), "c.toml")
			cfg := `[identity]
me = ["anna@example.com"]
[[source]]
name = "icloud"
kind = "caldav"
url = "https://caldav.icloud.com/"
username = "anna@example.com"
password_env = "ONEONONE_TEST_CALDAV_PW"
calendars = [` + strconv.Quote(tc.calendar) + `]
`
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errs := runCmd(t, "config", "check", "--config", path)
			if code != tc.code || tc.want != "" && !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

func TestDemoOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs a whole sync")
	}
	code, out, errs := runCmd(t, "demo", "--once", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// stdout is the JSON report alone, so it pipes; the banner and the
	// sync lines are on stderr.
	if !strings.Contains(errs, "oneonone demo: ") || !strings.Contains(errs, "CalDAV server: http://127.0.0.1:") || !strings.Contains(errs, "sync team: ") {
		t.Errorf("stderr lacks the banner or the sync line:\n%s", errs)
	}
	var rep struct {
		Week   string `json:"week"`
		Totals map[string]int
		Pairs  []struct {
			Counterpart string `json:"counterpart"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if rep.Totals["held"] == 0 || rep.Totals["skipped"] == 0 || rep.Totals["postponed"] == 0 || rep.Totals["declined"] == 0 {
		t.Errorf("last week's totals lack a state: %v", rep.Totals)
	}
	if !regexp.MustCompile(`^\d{4}-W\d{2}$`).MatchString(rep.Week) {
		t.Errorf("week %q is not an ISO week", rep.Week)
	}
}

var demoWebRE = regexp.MustCompile(`Web report: (http://127\.0\.0\.1:\d+/)`)

// TestDemoServes: the demo's web face answers its own address and, having
// no token, refuses a name rebound to 127.0.0.1, as the daemon's does.
func TestDemoServes(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs a whole sync")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"demo"}, &out, &errs) }()
	var base string
	for i := 0; i < 3000 && base == ""; i++ {
		if m := demoWebRE.FindStringSubmatch(errs.String()); m != nil {
			base = m[1]
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("the demo never said where it serves; output:\n%s\n%s", out.String(), errs.String())
	}
	// The banner and the addresses go to stderr; stdout is the report.
	if o := out.String(); strings.Contains(o, "oneonone demo: ") || strings.Contains(o, "Web report: ") || !strings.HasPrefix(o, "1:1 report ") {
		t.Errorf("stdout should start with the report and hold no banner:\n%s", o)
	}
	if code := getJSON(t, base+"api/series", nil); code != http.StatusOK {
		t.Errorf("GET /api/series = %d", code)
	}
	wantRebindRefused(t, base)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo exited %d: %s", code, errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop")
	}
}
