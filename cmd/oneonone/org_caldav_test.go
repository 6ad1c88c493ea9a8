package main

import (
	"context"
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

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/internal/fake/caldavserver"
	"oneonone/store"
	"oneonone/web"
)

// weeklyICS is a weekly 1:1 that me organises with with.
func weeklyICS(uid, me, with string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//oneonone//test//EN
BEGIN:VEVENT
UID:%s
DTSTAMP:20260901T080000Z
DTSTART;TZID=Europe/Berlin:20260901T100000
DTEND;TZID=Europe/Berlin:20260901T103000
RRULE:FREQ=WEEKLY
SUMMARY:1:1
ORGANIZER:mailto:%s
ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s
ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s
END:VEVENT
END:VCALENDAR
`, uid, me, me, with), "\n", "\r\n"))
}

// TestAccountsFileOneSourceEach: a CalDAV source's accounts_file is one
// source per line, each logging in with its own credentials on the
// source's url; identity.me is implied by the addresses; an account whose
// password the server refuses is one named problem, the rest sync; a
// reload (SIGHUP) reads the file again, lines and password files.
func TestAccountsFileOneSourceEach(t *testing.T) {
	dir := t.TempDir()
	users := map[string]*caldavserver.Server{}
	accounts := []struct{ address, user, password string }{
		{"erin@example.com", "erin", "pw-erin"},
		{"frank@example.com", "frank", "pw-frank"},
		{"gina@example.com", "gina", "pw-gina"},
	}
	var lines []string
	for i, a := range accounts {
		s := caldavserver.New(a.user)
		s.SetBasicAuth(a.user, a.password)
		cal, err := s.CreateCalendar("work", "Work")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutObject(cal, "w.ics", weeklyICS(fmt.Sprintf("w%d@example.com", i), a.address, fmt.Sprintf("report%d@example.com", i))); err != nil {
			t.Fatal(err)
		}
		users[a.user] = s
		pw := a.password
		if a.user == "frank" {
			pw = "an old one" // the server refuses it
		}
		name := a.user + ".pw"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s", a.address, a.user, name))
	}
	// One URL for every account, as on a server where each user has a
	// principal of their own: the basic auth user picks the account.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _, _ := r.BasicAuth()
		s, ok := users[u]
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	accountsPath := filepath.Join(dir, "accounts")
	if err := os.WriteFile(accountsPath, []byte("# address username password_file\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`state = %q
timezone = "Europe/Berlin"

[[source]]
name = "team"
kind = "caldav"
url = %q
accounts_file = %q
`, filepath.Join(dir, "state.db"), hs.URL+"/", accountsPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Me(), []string{"erin@example.com", "frank@example.com", "gina@example.com"}; !slices.Equal(got, want) {
		t.Errorf("Me() = %v, want %v", got, want)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srcs, err := buildSources(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sourceNames(srcs), []string{"team/erin@example.com", "team/frank@example.com", "team/gina@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("sources = %v, want %v", got, want)
	}
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := newEngine(cfg, st, srcs, log)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := eng.SyncAll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sync source team/frank@example.com: ") || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("SyncAll error = %v, want frank's alone", err)
	}
	for _, sum := range sums {
		frank := sum.Source == "team/frank@example.com"
		if frank != (sum.Err != nil) || (!frank && sum.Series != 1) {
			t.Errorf("%s: %d series, error %v", sum.Source, sum.Series, sum.Err)
		}
	}

	// SIGHUP's reload reads accounts_file again: frank's line dropped and
	// a new password file for gina give the new instance two sources,
	// and gina's new password is the one it sends.
	if err := os.WriteFile(filepath.Join(dir, "gina2.pw"), []byte("pw-gina-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	users["gina"].SetBasicAuth("gina", "pw-gina-2")
	if err := os.WriteFile(accountsPath, []byte(lines[0]+"\ngina@example.com gina gina2.pw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	next, err := reload(context.Background(), cfgPath, cfg, st, make([]byte, 32), metrics, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sourceNames(next.daemon.Engine.Sources), []string{"team/erin@example.com", "team/gina@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("after the reload: sources = %v, want %v", got, want)
	}
	sums, err = next.daemon.Engine.SyncAll(context.Background())
	if err != nil {
		t.Errorf("after the reload: %v", err)
	}
	for _, sum := range sums {
		if sum.Err != nil || sum.Series != 1 {
			t.Errorf("after the reload: %s: %d series, error %v", sum.Source, sum.Series, sum.Err)
		}
	}
}

// TestConfigCheckOrgFiles: config check lists the bad lines of
// subjects_file and accounts_file, as FILE:LINE, with the other problems,
// in one pass.
func TestConfigCheckOrgFiles(t *testing.T) {
	dir := t.TempDir()
	subjects := filepath.Join(dir, "subjects")
	accounts := filepath.Join(dir, "accounts")
	if err := os.WriteFile(subjects, []byte("anna@example.com\nbob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(accounts, []byte("# ok\nerin@example.com erin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, _ := writeConfig(t, fmt.Sprintf(`timezone = "Europe/Berlin"
interval = "1s"
[[source]]
name = "ws"
kind = "google"
service_account = %q
subjects_file = %q
[[source]]
name = "team"
kind = "caldav"
url = "https://cal.example.com/"
accounts_file = %q
`, filepath.Join(dir, "sa.json"), subjects, accounts))
	code, _, errs := runCmd(t, "config", "check", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"interval: must be at least 30s",
		subjects + ":2: ",
		accounts + `:2: want "address username password_file", got 2 words`,
		"source[0].service_account: " + filepath.Join(dir, "sa.json") + " does not exist",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("config check says nothing of %q:\n%s", want, errs)
		}
	}
}
