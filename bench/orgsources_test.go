package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"oneonone/calendar/caldav"
	"oneonone/calendar/google"
	"oneonone/calendar/google/oauth"
	"oneonone/config"
	"oneonone/internal/fake/caldavserver"
	fakeoauth "oneonone/internal/fake/oauth"
	"oneonone/sync"
)

// An organisation given as one source definition that stands for many
// people (README.md, "For an organisation"): a Google service account
// acting for each manager (subjects), or a CalDAV accounts_file with a
// login per manager. Each manager is a source of its own, so each one's
// requests are counted by itself, as Google's per-user quota and a CalDAV
// server's log count them.

// orgPeople is one of the two kinds of organisation, set up: the servers
// holding every manager's calendar and the config that names them.
type orgPeople struct {
	cals []*Calendar
	cfg  *config.Config
	// requests is every request the calendar server answered; by is the
	// requests of one manager (subject or account), by address.
	requests func() int64
	by       func(address string) int64
	// writes counts the requests that changed something.
	writes func() int64
	// tokens counts the access tokens issued (Google: one JWT grant per
	// subject an hour); nil for CalDAV.
	tokens func() int64
}

// orgCalendarsOf is orgCalendars with another number of reports.
func orgCalendarsOf(managers, reports int) []*Calendar {
	cals := make([]*Calendar, managers)
	for i := range cals {
		cals[i] = Generate(Spec{
			Owner: fmt.Sprintf("manager%d@example.com", i), Series: reports, NoisePerSeries: 0.25,
			Now: benchNow, Years: 2, Zone: berlin(), Seed: uint64(100 + i),
		})
	}
	return cals
}

// parseConfig writes the service's config (state in dir) and reads it as
// the daemon does: config.Parse validates it and reads the files it names.
func parseConfig(tb testing.TB, dir, sources string) *config.Config {
	tb.Helper()
	text := fmt.Sprintf("state = %q\ntimezone = \"Europe/Berlin\"\n\n%s", filepath.Join(dir, "state.db"), sources)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.Parse([]byte(text), path)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// newOrgGoogle is a Workspace: the fake OAuth server issuing a token per
// subject for a service account, the fake Calendar API knowing whose token
// a request carries ("primary" is that user's calendar) and holding each
// manager's calendar, and a config with one source whose subjects are the
// managers. google.max_requests_per_minute is 0, no ceiling: the limiter
// is tested elsewhere (calendar/google, cmd/oneonone's TestSubjects…),
// and here it would only measure the ceiling.
func newOrgGoogle(tb testing.TB, cals []*Calendar, pageSize int) *orgPeople {
	tb.Helper()
	dir := tb.TempDir()
	auth := fakeoauth.NewServer(tb)
	g := newGoogle(tb, cals...) // each calendar's id is its owner: that user's primary
	g.srv.SetAuth(auth.SubjectOf)
	g.srv.SetPageSize(pageSize)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	sa := filepath.Join(dir, "sa.json")
	if err := os.WriteFile(sa, auth.ServiceAccountJSON("sync@org-bench.iam.gserviceaccount.com", key), 0o600); err != nil {
		tb.Fatal(err)
	}
	subjects := make([]string, len(cals))
	for i, c := range cals {
		subjects[i] = strconv.Quote(c.Spec.Owner)
	}
	cfg := parseConfig(tb, dir, fmt.Sprintf(`[[source]]
name = "ws"
kind = "google"
service_account = %q
subjects = [%s]
endpoint = %q

[google]
max_requests_per_minute = 0
`, sa, strings.Join(subjects, ", "), g.ts.URL+"/"))
	return &orgPeople{
		cals: cals, cfg: cfg,
		requests: g.srv.Requests,
		by:       g.srv.RequestsBy,
		writes:   g.srv.Writes,
		tokens:   func() int64 { return int64(auth.Stats().JWTGrants) },
	}
}

// newOrgCalDAV is a CalDAV server with an account per manager on one URL
// (caldavserver.Accounts: the login picks the principal), each account
// holding that manager's calendar, and a config with one source whose
// accounts_file lists them, a password file each.
func newOrgCalDAV(tb testing.TB, cals []*Calendar) *orgPeople {
	tb.Helper()
	dir := tb.TempDir()
	accts := caldavserver.NewAccounts()
	var lines []string
	users := map[string]string{} // address → username
	for i, c := range cals {
		user := fmt.Sprintf("manager%d", i)
		pw := fmt.Sprintf("pw-%d", i)
		s := accts.Add(user, pw)
		p, err := s.CreateCalendar("work", c.Spec.Owner)
		if err != nil {
			tb.Fatal(err)
		}
		for _, t := range c.Things {
			if _, _, err := s.PutObject(p, t.UID+".ics", c.ICS(t)); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, user+".pw"), []byte(pw+"\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s.pw", c.Spec.Owner, user, user))
		users[c.Spec.Owner] = user
	}
	accounts := filepath.Join(dir, "accounts")
	if err := os.WriteFile(accounts, []byte("# address username password_file\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	var writes atomic.Int64
	h := accts.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, "PROPFIND", "REPORT":
		default:
			writes.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	cfg := parseConfig(tb, dir, fmt.Sprintf(`[[source]]
name = "team"
kind = "caldav"
url = %q
accounts_file = %q
`, ts.URL+"/", accounts))
	return &orgPeople{
		cals: cals, cfg: cfg,
		requests: accts.Requests,
		by:       func(address string) int64 { return accts.RequestsBy(users[address]) },
		writes:   writes.Load,
	}
}

// orgSources builds the sources of cfg's sources that stand for many
// people as cmd/oneonone's buildSources does (wiring.go; package main, so
// not importable): per subject a service account token source for that
// subject and a Google client on the shared limiter, per account a CalDAV
// client with that account's login, each named NameFor(address).
func orgSources(tb testing.TB, cfg *config.Config) []sync.NamedSource {
	tb.Helper()
	ctx := context.Background()
	limit := google.NewLimiter(cfg.Google.MaxRequestsPerMinute)
	var out []sync.NamedSource
	for i := range cfg.Sources {
		sc := &cfg.Sources[i]
		if !sc.Many() {
			tb.Fatalf("source %s stands for one person", sc.Name)
		}
		zone := sc.Location(cfg.Location())
		switch sc.Kind {
		case config.KindGoogle:
			scope := oauth.ScopeFor(sc.Calendar, cfg.Me())
			for _, sub := range sc.DelegatedSubjects() {
				ts, err := oauth.ServiceAccount(ctx, sc.ServiceAccount, sub, scope)
				if err != nil {
					tb.Fatal(err)
				}
				c, err := google.New(ctx, google.Options{
					Calendar: sc.Calendar, Endpoint: sc.Endpoint, HTTPClient: oauth.HTTPClient(ctx, ts, sc.Name), Zone: zone,
					Subject: sub, Limiter: limit, Logger: quiet,
				})
				if err != nil {
					tb.Fatal(err)
				}
				out = append(out, sync.NamedSource{Name: sc.NameFor(sub), Source: c})
			}
		case config.KindCalDAV:
			for _, a := range sc.Accounts() {
				pw, err := a.Password()
				if err != nil {
					tb.Fatal(err)
				}
				c, err := caldav.New(caldav.Options{
					URL: sc.URL, Username: a.Username, Password: pw, Calendars: sc.Calendars, Zone: zone,
					HeaderTimeout: sc.HeaderTimeout.Duration, IdleTimeout: sc.IdleTimeout.Duration, Logger: quiet,
				})
				if err != nil {
					tb.Fatal(err)
				}
				out = append(out, sync.NamedSource{Name: sc.NameFor(a.Address), Source: c})
			}
		default:
			tb.Fatalf("source %s: kind %q", sc.Name, sc.Kind)
		}
	}
	return out
}

// orgCounts is what one cycle cost the servers.
type orgCounts struct {
	requests, writes, tokens int64
	by                       map[string]int64 // requests per manager
}

// count runs f and returns what the servers answered meanwhile.
func (o *orgPeople) count(f func()) orgCounts {
	before := make(map[string]int64, len(o.cals))
	for _, c := range o.cals {
		before[c.Spec.Owner] = o.by(c.Spec.Owner)
	}
	r0, w0 := o.requests(), o.writes()
	var t0 int64
	if o.tokens != nil {
		t0 = o.tokens()
	}
	f()
	n := orgCounts{requests: o.requests() - r0, writes: o.writes() - w0, by: make(map[string]int64, len(o.cals))}
	if o.tokens != nil {
		n.tokens = o.tokens() - t0
	}
	for _, c := range o.cals {
		n.by[c.Spec.Owner] = o.by(c.Spec.Owner) - before[c.Spec.Owner]
	}
	return n
}

func (n orgCounts) maxBy() int64 {
	var m int64
	for _, v := range n.by {
		m = max(m, v)
	}
	return m
}

// BenchmarkOrgSources is BenchmarkOrg's organisation (1,000 managers ×
// 20 reports, two years of history; BENCH_ORG_MANAGERS changes the
// 1,000) given as many people in one source definition, each manager
// synced as a source of its own, built from the config as the daemon
// builds them:
//
//   - google-subjects: a service account with subjects = the managers,
//     against the fake Google API (each manager's primary calendar) with a
//     token per subject from the fake OAuth server;
//     google.max_requests_per_minute = 0 (no ceiling);
//   - caldav-accounts: accounts_file with a login per manager against the
//     in-process CalDAV server (caldavserver.Accounts), each account
//     seeing its own calendar.
//
// For each, cold is building the sources and the first cycle into an empty
// store with Engine.History two years (Google's first cycle includes a
// token request per subject); cycle is a later quiet cycle five minutes
// after the one before, default window, agenda write-back off, as in
// BenchmarkOrg. Besides time and memory each reports the requests the
// calendar server answered (requests/op), the most that one manager's
// requests came to in one cycle (max-requests-per-person), and the series.
func BenchmarkOrgSources(b *testing.B) {
	cals := orgCalendars(orgManagers())
	series := 0
	for _, c := range cals {
		series += c.SeriesCount()
	}
	for _, kind := range []struct {
		name string
		make func(testing.TB) *orgPeople
	}{
		{"google-subjects", func(tb testing.TB) *orgPeople { return newOrgGoogle(tb, cals, 0) }},
		{"caldav-accounts", func(tb testing.TB) *orgPeople { return newOrgCalDAV(tb, cals) }},
	} {
		b.Run(kind.name, func(b *testing.B) {
			org := kind.make(b)
			benchOrgPeople(b, org, series)
		})
	}
}

func benchOrgPeople(b *testing.B, org *orgPeople, series int) {
	now := benchNow
	var eng *sync.Engine
	defer func() {
		if eng != nil {
			eng.Store.Close()
		}
	}()
	cold := func(b *testing.B) sync.Summary {
		if eng != nil {
			eng.Store.Close()
		}
		srcs := orgSources(b, org.cfg)
		eng = newEngine(b, iterDir(b), srcs, org.cals, &now, engineOpts{history: 2 * year})
		sum := total(syncAll(b, eng))
		eng.History = 0
		return sum
	}
	report := func(b *testing.B, reqs, maxBy, tokens int64, iters int, peakMax, baseMax uint64, cpu time.Duration) {
		b.ReportMetric(float64(reqs)/float64(iters), "requests/op")
		b.ReportMetric(float64(maxBy), "max-requests-per-person")
		if org.tokens != nil {
			b.ReportMetric(float64(tokens)/float64(iters), "token-requests/op")
		}
		b.ReportMetric(float64(series), "series")
		b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
		if baseMax > 0 {
			b.ReportMetric(float64(baseMax)/mb, "base-heap-MB")
		}
		b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
	}

	b.Run("cold", func(b *testing.B) {
		var peakMax uint64
		var reqs, maxBy, tokens int64
		var cpu time.Duration
		var sum sync.Summary
		iters := 0
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			p, _ := watchPeak()
			c0 := cpuTime()
			var n orgCounts
			b.StartTimer()
			n = org.count(func() { sum = cold(b) })
			b.StopTimer()
			cpu += cpuTime() - c0
			peakMax = max(peakMax, p.Stop())
			reqs, tokens, maxBy = reqs+n.requests, tokens+n.tokens, max(maxBy, n.maxBy())
			iters++
			b.StartTimer()
		}
		if sum.Series != series || sum.Calendars != len(org.cals) {
			b.Fatalf("%d series in %d calendars, want %d in %d", sum.Series, sum.Calendars, series, len(org.cals))
		}
		b.ReportMetric(float64(len(org.cals)), "sources")
		report(b, reqs, maxBy, tokens, iters, peakMax, 0, cpu)
	})

	b.Run("cycle", func(b *testing.B) {
		if eng == nil {
			cold(b)
		}
		// The cold cycle kept two years; the daemon recomputes the
		// default window: one cycle under that setting first.
		syncAll(b, eng)
		var peakMax, baseMax uint64
		var reqs, maxBy, tokens int64
		var cpu time.Duration
		iters := 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			p, base := watchPeak()
			c0 := cpuTime()
			now = now.Add(5 * time.Minute)
			var sum sync.Summary
			b.StartTimer()
			n := org.count(func() { sum = total(syncAll(b, eng)) })
			b.StopTimer()
			cpu += cpuTime() - c0
			peakMax, baseMax = max(peakMax, p.Stop()), max(baseMax, base)
			reqs, tokens, maxBy = reqs+n.requests, tokens+n.tokens, max(maxBy, n.maxBy())
			iters++
			if sum.Changed != 0 || n.writes != 0 {
				b.Fatalf("a quiet cycle changed %d objects and wrote %d times", sum.Changed, n.writes)
			}
			b.StartTimer()
		}
		report(b, reqs, maxBy, tokens, iters, peakMax, baseMax, cpu)
	})
}
