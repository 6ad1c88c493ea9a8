package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const notifyURL = "https://hooks.example.com/services/T0/B0/SECRETPATH"

func TestNotifyValidate(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	if err := os.WriteFile(urlFile, []byte(notifyURL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte("syt_TOKENVALUE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ONEONONE_TEST_URL", notifyURL)
	t.Setenv("ONEONONE_TEST_HTTP", "http://hooks.example.com/SECRETPATH")
	t.Setenv("ONEONONE_TEST_LOOP", "http://127.0.0.1:9/SECRETPATH")
	t.Setenv("ONEONONE_TEST_FTP", "ftp://hooks.example.com/SECRETPATH")
	t.Setenv("ONEONONE_TEST_SECRET", "HMACKEYVALUE")
	t.Setenv("ONEONONE_TEST_EMPTY", "")

	hook := Notify{Name: "hook", Kind: NotifyWebhook, URLEnv: "ONEONONE_TEST_URL"}
	matrix := Notify{Name: "mx", Kind: NotifyMatrix, URLFile: urlFile, TokenFile: tokFile, Room: "!abc:example.org"}
	tests := []struct {
		name   string
		mutate func(n *Notify)
		key    string // "" when valid
		msg    string
	}{
		{"webhook ok", func(n *Notify) {}, "", ""},
		{"webhook with secret ok", func(n *Notify) { n.SecretEnv = "ONEONONE_TEST_SECRET" }, "", ""},
		{"slack from file ok", func(n *Notify) { n.Kind = NotifySlack; n.URLEnv = ""; n.URLFile = urlFile }, "", ""},
		{"teams ok", func(n *Notify) { n.Kind = NotifyTeams }, "", ""},
		{"loopback http ok", func(n *Notify) { n.URLEnv = "ONEONONE_TEST_LOOP" }, "", ""},
		{"http with insecure ok", func(n *Notify) { n.URLEnv = "ONEONONE_TEST_HTTP"; n.Insecure = true }, "", ""},
		{"name empty", func(n *Notify) { n.Name = "" }, "notify[1].name", "must be set"},
		{"name bad", func(n *Notify) { n.Name = "Team Hook" }, "notify[1].name", "only a-z"},
		{"name duplicate", func(n *Notify) { n.Name = "first" }, "notify[1].name", `"first" is already the name of notify[0]`},
		{"kind empty", func(n *Notify) { n.Kind = "" }, "notify[1].kind", "must be set"},
		{"kind unknown", func(n *Notify) { n.Kind = "irc" }, "notify[1].kind", `got "irc"`},
		{"no url", func(n *Notify) { n.URLEnv = "" }, "notify[1].url_env", "must be set (or url_file)"},
		{"both url keys", func(n *Notify) { n.URLFile = urlFile }, "notify[1].url_env", "set url_env or url_file, not both"},
		{"url env unset", func(n *Notify) { n.URLEnv = "ONEONONE_TEST_NOPE" }, "notify[1].url_env", "ONEONONE_TEST_NOPE is not set"},
		{"url env empty", func(n *Notify) { n.URLEnv = "ONEONONE_TEST_EMPTY" }, "notify[1].url_env", "is empty"},
		{"url env bad name", func(n *Notify) { n.URLEnv = "1 x" }, "notify[1].url_env", "not an environment variable name"},
		{"url file missing", func(n *Notify) { n.URLEnv = ""; n.URLFile = filepath.Join(dir, "nope") }, "notify[1].url_file", "read url"},
		{"url not http", func(n *Notify) { n.URLEnv = "ONEONONE_TEST_FTP" }, "notify[1].url_env", "must be an absolute http:// or https:// URL"},
		{"plain http refused", func(n *Notify) { n.URLEnv = "ONEONONE_TEST_HTTP" }, "notify[1].url_env", "http:// to hooks.example.com"},
		{"secret on slack", func(n *Notify) { n.Kind = NotifySlack; n.SecretEnv = "ONEONONE_TEST_SECRET" }, "notify[1].secret_env", `only for kind "webhook"`},
		{"secret unset", func(n *Notify) { n.SecretEnv = "ONEONONE_TEST_NOPE" }, "notify[1].secret_env", "is not set"},
		{"both secret keys", func(n *Notify) { n.SecretEnv = "ONEONONE_TEST_SECRET"; n.SecretFile = urlFile }, "notify[1].secret_env", "not both"},
		{"room on webhook", func(n *Notify) { n.Room = "!a:b" }, "notify[1].room", `only for kind "matrix"`},
		{"token on teams", func(n *Notify) { n.Kind = NotifyTeams; n.TokenEnv = "X" }, "notify[1].token_env", `only for kind "matrix"`},
		{"matrix ok", func(n *Notify) { *n = matrix }, "", ""},
		{"matrix no token", func(n *Notify) { *n = matrix; n.TokenFile = "" }, "notify[1].token_env", "must be set (or token_file)"},
		{"matrix token file missing", func(n *Notify) { *n = matrix; n.TokenFile = filepath.Join(dir, "nope") }, "notify[1].token_file", "read token"},
		{"matrix no room", func(n *Notify) { *n = matrix; n.Room = "" }, "notify[1].room", "must be set"},
		{"matrix alias", func(n *Notify) { *n = matrix; n.Room = "#team:example.org" }, "notify[1].room", "not an alias"},
		{"matrix secret", func(n *Notify) { *n = matrix; n.SecretFile = urlFile }, "notify[1].secret_file", `only for kind "webhook"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, baseTOML)
			n := hook
			tt.mutate(&n)
			c.Notify = []Notify{{Name: "first", Kind: NotifySlack, URLEnv: "ONEONONE_TEST_URL"}, n}
			err := c.Validate()
			if err != nil {
				for _, s := range []string{"SECRETPATH", "HMACKEYVALUE", "TOKENVALUE"} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error repeats a secret (%s):\n%v", s, err)
					}
				}
			}
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

func TestNotifyParse(t *testing.T) {
	t.Setenv("ONEONONE_TEST_URL", notifyURL)
	t.Setenv("ONEONONE_TEST_SECRET", "HMACKEYVALUE\n")
	c := mustParse(t, baseTOML+`
[[notify]]
name = "hook"
kind = "webhook"
url_env = "ONEONONE_TEST_URL"
secret_env = "ONEONONE_TEST_SECRET"
`)
	if len(c.Notify) != 1 {
		t.Fatalf("notify = %+v", c.Notify)
	}
	n := c.Notify[0]
	if u, err := n.URL(); err != nil || u != notifyURL {
		t.Errorf("URL() = %q, %v", u, err)
	}
	if s, err := n.Secret(); err != nil || s != "HMACKEYVALUE\n" {
		t.Errorf("Secret() = %q, %v", s, err)
	}
	if tok, err := n.Token(); err != nil || tok != "" {
		t.Errorf("Token() = %q, %v", tok, err)
	}
	if strings.Contains(c.Redacted(), "SECRETPATH") {
		t.Error("Redacted() holds the URL")
	}

	_, err := parse([]byte(baseTOML+"[[notify]]\nname = \"x\"\nkind = \"slack\"\nurl = \"https://x\"\n"), "test.toml", noEnv)
	wantFieldError(t, err, "notify[0].url", "unknown key")
}

func TestNotifyInClear(t *testing.T) {
	t.Setenv("ONEONONE_TEST_HTTP", "http://Hooks.example.com/SECRETPATH")
	n := Notify{Kind: NotifySlack, URLEnv: "ONEONONE_TEST_HTTP"}
	if h := n.InClear(); h != "" {
		t.Errorf("InClear() without insecure = %q", h)
	}
	n.Insecure = true
	if h := n.InClear(); h != "hooks.example.com" {
		t.Errorf("InClear() = %q", h)
	}
}

// nudges.notify names [[notify]] targets: an unknown one is an error
// naming the key.
func TestNudgesNotifyUnknownTarget(t *testing.T) {
	c := Default()
	c.State, c.Timezone, c.Identity.Me = "/tmp/state.db", "UTC", []string{"anna@example.com"}
	c.Nudges.Notify = []string{"nowhere"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `nudges.notify[0]: no [[notify]] target is named "nowhere"`) {
		t.Fatalf("err = %v", err)
	}
}
