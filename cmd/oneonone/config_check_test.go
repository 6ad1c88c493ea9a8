package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oneonone/internal/fake/caldavserver"
)

// writeConfig writes text to a config file in a new directory and returns
// its path and the directory.
func writeConfig(t *testing.T, text string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// problemLines returns the lines of stderr that start with "path: ", the
// warnings and the summary left out.
func problemLines(stderr, path string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, path+": "); ok && !strings.HasPrefix(rest, "warning: ") {
			out = append(out, rest)
		}
	}
	return out
}

// TestConfigCheckListsEveryProblem: an unknown key and a value of the
// wrong type do not hide the validation errors of the rest; each problem
// is one line "FILE: key: what is wrong", and the command fails.
func TestConfigCheckListsEveryProblem(t *testing.T) {
	path, _ := writeConfig(t, `timezone = "Mars/Olympus"
intervall = "5m"
listen = 8787
[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
`)
	code, _, errs := runCmd(t, "config", "check", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errs)
	}
	lines := problemLines(errs, path)
	for _, want := range []string{
		"intervall: unknown key",
		"listen: expected a string, got an integer",
		`timezone: unknown zone "Mars/Olympus"`,
		"source[0].url: must be set",
	} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, want)
		}
		if !found {
			t.Errorf("no line %q in stderr:\n%s", path+": "+want, errs)
		}
	}
	if len(lines) != 4 {
		t.Errorf("%d problem lines, want 4:\n%s", len(lines), errs)
	}
	if !strings.Contains(errs, "4 problems") {
		t.Errorf("stderr does not count 4 problems:\n%s", errs)
	}
}

// TestConfigCheckOneProblemNamesFile: a single problem is also on a line
// that starts with the file's name.
func TestConfigCheckOneProblemNamesFile(t *testing.T) {
	path, _ := writeConfig(t, `[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
`)
	code, _, errs := runCmd(t, "config", "check", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errs)
	}
	if !strings.Contains(errs, path+": source[0].url: must be set") || !strings.Contains(errs, "1 problem\n") {
		t.Errorf("stderr:\n%s", errs)
	}
}

// TestConfigCheckFiles: the files a config names must exist and be
// readable: client_secrets, service_account, the token of a source that
// logs in with client_secrets, a pair's document.
func TestConfigCheckFiles(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.json")
	if err := os.WriteFile(secrets, []byte(`{"installed":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	head := `[identity]
me = ["anna@example.com"]
`
	for _, tc := range []struct {
		name, text, want string
	}{
		{"client_secrets", `[[source]]
name = "g"
kind = "google"
client_secrets = "` + filepath.Join(dir, "nope.json") + `"
`, "source[0].client_secrets: " + filepath.Join(dir, "nope.json") + " does not exist"},
		{"service_account", `[[source]]
name = "g"
kind = "google"
service_account = "` + filepath.Join(dir, "sa.json") + `"
subject = "anna@example.com"
`, "source[0].service_account: " + filepath.Join(dir, "sa.json") + " does not exist"},
		{"token", `[[source]]
name = "g"
kind = "google"
client_secrets = "` + secrets + `"
token = "` + filepath.Join(dir, "token.json") + `"
`, "source[0].token: " + filepath.Join(dir, "token.json") + ` does not exist: log in first with "oneonone auth google --source g"`},
		{"client_secrets a directory", `[[source]]
name = "g"
kind = "google"
client_secrets = "` + dir + `"
token = "` + secrets + `"
`, "source[0].client_secrets: " + dir + " is a directory"},
		{"pair doc", `[[source]]
name = "g"
kind = "google"
endpoint = "http://127.0.0.1:1/"
[[agenda.pair]]
with = "bob@example.com"
doc = "` + filepath.Join(dir, "bob.md") + `"
`, "agenda.pair[0].doc: " + filepath.Join(dir, "bob.md") + " does not exist"},
		{"password_file", `[[source]]
name = "team"
kind = "caldav"
url = "https://dav.example.com/"
username = "anna"
password_file = "` + filepath.Join(dir, "pw") + `"
`, "source[0].password_file: read password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(head+tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errs := runCmd(t, "config", "check", "--config", path)
			if code != 1 || !strings.Contains(errs, path+": "+tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, errs, path+": "+tc.want)
			}
		})
	}
}

// TestConfigCheckSourceCount: "1 source", "2 sources".
func TestConfigCheckSourceCount(t *testing.T) {
	src := func(name string) string {
		return fmt.Sprintf("[[source]]\nname = %q\nkind = \"google\"\nendpoint = \"http://127.0.0.1:1/\"\n", name)
	}
	for n, want := range map[int]string{1: "(1 source,", 2: "(2 sources,"} {
		text := "timezone = \"Europe/Berlin\"\n[identity]\nme = [\"anna@example.com\"]\n"
		for i := range n {
			text += src(fmt.Sprintf("s%d", i))
		}
		path, _ := writeConfig(t, text)
		code, out, errs := runCmd(t, "config", "check", "--config", path)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("%d sources: exit %d, stdout %q, stderr %q; want %q", n, code, out, errs, want)
		}
	}
}

// TestConfigCheckOnline: --online logs in to each source and lists the
// calendars it would watch; a wrong password fails, naming the source.
func TestConfigCheckOnline(t *testing.T) {
	dav := caldavserver.New("anna")
	dav.SetBasicAuth("anna", "s3cret")
	calPath, err := dav.CreateCalendar("work", "Work")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dav.Handler())
	t.Cleanup(srv.Close)
	text := fmt.Sprintf(`timezone = "Europe/Berlin"
[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
url = %q
username = "anna"
password_env = "TEST_CHECK_PW"
`, srv.URL+"/")
	path, _ := writeConfig(t, text)

	t.Setenv("TEST_CHECK_PW", "s3cret")
	code, out, errs := runCmd(t, "config", "check", "--online", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	for _, want := range []string{path + ": source[0] (team): 1 calendar\n", "  " + calPath + " (Work)\n", "ok (1 source,"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not hold %q:\n%s", want, out)
		}
	}

	t.Setenv("TEST_CHECK_PW", "wrong")
	code, out, errs = runCmd(t, "config", "check", "--online", "--config", path)
	if code != 1 || !strings.Contains(errs, path+": source[0] (team): ") || strings.Contains(out, "ok (") {
		t.Errorf("wrong password: exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}

	// Without --online, nothing is asked of the server.
	before := dav.Requests()
	if code, _, errs := runCmd(t, "config", "check", "--config", path); code != 0 {
		t.Fatalf("offline: exit %d, stderr:\n%s", code, errs)
	}
	if n := dav.Requests() - before; n != 0 {
		t.Errorf("offline check made %d requests", n)
	}
}
