package main

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"oneonone/config"
	"oneonone/report/email"
	"oneonone/store"
)

// newPersonMailer mails each address of identity.me, lower-cased, at its
// own [[report.email.person]] time or else [report.email]'s.
func TestNewPersonMailer(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := &config.Config{}
	cfg.Identity.Me = []string{"Anna@Example.com", "bob@example.com"}
	cfg.Report.Email = config.Email{
		PerPerson: true, From: "oneonone@example.com", SMTP: "127.0.0.1:2525", Security: "none",
		Weekday: "monday", Time: "08:00",
		Person: []config.EmailPerson{{Address: "bob@example.com", Weekday: "tuesday", Time: "09:30"}},
	}
	p, err := newPersonMailer(cfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []email.Person{
		{Address: "anna@example.com", Weekday: time.Monday, Hour: 8},
		{Address: "bob@example.com", Weekday: time.Tuesday, Hour: 9, Minute: 30},
	}
	if len(p.People) != len(want) {
		t.Fatalf("people = %+v", p.People)
	}
	for i := range want {
		if p.People[i] != want[i] {
			t.Errorf("person %d = %+v, want %+v", i, p.People[i], want[i])
		}
	}
}

// With a source of subjects and no identity.me, every subject gets a
// report of their own: per-person mail follows cfg.Me().
func TestPersonMailerFollowsSubjects(t *testing.T) {
	subjects := []string{"anna@example.com", "bob@example.com", "carol@example.com"}
	f := newOrgFixture(t, subjects)
	cfg, err := loadConfig(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Identity.Me) != 0 {
		t.Fatalf("fixture sets identity.me = %v; the test wants it implied", cfg.Identity.Me)
	}
	cfg.Report.Email = config.Email{
		PerPerson: true, From: "oneonone@example.com", SMTP: "127.0.0.1:2525", Security: "none",
		Weekday: "monday", Time: "08:00",
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := newPersonMailer(cfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, person := range p.People {
		got = append(got, person.Address)
	}
	if !slices.Equal(got, subjects) {
		t.Errorf("mailed people = %v, want the subjects %v", got, subjects)
	}
}
