package main

import (
	"bytes"
	"testing"
	"time"

	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
	"oneonone/history"
)

// The generated calendar must be the same every time, and read by
// oneonone exactly as meant: every object parses cleanly, holds one UID,
// and every 1:1 series (and nothing else) is recognised as one.
func TestGenerateCalendar(t *testing.T) {
	a, mix := generateCalendar(600, 1)
	b, _ := generateCalendar(600, 1)
	if len(a) != 600 || mix.Objects != 600 {
		t.Fatalf("%d objects (mix says %d), want 600", len(a), mix.Objects)
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("object %d differs between two runs with the same seed", i)
		}
	}
	if mix.OneOnOnes == 0 || mix.TeamSeries == 0 || mix.Overrides == 0 || mix.AllDay == 0 {
		t.Fatalf("mix lacks a kind of event: %+v", mix)
	}
	rules := history.DetectRules{Me: []string{me}}
	oneOnOnes, vevents := 0, 0
	for _, o := range a {
		evs, err := ical.Parse(o.Data, ical.ParseOptions{Href: o.Name, DefaultZone: time.UTC})
		if err != nil {
			t.Fatalf("%s: %v\n%s", o.Name, err, o.Data)
		}
		vevents += len(evs)
		groups := recur.GroupEvents(evs)
		if len(groups) != 1 {
			t.Fatalf("%s: %d UIDs, want 1", o.Name, len(groups))
		}
		g := groups[0]
		if g.Master == nil {
			t.Fatalf("%s: no master", o.Name)
		}
		if v := history.Detect(g.Master, rules); v.OneOnOne {
			oneOnOnes++
			if g.Master.Organizer.Email == me {
				t.Errorf("%s: Anna organizes a 1:1; she must organize none (no agenda write-back)", o.Name)
			}
		}
		if g.Master.Recurring() {
			if _, err := recur.Expand(g, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{}); err != nil {
				t.Errorf("%s: expand: %v", o.Name, err)
			}
		}
	}
	if oneOnOnes != mix.OneOnOnes {
		t.Errorf("%d series recognised as 1:1s, want the %d generated", oneOnOnes, mix.OneOnOnes)
	}
	if vevents != mix.VEvents {
		t.Errorf("%d VEVENTs parsed, mix says %d", vevents, mix.VEvents)
	}
}

func TestOverlaps(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2024, 1, 1, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name        string
		start, end  time.Time
		a, b        time.Time
		overlapping bool
	}{
		{"inside", at(10), at(11), at(9), at(12), true},
		{"ends at the window's start", at(8), at(9), at(9), at(12), false},
		{"starts at the window's end", at(12), at(13), at(9), at(12), false},
		{"zero length at the start", at(9), at(9), at(9), at(12), true},
		{"zero length at the end", at(12), at(12), at(9), at(12), false},
		{"instant window inside", at(9), at(11), at(10), at(10), true},
		{"instant window at the end", at(9), at(10), at(10), at(10), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := occ{Start: tc.start, End: tc.end, HasEnd: true, Kind: kindZoned}
			if got := overlaps(o, tc.a, tc.b); got != tc.overlapping {
				t.Errorf("overlaps = %v, want %v", got, tc.overlapping)
			}
		})
	}
}

// A DATE is compared at its wall clock: oneonone holds 2024-03-01 as a
// midnight in the calendar's zone, python writes "2024-03-01".
func TestNormaliseDate(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Skip(err)
	}
	d := time.Date(2024, 3, 1, 0, 0, 0, 0, sydney)
	o := occ{Orig: d, Start: d, End: d.AddDate(0, 0, 1), HasEnd: true, Kind: kindDate}.normalise()
	p, kind, _ := parsePy("2024-03-01")
	if kind != kindDate || !o.Start.Equal(p) || o.key() != (occ{Orig: p, Start: p}).key() {
		t.Errorf("normalised %v, python %v (%s)", o.Start, p, kind)
	}
	z := occ{Orig: d, Start: d, Kind: kindZoned}.normalise()
	if !z.Start.Equal(d) || z.Start.Location() != time.UTC {
		t.Errorf("a zoned time must keep its instant, in UTC: %v", z.Start)
	}
}

func TestNormUID(t *testing.T) {
	if got := normUID("/c/x.ics#2", "/c/x.ics"); got != "#2" {
		t.Errorf("normUID = %q, want #2", got)
	}
	if got := normUID("abc@example.com", "/c/x.ics"); got != "abc@example.com" {
		t.Errorf("normUID = %q", got)
	}
}

func TestRequestCount(t *testing.T) {
	q := requests{"PROPFIND": 2, "REPORT": 50, "": 1500000}
	if q.total() != 52 || q.String() != "52 (PROPFIND 2, REPORT 50)" || q.serverTime() != 1500*time.Millisecond {
		t.Errorf("requests %v: %d, %q, %v", q, q.total(), q.String(), q.serverTime())
	}
	for line, method := range map[string]string{
		"[2026-11-20 23:39:28 +0000] [4128/Thread-2 (process_request_thread)] [INFO] PUT request for '/anna/cal/u1.ics' received from 127.0.0.1 using 'curl/7.88.1'":                          "PUT",
		"[2026-11-20 23:39:28 +0000] [4128/Thread-1 (process_request_thread)] [INFO] PROPFIND request for '/anna/oneonone/' with depth '1' received from 127.0.0.1 using 'vdirsyncer/0.19.0'": "PROPFIND",
	} {
		if m := requestLine.FindStringSubmatch(line); m == nil || m[1] != method {
			t.Errorf("%q: got %v, want %s", line, m, method)
		}
	}
	resp := "[2026-11-20 23:39:29 +0000] [4128/Thread-2 (process_request_thread)] [INFO] PROPFIND response status for '/anna/oneonone/' with depth '1' in 0.047 seconds: 207 Multi-Status"
	if m := responseLine.FindStringSubmatch(resp); m == nil || m[1] != "0.047" {
		t.Errorf("response line: got %v", m)
	}
}
