package google_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
)

// mirror is a CalDAV-like source holding fixed iCalendar objects in one
// calendar: the CalDAV view of a Google calendar.
type mirror struct{ objs []calendar.Object }

func (m mirror) Calendars(context.Context) ([]calendar.Ref, error) {
	return []calendar.Ref{{ID: "/dav/anna/work/", Name: "work"}}, nil
}

func (m mirror) Changes(context.Context, string, string, map[string]string) (calendar.Changes, error) {
	return calendar.Changes{Full: true, Put: m.objs, Cursor: "1", Requests: 1}, nil
}

func (m mirror) Decode(cal string, obj calendar.Object) ([]calendar.Event, error) {
	evs, err := ical.Parse(obj.Data, ical.ParseOptions{Href: obj.Href})
	for i := range evs {
		evs[i].Calendar, evs[i].ETag = cal, obj.ETag
	}
	return evs, err
}

// TestSameMeetingGoogleAndMirror syncs one 1:1 through two sources, the
// Google calendar (the fake) and a CalDAV copy of it whose UID is Google's
// iCalUID: the series summaries list it once, seen in both sources, and the
// report counts each slot once, as with the Google source alone.
func TestSameMeetingGoogleAndMirror(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	now := time.Date(2025, 4, 10, 12, 0, 0, 0, berlin) // a Thursday
	f := newFake(t)
	f.apply(t, "master_exdate.json", "exception_moved.json")
	c := f.client(t, nil, func(o *google.Options) { o.Zone = berlin })
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng := &sync.Engine{
		Store: st,
		Sources: []sync.NamedSource{
			{Name: "google", Source: c},
			{Name: "mirror", Source: mirror{objs: []calendar.Object{{Href: "/dav/anna/work/bob.ics", ETag: `"m1"`, Data: []byte(mirrorICS)}}}},
		},
		Rules:   history.DetectRules{Me: []string{anna}},
		Horizon: 14 * 24 * time.Hour,
		Now:     func() time.Time { return now },
	}
	sums, err := eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Series != 1 || len(s.Problems) > 0 {
			t.Fatalf("source %s: %d series, problems %v; want 1 and none", s.Source, s.Series, s.Problems)
		}
	}

	in, err := report.Load(context.Background(), report.Input{Location: berlin, Now: now, TrailingWeeks: 12}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Series) != 2 {
		t.Fatalf("%d series stored, want one per source", len(in.Series))
	}
	googleID := "google/" + masterID
	got := report.Summaries(in)
	if len(got) != 1 {
		t.Fatalf("%d pairs, want 1", len(got))
	}
	if !slices.Equal(got[0].Series, []string{googleID}) || !slices.Equal(got[0].Sources, []string{"google", "mirror"}) {
		t.Errorf("series %v, sources %v; want [%s] and [google mirror]", got[0].Series, got[0].Sources, googleID)
	}

	// The same with the Google source alone.
	alone := in
	alone.Series = slices.DeleteFunc(slices.Clone(in.Series), func(s calendar.Series) bool { return s.Source != "google" })
	alone.Occurrences = slices.DeleteFunc(slices.Clone(in.Occurrences), func(o calendar.Occurrence) bool {
		return !strings.HasPrefix(o.SeriesID, "google/")
	})
	want := report.Summaries(alone)[0].Trailing
	if tr := got[0].Trailing; tr.Due != want.Due || tr.Kept != want.Kept || tr.Streak != want.Streak || want.Due == 0 {
		t.Errorf("both sources: due %d, kept %d, streak %d; want %d, %d, %d as with Google alone",
			tr.Due, tr.Kept, tr.Streak, want.Due, want.Kept, want.Streak)
	}
	in.Week = report.WeekOf(time.Date(2025, 3, 25, 10, 0, 0, 0, berlin), berlin) // the week of the moved slot
	alone.Week = in.Week
	r, ra := report.Build(in), report.Build(alone)
	if len(r.Pairs) != 1 || len(ra.Pairs) != 1 {
		t.Fatalf("report of the week: %d pairs, %d with Google alone; want 1", len(r.Pairs), len(ra.Pairs))
	}
	if w, wa := r.Pairs[0].Week, ra.Pairs[0].Week; w != wa || w.Planned != 1 {
		t.Errorf("report of the week: %+v, want the slot once, as with Google alone: %+v", w, wa)
	}
}
