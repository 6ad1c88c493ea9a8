package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oneonone/agenda"
	"oneonone/internal/agendatest"
)

// actionsConfig writes a config of a user with the addresses of
// agendatest.Me and returns its path.
func actionsConfig(t *testing.T) string {
	t.Helper()
	t.Setenv("ONEONONE_TEST_CALDAV_PW", "pw")
	dir := t.TempDir()
	me, err := json.Marshal(agendatest.Me)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`state = %q
timezone = "Europe/Berlin"
[identity]
me = %s
[[source]]
name = "team"
kind = "caldav"
url = "https://caldav.example.com/"
username = "anna"
password_env = "ONEONONE_TEST_CALDAV_PW"
`, filepath.Join(dir, "state.db"), me)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestActionsAddRefusedAsByTheAPI: actions add refuses the cases that POST
// /api/actions refuses (agendatest.Refusals), as a usage error that names
// the flag of the field the API names.
func TestActionsAddRefusedAsByTheAPI(t *testing.T) {
	cfg := actionsConfig(t)
	flagOf := map[string]string{
		agenda.FieldWith:  "--with",
		agenda.FieldOwner: "--owner",
		agenda.FieldText:  "TEXT",
		agenda.FieldDue:   "--due",
	}
	for _, tt := range agendatest.Refusals {
		t.Run(tt.Name, func(t *testing.T) {
			args := []string{"actions", "add", "--config", cfg, "--with", tt.With}
			if tt.Owner != "" {
				args = append(args, "--owner", tt.Owner)
			}
			if tt.Due != "" {
				args = append(args, "--due", tt.Due)
			}
			code, out, errs := runCmd(t, append(args, tt.Text)...)
			want := "oneonone actions: " + flagOf[tt.Field] + ": "
			if code != 2 || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %.200q; want exit 2 and stderr starting %q", code, out, errs, want)
			}
		})
	}
	if out := mustRun(t, "actions", "list", "--config", cfg, "--all", "--format", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("stored after refusals: %s", out)
	}

	// The counterpart, owned by the user's other address: the user.
	mustRun(t, "actions", "add", "--config", cfg, "--with", agendatest.With, "--force", "--owner", agendatest.Me[1], "  send", "the draft  ")
	var list []agenda.ActionView
	if err := json.Unmarshal([]byte(mustRun(t, "actions", "list", "--config", cfg, "--with", agendatest.With, "--format", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Owner != agendatest.Me[0] || list[0].Text != "send the draft" || list[0].With != agendatest.With {
		t.Errorf("added %+v", list)
	}
	// Listing with one of the user's own addresses is refused too.
	if code, _, errs := runCmd(t, "actions", "list", "--config", cfg, "--with", agendatest.Me[1]); code != 2 || !strings.Contains(errs, "--with: ") {
		t.Errorf("list --with me: exit %d, %q", code, errs)
	}
}
