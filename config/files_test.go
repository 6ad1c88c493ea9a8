package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.json")
	if err := os.WriteFile(secrets, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{
		State: filepath.Join(dir, "state.db"), // not there yet: created by the first sync
		Sources: []Source{
			{Name: "a", Kind: KindGoogle, ClientSecrets: secrets, Token: filepath.Join(dir, "tok.json")},
			{Name: "b", Kind: KindGoogle, ServiceAccount: filepath.Join(dir, "sa.json")},
			{Name: "c", Kind: KindGoogle, Endpoint: "http://127.0.0.1:1/", Token: filepath.Join(dir, "unused.json")},
			{Name: "d", Kind: KindCalDAV, PasswordFile: filepath.Join(dir, "pw")}, // Validate's
		},
		Agenda: Agenda{Pairs: []AgendaPair{
			{With: "bob@example.com", Doc: "https://docs.example.com/bob.md"},
			{With: "eve@example.com", Doc: filepath.Join(dir, "eve.md")},
		}},
	}
	var got []string
	for _, err := range c.CheckFiles() {
		got = append(got, err.Error())
	}
	want := []string{
		"source[0].token: " + filepath.Join(dir, "tok.json") + ` does not exist: log in first with "oneonone auth google --source a"`,
		"source[1].service_account: " + filepath.Join(dir, "sa.json") + " does not exist",
		"agenda.pair[1].doc: " + filepath.Join(dir, "eve.md") + " does not exist",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	c = &Config{State: dir} // a directory where the state file should be
	if errs := c.CheckFiles(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "state: "+dir+" is a directory") {
		t.Errorf("state directory: %v", errs)
	}
}

// TestLoadStillFails: Load, which the other commands use, fails on a bad
// config and names every problem, those that do not decode and those
// Validate finds, so a daemon never starts on one.
func TestLoadStillFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	text := "intervall = \"5m\"\nlisten = 1\ntimezone = \"Mars/Olympus\"\n[identity]\nme = [\"anna@example.com\"]\n[[source]]\nname = \"x\"\nkind = \"caldav\"\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if c != nil || err == nil {
		t.Fatalf("Load: %v, %v; want an error", c, err)
	}
	for _, key := range []string{"intervall", "listen", "timezone", "source[0].url"} {
		if !strings.Contains(err.Error(), key+": ") {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}
