package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// baseTOML is a valid configuration that needs nothing from the environment.
const baseTOML = `
state = "/var/lib/oneonone/state.db"
timezone = "Europe/Berlin"

[identity]
me = ["Anna@Example.com"]

[[source]]
name = "team"
kind = "caldav"
url = "https://cal.example.com/dav/"

[[source]]
name = "fake"
kind = "google"
endpoint = "http://127.0.0.1:9090/"

[agenda]
link = "https://docs.example.com/1on1/{{.Counterpart}}"

[[agenda.pair]]
with = "Bob@Example.com"
relationship = "report"
`

func noEnv(string) string { return "" }

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := parse([]byte(text), "test.toml", noEnv)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

// fieldErrors flattens an errors.Join of *FieldError.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []*FieldError
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %q is not a *FieldError", e)
		}
		out = append(out, fe)
	}
	return out
}

// wantFieldError checks that err holds a *FieldError for key whose message
// contains msg, and that its text starts with the key.
func wantFieldError(t *testing.T, err error, key, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s: %s", key, msg)
	}
	for _, fe := range fieldErrors(t, err) {
		if fe.Key == key && strings.Contains(fe.Msg, msg) {
			if !strings.HasPrefix(fe.Error(), key+": ") {
				t.Errorf("error %q does not start with the key", fe.Error())
			}
			return
		}
	}
	t.Fatalf("error\n%v\nhas no %s: …%s…", err, key, msg)
}

func TestParseBase(t *testing.T) {
	c := mustParse(t, baseTOML)
	if got, want := c.Identity.Me, []string{"anna@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("identity.me = %q, want %q", got, want)
	}
	if c.Interval.Duration != 5*time.Minute {
		t.Errorf("interval = %v, want default 5m", c.Interval)
	}
	if c.Listen != "127.0.0.1:8787" || c.LogFormat != "text" || c.LogLevel != "info" {
		t.Errorf("defaults: listen %q log_format %q log_level %q", c.Listen, c.LogFormat, c.LogLevel)
	}
	if c.Agenda.Horizon.Duration != 14*24*time.Hour {
		t.Errorf("agenda.horizon = %v, want 14d", c.Agenda.Horizon)
	}
	if c.Detect.Relationship != "1:1" || c.Report.Weeks != 12 {
		t.Errorf("detect.relationship %q report.weeks %d", c.Detect.Relationship, c.Report.Weeks)
	}
	if c.Report.LateNotice.Duration != 24*time.Hour {
		t.Errorf("report.late_notice = %v, want 1d", c.Report.LateNotice)
	}
	g := c.Sources[1]
	if g.Calendar != "primary" {
		t.Errorf("google calendar = %q, want primary", g.Calendar)
	}
	if want := "/var/lib/oneonone/google-fake.json"; g.Token != want {
		t.Errorf("google token = %q, want %q", g.Token, want)
	}
	if c.Location().String() != "Europe/Berlin" {
		t.Errorf("Location() = %v", c.Location())
	}
	if p, ok := c.Pair("BOB@example.com"); !ok || p.Relationship != "report" || p.With != "bob@example.com" {
		t.Errorf("Pair(bob) = %+v, %v", p, ok)
	}
	if _, ok := c.Pair("carol@example.com"); ok {
		t.Error("Pair(carol) found")
	}
	if !c.IsMe("mailto:ANNA@example.com") || c.IsMe("bob@example.com") || c.IsMe("") {
		t.Error("IsMe is wrong")
	}
	if got := c.Relationship("bob@example.com"); got != "report" {
		t.Errorf("Relationship(bob) = %q", got)
	}
	if got := c.Relationship("carol@example.com"); got != "1:1" {
		t.Errorf("Relationship(carol) = %q", got)
	}
	if s, ok := c.Source("fake"); !ok || s.Kind != "google" {
		t.Errorf("Source(fake) = %v, %v", s, ok)
	}
	if _, ok := c.Source("nope"); ok {
		t.Error("Source(nope) found")
	}
}

func TestDefaultsEmptyFile(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/xdg/state")
	t.Setenv("HOME", "/home/anna")
	c := Default()
	if c.State != "/xdg/state/oneonone/state.db" {
		t.Errorf("state = %q", c.State)
	}
	t.Setenv("XDG_STATE_HOME", "")
	if c := Default(); c.State != "/home/anna/.local/state/oneonone/state.db" {
		t.Errorf("state without XDG_STATE_HOME = %q", c.State)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" || c.Timezone == "Local" {
		t.Errorf("default timezone %q does not load: %v", c.Timezone, err)
	}
	// An empty file fails validation only for what has no default.
	_, err := parse(nil, "empty.toml", noEnv)
	var keys []string
	for _, fe := range fieldErrors(t, err) {
		keys = append(keys, fe.Key)
	}
	if want := []string{"identity.me", "source"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("empty file: errors for %q, want %q\n%v", keys, want, err)
	}
}

func TestHomeExpansion(t *testing.T) {
	t.Setenv("HOME", "/home/anna")
	c := mustParse(t, strings.Replace(baseTOML, `state = "/var/lib/oneonone/state.db"`, `state = "~/s/state.db"`, 1)+`
[[source]]
name = "sa"
kind = "google"
service_account = "~/sa.json"
subject = "Anna@Example.com"
`)
	if c.State != "/home/anna/s/state.db" {
		t.Errorf("state = %q", c.State)
	}
	s := c.Sources[2]
	if s.ServiceAccount != "/home/anna/sa.json" || s.Token != "/home/anna/s/google-sa.json" || s.Subject != "anna@example.com" {
		t.Errorf("source = %+v", s)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ONEONONE_TEST_PW", "secret")
	t.Setenv("ONEONONE_TEST_EMPTY", "")
	caldav := func(c *Config) *Source { return &c.Sources[0] }
	google := func(c *Config) *Source { return &c.Sources[1] }

	tests := []struct {
		name   string
		mutate func(c *Config)
		key    string // "" when valid
		msg    string
	}{
		{"base is valid", func(c *Config) {}, "", ""},
		{"state empty", func(c *Config) { c.State = "" }, "state", "must be set"},
		{"timezone unknown", func(c *Config) { c.Timezone = "Mars/Olympus" }, "timezone", `unknown zone "Mars/Olympus"`},
		{"timezone empty", func(c *Config) { c.Timezone = "" }, "timezone", "unknown zone"},
		{"timezone Local", func(c *Config) { c.Timezone = "Local" }, "timezone", "unknown zone"},
		{"interval too short", func(c *Config) { c.Interval.Duration = 10 * time.Second }, "interval", "at least 30s, got 10s"},
		{"interval 30s ok", func(c *Config) { c.Interval.Duration = 30 * time.Second }, "", ""},
		{"no concurrent syncs", func(c *Config) { c.ConcurrentSyncs = 0 }, "concurrent_syncs", "between 1 and 256, got 0"},
		{"too many concurrent syncs", func(c *Config) { c.ConcurrentSyncs = 1000 }, "concurrent_syncs", "between 1 and 256, got 1000"},
		{"one sync at a time ok", func(c *Config) { c.ConcurrentSyncs = 1 }, "", ""},
		{"listen without port", func(c *Config) { c.Listen = "localhost" }, "listen", "host:port"},
		{"listen port range", func(c *Config) { c.Listen = "127.0.0.1:70000" }, "listen", "port must be a number"},
		{"listen port name", func(c *Config) { c.Listen = "127.0.0.1:http" }, "listen", "port must be a number"},
		{"listen all interfaces ok", func(c *Config) { c.Listen = ":8787" }, "", ""},
		{"log_format", func(c *Config) { c.LogFormat = "xml" }, "log_format", `"text" or "json"`},
		{"log_level", func(c *Config) { c.LogLevel = "trace" }, "log_level", "debug, info, warn, error"},
		{"identity.me empty", func(c *Config) { c.Identity.Me = nil }, "identity.me", "at least one address"},
		{"identity.me not an address", func(c *Config) { c.Identity.Me = append(c.Identity.Me, "anna") }, "identity.me[1]", `"anna" is not an e-mail address`},
		{"identity.me with name", func(c *Config) { c.Identity.Me = []string{"Anna <anna@example.com>"} }, "identity.me[0]", "not an e-mail address"},
		{"no source", func(c *Config) { c.Sources = nil }, "source", "at least one [[source]]"},
		{"source name empty", func(c *Config) { caldav(c).Name = "" }, "source[0].name", "must be set"},
		{"source name chars", func(c *Config) { caldav(c).Name = "Team A" }, "source[0].name", "only a-z, 0-9, _ and -"},
		{"source name unique", func(c *Config) { google(c).Name = "team" }, "source[1].name", `"team" is already the name of source[0]`},
		{"source kind empty", func(c *Config) { caldav(c).Kind = "" }, "source[0].kind", "must be set"},
		{"source kind unknown", func(c *Config) { caldav(c).Kind = "exchange" }, "source[0].kind", `got "exchange"`},
		{"source timezone", func(c *Config) { caldav(c).Timezone = "Nowhere" }, "source[0].timezone", "unknown zone"},
		{"caldav url missing", func(c *Config) { caldav(c).URL = "" }, "source[0].url", "must be set"},
		{"caldav url scheme", func(c *Config) { caldav(c).URL = "ftp://cal.example.com/" }, "source[0].url", "http:// or https://"},
		{"caldav url relative", func(c *Config) { caldav(c).URL = "/dav/" }, "source[0].url", "absolute"},
		{"caldav url password redacted", func(c *Config) { caldav(c).URL = "ftp://u:hunter2@cal.example.com/" }, "source[0].url", "xxxxx@"},
		{"caldav username without password", func(c *Config) { caldav(c).Username = "anna" }, "source[0].username", "needs password_env or password_file"},
		{"caldav both passwords", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordEnv, s.PasswordFile = "anna", "ONEONONE_TEST_PW", pwFile
		}, "source[0].password_file", "not both"},
		{"caldav password without username", func(c *Config) { caldav(c).PasswordEnv = "ONEONONE_TEST_PW" }, "source[0].password_env", "needs username"},
		{"caldav password_file without username", func(c *Config) { caldav(c).PasswordFile = pwFile }, "source[0].password_file", "needs username"},
		{"caldav password_env name", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordEnv = "anna", "MY-PW"
		}, "source[0].password_env", "not an environment variable name"},
		{"caldav password_env unset", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordEnv = "anna", "ONEONONE_TEST_UNSET_PW"
		}, "source[0].password_env", "ONEONONE_TEST_UNSET_PW is not set"},
		{"caldav password_env empty", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordEnv = "anna", "ONEONONE_TEST_EMPTY"
		}, "source[0].password_env", "ONEONONE_TEST_EMPTY is empty"},
		{"caldav password_env ok", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordEnv = "anna", "ONEONONE_TEST_PW"
		}, "", ""},
		{"caldav password_file missing", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordFile = "anna", filepath.Join(dir, "nope")
		}, "source[0].password_file", "no such file"},
		{"caldav password_file ok", func(c *Config) {
			s := caldav(c)
			s.Username, s.PasswordFile = "anna", pwFile
		}, "", ""},
		{"caldav http with password refused", func(c *Config) {
			s := caldav(c)
			s.URL, s.Username, s.PasswordEnv = "http://cal.example.com/dav/", "anna", "ONEONONE_TEST_PW"
		}, "source[0].url", "http:// to cal.example.com would send the password in clear: use https://, or set insecure = true"},
		{"caldav http with password_file refused", func(c *Config) {
			s := caldav(c)
			s.URL, s.Username, s.PasswordFile = "http://CAL.example.com:8080/dav/", "anna", pwFile
		}, "source[0].url", "http:// to cal.example.com would send the password in clear"},
		{"caldav http with insecure ok", func(c *Config) {
			s := caldav(c)
			s.URL, s.Username, s.PasswordEnv, s.Insecure = "http://cal.example.com/dav/", "anna", "ONEONONE_TEST_PW", true
		}, "", ""},
		{"caldav http without credentials ok", func(c *Config) { caldav(c).URL = "http://cal.example.com/dav/" }, "", ""},
		{"caldav http loopback ok", func(c *Config) {
			s := caldav(c)
			s.URL, s.Username, s.PasswordEnv = "http://127.0.0.2:5232/", "anna", "ONEONONE_TEST_PW"
		}, "", ""},
		{"caldav http ipv6 loopback ok", func(c *Config) {
			s := caldav(c)
			s.URL, s.Username, s.PasswordEnv = "http://[::1]:5232/", "anna", "ONEONONE_TEST_PW"
		}, "", ""},
		{"caldav http localhost ok", func(c *Config) {
			s := caldav(c)
			s.URL, s.Username, s.PasswordEnv = "http://localhost:5232/", "anna", "ONEONONE_TEST_PW"
		}, "", ""},
		{"caldav url userinfo refused", func(c *Config) { caldav(c).URL = "https://anna:hunter2@cal.example.com/dav/" }, "source[0].url",
			"must not hold a user name or password (user:password@): set username, and password_env or password_file"},
		{"caldav url user only refused", func(c *Config) { caldav(c).URL = "https://anna@cal.example.com/dav/" }, "source[0].url", "must not hold a user name or password"},
		{"caldav calendar userinfo refused", func(c *Config) {
			caldav(c).Calendars = []string{"/cal/a/", "https://anna:hunter2@cal.example.com/cal/b/"}
		}, "source[0].calendars[1]", "must not hold a user name or password"},
		{"google with insecure", func(c *Config) { google(c).Insecure = true }, "source[1].insecure", `only for kind "caldav"`},
		{"caldav empty calendar", func(c *Config) { caldav(c).Calendars = []string{"/cal/a/", " "} }, "source[0].calendars[1]", "must not be empty"},
		{"caldav with google key", func(c *Config) { caldav(c).Calendar = "primary" }, "source[0].calendar", `only for kind "google"`},
		{"caldav with endpoint", func(c *Config) { caldav(c).Endpoint = "http://127.0.0.1/" }, "source[0].endpoint", `only for kind "google"`},
		{"google with caldav key", func(c *Config) { google(c).URL = "https://x/" }, "source[1].url", `only for kind "caldav"`},
		{"google with calendars", func(c *Config) { google(c).Calendars = []string{} }, "source[1].calendars", `only for kind "caldav"`},
		{"google with password_env", func(c *Config) { google(c).PasswordEnv = "X" }, "source[1].password_env", `only for kind "caldav"`},
		{"google with notify_attendees", func(c *Config) { google(c).NotifyAttendees = true }, "source[1].notify_attendees", `only for kind "caldav"`},
		{"idle_timeout too short", func(c *Config) { caldav(c).IdleTimeout = Duration{time.Millisecond} }, "source[0].idle_timeout", "must be at least 1s"},
		{"header_timeout negative", func(c *Config) { caldav(c).HeaderTimeout = Duration{-time.Second} }, "source[0].header_timeout", "must be at least 1s"},
		{"google without credentials", func(c *Config) { google(c).Endpoint = "" }, "source[1].client_secrets", "needs client_secrets or service_account"},
		{"google client_secrets ok", func(c *Config) {
			s := google(c)
			s.Endpoint, s.ClientSecrets = "", "/etc/oneonone/client.json"
		}, "", ""},
		{"google both credentials", func(c *Config) {
			s := google(c)
			s.ClientSecrets, s.ServiceAccount, s.Subject = "c.json", "sa.json", "anna@example.com"
		}, "source[1].service_account", "not both"},
		{"google service_account without subject", func(c *Config) { google(c).ServiceAccount = "sa.json" }, "source[1].subject", "must be set with service_account"},
		{"google service_account ok", func(c *Config) {
			s := google(c)
			s.Endpoint, s.ServiceAccount, s.Subject = "", "sa.json", "anna@example.com"
		}, "", ""},
		{"google subject not an address", func(c *Config) {
			s := google(c)
			s.ServiceAccount, s.Subject = "sa.json", "anna"
		}, "source[1].subject", "not an e-mail address"},
		{"google subject without service_account", func(c *Config) { google(c).Subject = "anna@example.com" }, "source[1].subject", "only with service_account"},
		{"google endpoint not loopback", func(c *Config) { google(c).Endpoint = "http://proxy.example.com/" }, "source[1].endpoint", "only to a loopback address"},
		{"google endpoint localhost ok", func(c *Config) { google(c).Endpoint = "http://localhost:9090/" }, "", ""},
		{"google endpoint ipv6 loopback ok", func(c *Config) { google(c).Endpoint = "http://[::1]:9090/" }, "", ""},
		{"google endpoint https needs credentials", func(c *Config) { google(c).Endpoint = "https://proxy.example.com/" }, "source[1].client_secrets", "needs client_secrets"},
		{"google endpoint https with credentials ok", func(c *Config) {
			s := google(c)
			s.Endpoint, s.ClientSecrets = "https://proxy.example.com/", "c.json"
		}, "", ""},
		{"google endpoint not a URL", func(c *Config) { google(c).Endpoint = "127.0.0.1:9090" }, "source[1].endpoint", "absolute http:// or https://"},
		{"agenda.link bad template", func(c *Config) { c.Agenda.Link = "https://x/{{.Counterpart" }, "agenda.link", "not a valid template"},
		{"agenda.link unknown field", func(c *Config) { c.Agenda.Link = "https://x/{{.Email}}" }, "agenda.link", "unknown field .Email"},
		{"agenda.link all fields ok", func(c *Config) { c.Agenda.Link = "https://x/{{.Me}}/{{.Counterpart}}/{{.CounterpartName}}/{{.Pair}}" }, "", ""},
		{"agenda.link empty ok", func(c *Config) { c.Agenda.Link = "" }, "", ""},
		{"agenda.horizon too short", func(c *Config) { c.Agenda.Horizon.Duration = time.Hour }, "agenda.horizon", "between 1d and 90d, got 1h"},
		{"agenda.horizon too long", func(c *Config) { c.Agenda.Horizon.Duration = 91 * 24 * time.Hour }, "agenda.horizon", "got 91d"},
		{"agenda.horizon 90d ok", func(c *Config) { c.Agenda.Horizon.Duration = 90 * 24 * time.Hour }, "", ""},
		{"agenda.pair with missing", func(c *Config) { c.Agenda.Pairs[0].With = "" }, "agenda.pair[0].with", "must be set"},
		{"agenda.pair with not an address", func(c *Config) { c.Agenda.Pairs[0].With = "bob" }, "agenda.pair[0].with", "not an e-mail address"},
		{"agenda.pair with unique", func(c *Config) {
			c.Agenda.Pairs = append(c.Agenda.Pairs, AgendaPair{With: "BOB@example.com"})
		}, "agenda.pair[1].with", "already in agenda.pair[0]"},
		{"agenda.pair link relative", func(c *Config) { c.Agenda.Pairs[0].Link = "docs/bob" }, "agenda.pair[0].link", "absolute URL"},
		{"agenda.pair relationship", func(c *Config) { c.Agenda.Pairs[0].Relationship = "boss" }, "agenda.pair[0].relationship", `got "boss"`},
		{"agenda.pair relationship skip-level ok", func(c *Config) { c.Agenda.Pairs[0].Relationship = "skip-level" }, "", ""},
		{"detect.include bad regexp", func(c *Config) { c.Detect.Include = []string{"ok", "1:1 ("} }, "detect.include[1]", "not a valid regular expression"},
		{"detect.exclude bad regexp", func(c *Config) { c.Detect.Exclude = []string{"[a-"} }, "detect.exclude[0]", "not a valid regular expression"},
		{"detect.relationship", func(c *Config) { c.Detect.Relationship = "friend" }, "detect.relationship", `got "friend"`},
		{"report.weeks zero", func(c *Config) { c.Report.Weeks = 0 }, "report.weeks", "between 1 and 104, got 0"},
		{"report.weeks too many", func(c *Config) { c.Report.Weeks = 105 }, "report.weeks", "got 105"},
		{"report.late_notice zero", func(c *Config) { c.Report.LateNotice.Duration = 0 }, "report.late_notice", "between 1m and 30d, got 0"},
		{"report.late_notice negative", func(c *Config) { c.Report.LateNotice.Duration = -time.Hour }, "report.late_notice", "got -1h"},
		{"report.late_notice too long", func(c *Config) { c.Report.LateNotice.Duration = 31 * 24 * time.Hour }, "report.late_notice", "got 31d"},
		{"report.late_notice 2h ok", func(c *Config) { c.Report.LateNotice.Duration = 2 * time.Hour }, "", ""},
		{"agenda.max_points negative", func(c *Config) { c.Agenda.MaxPoints = -1 }, "agenda.max_points", "between 0 and 50, got -1"},
		{"agenda.reminder too short", func(c *Config) { c.Agenda.Reminder.Duration = time.Minute }, "agenda.reminder", "between 5m and 7d"},
		{"agenda.reminder 2h ok", func(c *Config) { c.Agenda.Reminder.Duration = 2 * time.Hour }, "", ""},
		{"web.public_url http", func(c *Config) { c.Web.PublicURL = "http://1on1.example.com/" }, "web.public_url", "must be https://"},
		{"web.public_url userinfo", func(c *Config) { c.Web.PublicURL = "https://u:p@1on1.example.com/" }, "web.public_url", "without userinfo"},
		{"web.public_url loopback ok", func(c *Config) { c.Web.PublicURL = "http://127.0.0.1:8787/" }, "", ""},
		{"web.share_days zero", func(c *Config) { c.Web.ShareDays = 0 }, "web.share_days", "between 1 and 365"},
		{"report.working_hours reversed", func(c *Config) { c.Report.WorkingHours = "17:00-09:00" }, "report.working_hours", "the end must come after the start"},
		{"report.working_hours bad day", func(c *Config) { c.Report.WorkingHours = "mo-fr 09:00-17:00" }, "report.working_hours", "days are mon"},
		{"report.working_hours sun-thu ok", func(c *Config) { c.Report.WorkingHours = "sun-thu 08:00-16:00" }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, baseTOML)
			tt.mutate(c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				return
			}
			wantFieldError(t, err, tt.key, tt.msg)
		})
	}
}

// A refusal of a URL with user information never repeats the password.
func TestURLUserinfoNotEchoed(t *testing.T) {
	c := mustParse(t, baseTOML)
	c.Sources[0].URL = "https://anna:hunter2@cal.example.com/dav/"
	c.Sources[0].Calendars = []string{"https://anna:hunter2@cal.example.com/cal/b/"}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
}

// insecure = true is a key of the file, taken by kind caldav only.
func TestInsecureInFile(t *testing.T) {
	text := strings.Replace(baseTOML, `url = "https://cal.example.com/dav/"`, "url = \"http://cal.example.com/dav/\"\ninsecure = true", 1)
	c := mustParse(t, text)
	if !c.Sources[0].Insecure {
		t.Error("insecure = true did not decode")
	}
	if got := c.Sources[0].InClear(); got != "cal.example.com" {
		t.Errorf("InClear = %q, want cal.example.com", got)
	}
	for _, u := range []string{"https://cal.example.com/", "http://127.0.0.1:5232/", "http://localhost/"} {
		s := Source{Kind: KindCalDAV, URL: u, Insecure: true}
		if got := s.InClear(); got != "" {
			t.Errorf("InClear of %s = %q, want none", u, got)
		}
	}
}

func TestOtherKindKeyInFile(t *testing.T) {
	text := strings.Replace(baseTOML, `endpoint = "http://127.0.0.1:9090/"`, "endpoint = \"http://127.0.0.1:9090/\"\ncalendars = []", 1)
	_, err := parse([]byte(text), "test.toml", noEnv)
	wantFieldError(t, err, "source[1].calendars", `only for kind "caldav"`)
}

func TestValidateReportsEverything(t *testing.T) {
	c := mustParse(t, baseTOML)
	c.Timezone = "x"
	c.LogLevel = "loud"
	c.Sources[0].URL = ""
	c.Report.Weeks = -1
	var keys []string
	for _, fe := range fieldErrors(t, c.Validate()) {
		keys = append(keys, fe.Key)
	}
	if want := []string{"timezone", "log_level", "source[0].url", "report.weeks"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
}

func TestUnknownAndTypeErrors(t *testing.T) {
	// These are found before validation, so each text is only the snippet.
	tests := []struct {
		name string
		text string
		key  string
		msg  string
	}{
		{"top-level unknown", "stat = 1\n", "stat", "unknown key"},
		{"source unknown", "[[source]]\nname = \"a\"\n[[source]]\nname = \"b\"\npasword_env = \"X\"\n", "source[1].pasword_env", "unknown key"},
		{"agenda pair unknown", "[[agenda.pair]]\nwith = \"c@example.com\"\nlnk = \"x\"\n", "agenda.pair[0].lnk", "unknown key"},
		{"inline array of tables unknown", "source = [{name = \"a\"}, {nme = \"b\"}]\n", "source[1].nme", "unknown key"},
		{"unknown table", "[reports]\nweeks = 1\n", "reports", "unknown key"},
		{"quoted unknown key", "[detect]\n\"in clude\" = []\n", `detect."in clude"`, "unknown key"},
		{"case matters", "Listen = \"x:1\"\n", "Listen", "unknown key"},
		{"string for int", "[report]\nweeks = \"12\"\n", "report.weeks", "expected an integer, got a string"},
		{"float for int", "[report]\nweeks = 1.5\n", "report.weeks", "expected an integer, got a float"},
		{"int for string", "listen = 8787\n", "listen", "expected a string, got an integer"},
		{"int for duration", "interval = 300\n", "interval", `expected a duration string like "5m"`},
		{"bad duration", "interval = \"5 minutes\"\n", "interval", `invalid duration "5 minutes"`},
		{"bad nested duration", "[agenda]\nhorizon = \"2 weeks\"\n", "agenda.horizon", `invalid duration "2 weeks"`},
		{"bad late_notice", "[report]\nlate_notice = \"a day\"\n", "report.late_notice", `invalid duration "a day"`},
		{"int for late_notice", "[report]\nlate_notice = 24\n", "report.late_notice", `expected a duration string like "5m"`},
		{"string for array", "[detect]\ninclude = \"1:1\"\n", "detect.include", "expected an array of strings, got a string"},
		{"mixed array", "[detect]\ninclude = [\"a\", 1]\n", "detect.include[1]", "expected a string, got an integer"},
		{"array in source", "[[source]]\ncalendars = \"/cal/\"\n", "source[0].calendars", "expected an array of strings"},
		{"scalar for table", "identity = \"anna\"\n", "identity", "expected a table, got a string"},
		{"table for array of tables", "[agenda.pair]\nwith = \"x\"\n", "agenda.pair", "expected an array of tables, got a table"},
		{"scalar for array of tables", "source = \"team\"\n", "source", "expected an array of tables, got a string"},
		{"date for string", "log_level = 2024-01-01\n", "log_level", "got a date-time"},
		{"bool for string", "[[source]]\nname = true\n", "source[0].name", "expected a string, got a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse([]byte(tt.text), "test.toml", noEnv)
			wantFieldError(t, err, tt.key, tt.msg)
		})
	}
	// Every problem is reported, not only the first: the four that do not
	// decode, then what Validate finds in the rest, and a key that did not
	// decode is not reported a second time ("url must be set").
	_, err := parse([]byte("stat = 1\nlisten = 1\n[[source]]\nurl = 2\nfoo = 3\n"), "test.toml", noEnv)
	var got []string
	for _, fe := range fieldErrors(t, err) {
		got = append(got, fe.Key)
	}
	want := []string{"listen", "source[0].foo", "source[0].url", "stat", "identity.me", "source[0].name", "source[0].kind"}
	if !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q:\n%v", got, want, err)
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // regexp
	}{
		{"missing value", "state = \n", `^bad\.toml:1:\d+: expected value but found '\\n' instead$`},
		{"unterminated string", "state = \"x\n", `^bad\.toml:1:\d+: .+$`},
		{"duplicate key", "listen = \"a:1\"\nlisten = \"b:2\"\n", `^bad\.toml:2:\d+: .*listen.*$`},
		{"bad table header", "[identity\nme = []\n", `^bad\.toml:[12]:\d+: .+$`},
		{"array of tables over a table", "[agenda]\n[[agenda]]\n", `^bad\.toml:2:\d+: .+$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse([]byte(tt.text), "bad.toml", noEnv)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "\n") || !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Errorf("error %q, want one line matching %s", err, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error naming %s", err, p)
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c *Config)
		key   string // a failure, when set
		msg   string
	}{
		{"state", map[string]string{"ONEONONE_STATE": "/tmp/x/state.db"}, func(t *testing.T, c *Config) {
			if c.State != "/tmp/x/state.db" || c.Sources[1].Token != "/tmp/x/google-fake.json" {
				t.Errorf("state %q token %q", c.State, c.Sources[1].Token)
			}
		}, "", ""},
		{"timezone", map[string]string{"ONEONONE_TIMEZONE": "America/New_York"}, func(t *testing.T, c *Config) {
			if c.Location().String() != "America/New_York" {
				t.Errorf("location %v", c.Location())
			}
		}, "", ""},
		{"interval", map[string]string{"ONEONONE_INTERVAL": "1h"}, func(t *testing.T, c *Config) {
			if c.Interval.Duration != time.Hour {
				t.Errorf("interval %v", c.Interval)
			}
		}, "", ""},
		{"listen", map[string]string{"ONEONONE_LISTEN": "0.0.0.0:9000"}, func(t *testing.T, c *Config) {
			if c.Listen != "0.0.0.0:9000" {
				t.Errorf("listen %q", c.Listen)
			}
		}, "", ""},
		{"log", map[string]string{"ONEONONE_LOG_LEVEL": "debug", "ONEONONE_LOG_FORMAT": "json"}, func(t *testing.T, c *Config) {
			if c.LogLevel != "debug" || c.LogFormat != "json" {
				t.Errorf("log %q %q", c.LogLevel, c.LogFormat)
			}
		}, "", ""},
		{"empty means unset", map[string]string{"ONEONONE_LISTEN": ""}, func(t *testing.T, c *Config) {
			if c.Listen != "127.0.0.1:8787" {
				t.Errorf("listen %q", c.Listen)
			}
		}, "", ""},
		{"bad interval", map[string]string{"ONEONONE_INTERVAL": "soon"}, nil, "interval", `invalid duration "soon"`},
		{"bad interval names the variable", map[string]string{"ONEONONE_INTERVAL": "soon"}, nil, "interval", `ONEONONE_INTERVAL: invalid duration "soon"`},
		{"short interval names the variable", map[string]string{"ONEONONE_INTERVAL": "1s"}, nil, "interval", "at least 30s, got 1s (set by ONEONONE_INTERVAL)"},
		{"bad level", map[string]string{"ONEONONE_LOG_LEVEL": "loud"}, nil, "log_level", `got "loud" (set by ONEONONE_LOG_LEVEL)`},
		{"bad timezone", map[string]string{"ONEONONE_TIMEZONE": "Moon/Base"}, nil, "timezone", "(set by ONEONONE_TIMEZONE)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			c, err := parse([]byte(baseTOML), "test.toml", getenv)
			if tt.key != "" {
				wantFieldError(t, err, tt.key, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestEnvAndFileErrorsTogether(t *testing.T) {
	env := map[string]string{"ONEONONE_INTERVAL": "soon"}
	_, err := parse([]byte(baseTOML+"\n[report]\nweeks = 0\n"), "test.toml", func(k string) string { return env[k] })
	wantFieldError(t, err, "interval", "ONEONONE_INTERVAL")
	wantFieldError(t, err, "report.weeks", "between 1 and 104")
}

func TestEnvOverridesThroughParse(t *testing.T) {
	t.Setenv("ONEONONE_LISTEN", "127.0.0.1:1")
	c, err := Parse([]byte(baseTOML), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:1" {
		t.Errorf("listen = %q", c.Listen)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string // FormatDuration(want); "" = in
		err  string
	}{
		{in: "5m", want: 5 * time.Minute},
		{in: "30s", want: 30 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "14d", want: 14 * day},
		{in: "2w", want: 14 * day, out: "14d"},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour, out: "1d12h"},
		{in: "1w1d", want: 8 * day, out: "8d"},
		{in: "1d1h1m1s", want: day + time.Hour + time.Minute + time.Second},
		{in: "90s", want: 90 * time.Second, out: "1m30s"},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "-1d2h", want: -26 * time.Hour},
		{in: "+3d", want: 3 * day, out: "3d"},
		{in: "0", want: 0, out: "0s"},
		{in: "0d", want: 0, out: "0s"},
		{in: "1h0m", want: time.Hour, out: "1h"},
		{in: "", err: "empty"},
		{in: "5", err: "missing unit"},
		{in: "d", err: "expected a number"},
		{in: "5y", err: `unknown unit "y"`},
		{in: "5 m", err: `unknown unit " m"`},
		{in: "1..5d", err: "expected a number"},
		{in: "-", err: "invalid duration"},
		{in: "100000000w", err: "out of range"},
		{in: "106751d23h47m17s", err: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalText([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("UnmarshalText(%q) = %v, %v; want error with %q", tt.in, d, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Duration != tt.want {
				t.Errorf("UnmarshalText(%q) = %v, want %v", tt.in, d.Duration, tt.want)
			}
			out := tt.out
			if out == "" {
				out = tt.in
			}
			b, _ := d.MarshalText()
			if string(b) != out || d.String() != out {
				t.Errorf("MarshalText = %q, String = %q; want %q", b, d.String(), out)
			}
		})
	}
	for _, d := range []time.Duration{1, -1, 1<<63 - 1, -1 << 63, day - 1, -day} {
		got, err := ParseDuration(FormatDuration(d))
		if err != nil || got != d {
			t.Errorf("round trip of %d via %q = %d, %v", d, FormatDuration(d), got, err)
		}
	}
}

func TestPassword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("ONEONONE_TEST_PW", "s3cret")
	t.Setenv("ONEONONE_TEST_EMPTY", "")
	tests := []struct {
		name string
		src  Source
		want string
		key  string
		msg  string
	}{
		{"env", Source{PasswordEnv: "ONEONONE_TEST_PW"}, "s3cret", "", ""},
		{"env unset", Source{PasswordEnv: "ONEONONE_TEST_NOPE"}, "", "password_env", "ONEONONE_TEST_NOPE is not set"},
		{"env empty", Source{PasswordEnv: "ONEONONE_TEST_EMPTY"}, "", "password_env", "is empty"},
		{"file", Source{PasswordFile: write("pw", "s3cret\n")}, "s3cret", "", ""},
		{"file crlf", Source{PasswordFile: write("pw-crlf", "s3cret\r\n")}, "s3cret", "", ""},
		{"file without newline", Source{PasswordFile: write("pw-raw", "s3cret")}, "s3cret", "", ""},
		{"file keeps inner spaces", Source{PasswordFile: write("pw-sp", " s3 cret \n")}, " s3 cret ", "", ""},
		{"file empty", Source{PasswordFile: write("pw-empty", "\n")}, "", "password_file", "is empty"},
		{"file missing", Source{PasswordFile: filepath.Join(dir, "nope")}, "", "password_file", "no such file"},
		{"both", Source{PasswordEnv: "ONEONONE_TEST_PW", PasswordFile: write("pw2", "x")}, "", "password_env", "not both"},
		{"none", Source{}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.key = "source[3]"
			got, err := tt.src.Password()
			if tt.key != "" {
				wantFieldError(t, err, "source[3]."+tt.key, tt.msg)
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q shows the secret", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Password() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// A source made in code names itself by name.
	s := Source{Name: "team", PasswordEnv: "ONEONONE_TEST_NOPE"}
	if _, err := s.Password(); err == nil || !strings.Contains(err.Error(), `source "team" password_env`) {
		t.Errorf("Password() = %v", err)
	}
}

func TestExampleFile(t *testing.T) {
	t.Setenv("CALDAV_PASSWORD", "example")
	for _, o := range options {
		t.Setenv(o.env, "")
	}
	t.Setenv("HOME", t.TempDir())
	c, err := Load("../config.example.toml")
	if err != nil {
		t.Fatalf("config.example.toml does not load:\n%v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("config.example.toml does not validate:\n%v", err)
	}
	if len(c.Sources) != 2 || c.Sources[0].Kind != "caldav" || c.Sources[1].Kind != "google" {
		t.Errorf("sources = %+v", c.Sources)
	}
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	// Every key is in the example, set or commented out.
	var keys func(prefix string, typ reflect.Type)
	keys = func(prefix string, typ reflect.Type) {
		for name, ft := range tomlFields(typ) {
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				if !strings.Contains(text, "[["+prefix+name+"]]") {
					t.Errorf("config.example.toml lacks [[%s%s]]", prefix, name)
				}
				keys(prefix+name+".", ft.Elem())
				continue
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() {
				if !strings.Contains(text, "["+prefix+name+"]") {
					t.Errorf("config.example.toml lacks [%s%s]", prefix, name)
				}
				keys(prefix+name+".", ft)
				continue
			}
			if !regexp.MustCompile(`(?m)^(# )?` + regexp.QuoteMeta(name) + ` = `).MatchString(text) {
				t.Errorf("config.example.toml lacks %s%s", prefix, name)
			}
		}
	}
	keys("", reflect.TypeFor[Config]())
	for _, o := range options {
		if !strings.Contains(text, o.env) {
			t.Errorf("config.example.toml does not document %s", o.env)
		}
	}
}

func TestResolvePath(t *testing.T) {
	t.Setenv("HOME", "/home/anna")
	t.Setenv("ONEONONE_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if got := ResolvePath(""); got != "/home/anna/.config/oneonone/config.toml" {
		t.Errorf("default = %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if got := ResolvePath(""); got != "/xdg/oneonone/config.toml" {
		t.Errorf("XDG = %q", got)
	}
	t.Setenv("ONEONONE_CONFIG", "/etc/oneonone.toml")
	if got := ResolvePath(""); got != "/etc/oneonone.toml" {
		t.Errorf("env = %q", got)
	}
	if got := ResolvePath("~/my.toml"); got != "/home/anna/my.toml" {
		t.Errorf("flag = %q", got)
	}
}

func TestRedacted(t *testing.T) {
	c := mustParse(t, baseTOML)
	c.Sources[0].URL = "https://anna:hunter2@cal.example.com/dav/"
	c.Sources[1].Endpoint = "http://tok:en@127.0.0.1:9090/"
	out := c.Redacted()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "tok:en") {
		t.Errorf("Redacted shows a secret:\n%s", out)
	}
	if !strings.Contains(out, "xxxxx@cal.example.com") || !strings.Contains(out, `interval = "5m"`) {
		t.Errorf("Redacted:\n%s", out)
	}
	if c.Sources[0].URL != "https://anna:hunter2@cal.example.com/dav/" {
		t.Error("Redacted changed the config")
	}
	// The dump is a valid config that reads back the same.
	c2 := mustParse(t, strings.Replace(c.Redacted(), "xxxxx@", "", -1))
	if c2.Interval != c.Interval || c2.Agenda.Horizon != c.Agenda.Horizon || len(c2.Sources) != 2 {
		t.Errorf("dump does not read back: %+v", c2)
	}
}

func TestAgendaLink(t *testing.T) {
	c := mustParse(t, baseTOML+"\n[[agenda.pair]]\nwith = \"carol@example.com\"\nlink = \"https://docs.example.com/d/carol\"\n")
	got, err := c.AgendaLink(LinkData{Counterpart: "dave@example.com", Me: "anna@example.com"})
	if err != nil || got != "https://docs.example.com/1on1/dave@example.com" {
		t.Errorf("template link = %q, %v", got, err)
	}
	got, err = c.AgendaLink(LinkData{Counterpart: "Carol@example.com"})
	if err != nil || got != "https://docs.example.com/d/carol" {
		t.Errorf("pair link = %q, %v", got, err)
	}
	c.Agenda.Link = ""
	if got, err := c.AgendaLink(LinkData{Counterpart: "dave@example.com"}); got != "" || err != nil {
		t.Errorf("no link = %q, %v", got, err)
	}
}

func TestDetectPatterns(t *testing.T) {
	d := Detect{Include: []string{`^sync with`}, Exclude: []string{`interview`}}
	inc, exc, err := d.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	if !inc[0].MatchString("SYNC WITH Bob") || !exc[0].MatchString("Interview loop") {
		t.Error("patterns are not case-insensitive")
	}
	d.Exclude = []string{"("}
	if _, _, err := d.Patterns(); err == nil || !strings.HasPrefix(err.Error(), "detect.exclude[0]: ") {
		t.Errorf("Patterns() = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../config.example.toml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(baseTOML))
	f.Add([]byte("interval = \"1d2h\"\n[[source]]\nname=\"a\"\nkind=\"google\"\nendpoint=\"http://[::1]/\"\n"))
	f.Add([]byte("[agenda]\nlink = \"{{.Me}}{{template \\\"x\\\"}}\"\n"))
	f.Add([]byte("a.b.c = 1\n[[x]]\n[x.y]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, "fuzz.toml", noEnv)
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			_ = c.Redacted()
			_ = c.Location()
		}
	})
}

func FuzzDuration(f *testing.F) {
	for _, s := range []string{"5m", "14d", "2w", "1h30m", "-1d2h", "1.5d", "0", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("%q → %d → %q → %d, %v", s, d, FormatDuration(d), back, err)
		}
	})
}

func TestValidateEmailAndWeb(t *testing.T) {
	base := "state = \"/tmp/x.db\"\ntimezone = \"UTC\"\n[identity]\nme = [\"anna@example.com\"]\n[[source]]\nname = \"t\"\nkind = \"caldav\"\nurl = \"https://dav.example.com/\"\n"
	t.Setenv("TEST_SMTP_PW", "pw")
	t.Setenv("TEST_SHORT_TOKEN", "short")
	tests := []struct {
		name, extra, key string
	}{
		{"ok", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:587\"\nusername = \"anna\"\npassword_env = \"TEST_SMTP_PW\"\n", ""},
		{"bad recipient", "[report.email]\nto = [\"nobody\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:587\"\n", "report.email.to[0]"},
		{"no smtp", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\n", "report.email.smtp"},
		{"user without password", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:587\"\nusername = \"anna\"\n", "report.email.password_env"},
		{"clear text off loopback", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:25\"\nsecurity = \"none\"\n", "report.email.security"},
		{"clear text on loopback", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"127.0.0.1:2525\"\nsecurity = \"none\"\n", ""},
		{"bad weekday", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:587\"\nweekday = \"someday\"\n", "report.email.weekday"},
		{"bad time", "[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:587\"\ntime = \"8am\"\n", "report.email.time"},
		{"short token", "[web]\ntoken_env = \"TEST_SHORT_TOKEN\"\n", "web.token_env"},
		{"short inline token", "[web]\ntoken = \"abc\"\n", "web.token"},
		{"both tokens", "[web]\ntoken = \"0123456789abcdef\"\ntoken_env = \"TEST_SHORT_TOKEN\"\n", "web.token"},
		{"inline token", "[web]\ntoken = \"0123456789abcdef\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tt.extra), "t.toml")
			switch {
			case tt.key == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.key != "" && (err == nil || !strings.Contains(err.Error(), tt.key+":")):
				t.Fatalf("error %v does not name %s", err, tt.key)
			}
		})
	}
	c, err := Parse([]byte(base+"[report.email]\nto = [\"anna@example.com\"]\nfrom = \"o@example.com\"\nsmtp = \"smtp.example.com:587\"\nweekday = \"fri\"\ntime = \"17:30\"\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if d, h, m := c.Report.Email.Schedule(); d != time.Friday || h != 17 || m != 30 {
		t.Errorf("Schedule = %v %d:%d", d, h, m)
	}
}

func TestRedactedHidesWebToken(t *testing.T) {
	c, err := Parse([]byte("state = \"/tmp/x.db\"\ntimezone = \"UTC\"\n[identity]\nme = [\"anna@example.com\"]\n[[source]]\nname = \"t\"\nkind = \"caldav\"\nurl = \"https://dav.example.com/\"\n[web]\ntoken = \"0123456789abcdefSECRET\"\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.Redacted(), "SECRET") {
		t.Fatal("Redacted prints the web token")
	}
}

func TestEmailPerPersonKeys(t *testing.T) {
	for _, c := range []struct {
		name, toml, want string
	}{
		{"person without per_person", "[[report.email.person]]\naddress = \"a@example.com\"\n", "report.email.person[0]"},
		{"bad weekday", "per_person = true\n[[report.email.person]]\naddress = \"a@example.com\"\nweekday = \"someday\"\n", "report.email.person[0].weekday"},
		{"bad time", "per_person = true\n[[report.email.person]]\naddress = \"a@example.com\"\ntime = \"25:00\"\n", "report.email.person[0].time"},
		{"twice", "per_person = true\n[[report.email.person]]\naddress = \"a@example.com\"\n[[report.email.person]]\naddress = \"A@example.com\"\n", "report.email.person[1].address"},
		{"roll-up to a bad address", "[report.rollup]\nto = [\"ops@example.com\", \"not an address\"]\n", "report.rollup.to[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			text := "timezone = \"Europe/Berlin\"\n[identity]\nme = [\"a@example.com\"]\n[report.email]\nfrom = \"o@example.com\"\nsmtp = \"127.0.0.1:25\"\nsecurity = \"none\"\n" + c.toml
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming %s", err, c.want)
			}
		})
	}
	ok := Email{Weekday: "monday", Time: "08:00", PerPerson: true, Person: []EmailPerson{{Address: "b@example.com", Weekday: "tuesday", Time: "09:30"}}}
	if d, h, m := ok.PersonSchedule("B@example.com"); d != time.Tuesday || h != 9 || m != 30 {
		t.Errorf("PersonSchedule(b) = %v %d:%d", d, h, m)
	}
	if d, h, m := ok.PersonSchedule("c@example.com"); d != time.Monday || h != 8 || m != 0 {
		t.Errorf("PersonSchedule(c) = %v %d:%d", d, h, m)
	}
}

// [report.rollup] to is mailed through [report.email]'s server: without
// one, the roll-up's recipients are a problem named by the server's keys.
func TestRollupNeedsMailServer(t *testing.T) {
	_, errs := parseAll([]byte("timezone = \"UTC\"\n[identity]\nme = [\"a@example.com\"]\n[[source]]\nname = \"t\"\nkind = \"caldav\"\nurl = \"https://dav.example.com/\"\nusername = \"a\"\npassword_env = \"X\"\n[report.rollup]\nto = [\"ops@example.com\"]\n"), "t.toml", func(string) string { return "pw" })
	var keys []string
	for _, err := range errs {
		keys = append(keys, err.Error())
	}
	got := strings.Join(keys, "\n")
	for _, want := range []string{"report.email.from", "report.email.smtp"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q do not name %s", got, want)
		}
	}
}
