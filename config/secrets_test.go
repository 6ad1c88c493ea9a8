package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LoadIgnoringSecrets takes a config whose secrets are not in this
// environment (the daemon's unit holds them) and refuses every other
// problem; CheckSecrets then names each secret that cannot be read, as
// Load does.
func TestLoadIgnoringSecrets(t *testing.T) {
	for _, v := range []string{"ONEONONE_TEST_S_PW", "ONEONONE_TEST_S_SMTP", "ONEONONE_TEST_S_WEB", "ONEONONE_TEST_S_HOOK"} {
		t.Setenv(v, "")
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	write := func(extra string) {
		t.Helper()
		cfg := `timezone = "Europe/Berlin"
state = "/tmp/oneonone-test/state.db"
[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
url = "https://cal.example.com/"
username = "anna"
password_env = "ONEONONE_TEST_S_PW"
[report.email]
smtp = "smtp.example.com:587"
from = "anna@example.com"
to = ["anna@example.com"]
username = "anna"
password_env = "ONEONONE_TEST_S_SMTP"
[web]
token_env = "ONEONONE_TEST_S_WEB"
[[notify]]
name = "hook"
kind = "webhook"
url_env = "ONEONONE_TEST_S_HOOK"
` + extra
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	wantSecrets := []string{
		"source[0].password_env: environment variable ONEONONE_TEST_S_PW is empty",
		"report.email.password_env: environment variable ONEONONE_TEST_S_SMTP is not set",
		"web.token_env: environment variable ONEONONE_TEST_S_WEB is not set",
		"notify[0].url_env: environment variable ONEONONE_TEST_S_HOOK is empty",
	}
	if _, err := Load(path); err == nil {
		t.Fatal("Load took a config whose secrets are not set")
	} else {
		for _, w := range wantSecrets {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Load: %v\nwant %q in it", err, w)
			}
		}
	}
	c, err := LoadIgnoringSecrets(path)
	if err != nil {
		t.Fatalf("LoadIgnoringSecrets: %v", err)
	}
	err = c.CheckSecrets()
	if err == nil {
		t.Fatal("CheckSecrets: nil")
	}
	if got := strings.Split(err.Error(), "\n"); len(got) != len(wantSecrets) {
		t.Errorf("CheckSecrets: %q, want the %d secrets", got, len(wantSecrets))
	}
	for _, w := range wantSecrets {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("CheckSecrets: %v\nwant %q in it", err, w)
		}
	}

	// Any other problem is still one.
	write("bogus = 1\n")
	if _, err := LoadIgnoringSecrets(path); err == nil || !strings.Contains(err.Error(), "bogus: unknown key") {
		t.Errorf("LoadIgnoringSecrets of an unknown key: %v", err)
	}

	// With every secret set, CheckSecrets has nothing to say.
	t.Setenv("ONEONONE_TEST_S_PW", "pw")
	t.Setenv("ONEONONE_TEST_S_SMTP", "pw")
	t.Setenv("ONEONONE_TEST_S_WEB", "0123456789abcdef0123")
	t.Setenv("ONEONONE_TEST_S_HOOK", "https://hooks.example.com/x")
	write("")
	c, err = LoadIgnoringSecrets(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSecrets(); err != nil {
		t.Errorf("CheckSecrets with every secret set: %v", err)
	}
}
