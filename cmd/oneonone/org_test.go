package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/calendar/google"
	"oneonone/internal/fake/googleapi"
	fakeoauth "oneonone/internal/fake/oauth"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/web"
)

// perUserBudget is what one subject may cost in one cycle: Google's quota
// is per user (600 requests a minute by default), and a cycle of one
// calendar lists it and writes at most its block.
const perUserBudget = 4

// orgFixture is a Workspace: a service account on the fake token endpoint,
// the fake Calendar API that knows whose token a request carries, and a
// weekly 1:1 in the primary calendar of each subject.
type orgFixture struct {
	dir, cfgPath, subjectsPath string
	auth                       *fakeoauth.Server
	api                        *googleapi.Server
}

func newOrgFixture(t *testing.T, subjects []string) *orgFixture {
	t.Helper()
	f := &orgFixture{dir: t.TempDir(), auth: fakeoauth.NewServer(t), api: googleapi.New()}
	f.api.SetAuth(f.auth.SubjectOf)
	hs := httptest.NewServer(f.api)
	t.Cleanup(hs.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sa := filepath.Join(f.dir, "sa.json")
	if err := os.WriteFile(sa, f.auth.ServiceAccountJSON("sync@org-test.iam.gserviceaccount.com", key), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, sub := range subjects {
		f.api.AddCalendar(sub, sub, "Europe/Berlin")
		if err := f.api.Apply(sub, weeklyOneOnOne(sub, fmt.Sprintf("report%d@example.com", i))); err != nil {
			t.Fatal(err)
		}
	}
	f.subjectsPath = filepath.Join(f.dir, "subjects")
	f.writeSubjects(t, subjects)
	f.cfgPath = filepath.Join(f.dir, "config.toml")
	cfg := fmt.Sprintf(`state = %q
timezone = "Europe/Berlin"

[[source]]
name = "ws"
kind = "google"
service_account = %q
subjects_file = %q
endpoint = %q
`, filepath.Join(f.dir, "state.db"), sa, f.subjectsPath, hs.URL+"/")
	if err := os.WriteFile(f.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *orgFixture) writeSubjects(t *testing.T, subjects []string) {
	t.Helper()
	text := "# the managers, one a line\n\n" + strings.Join(subjects, "\n") + "\n"
	if err := os.WriteFile(f.subjectsPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// weeklyOneOnOne is a weekly 1:1 that me organises with with.
func weeklyOneOnOne(me, with string) []byte {
	id := strings.NewReplacer("@", "", ".", "")
	return []byte(fmt.Sprintf(`{"kind":"calendar#event","id":"w%s","status":"confirmed","summary":"1:1",
"organizer":{"email":%q,"self":true},"creator":{"email":%q,"self":true},
"start":{"dateTime":"2026-09-01T10:00:00+02:00","timeZone":"Europe/Berlin"},
"end":{"dateTime":"2026-09-01T10:30:00+02:00","timeZone":"Europe/Berlin"},
"recurrence":["RRULE:FREQ=WEEKLY"],"iCalUID":"w%s@google.com",
"attendees":[{"email":%q,"organizer":true,"self":true,"responseStatus":"accepted"},{"email":%q,"responseStatus":"accepted"}]}`,
		id.Replace(me), me, me, id.Replace(me), me, with))
}

func sourceNames(srcs []sync.NamedSource) []string {
	var out []string
	for _, s := range srcs {
		out = append(out, s.Name)
	}
	return out
}

// TestSubjectsOneSourceEach: a service account acting for the users of
// subjects_file is one source per user, each watching that user's primary
// calendar with a token for that user; identity.me is implied by them; a
// subject whose delegation is refused (at the token endpoint, or by the
// API) is one named problem and the rest sync; each user's requests stay
// within a per-user budget; the one limiter of the process is consulted
// for every request.
func TestSubjectsOneSourceEach(t *testing.T) {
	subjects := []string{"anna@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com", "frank@example.com"}
	for i := range 34 {
		subjects = append(subjects, fmt.Sprintf("manager%02d@example.com", i))
	}
	f := newOrgFixture(t, subjects)
	f.auth.RefuseSubject("bob@example.com", http.StatusUnauthorized, "unauthorized_client")
	f.api.RefuseSubject("carol@example.com")
	// Google's per-user quota, as the fake enforces it: both cycles below
	// fall in one minute of its clock, so each subject has two cycles'
	// budget; a request past it would be refused (and counted).
	f.api.SetPerUserQuota(2*perUserBudget, func() time.Time { return time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC) })

	cfg, err := loadConfig(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Me(), subjects) {
		t.Errorf("Me() = %v, want the subjects %v", cfg.Me(), subjects)
	}
	// The limiter of the process at 60 a minute, with a clock that stands
	// still and a sleep that only counts: past the bucket (6), every
	// request must wait.
	var sleeps int
	googleLimit.Now = func() time.Time { return time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC) }
	googleLimit.Sleep = func(ctx context.Context, d time.Duration) error { sleeps++; return nil }
	t.Cleanup(func() { googleLimit.Now, googleLimit.Sleep = nil, nil })
	cfg.Google.MaxRequestsPerMinute = 60
	waits0 := googleLimit.Waits()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srcs, err := buildSources(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range subjects {
		want = append(want, "ws/"+s)
	}
	if got := sourceNames(srcs); !slices.Equal(got, want) {
		t.Fatalf("sources = %v, want %v", got, want)
	}
	st, err := store.Open(filepath.Join(f.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := newEngine(cfg, st, srcs, log)
	if err != nil {
		t.Fatal(err)
	}
	for cycle := 1; cycle <= 2; cycle++ {
		before := f.api.RequestsBySubject()
		sums, err := eng.SyncAll(context.Background())
		if err == nil {
			t.Fatalf("cycle %d: no error, want bob's and carol's", cycle)
		}
		msg := err.Error()
		t.Logf("cycle %d: %s", cycle, msg)
		for _, who := range []string{"bob@example.com", "carol@example.com"} {
			if !strings.Contains(msg, "sync source ws/"+who+": ") || !strings.Contains(msg, "Google refused delegation for "+who+": ") {
				t.Errorf("cycle %d: the error does not name %s's refused delegation: %s", cycle, who, msg)
			}
		}
		if n := strings.Count(msg, "\n") + 1; n != 2 {
			t.Errorf("cycle %d: %d problems, want 2 (bob, carol): %s", cycle, n, msg)
		}
		for _, sum := range sums {
			refused := sum.Source == "ws/bob@example.com" || sum.Source == "ws/carol@example.com"
			if refused != (sum.Err != nil) {
				t.Errorf("cycle %d: %s: error %v", cycle, sum.Source, sum.Err)
			}
			if !refused && sum.Series != 1 {
				t.Errorf("cycle %d: %s: %d series, want its 1:1", cycle, sum.Source, sum.Series)
			}
		}
		after := f.api.RequestsBySubject()
		for _, s := range subjects {
			if n := after[s] - before[s]; n > perUserBudget {
				t.Errorf("cycle %d: %s made %d requests, more than the per-user budget %d", cycle, s, n, perUserBudget)
			}
		}
		if after["bob@example.com"] != 0 {
			t.Errorf("bob, refused at the token endpoint, reached the API %d times", after["bob@example.com"])
		}
	}
	if n := f.api.QuotaRefusals(); n != 0 {
		t.Errorf("%d requests were past a subject's per-user quota", n)
	}
	// Every request was for its own subject: each made some, the API saw
	// no other user.
	by := f.api.RequestsBySubject()
	for _, s := range subjects {
		if s != "bob@example.com" && by[s] == 0 {
			t.Errorf("%s made no request", s)
		}
	}
	var total int64
	for _, n := range by {
		total += n
	}
	if total != f.api.Requests() {
		t.Errorf("requests by subject add up to %d, the API served %d", total, f.api.Requests())
	}
	for _, g := range f.auth.JWTGrants() {
		if !slices.Contains(subjects, g.Subject) || g.Subject == "bob@example.com" {
			t.Errorf("a token was issued for %q", g.Subject)
		}
	}
	// The clients count every request they made, bob's two that failed at
	// the token endpoint included.
	var made int64
	for _, s := range srcs {
		made += s.Source.(*google.Client).Requests()
	}
	if made != f.api.Requests()+2 {
		t.Errorf("the clients made %d requests, the API served %d (+2 of bob's)", made, f.api.Requests())
	}
	waits := googleLimit.Waits() - waits0
	if waits != made {
		t.Errorf("the limiter was consulted %d times for %d requests", waits, made)
	}
	if want := int(waits) - 6; sleeps != want {
		t.Errorf("%d requests waited on the limiter, want %d (all past the bucket of 6)", sleeps, want)
	}
	// The report names the two refused subjects' sources as stale (their
	// status is stored under ws/<address>), and no other.
	in, err := reportInput(cfg, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, s := range in.Stale {
		stale = append(stale, s.Name)
	}
	if want := []string{"ws/bob@example.com", "ws/carol@example.com"}; !slices.Equal(stale, want) {
		t.Errorf("stale sources in the report = %v, want %v", stale, want)
	}
}

// TestSubjectsFileReloaded: SIGHUP's reload reads subjects_file again, and
// the new instance has the sources of the new list.
func TestSubjectsFileReloaded(t *testing.T) {
	f := newOrgFixture(t, []string{"anna@example.com", "bob@example.com"})
	cfg, err := loadConfig(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(f.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := make([]byte, 32)
	ctx := context.Background()
	inst, err := newInstance(ctx, cfg, st, "", key, metrics, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sourceNames(inst.daemon.Engine.Sources), []string{"ws/anna@example.com", "ws/bob@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("sources = %v, want %v", got, want)
	}
	f.writeSubjects(t, []string{"bob@example.com", "carol@example.com", "dave@example.com"})
	next, err := reload(ctx, f.cfgPath, cfg, st, key, metrics, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sourceNames(next.daemon.Engine.Sources), []string{"ws/bob@example.com", "ws/carol@example.com", "ws/dave@example.com"}; !slices.Equal(got, want) {
		t.Errorf("after the reload: sources = %v, want %v", got, want)
	}
	if got := next.cfg.Me(); !slices.Equal(got, []string{"bob@example.com", "carol@example.com", "dave@example.com"}) {
		t.Errorf("after the reload: Me() = %v", got)
	}
	// A file broken meanwhile is refused with its line; the running
	// config stays.
	if err := os.WriteFile(f.subjectsPath, []byte("bob@example.com\nnot an address\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := reload(ctx, f.cfgPath, next.cfg, st, key, metrics, reg, log); err == nil || !strings.Contains(err.Error(), f.subjectsPath+":2: ") {
		t.Errorf("reload with a bad line: %v, want %s:2: …", err, f.subjectsPath)
	}
}
