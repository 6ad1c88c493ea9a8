package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func putFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

// orgTOML is a service without identity.me: a Google source acting for
// subjects and a CalDAV source with an accounts file.
func orgTOML(dir string) string {
	return `
state = "` + dir + `/state.db"
timezone = "Europe/Berlin"

[google]
max_requests_per_minute = 120

[[source]]
name = "ws"
kind = "google"
service_account = "` + dir + `/sa.json"
subject = "Anna@Example.com"
subjects = ["bob@example.com", "anna@example.com"]
subjects_file = "` + dir + `/subjects"

[[source]]
name = "dav"
kind = "caldav"
url = "https://cal.example.com/dav/"
accounts_file = "` + dir + `/accounts"
`
}

func TestSubjectsAndAccounts(t *testing.T) {
	dir := t.TempDir()
	putFile(t, filepath.Join(dir, "subjects"), "# managers\n\ncarol@example.com\n  Dave@Example.com  # the new one\n", 0o644)
	putFile(t, filepath.Join(dir, "erin.pw"), "secret\n", 0o600)
	putFile(t, filepath.Join(dir, "frank.pw"), "secret2", 0o644)
	putFile(t, filepath.Join(dir, "accounts"), "erin@example.com erin erin.pw\n# x\nfrank@example.com frank "+dir+"/frank.pw\n", 0o644)
	c := mustParse(t, orgTOML(dir))

	ws, _ := c.Source("ws")
	if got, want := ws.DelegatedSubjects(), []string{"anna@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}; !slices.Equal(got, want) {
		t.Errorf("subjects = %v, want %v", got, want)
	}
	dav, _ := c.Source("dav")
	acc := dav.Accounts()
	if len(acc) != 2 || acc[0].Username != "erin" || acc[0].PasswordFile != filepath.Join(dir, "erin.pw") || acc[1].Line != 3 {
		t.Fatalf("accounts = %+v", acc)
	}
	if pw, err := acc[0].Password(); pw != "secret" || err != nil {
		t.Errorf("password = %q, %v", pw, err)
	}
	want := []string{"anna@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com", "frank@example.com"}
	if got := c.Me(); !slices.Equal(got, want) {
		t.Errorf("Me() = %v, want %v (identity.me implied by subjects and accounts)", got, want)
	}
	if !c.IsMe("Frank@example.com") {
		t.Error("IsMe(frank) = false")
	}
	if c.Google.MaxRequestsPerMinute != 120 {
		t.Errorf("max_requests_per_minute = %d", c.Google.MaxRequestsPerMinute)
	}
	if ws.NameFor("bob@example.com") != "ws/bob@example.com" || !ws.Many() {
		t.Errorf("NameFor = %q, Many = %v", ws.NameFor("bob@example.com"), ws.Many())
	}
	names := []string{"ws/anna@example.com", "ws/bob@example.com", "ws/carol@example.com", "ws/dave@example.com", "dav/erin@example.com", "dav/frank@example.com"}
	if got := c.SourceNames(); !slices.Equal(got, names) {
		t.Errorf("SourceNames() = %v, want %v", got, names)
	}
	for _, n := range names {
		if s, ok := c.SourceOf(n); !ok || s.Name != strings.Split(n, "/")[0] {
			t.Errorf("SourceOf(%q) = %v, %v", n, s, ok)
		}
	}
	if _, ok := c.SourceOf("wsx/anna@example.com"); ok {
		t.Error("SourceOf found a source for wsx/…")
	}
	var warned bool
	for _, w := range c.Warnings("") {
		if w.Key == "source[1].accounts_file" && strings.Contains(w.Msg, "frank.pw") && strings.Contains(w.Msg, "anyone") {
			warned = true
		}
		if strings.Contains(w.Msg, "erin.pw") {
			t.Errorf("warned of a 0600 file: %s", w)
		}
	}
	if !warned {
		t.Errorf("no warning of the world-readable frank.pw: %v", c.Warnings(""))
	}
	if d := Default(); d.Google.MaxRequestsPerMinute != defaultGoogleRate {
		t.Errorf("default max_requests_per_minute = %d", d.Google.MaxRequestsPerMinute)
	}
}

// TestOrgProblemsInOnePass: every bad line of both files and every bad
// key is reported at once, the lines as FILE:LINE.
func TestOrgProblemsInOnePass(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "subjects")
	acc := filepath.Join(dir, "accounts")
	putFile(t, sub, "carol@example.com\nnot-an-address\ncarol@example.com\ntwo words@example.com\n", 0o644)
	putFile(t, filepath.Join(dir, "empty.pw"), "", 0o600)
	putFile(t, acc, "erin@example.com erin\nbad erin x.pw\nfrank@example.com frank missing.pw\ngina@example.com gina empty.pw\n", 0o644)
	text := strings.Replace(orgTOML(dir), `subjects = ["bob@example.com", "anna@example.com"]`, `subjects = ["bob"]`, 1)
	text = strings.Replace(text, "[google]\nmax_requests_per_minute = 120", "[google]\nmax_requests_per_minute = -1", 1)
	_, errs := parseAll([]byte(text), "test.toml", noEnv)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"source[0].subjects[0]: ",
		sub + ":2: ",
		sub + ":3: carol@example.com is listed already on line 1",
		sub + ":4: want one address a line, got 2 words",
		acc + `:1: want "address username password_file", got 2 words`,
		acc + ":2: ",
		acc + ":3: read password of frank@example.com: no such file or directory",
		acc + ":4: password file " + filepath.Join(dir, "empty.pw") + " of gina@example.com is empty",
		"google.max_requests_per_minute: must be 0 (no limit) or more, got -1",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	for _, e := range got {
		if strings.Contains(e, "\n") {
			t.Errorf("a problem of more than one line: %q", e)
		}
	}
}

func TestOrgKeyRules(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, text, key, msg string }{
		{"subjects without service account", `
state = "/tmp/s.db"
timezone = "UTC"
[identity]
me = ["a@example.com"]
[[source]]
name = "g"
kind = "google"
endpoint = "http://127.0.0.1:1/"
subjects = ["b@example.com"]
`, "source[0].subjects", "only with service_account"},
		{"accounts with username", `
state = "/tmp/s.db"
timezone = "UTC"
[[source]]
name = "d"
kind = "caldav"
url = "https://x.example.com/"
username = "u"
password_env = "X"
accounts_file = "` + dir + `/none"
`, "source[0].accounts_file", "not both"},
		{"accounts_file on google", `
state = "/tmp/s.db"
timezone = "UTC"
[identity]
me = ["a@example.com"]
[[source]]
name = "g"
kind = "google"
endpoint = "http://127.0.0.1:1/"
accounts_file = "x"
`, "source[0].accounts_file", "only for kind"},
		{"no me and no subjects", `
state = "/tmp/s.db"
timezone = "UTC"
[[source]]
name = "g"
kind = "google"
endpoint = "http://127.0.0.1:1/"
`, "identity.me", "must list at least one address"},
		{"subjects and another calendar", `
state = "/tmp/s.db"
timezone = "UTC"
[[source]]
name = "g"
kind = "google"
service_account = "/tmp/sa.json"
subjects = ["b@example.com"]
calendar = "team@group.calendar.google.com"
`, "source[0].calendar", "must be \"primary\" with subjects"},
		{"missing subjects file", `
state = "/tmp/s.db"
timezone = "UTC"
[[source]]
name = "g"
kind = "google"
service_account = "/tmp/sa.json"
subjects_file = "` + dir + `/none"
`, "source[0].subjects_file", "cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := parseAll([]byte(tc.text), "test.toml", noEnv)
			found := false
			for _, e := range errs {
				if fe, ok := e.(*FieldError); ok && fe.Key == tc.key && strings.Contains(fe.Msg, tc.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s: …%s…, got %v", tc.key, tc.msg, errs)
			}
		})
	}
}
