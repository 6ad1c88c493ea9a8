package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// changed returns o with its fate changed at at (the provider's time; ""
// for none) or first seen so at seen, by by.
func changed(o calendar.Occurrence, at_, seen, by string, estimated bool) calendar.Occurrence {
	if at_ != "" {
		o.ChangedAt = at(at_)
	}
	if seen != "" {
		o.ChangeSeen = at(seen)
	}
	o.ChangedBy, o.Estimated = by, estimated
	return o
}

// noticeInput is Bob's weekly 1:1 over four weeks of 2026-W44 … W47, each
// of whose changes is known; reported on the Monday after.
func noticeInput() (Input, calendar.Series) {
	bob := series("bob", bobAddr, calendar.CadenceWeekly, "2026-10-27 10:00")
	bob.Name = "Bob"
	return Input{
		Week:          Week{2026, 47},
		Location:      berlin,
		Now:           time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC),
		TrailingWeeks: 4,
		Me:            []string{"Anna.Alias@Example.com"},
		Series:        []calendar.Series{bob},
		Occurrences: []calendar.Occurrence{
			// Cancelled by Anna under another of her addresses, 2 h ahead.
			changed(occ(bob, "2026-10-27 10:00", calendar.StateSkipped), "2026-10-27 08:00", "2026-10-27 08:05", "anna.alias@example.com", false),
			// Held, nothing changed it.
			occ(bob, "2026-11-03 10:00", calendar.StateHeld),
			// Moved by Bob three days ahead; only seen (no provider time).
			changed(occ(bob, "2026-11-10 10:00", calendar.StatePostponed, "2026-11-11 10:00"), "", "2026-11-07 10:00", bobAddr, false),
			// Declined by an assistant 30 minutes after the start, estimated.
			changed(occ(bob, "2026-11-17 10:00", calendar.StateDeclined), "2026-11-17 10:30", "", "assistant@example.com", true),
		},
	}, bob
}

// TestNoticeJSON: each occurrence of the week carries notice_hours,
// changed_by, changed_at and estimated; each left out when nothing changed.
func TestNoticeJSON(t *testing.T) {
	in, _ := noticeInput()
	in.Week = Week{2026, 46}
	in.Now = at("2026-11-16 09:00")
	r := Build(in)
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pairs []struct {
			Occurrences []map[string]any `json:"occurrences"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Pairs) != 1 || len(got.Pairs[0].Occurrences) != 1 {
		t.Fatalf("pairs %+v", got.Pairs)
	}
	o := got.Pairs[0].Occurrences[0]
	if o["notice_hours"] != 72.0 || o["changed_by"] != "counterpart" || o["changed_at"] != "2026-11-07T10:00:00+01:00" {
		t.Errorf("occurrence %v", o)
	}
	if _, ok := o["estimated"]; ok {
		t.Errorf("estimated present when false: %v", o)
	}

	// The week with nothing changed has none of the fields.
	in.Week = Week{2026, 45}
	in.Now = at("2026-11-09 09:00")
	in.TrailingWeeks = 1 // W45 alone: nothing changed in the window
	rr := Build(in)
	if oo := rr.Pairs[0].Occurrences[0]; oo.NoticeHours != nil || oo.ChangedBy != "" || !oo.ChangedAt.IsZero() || oo.Estimated {
		t.Errorf("unchanged occurrence %+v", oo)
	}
	buf.Reset()
	if err := rr.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"notice_hours", "changed_by", "changed_at", "estimated"} {
		if strings.Contains(buf.String(), `"`+k+`"`) {
			t.Errorf("unchanged week has %q:\n%s", k, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"median_notice_hours": null`) {
		t.Errorf("no change in the window: median_notice_hours should be null:\n%s", buf.String())
	}
}

// TestNoticeFields: the fields of every kind of change, to one decimal,
// the change time in the report's zone.
func TestNoticeFields(t *testing.T) {
	in, _ := noticeInput()
	in.Location = time.UTC
	rows, ok := PairHistory(in, calendar.NewPair(me, bobAddr))
	if !ok || len(rows) != 4 {
		t.Fatalf("history %v %d", ok, len(rows))
	}
	tests := []struct {
		notice float64
		by     string
		at     string
		est    bool
	}{
		{2, "me", "2026-10-27T07:00:00Z", false},
		{0, "", "", false},
		{72, "counterpart", "2026-11-07T09:00:00Z", false},
		{-0.5, "assistant@example.com", "2026-11-17T09:30:00Z", true},
	}
	for i, tt := range tests {
		o := rows[i].Occurrence
		if tt.at == "" {
			if o.NoticeHours != nil {
				t.Errorf("%d: notice %v, want none", i, *o.NoticeHours)
			}
			continue
		}
		if o.NoticeHours == nil || *o.NoticeHours != tt.notice || o.ChangedBy != tt.by ||
			o.ChangedAt.Format(time.RFC3339) != tt.at || o.Estimated != tt.est {
			t.Errorf("%d: %+v, want notice %v by %q at %s estimated %v", i, o, tt.notice, tt.by, tt.at, tt.est)
		}
	}
}

// TestTrailingChanges: the trailing change figures, exactly, and
// late_notice moving the line between late and not.
func TestTrailingChanges(t *testing.T) {
	in, bob := noticeInput()
	p := Build(in).Pairs[0].Trailing
	// Changes: 2 h, 72 h, -0.5 h; under 24 h: 2 h and -0.5 h; median 2.
	if p.LateChanges != 2 || p.MedianNoticeHours == nil || *p.MedianNoticeHours != 2 ||
		p.ChangesByMe != 1 || p.ChangesByCounterpart != 1 {
		t.Errorf("trailing %+v (median %v)", p, p.MedianNoticeHours)
	}
	in.LateNotice = 100 * time.Hour
	if p := Build(in).Pairs[0].Trailing; p.LateChanges != 3 {
		t.Errorf("late_notice 100h: late_changes %d, want 3", p.LateChanges)
	}
	in.LateNotice = time.Hour
	if p := Build(in).Pairs[0].Trailing; p.LateChanges != 1 {
		t.Errorf("late_notice 1h: late_changes %d, want 1", p.LateChanges)
	}
	// An even count: the mean of the two middle notices, to one decimal.
	in.LateNotice = 0
	in.Occurrences = append(in.Occurrences, changed(occ(bob, "2026-10-20 10:00", calendar.StateAdvanced, "2026-10-19 10:00"), "2026-10-18 13:50", "", me, false))
	in.TrailingWeeks = 5
	p = Build(in).Pairs[0].Trailing
	// Notices: -0.5, 2, 44.17, 72 → (2+44.17)/2 = 23.08 → 23.1.
	if p.MedianNoticeHours == nil || *p.MedianNoticeHours != 23.1 || p.LateChanges != 2 || p.ChangesByMe != 2 || p.ChangesByCounterpart != 1 {
		t.Errorf("even count: %+v (median %v)", p, *p.MedianNoticeHours)
	}
	// Summaries give the same figures (the one computation).
	in, _ = noticeInput()
	in.Now = at("2026-11-22 12:00")
	s := Summaries(in)
	if len(s) != 1 || s[0].Trailing.LateChanges != 2 || *s[0].Trailing.MedianNoticeHours != 2 {
		t.Errorf("summaries %+v", s)
	}
}

// TestTrailingChangesSameMeeting: a change seen through two sources of one
// meeting counts once.
func TestTrailingChangesSameMeeting(t *testing.T) {
	g, m := twoSources()
	gOcc := run(g, "2026-10-06 10:00", 7, "hhshhu")
	mOcc := run(m, "2026-10-20 10:00", 7, "shdu")
	gOcc[2] = changed(gOcc[2], "2026-10-20 09:00", "", me, false)
	mOcc[0] = changed(mOcc[0], "2026-10-20 09:00", "", me, false)
	in := Input{
		Series:        []calendar.Series{g, m},
		Occurrences:   join(gOcc, mOcc),
		Location:      berlin,
		Now:           at("2026-11-11 09:00"),
		Week:          WeekOf(at("2026-11-03 10:00"), berlin),
		TrailingWeeks: 8,
	}
	p := Build(in).Pairs[0].Trailing
	if p.LateChanges != 1 || p.ChangesByMe != 1 || *p.MedianNoticeHours != 1 {
		t.Errorf("trailing %+v", p)
	}
}

// TestChangeText: the phrases of the text, Markdown and HTML reports.
func TestChangeText(t *testing.T) {
	h := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		o    Occurrence
		who  string
		want string
	}{
		{"nothing changed", Occurrence{State: calendar.StateSkipped}, "Bob", ""},
		{"cancelled by me", Occurrence{State: calendar.StateSkipped, NoticeHours: h(2), ChangedBy: "me"}, "Bob", "cancelled by you, 2 h before"},
		{"moved by counterpart", Occurrence{State: calendar.StatePostponed, NoticeHours: h(72), ChangedBy: "counterpart"}, "Bob", "moved by Bob, 3 days before"},
		{"advanced is moved", Occurrence{State: calendar.StateAdvanced, NoticeHours: h(47.4), ChangedBy: "counterpart"}, "bob@example.com", "moved by bob@example.com, 47 h before"},
		{"declined estimated", Occurrence{State: calendar.StateDeclined, NoticeHours: h(0.5), ChangedBy: "counterpart", Estimated: true}, "Bob", "declined by Bob, 30 min before (estimated)"},
		{"someone else", Occurrence{State: calendar.StateSkipped, NoticeHours: h(1), ChangedBy: "assistant@example.com"}, "Bob", "cancelled by assistant@example.com, 1 h before"},
		{"after the start", Occurrence{State: calendar.StateSkipped, NoticeHours: h(-0.2), ChangedBy: "me"}, "Bob", "cancelled by you, 12 min after"},
		{"nobody known", Occurrence{State: calendar.StateDeclined, NoticeHours: h(50)}, "Bob", "declined, 2 days before"},
		{"restored", Occurrence{State: calendar.StateHeld, NoticeHours: h(1.6), ChangedBy: "me"}, "Bob", "restored by you, 2 h before"},
		{"one minute", Occurrence{State: calendar.StateSkipped, NoticeHours: h(1.0 / 60), ChangedBy: "me"}, "Bob", "cancelled by you, 1 min before"},
		{"59.9 minutes is an hour", Occurrence{State: calendar.StateSkipped, NoticeHours: h(0.999), ChangedBy: "me"}, "Bob", "cancelled by you, 1 h before"},
		{"47.6 h is 2 days", Occurrence{State: calendar.StateSkipped, NoticeHours: h(47.6), ChangedBy: "me"}, "Bob", "cancelled by you, 2 days before"},
		{"no name", Occurrence{State: calendar.StateSkipped, NoticeHours: h(3), ChangedBy: "counterpart"}, "", "cancelled by the counterpart, 3 h before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.ChangeText(tt.who); got != tt.want {
				t.Errorf("ChangeText = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestChangesInRenderers: every format shows the change phrase and the
// trailing change figures, with the counterpart's name.
func TestChangesInRenderers(t *testing.T) {
	in, _ := noticeInput()
	r := Build(in)
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"declined Tue 17 Nov 10:00; declined by assistant@example.com, 30 min after (estimated)", "CHANGES", "2 late; median notice 2 h; by you 1, by Bob 1"}},
		{"markdown", []string{"; declined by assistant@example.com, 30 min after (estimated)", "| Changes |", "| 2 late; median notice 2 h; by you 1, by Bob 1 |"}},
		{"html", []string{`<span class="change">declined by assistant@example.com, 30 min after (estimated)</span>`, "<dt>Late changes</dt><dd>2</dd>", "<dt>Median notice</dt><dd>2 h</dd>", "<dt>Changed by</dt><dd>you 1, Bob 1</dd>"}},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, r, tc.format); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s lacks %q:\n%s", tc.format, w, buf.String())
			}
		}
	}
	var buf bytes.Buffer
	in.Now = at("2026-11-22 12:00")
	if err := WriteSummariesText(&buf, Summaries(in)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "CHANGES") || !strings.Contains(buf.String(), "2 late; median notice 2 h; by you 1, by Bob 1") {
		t.Errorf("summaries text:\n%s", buf.String())
	}
}
