package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"oneonone/calendar/caldav"
	"oneonone/config"
	"oneonone/sync"
)

// A sync the server refuses (a wrong password) exits non-zero, and says
// why on stderr: one line naming the source, the server, the status and
// the key that holds the password. stdout keeps the summary line, without
// the cause.
func TestSyncWrongPasswordOnStderr(t *testing.T) {
	cfg, _, _ := userFlow(t)
	t.Setenv("TEST_CALDAV_PASSWORD", "wrong")
	code, out, errs := runCmd(t, "sync", "--config", cfg)
	if code == 0 {
		t.Fatalf("exit 0 with a wrong password; stdout %q, stderr %q", out, errs)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
		if strings.HasPrefix(l, "oneonone sync: ") {
			lines = append(lines, l)
		}
	}
	want := regexp.MustCompile(`^oneonone sync: team: http://127\.0\.0\.1:\d+/\S*: 401 Unauthorized\b.*password_env TEST_CALDAV_PASSWORD`)
	if len(lines) != 1 || !want.MatchString(lines[0]) {
		t.Fatalf("stderr should hold one line naming source, server, 401 and the password key:\n%s", errs)
	}
	if !strings.HasPrefix(out, "team: ") || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout should be the one summary line of team:\n%s", out)
	}
	if strings.Contains(out, "authentication") || strings.Contains(out, "401") || !strings.Contains(out, "failed") {
		t.Errorf("the summary line should say it failed, without the cause:\n%s", out)
	}
}

// failureLine names the key that holds the credentials the server refused,
// and only for a refusal.
func TestFailureLineHints(t *testing.T) {
	cfg := &config.Config{Sources: []config.Source{
		{Name: "env", Kind: config.KindCalDAV, URL: "https://u:p@cal.example.com/dav/", Username: "anna", PasswordEnv: "CALDAV_PASSWORD"},
		{Name: "file", Kind: config.KindCalDAV, URL: "https://cal.example.com/dav/", Username: "anna", PasswordFile: "/etc/oneonone/pw"},
	}}
	refused := func(code int, status string) error {
		return fmt.Errorf("list calendars: %w", &caldav.StatusError{Method: "PROPFIND", URL: "https://cal.example.com/dav/", Code: code, Status: status, User: "anna"})
	}
	tests := []struct {
		source string
		err    error
		want   string
	}{
		{"env", refused(401, "401 Unauthorized"), "env: https://cal.example.com/dav/: 401 Unauthorized for user anna: check password_env CALDAV_PASSWORD"},
		{"file", refused(401, "401 Unauthorized"), "file: https://cal.example.com/dav/: 401 Unauthorized for user anna: check password_file /etc/oneonone/pw"},
		{"file", refused(403, "403 Forbidden"), "file: https://cal.example.com/dav/: 403 Forbidden: check username anna: the account may not read this calendar"},
		// Another cause: the error as it is, the configured URL without its user information, no hint.
		{"env", errors.New("list calendars: dial tcp: connection refused"), "env: https://cal.example.com/dav/: list calendars: dial tcp: connection refused"},
	}
	for _, tt := range tests {
		if got := failureLine(cfg, sync.Summary{Source: tt.source, Err: tt.err}); got != tt.want {
			t.Errorf("failureLine(%s, %v)\n got %s\nwant %s", tt.source, tt.err, got, tt.want)
		}
	}
}
