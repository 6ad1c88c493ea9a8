package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/agendatest"
	"oneonone/store"
	"oneonone/web"
)

// pointsState opens the state file of the config at cfgPath.
func pointsState(t *testing.T, cfgPath string) *store.Store {
	t.Helper()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.State)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// seedHeld stores a series of the pair with agendatest.With and one held
// occurrence that started at held, and a point of that pair added
// before it; it returns the point's ID.
func seedHeld(t *testing.T, st *store.Store, held time.Time) string {
	t.Helper()
	pair := calendar.NewPair(agendatest.Me[0], agendatest.With)
	ser := calendar.Series{ID: "s1", Pair: pair, Me: agendatest.Me[0], Counterpart: agendatest.With, Title: "Anna / Bob 1:1", Source: "team"}
	occ := calendar.Occurrence{SeriesID: "s1", Pair: pair, OriginalStart: held, Start: held, End: held.Add(30 * time.Minute), State: calendar.StateHeld}
	if err := st.SaveHistory("team", []calendar.Series{ser}, []calendar.Occurrence{occ}); err != nil {
		t.Fatal(err)
	}
	p, err := agenda.NewPoint(agenda.PointInput{Me: agendatest.Me, With: agendatest.With, Text: "the offsite", Now: held.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = st.AddPoint(p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func listPoints(t *testing.T, args ...string) []web.PointView {
	t.Helper()
	var list []web.PointView
	out := mustRun(t, append([]string{"points", "list", "--format", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("points list --format json: %v\n%s", err, out)
	}
	return list
}

// TestPointsAddRefused: points add refuses what agenda.NewPoint refuses,
// as a usage error naming the flag, and stores nothing.
func TestPointsAddRefused(t *testing.T) {
	cfg := actionsConfig(t)
	flagOf := map[string]string{agenda.FieldWith: "--with", agenda.FieldOwner: "--author", agenda.FieldText: "TEXT"}
	cases := []agendatest.Refusal{{Name: "text one over the point limit", With: agendatest.With, Text: strings.Repeat("a", agenda.MaxPointText+1), Field: agenda.FieldText}}
	for _, r := range agendatest.Refusals {
		if r.Due == "" {
			cases = append(cases, r)
		}
	}
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			args := []string{"points", "add", "--config", cfg, "--force", "--with", tt.With}
			if tt.Owner != "" {
				args = append(args, "--author", tt.Owner)
			}
			code, out, errs := runCmd(t, append(args, tt.Text)...)
			want := "oneonone points: " + flagOf[tt.Field] + ": "
			if code != 2 || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %.200q; want exit 2 and stderr starting %q", code, out, errs, want)
			}
		})
	}
	// A counterpart of no known 1:1 wants --force.
	code, _, errs := runCmd(t, "points", "add", "--config", cfg, "--with", agendatest.With, "x")
	if code != 2 || !strings.Contains(errs, "--force") {
		t.Errorf("unknown counterpart: exit %d, stderr %q", code, errs)
	}
	if list := listPoints(t, "--config", cfg, "--all"); len(list) != 0 {
		t.Errorf("stored after refusals: %+v", list)
	}
}

// TestPointsCommands: add, list, done (in the latest held 1:1), reopen and
// delete on the state file.
func TestPointsCommands(t *testing.T) {
	cfg := actionsConfig(t)
	st := pointsState(t, cfg)
	held := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	seeded := seedHeld(t, st, held)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, "points", "add", "--config", cfg, "--with", agendatest.With, "--author", agendatest.With, "  the", "budget  ")
	if out != "added talking point p2 for "+agendatest.With+": the budget\n" {
		t.Errorf("points add: %q", out)
	}
	list := listPoints(t, "--config", cfg, "--with", agendatest.With)
	if len(list) != 2 || list[0].ID != seeded || list[1].Author != agendatest.With || list[1].Text != "the budget" || !list[1].Discussed.IsZero() {
		t.Fatalf("points list = %+v", list)
	}
	if out := mustRun(t, "points", "list", "--config", cfg); !strings.Contains(out, "the budget") || !strings.Contains(out, "open") {
		t.Errorf("points list (text):\n%s", out)
	}

	if out := mustRun(t, "points", "done", "--config", cfg, seeded); out != "talking point "+seeded+" discussed: the offsite\n" {
		t.Errorf("points done: %q", out)
	}
	if list := listPoints(t, "--config", cfg); len(list) != 1 || list[0].ID != "p2" {
		t.Errorf("open points after done: %+v", list)
	}
	all := listPoints(t, "--config", cfg, "--all")
	if len(all) != 2 || !all[0].Meeting.Equal(held) || all[0].Discussed.IsZero() {
		t.Errorf("the point done is discussed in the 1:1 held at %v: %+v", held, all)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	if out := mustRun(t, "points", "list", "--config", cfg, "--all"); !strings.Contains(out, "discussed "+held.In(loc).Format(time.DateOnly)) {
		t.Errorf("points list --all does not show the meeting:\n%s", out)
	}

	if out := mustRun(t, "points", "reopen", "--config", cfg, seeded); out != "talking point "+seeded+" reopened: the offsite\n" {
		t.Errorf("points reopen: %q", out)
	}
	if list := listPoints(t, "--config", cfg); len(list) != 2 || !list[0].Meeting.IsZero() {
		t.Errorf("open points after reopen: %+v", list)
	}
	if out := mustRun(t, "points", "delete", "--config", cfg, "p2"); out != "deleted talking point p2 for "+agendatest.With+": the budget\n" {
		t.Errorf("points delete: %q", out)
	}
	for _, verb := range []string{"done", "reopen", "delete"} {
		if code, _, errs := runCmd(t, "points", verb, "--config", cfg, "p2"); code != 1 || !strings.Contains(errs, "no talking point p2") {
			t.Errorf("points %s of a deleted point: exit %d, %q", verb, code, errs)
		}
	}
	if code, _, _ := runCmd(t, "points", "done", "--config", cfg); code != 2 {
		t.Errorf("points done without an ID: exit %d, want 2", code)
	}
	if code, _, errs := runCmd(t, "points", "frob"); code != 2 || !strings.Contains(errs, "unknown points command") {
		t.Errorf("points frob: exit %d, %q", code, errs)
	}
}

// TestPointsThroughDaemon: while the daemon holds the state file, every
// points command goes through its control socket (the same API), with
// the same answers and refusals.
func TestPointsThroughDaemon(t *testing.T) {
	cfgPath := actionsConfig(t)
	st := pointsState(t, cfgPath)
	t.Cleanup(func() { st.Close() })
	held := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	seeded := seedHeld(t, st, held)
	loc, _ := time.LoadLocation("Europe/Berlin")
	srv, err := web.New(web.Options{Store: st, Me: agendatest.Me, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	hs, ln, err := web.ListenUnix(controlSocket(cfg), srv.ControlHandler(), web.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	if out := mustRun(t, "points", "add", "--config", cfgPath, "--with", agendatest.With, "the", "budget"); out != "added talking point p2 for "+agendatest.With+": the budget\n" {
		t.Errorf("points add: %q", out)
	}
	// Refused by the daemon as without it: the flag named.
	if code, _, errs := runCmd(t, "points", "add", "--config", cfgPath, "--with", "carl@example.com", "x"); code != 2 || !strings.Contains(errs, "--force") {
		t.Errorf("unknown counterpart through the daemon: exit %d, %q", code, errs)
	}
	list := listPoints(t, "--config", cfgPath, "--with", agendatest.With)
	if len(list) != 2 || list[1].Text != "the budget" || list[1].Author != agendatest.Me[0] {
		t.Fatalf("points list through the daemon = %+v", list)
	}
	if out := mustRun(t, "points", "done", "--config", cfgPath, seeded); out != "talking point "+seeded+" discussed: the offsite\n" {
		t.Errorf("points done: %q", out)
	}
	p, _, err := st.Point(seeded)
	if err != nil || !p.Meeting.Equal(held) {
		t.Errorf("discussed through the daemon in %v, want the 1:1 held at %v (%v)", p.Meeting, held, err)
	}
	if all := listPoints(t, "--config", cfgPath, "--all"); len(all) != 2 || !all[0].Meeting.Equal(held) {
		t.Errorf("points list --all through the daemon = %+v", all)
	}
	if out := mustRun(t, "points", "reopen", "--config", cfgPath, seeded); !strings.HasPrefix(out, "talking point "+seeded+" reopened") {
		t.Errorf("points reopen: %q", out)
	}
	if out := mustRun(t, "points", "delete", "--config", cfgPath, "p2"); out != "deleted talking point p2 for "+agendatest.With+": the budget\n" {
		t.Errorf("points delete: %q", out)
	}
	if code, _, errs := runCmd(t, "points", "delete", "--config", cfgPath, "p2"); code != 1 || !strings.Contains(errs, "no talking point p2") {
		t.Errorf("points delete of a deleted point through the daemon: exit %d, %q", code, errs)
	}
	if ps, _ := st.Points(calendar.Pair{}); len(ps) != 1 || !ps[0].Open() {
		t.Errorf("stored after the commands: %+v", ps)
	}
}

// TestPointsInWrittenBlock: a point added on the command line is in the
// block the next sync writes into bob's 1:1, above the open actions; once
// discussed, the sync after shows it ticked (until the next 1:1 begins).
func TestPointsInWrittenBlock(t *testing.T) {
	cfg, dav, team := userFlow(t)
	bob := team.People[0].Email
	mustRun(t, "sync", "--config", cfg)
	mustRun(t, "actions", "add", "--config", cfg, "--with", bob, "send the draft")
	out := mustRun(t, "points", "add", "--config", cfg, "--with", bob, "the offsite budget")
	id := strings.Fields(out)[3]
	mustRun(t, "sync", "--config", cfg)

	// bob's series objects, unfolded, with their blocks.
	blocks := func() []string {
		var got []string
		for _, obj := range team.Objects {
			data, _, ok := dav.Object("/anna/calendars/" + obj.Calendar + "/" + obj.Name)
			text := strings.ReplaceAll(string(data), "\r\n ", "")
			if ok && strings.Contains(text, "-- oneonone agenda --") && strings.Contains(text, "send the draft") {
				got = append(got, text)
			}
		}
		return got
	}
	written := blocks()
	if len(written) == 0 {
		t.Fatal("no block with bob's action was written")
	}
	for _, text := range written {
		point := strings.Index(text, "- [ ] anna@example.com: the offsite budget")
		action := strings.Index(text, "send the draft")
		if point < 0 || point > action || point < strings.Index(text, "-- oneonone agenda --") {
			t.Errorf("the point is not in the block above the actions:\n%s", text)
		}
	}

	mustRun(t, "points", "done", "--config", cfg, id)
	mustRun(t, "sync", "--config", cfg)
	for _, text := range blocks() {
		if strings.Contains(text, "- [ ] anna@example.com: the offsite budget") || !strings.Contains(text, "- [x] anna@example.com: the offsite budget") {
			t.Errorf("a discussed point is not shown ticked in the block:\n%s", text)
		}
	}
}

// TestBlockMaxPoints: agenda.max_points = 0 shows no point in the block,
// only their count (agenda.Block's 0 would be its default, 5).
func TestBlockMaxPoints(t *testing.T) {
	for n, want := range map[int]int{0: -1, 1: 1, 5: 5, 50: 50} {
		if got := blockMaxPoints(n); got != want {
			t.Errorf("blockMaxPoints(%d) = %d, want %d", n, got, want)
		}
	}
}
