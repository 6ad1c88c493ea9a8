package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/bench"
	"oneonone/calendar/ical"
	"oneonone/history"
)

// inspect is what inspect says of a file, every event collected: the
// tests' view of what writeInspectJSON streams.
func inspect(file string, data []byte, rules history.DetectRules, loc *time.Location, from, to, now time.Time) inspectResult {
	x := openInspect(file, data, rules, loc, from, to, now)
	res := x.head
	res.Events = []inspectEvent{}
	if err := x.each(func(ev inspectEvent) error {
		res.Events = append(res.Events, ev)
		return nil
	}); err != nil {
		panic(err) // the yield above returns none
	}
	res.Problems = x.allProblems()
	return res
}

// exportICS writes a generated calendar as one .ics export: one
// VCALENDAR with its VTIMEZONE and every VEVENT.
func exportICS(c *bench.Calendar) []byte {
	var head, zone, body bytes.Buffer
	for _, th := range c.Things {
		obj := string(c.ICS(th))
		begin, end := strings.Index(obj, "BEGIN:VEVENT"), strings.LastIndex(obj, "END:VCALENDAR")
		if zone.Len() == 0 {
			if zb, ze := strings.Index(obj, "BEGIN:VTIMEZONE"), strings.Index(obj, "END:VTIMEZONE\r\n"); zb >= 0 {
				zone.WriteString(obj[zb : ze+len("END:VTIMEZONE\r\n")])
			}
		}
		body.WriteString(obj[begin:end])
	}
	head.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//test//EN\r\n")
	return append(append(append(head.Bytes(), zone.Bytes()...), body.Bytes()...), "END:VCALENDAR\r\n"...)
}

// inspectFiles are the files the inspect tests read: testdata, generated
// exports and, with ONEONONE_CORPUS, the corpus's .ics files.
func inspectFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	names, _ := filepath.Glob("testdata/*.ics")
	if dir := os.Getenv("ONEONONE_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "ics", "*", "*.ics"))
		names = append(names, more...)
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = data
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	files["generated/berlin"] = exportICS(bench.Generate(bench.Spec{Owner: "anna@example.com", Series: 40, NoisePerSeries: 1, Now: now, Years: 2, Zone: berlin, Seed: 4}))
	files["generated/utc"] = exportICS(bench.Generate(bench.Spec{Owner: "anna@example.com", Events: 600, Now: now, Years: 1, Zone: time.UTC, Seed: 8}))
	return files
}

// ical.ParseLarge, as inspect calls it, gives of every file what
// ical.Parse gives of the whole: the same events, in the same order, and
// the same problems (calendar/ical's TestParseInPiecesMatchesParse checks
// that an export is read in pieces).
func TestParseLargeMatchesParse(t *testing.T) {
	for name, data := range inspectFiles(t) {
		opt := ical.ParseOptions{Href: name, DefaultZone: time.UTC}
		want, wantErr := ical.Parse(data, opt)
		for _, per := range []int{1, 7, 100} {
			got, err := ical.ParseLarge(data, opt, per)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("%s: in pieces of %d says %v, the whole file %v", name, per, err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: pieces of %d give %d events, the whole file %d, or they differ", name, per, len(got), len(want))
			}
		}
	}
}

// oldInspectText is the text output as inspect wrote it when it held
// every event: the header, the problems, then the events.
func oldInspectText(res inspectResult) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %d events, window %s to %s\n", res.File, len(res.Events), res.From, res.To)
	for _, p := range res.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	for _, ev := range res.Events {
		if err := writeInspectEvent(&b, ev); err != nil {
			panic(err)
		}
	}
	return b.String()
}

// The streamed output is, byte for byte, what encoding the whole result
// gives: JSON as a json.Encoder indenting by two spaces writes it, text as
// it was written from the whole result; with the files read in pieces of
// 3 VEVENTs where they can be.
func TestInspectStreamsTheSameBytes(t *testing.T) {
	old := parseChunk
	t.Cleanup(func() { parseChunk = old })
	rules := history.DetectRules{Me: []string{"anna@example.com"}}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	windows := [][2]time.Time{
		{time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		{now.AddDate(0, 0, -84), now.AddDate(0, 0, 14)},
	}
	for name, data := range inspectFiles(t) {
		for _, w := range windows {
			for _, chunk := range []int{3} {
				parseChunk = chunk
				res := inspect(name, data, rules, time.UTC, w[0], w[1], now)
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				x := openInspect(name, data, rules, time.UTC, w[0], w[1], now)
				if err := writeInspectJSON(&got, x); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("%s %v (pieces of %d): streamed JSON differs from the whole result's:\n%s\nwant\n%s", name, w, chunk, head(got.String()), head(want.String()))
				}
				got.Reset()
				x = openInspect(name, data, rules, time.UTC, w[0], w[1], now)
				if err := writeInspectText(&got, x); err != nil {
					t.Fatal(err)
				}
				if wantText := oldInspectText(res); got.String() != wantText {
					t.Errorf("%s %v (pieces of %d): streamed text differs:\n%s\nwant\n%s", name, w, chunk, head(got.String()), head(wantText))
				}
			}
		}
	}
}

// head is the start of a long output, for a failure message.
func head(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
