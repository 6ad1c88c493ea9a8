package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"oneonone/config"
)

// readableTokenConfig is the user flow's config with web.token inline and
// the file left readable by everyone (mode 0644, a umask 022 default).
func readableTokenConfig(t *testing.T, topLevel ...string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	cfg, _, _ := userFlow(t, topLevel...)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("[web]\ntoken = \"0123456789abcdef-secret\"\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Every command that loads the config says, once on stderr, that the file
// holds the web token and others may read it, naming the file and the
// fix; config check prints it and still passes, the others log it through
// the configured logger. None shows the token.
func TestConfigWarningsOnEveryCommand(t *testing.T) {
	cfg := readableTokenConfig(t, `log_format = "json"`)
	fix := "chmod 600 " + cfg
	for _, args := range [][]string{
		{"config", "check", "--config", cfg},
		{"sync", "--config", cfg},
		{"report", "--config", cfg},
		{"series", "--config", cfg},
		{"actions", "list", "--config", cfg},
		{"actions", "add", "--config", cfg, "--with", "bob@example.com", "bring the notes"},
		{"actions", "done", "--config", cfg, "1"},
		{"auth", "google", "--config", cfg, "--source", "team"},
	} {
		name := args[0]
		if !strings.HasPrefix(args[1], "--") {
			name += " " + args[1]
		}
		t.Run(name, func(t *testing.T) {
			code, _, errs := runCmd(t, args...)
			if args[0] == "auth" || args[0] == "actions" && args[1] != "list" {
				code = 0 // only the warning matters here
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if n := strings.Count(errs, fix); n != 1 {
				t.Errorf("stderr names %q %d times, want once:\n%s", fix, n, errs)
			}
			if strings.Contains(errs, "0123456789abcdef-secret") {
				t.Errorf("stderr shows the token:\n%s", errs)
			}
			if args[0] != "config" {
				for _, line := range strings.Split(errs, "\n") {
					if strings.Contains(line, fix) && !strings.HasPrefix(line, `{"time":`) {
						t.Errorf("the warning did not go through the configured (JSON) logger: %q", line)
					}
				}
			}
		})
	}
	if err := os.Chmod(cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, errs := runCmd(t, "series", "--config", cfg); strings.Contains(errs, "chmod") {
		t.Errorf("a 0600 config still gets a warning:\n%s", errs)
	}
}

// The daemon logs the same warning at start.
func TestRunWarnsReadableConfig(t *testing.T) {
	cfg := readableTokenConfig(t, `listen = "127.0.0.1:0"`)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &out, &errs) }()
	waitServing(t, out.String)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(errs.String(), "level=WARN") || strings.Count(errs.String(), "chmod 600 "+cfg) != 1 {
		t.Errorf("the daemon's log does not warn once about %s:\n%s", cfg, errs.String())
	}
}

// insecure = true on an http:// url beyond loopback: config check and the
// start of a command warn, and the source is built to warn each cycle.
func TestInsecureSourceWarns(t *testing.T) {
	t.Setenv("ONEONONE_TEST_CALDAV_PW", "pw")
	path := filepath.Join(t.TempDir(), "c.toml")
	text := `state = "` + filepath.Join(filepath.Dir(path), "state.db") + `"
[identity]
me = ["anna@example.com"]
[[source]]
name = "lan"
kind = "caldav"
url = "http://cal.example.com/dav/"
username = "anna"
password_env = "ONEONONE_TEST_CALDAV_PW"
`
	if err := os.WriteFile(path, []byte(text+"insecure = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "config", "check", "--config", path)
	if code != 0 || !strings.Contains(errs, "source[0].insecure: http:// to cal.example.com sends the password and the calendars in clear") {
		t.Fatalf("config check: exit %d, stderr %q; want 0 and the in-clear warning", code, errs)
	}
	_, _, errs = runCmd(t, "series", "--config", path)
	if !strings.Contains(errs, "level=WARN") || !strings.Contains(errs, "cal.example.com") {
		t.Errorf("series does not warn at start:\n%s", errs)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := buildSources(context.Background(), cfg, nil)
	if err != nil || len(srcs) != 1 || srcs[0].InClear != "cal.example.com" {
		t.Fatalf("buildSources = %+v, %v; want the source to warn of cal.example.com each cycle", srcs, err)
	}

	// Without insecure, the same url is refused, by key.
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, "config", "check", "--config", path)
	want := "source[0].url: http:// to cal.example.com would send the password in clear: use https://, or set insecure = true"
	if code != 1 || !strings.Contains(errs, want) || strings.Contains(errs, "pw\"") {
		t.Fatalf("config check: exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
}
