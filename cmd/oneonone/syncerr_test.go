package main

import (
	"regexp"
	"strings"
	"testing"
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
