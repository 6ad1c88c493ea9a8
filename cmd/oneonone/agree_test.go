package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/internal/demo"
	"oneonone/store"
	"oneonone/sync"
)

// fileSource serves objects as one calendar, and decodes them as the
// CalDAV source does.
type fileSource struct {
	objs []calendar.Object
	loc  *time.Location
}

func (s fileSource) Calendars(context.Context) ([]calendar.Ref, error) {
	return []calendar.Ref{{ID: "/cal/"}}, nil
}

func (s fileSource) Changes(_ context.Context, _, cursor string, _ map[string]string) (calendar.Changes, error) {
	if cursor != "" {
		return calendar.Changes{Cursor: cursor}, nil
	}
	return calendar.Changes{Full: true, Put: s.objs, Cursor: "c1"}, nil
}

func (s fileSource) Decode(_ string, obj calendar.Object) ([]calendar.Event, error) {
	return ical.Parse(obj.Data, ical.ParseOptions{Href: obj.Href, DefaultZone: s.loc})
}

// agreeCase is one input both paths read: the objects of a calendar, and
// the same objects as one .ics file for inspect.
type agreeCase struct {
	name     string
	objs     []calendar.Object
	rules    history.DetectRules
	loc      *time.Location
	from, to time.Time
	now      time.Time
}

// TestInspectAgreesWithEngine runs `oneonone inspect`'s pipeline and the
// engine's first cycle over the same input and window, and compares every
// occurrence state: on each file of the public corpus (at two windows) and
// of calendar/ical/testdata, and on the demo team.
func TestInspectAgreesWithEngine(t *testing.T) {
	var cases []agreeCase
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	addFiles := func(files []string) {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			obj := []calendar.Object{{Href: "/cal/" + filepath.Base(f), ETag: "1", Data: data}}
			for _, at := range []time.Time{now, firstStart(data).AddDate(0, 6, 0)} {
				if at.IsZero() {
					continue
				}
				cases = append(cases, agreeCase{
					name: filepath.Base(f) + "@" + at.Format(time.DateOnly), objs: obj, loc: time.UTC,
					from: at.AddDate(0, -12, 0), to: at.AddDate(0, 0, 14), now: at,
				})
			}
		}
	}
	fixtures, _ := filepath.Glob(filepath.Join("..", "..", "calendar", "ical", "testdata", "*.ics"))
	mine, _ := filepath.Glob(filepath.Join("testdata", "*.ics"))
	addFiles(append(fixtures, mine...))
	if dir := os.Getenv("ONEONONE_CORPUS"); dir != "" {
		var files []string
		err := filepath.WalkDir(filepath.Join(dir, "ics"), func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".ics") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no .ics files under %s/ics", dir)
		}
		addFiles(files)
	} else {
		t.Log("ONEONONE_CORPUS is not set: only the fixtures and the demo team are compared")
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	team := demo.Seed(now, berlin)
	var objs []calendar.Object
	for _, o := range team.Objects {
		objs = append(objs, calendar.Object{Href: "/cal/" + o.Name, ETag: "1", Data: o.Data})
	}
	cases = append(cases, agreeCase{
		name: "demo", objs: objs, loc: berlin, rules: history.DetectRules{Me: []string{team.Me.Email}},
		from: team.From, to: team.To, now: now,
	})

	compared := 0
	demoCompared := 0
	for _, tc := range cases {
		engine := engineStates(t, tc)
		var file bytes.Buffer
		for _, o := range tc.objs {
			file.Write(o.Data)
		}
		res := inspect(tc.name, file.Bytes(), tc.rules, tc.loc, tc.from, tc.to, tc.now)
		insp := map[string]string{}
		for _, ev := range res.Events {
			for _, o := range ev.Occurrences {
				if o.State == "" {
					continue // an instance of an event that is not tracked
				}
				insp[ev.UID+" "+o.OriginalStart] = fmt.Sprintf("%s %s", o.State, o.Start)
			}
		}
		if d := diffStates(engine, insp); d != "" {
			t.Errorf("%s: inspect and the engine disagree:\n%s", tc.name, d)
		}
		compared += len(engine)
		if tc.name == "demo" {
			demoCompared = len(engine)
		}
	}
	// The comparison must have had something to compare.
	if want := len(team.Expect); demoCompared < want {
		t.Errorf("demo team: %d occurrences compared, want at least the %d the seed expects", demoCompared, want)
	}
	if compared-demoCompared == 0 {
		t.Error("no occurrence outside the demo team was compared")
	}
	t.Logf("%d inputs, %d occurrences compared (%d of the demo team)", len(cases), compared, demoCompared)
}

// engineStates runs one engine cycle over the case on a fresh state file
// and returns every stored occurrence in the window, keyed as inspect's.
func engineStates(t *testing.T, tc agreeCase) map[string]string {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := &sync.Engine{
		Store:   st,
		Sources: []sync.NamedSource{{Name: "file", Source: fileSource{objs: tc.objs, loc: tc.loc}}},
		Rules:   tc.rules,
		Now:     func() time.Time { return tc.now },
		History: tc.now.Sub(tc.from),
		Horizon: tc.to.Sub(tc.now),
		Log:     slog.New(slog.DiscardHandler),
	}
	if _, err := eng.SyncAll(context.Background()); err != nil {
		t.Logf("%s: engine: %v", tc.name, err)
	}
	series, err := st.Series()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range series {
		occ, err := st.Occurrences(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range occ {
			out[s.UID+" "+o.OriginalStart.Format(time.RFC3339)] = fmt.Sprintf("%s %s", o.State, o.Start.Format(time.RFC3339))
		}
	}
	return out
}

// diffStates lists the keys whose values differ, at most 10.
func diffStates(engine, insp map[string]string) string {
	var lines []string
	for k, v := range engine {
		if w, ok := insp[k]; !ok || w != v {
			lines = append(lines, fmt.Sprintf("  %s: engine %q, inspect %q", k, v, w))
		}
	}
	for k, w := range insp {
		if _, ok := engine[k]; !ok {
			lines = append(lines, fmt.Sprintf("  %s: engine none, inspect %q", k, w))
		}
	}
	sort.Strings(lines)
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("  … and %d more", len(lines)-10))
	}
	return strings.Join(lines, "\n")
}

// firstStart is the earliest start of a recurring master in data, so that
// a window can be placed where an old file's series run.
func firstStart(data []byte) time.Time {
	evs, _ := ical.Parse(data, ical.ParseOptions{DefaultZone: time.UTC})
	var first time.Time
	for _, ev := range evs {
		if ev.Recurring() && (first.IsZero() || ev.Start.Before(first)) && ev.Start.Year() > 1900 {
			first = ev.Start
		}
	}
	return first
}
