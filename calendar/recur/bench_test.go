package recur_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
	"oneonone/history"
)

// genBenchCalendar returns one VCALENDAR (Europe/Berlin, with its VTIMEZONE)
// holding n recurring 1:1-like series, weekly, biweekly or monthly, each
// with a few EXDATEs, moved overrides, a declined and a cancelled one; every
// fifth series ends with an UNTIL. The output is the same for the same n.
func genBenchCalendar(n int) []byte {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	const stamp = "20260301T080000Z"
	var b strings.Builder
	w := func(lines ...string) {
		for _, l := range lines {
			for len(l) > 75 { // fold as RFC 5545 §3.1 asks
				b.WriteString(l[:75] + "\r\n")
				l = " " + l[75:]
			}
			b.WriteString(l + "\r\n")
		}
	}
	w("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oneonone//bench//EN", "CALSCALE:GREGORIAN",
		"BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "X-LIC-LOCATION:Europe/Berlin",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"END:VTIMEZONE")
	local := func(t time.Time) string { return t.In(berlin).Format("20060102T150405") }
	days := []string{"MO", "TU", "WE", "TH", "FR"}
	for i := range n {
		uid := fmt.Sprintf("bench-%05d@oneonone.test", i)
		me, other := fmt.Sprintf("lead%d@example.com", i%40), fmt.Sprintf("report%d@example.com", i)
		start := time.Date(2025, 9, 1+rng.IntN(28), 8+rng.IntN(9), 30*rng.IntN(2), 0, 0, berlin)
		var rule string
		var slot func(k int) time.Time
		switch i % 3 {
		case 0, 1:
			interval := 1 + i%3
			for start.Weekday() == time.Saturday || start.Weekday() == time.Sunday {
				start = start.AddDate(0, 0, 1)
			}
			rule = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s", interval, days[int(start.Weekday())-1])
			slot = func(k int) time.Time { return start.AddDate(0, 0, 7*interval*k) }
		default:
			rule = fmt.Sprintf("FREQ=MONTHLY;BYMONTHDAY=%d", start.Day())
			slot = func(k int) time.Time { return start.AddDate(0, k, 0) }
		}
		if i%5 == 4 {
			rule += ";UNTIL=" + slot(30+rng.IntN(20)).UTC().Format("20060102T150405Z")
		}
		attendees := []string{
			"ORGANIZER;CN=Lead " + fmt.Sprint(i%40) + ":mailto:" + me,
			"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Lead:mailto:" + me,
			"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Report " + fmt.Sprint(i) + ":mailto:" + other,
		}
		if i%4 == 0 {
			attendees = append(attendees, "ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Room:mailto:c_room"+fmt.Sprint(i%7)+"@resource.calendar.google.com")
		}
		summary := fmt.Sprintf("SUMMARY:Lead %d / Report %d 1:1", i%40, i)
		w("BEGIN:VEVENT", "UID:"+uid, "DTSTAMP:"+stamp, "SEQUENCE:1", summary,
			"DTSTART;TZID=Europe/Berlin:"+local(start), "DTEND;TZID=Europe/Berlin:"+local(start.Add(30*time.Minute)),
			"RRULE:"+rule,
			"EXDATE;TZID=Europe/Berlin:"+local(slot(3+rng.IntN(4)))+","+local(slot(12+rng.IntN(4))),
			"EXDATE;TZID=Europe/Berlin:"+local(slot(30+rng.IntN(4))),
			`DESCRIPTION:Agenda: https://docs.example.com/1on1/`+other+`\n\nNotes\, actions and feedback.`)
		w(attendees...)
		w("END:VEVENT")
		override := func(k int, shift time.Duration, extra ...string) {
			orig := slot(k)
			s := orig.Add(shift)
			w("BEGIN:VEVENT", "UID:"+uid, "DTSTAMP:"+stamp, "SEQUENCE:2", summary,
				"RECURRENCE-ID;TZID=Europe/Berlin:"+local(orig),
				"DTSTART;TZID=Europe/Berlin:"+local(s), "DTEND;TZID=Europe/Berlin:"+local(s.Add(30*time.Minute)))
			w(extra...)
			w(attendees...)
			w("END:VEVENT")
		}
		override(8+rng.IntN(4), 26*time.Hour)
		override(16+rng.IntN(3), -time.Hour)
		override(22+rng.IntN(4), 0, "STATUS:CANCELLED")
		override(27+rng.IntN(3), 0, "X-DECLINED:TRUE")
	}
	w("END:VCALENDAR")
	return []byte(b.String())
}

// benchWindow is the 12 weeks the benchmark expands, across the March DST change.
func benchWindow() (time.Time, time.Time) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, berlin)
	return from, from.AddDate(0, 0, 12*7)
}

// BenchmarkExpand parses a calendar of 1,000 series with exceptions, groups
// it and expands every series over 12 weeks.
func BenchmarkExpand(b *testing.B) {
	data := genBenchCalendar(1000)
	from, to := benchWindow()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var instances int
	for b.Loop() {
		evs, err := ical.Parse(data, ical.ParseOptions{Href: "bench.ics"})
		if err != nil {
			b.Fatal(err)
		}
		instances = 0
		for _, g := range recur.GroupEvents(evs) {
			ins, err := recur.Expand(g, from, to, recur.ExpandOptions{})
			if err != nil {
				b.Fatal(err)
			}
			instances += len(ins)
		}
	}
	b.ReportMetric(float64(instances), "instances/op")
}

// BenchmarkExpandOnly is the expansion part of BenchmarkExpand alone.
func BenchmarkExpandOnly(b *testing.B) {
	evs, err := ical.Parse(genBenchCalendar(1000), ical.ParseOptions{Href: "bench.ics"})
	if err != nil {
		b.Fatal(err)
	}
	groups := recur.GroupEvents(evs)
	from, to := benchWindow()
	b.ReportAllocs()
	for b.Loop() {
		for _, g := range groups {
			if _, err := recur.Expand(g, from, to, recur.ExpandOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestGenBenchCalendar(t *testing.T) {
	data := genBenchCalendar(30)
	evs, err := ical.Parse(data, ical.ParseOptions{Href: "bench.ics"})
	if err != nil {
		t.Fatal(err)
	}
	gs := recur.GroupEvents(evs)
	if len(gs) != 30 || len(evs) != 30*5 {
		t.Fatalf("%d groups, %d events", len(gs), len(evs))
	}
	from, to := benchWindow()
	var total, cancelled, moved int
	for _, g := range gs {
		if !g.Master.Recurring() || len(g.Master.Humans()) != 2 || len(g.Overrides) != 4 {
			t.Errorf("%s: %+v", g.UID, g.Master)
		}
		ins, err := recur.Expand(g, from.AddDate(-1, 0, 0), to.AddDate(1, 0, 0), recur.ExpandOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range ins {
			total++
			if i.Cancelled {
				cancelled++
			}
			if !i.Start.Equal(i.OriginalStart) {
				moved++
			}
		}
	}
	if cancelled < 30*3 || moved < 30*2 || total < 30*10 {
		t.Errorf("%d instances, %d cancelled, %d moved", total, cancelled, moved)
	}
	if string(genBenchCalendar(30)) != string(data) {
		t.Error("generator is not deterministic")
	}
}

// BenchmarkExpandClassify is the whole per-calendar pipeline of a sync:
// parse 1,000 series with exceptions, recognise the 1:1s, expand them over
// 12 weeks and classify every occurrence.
func BenchmarkExpandClassify(b *testing.B) {
	data := genBenchCalendar(1000)
	from, to := benchWindow()
	now := from.AddDate(0, 0, 8*7)
	var rules history.DetectRules
	for i := range 40 {
		rules.Me = append(rules.Me, fmt.Sprintf("lead%d@example.com", i))
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var series, occurrences int
	for b.Loop() {
		evs, err := ical.Parse(data, ical.ParseOptions{Href: "bench.ics"})
		if err != nil {
			b.Fatal(err)
		}
		series, occurrences = 0, 0
		used := map[string]bool{}
		for _, g := range recur.GroupEvents(evs) {
			v := history.Detect(g.Master, rules)
			if !v.OneOnOne {
				continue
			}
			s := calendar.Series{ID: g.UID, Pair: v.Pair(), Cadence: history.CadenceOf(g.Master.Recurrence.RRules[0])}
			ins, err := recur.Expand(g, from, to, recur.ExpandOptions{})
			if err != nil {
				b.Fatal(err)
			}
			series++
			occurrences += len(history.Classify(&s, ins, nil, used, now))
		}
	}
	if series != 1000 {
		b.Fatalf("%d series recognised, want 1000", series)
	}
	b.ReportMetric(float64(series), "series/op")
	b.ReportMetric(float64(occurrences), "occurrences/op")
}
