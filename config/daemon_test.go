package config

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"oneonone/calendar"
)

const token16 = "0123456789abcdef"

func TestServeToken(t *testing.T) {
	for _, tc := range []struct {
		name, listen, web string
		token, err        string // err: in the error, "" for none
	}{
		{"loopback, no token", "127.0.0.1:8787", "", "", ""},
		{"loopback, a token", "127.0.0.1:8787", token16, token16, ""},
		{"beyond loopback, no token", "0.0.0.0:8787", "", "", `listen = "0.0.0.0:8787" is not a loopback address: set web.token`},
		{"beyond loopback, a token", "0.0.0.0:8787", token16, token16, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "listen = \"" + tc.listen + "\"\n" + baseTOML
			if tc.web != "" {
				text += "[web]\ntoken = \"" + tc.web + "\"\n"
			}
			c := mustParse(t, text)
			token, err := c.ServeToken()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("ServeToken error %v, want %q", err, tc.err)
			}
			if token != tc.token {
				t.Errorf("token %q, want %q", token, tc.token)
			}
		})
	}
	c := mustParse(t, baseTOML)
	c.Web.Token = "short"
	if _, err := c.ServeToken(); err == nil || !strings.Contains(err.Error(), "web.token") {
		t.Errorf("a short token: %v, want an error naming web.token", err)
	}
}

func TestReloadable(t *testing.T) {
	old := mustParse(t, baseTOML)
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		err    string // the error's start, "" for none
	}{
		{"unchanged", func(c *Config) {}, ""},
		{"interval, sources, agenda, log level and format", func(c *Config) {
			c.Interval.Duration *= 2
			c.Sources = c.Sources[:1]
			c.Agenda.Link = ""
			c.LogLevel, c.LogFormat = "debug", "json"
		}, ""},
		{"a token on loopback", func(c *Config) { c.Web.Token = token16 }, ""},
		{"state", func(c *Config) { c.State = "/elsewhere/state.db" },
			"state: changing the state file (/var/lib/oneonone/state.db → /elsewhere/state.db) needs a restart"},
		{"listen", func(c *Config) { c.Listen = "127.0.0.1:9999" },
			"listen: changing the address (127.0.0.1:8787 → 127.0.0.1:9999) needs a restart"},
		{"unreadable token", func(c *Config) { c.Web.Token = "short" }, "web.token: the token must be at least 16 characters"},
		{"token env unset", func(c *Config) { c.Web.TokenEnv = "ONEONONE_TEST_NO_SUCH_VARIABLE" }, "web.token_env:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := mustParse(t, baseTOML)
			tc.change(next)
			err := Reloadable(old, next)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)) {
				t.Errorf("Reloadable = %v, want %q", err, tc.err)
			}
		})
	}

	// Beyond loopback, the new config must keep a token.
	public := mustParse(t, "listen = \"0.0.0.0:8787\"\n"+baseTOML)
	public.Web.Token = token16
	next := mustParse(t, "listen = \"0.0.0.0:8787\"\n"+baseTOML)
	want := "web.token: the web face listens beyond loopback and the new config has no token"
	if err := Reloadable(public, next); err == nil || err.Error() != want {
		t.Errorf("Reloadable without the token = %v, want %q", err, want)
	}
	next.Web.Token = token16
	if err := Reloadable(public, next); err != nil {
		t.Errorf("Reloadable with the token = %v", err)
	}
}

func TestNewLogger(t *testing.T) {
	c := mustParse(t, "log_level = \"debug\"\nlog_format = \"json\"\n"+baseTOML)
	var b bytes.Buffer
	log := c.NewLogger(&b)
	log.Debug("hello", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil || line["msg"] != "hello" || line["level"] != "DEBUG" || line["k"] != "v" {
		t.Errorf("json debug: %q (%v)", b.String(), err)
	}

	c = mustParse(t, "log_level = \"warn\"\n"+baseTOML)
	b.Reset()
	log = c.NewLogger(&b)
	log.Info("quiet")
	log.Warn("loud")
	if got := b.String(); strings.Contains(got, "quiet") || !strings.Contains(got, "level=WARN msg=loud") {
		t.Errorf("text at warn: %q", got)
	}

	c.LogLevel = "loud" // refused by Validate; the logger falls back to info
	b.Reset()
	log = c.NewLogger(&b)
	log.Debug("hidden")
	log.Info("shown")
	if got := b.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "msg=shown") {
		t.Errorf("unknown level: %q", got)
	}
}

func TestPairDoc(t *testing.T) {
	c := mustParse(t, baseTOML+"doc = \"/docs/bob.md\"\n")
	for _, tc := range []struct {
		p    calendar.Pair
		want string
	}{
		{calendar.NewPair("anna@example.com", "bob@example.com"), "/docs/bob.md"},
		{calendar.NewPair("BOB@example.com", "Anna@Example.com"), "/docs/bob.md"},
		{calendar.NewPair("anna@example.com", "carol@example.com"), ""},
		{calendar.NewPair("dave@example.com", "bob@example.com"), ""}, // not a pair of mine
	} {
		if got := c.PairDoc(tc.p); got != tc.want {
			t.Errorf("PairDoc(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestDocCredentials(t *testing.T) {
	t.Setenv("ONEONONE_TEST_DOC_PW", "s3cret")
	c := mustParse(t, baseTOML)
	c.Sources[0].Username = "anna"
	c.Sources[0].PasswordEnv = "ONEONONE_TEST_DOC_PW"
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://cal.example.com/docs/bob.md", true},
		{"https://CAL.example.com/other/path", true},
		{"http://cal.example.com/docs/bob.md", false},  // another scheme
		{"https://docs.example.com/bob.md", false},     // another host
		{"https://cal.example.com:8443/bob.md", false}, // another port
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		user, pw, ok := c.DocCredentials(u)
		if ok != tc.ok || ok && (user != "anna" || pw != "s3cret") || !ok && (user != "" || pw != "") {
			t.Errorf("DocCredentials(%s) = %q, %q, %v; want ok %v", tc.url, user, pw, ok, tc.ok)
		}
	}
	c.Sources[0].Username = ""
	if _, _, ok := c.DocCredentials(&url.URL{Scheme: "https", Host: "cal.example.com"}); ok {
		t.Error("credentials lent by a source without a username")
	}
}

func TestBasicAuth(t *testing.T) {
	c := mustParse(t, baseTOML)
	sc := &c.Sources[0]
	sc.PasswordEnv = "ONEONONE_TEST_NO_SUCH_VARIABLE"
	if user, pw, err := sc.BasicAuth(); user != "" || pw != "" || err != nil {
		t.Errorf("no username: %q, %q, %v; want nothing, and the password not read", user, pw, err)
	}
	sc.Username = "anna"
	if _, _, err := sc.BasicAuth(); err == nil || !strings.Contains(err.Error(), "password_env") {
		t.Errorf("unset password_env: %v, want an error naming it", err)
	}
	t.Setenv("ONEONONE_TEST_BASIC_PW", "s3cret")
	sc.PasswordEnv = "ONEONONE_TEST_BASIC_PW"
	if user, pw, err := sc.BasicAuth(); user != "anna" || pw != "s3cret" || err != nil {
		t.Errorf("BasicAuth = %q, %q, %v", user, pw, err)
	}
}
