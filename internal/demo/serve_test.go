package demo

import (
	"testing"
	"time"

	"oneonone/config"
	"oneonone/internal/fake/caldavserver"
)

func TestLoadConfigActions(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, loc)
	team := Seed(now, loc)

	dav := caldavserver.New("anna")
	if err := team.Load(dav); err != nil {
		t.Fatal(err)
	}
	for _, obj := range team.Objects {
		if data, _, ok := dav.Object("/anna/calendars/" + obj.Calendar + "/" + obj.Name); !ok || string(data) != string(obj.Data) {
			t.Errorf("%s/%s not stored as seeded", obj.Calendar, obj.Name)
		}
	}

	t.Setenv("ONEONONE_TEST_DEMO_PW", "pw")
	cfg, err := config.Parse([]byte(team.Config(t.TempDir()+"/state.db", "http://127.0.0.1:1/", "anna", "ONEONONE_TEST_DEMO_PW")), "demo config")
	if err != nil {
		t.Fatalf("the demo config does not load: %v", err)
	}
	if cfg.LogLevel != "warn" || len(cfg.Sources) != 1 || len(cfg.Agenda.Pairs) != len(team.People) || !cfg.IsMe(team.Me.Email) {
		t.Errorf("demo config: level %q, %d sources, %d pairs", cfg.LogLevel, len(cfg.Sources), len(cfg.Agenda.Pairs))
	}

	acts := team.Actions(now)
	if len(acts) != 3 || !acts[1].Due.Equal(now.AddDate(0, 0, 6)) || !acts[0].Due.IsZero() || acts[0].Origin != "store" {
		t.Errorf("actions %+v", acts)
	}
	if _, _, ok, err := team.StoredBlock(dav, nil); ok || err != nil {
		t.Errorf("StoredBlock without series: ok %v, %v", ok, err)
	}
}
