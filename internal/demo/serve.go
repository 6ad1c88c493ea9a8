package demo

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/internal/fake/caldavserver"
)

// Load puts the team's objects into dav, making each calendar (titled
// after its name) as it first comes.
func (t Team) Load(dav *caldavserver.Server) error {
	paths := map[string]string{}
	for _, obj := range t.Objects {
		path, ok := paths[obj.Calendar]
		if !ok {
			p, err := dav.CreateCalendar(obj.Calendar, strings.ToUpper(obj.Calendar[:1])+obj.Calendar[1:])
			if err != nil {
				return fmt.Errorf("create demo calendar %s: %w", obj.Calendar, err)
			}
			paths[obj.Calendar], path = p, p
		}
		if _, _, err := dav.PutObject(path, obj.Name, obj.Data); err != nil {
			return fmt.Errorf("seed demo object %s: %w", obj.Name, err)
		}
	}
	return nil
}

// Config is the config a user of this team would write: state at state,
// one CalDAV source at url for user, its password in the environment
// variable passwordEnv, warnings only in the log, and a relationship for
// every person.
func (t Team) Config(state, url, user, passwordEnv string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state = %q\ntimezone = \"Europe/Berlin\"\ninterval = \"1m\"\nlog_level = \"warn\"\n\n[identity]\nme = [%q]\n\n", state, t.Me.Email)
	fmt.Fprintf(&b, "[[source]]\nname = \"team\"\nkind = \"caldav\"\nurl = %q\nusername = %q\npassword_env = %q\n\n", url, user, passwordEnv)
	fmt.Fprintf(&b, "[agenda]\nlink = \"https://docs.example.com/1on1/{{.Counterpart}}\"\n")
	for _, p := range t.People {
		fmt.Fprintf(&b, "\n[[agenda.pair]]\nwith = %q\nrelationship = %q\n", p.Email, p.Relationship)
	}
	return b.String()
}

// Actions are the open actions some pairs have at now, as `oneonone
// actions add` would store them.
func (t Team) Actions(now time.Time) []agenda.Action {
	me := t.Me.Email
	var out []agenda.Action
	for _, a := range []struct {
		with, owner, text string
		age, due          int // days ago, days ahead (0: none)
	}{
		{t.People[0].Email, t.People[0].Email, "send the Q4 hiring plan draft", 8, 0},
		{t.People[0].Email, me, "book the offsite room", 3, 6},
		{t.People[1].Email, t.People[1].Email, "write up the on-call retro", 5, 0},
	} {
		act := agenda.Action{
			Pair: calendar.NewPair(me, a.with), Owner: a.owner, Text: a.text,
			Since: now.AddDate(0, 0, -a.age), Origin: "store",
		}
		if a.due > 0 {
			act.Due = now.AddDate(0, 0, a.due)
		}
		out = append(out, act)
	}
	return out
}

// StoredBlock returns the title of the first person's 1:1 among series (as
// a sync stored them) and the agenda block its master carries on dav now;
// ok is false when there is no such series.
func (t Team) StoredBlock(dav *caldavserver.Server, series []calendar.Series) (title, block string, ok bool, err error) {
	for _, s := range series {
		if s.Counterpart != t.People[0].Email || !s.Deleted.IsZero() {
			continue
		}
		data, _, found := dav.Object(s.Href)
		if !found {
			return "", "", false, fmt.Errorf("demo: %s is gone from the server", s.Href)
		}
		evs, _ := ical.Parse(data, ical.ParseOptions{Href: s.Href})
		for _, ev := range evs {
			if ev.IsOverride() {
				continue
			}
			block, found := agenda.Extract(ev.Description)
			if !found {
				return "", "", false, fmt.Errorf("demo: no agenda block in %s", s.Href)
			}
			return s.Title, block, true, nil
		}
	}
	return "", "", false, nil
}

// Server is the demo's embedded CalDAV server: the in-process server of
// internal/fake/caldavserver, seeded with a team, whose user answers to a
// password and whose schedule outbox answers free/busy (for the ways
// back). The binary reaches that server only through it.
type Server struct {
	dav  *caldavserver.Server
	team Team
}

// NewServer seeds a new server with team, for user with password.
func NewServer(team Team, user, password string) (*Server, error) {
	dav := caldavserver.New(user)
	dav.SetBasicAuth(user, password)
	dav.SetOutbox(team.Me.Email)
	if err := team.Load(dav); err != nil {
		return nil, err
	}
	return &Server{dav: dav, team: team}, nil
}

// Handler serves the calendars over CalDAV.
func (s *Server) Handler() http.Handler { return s.dav.Handler() }

// StoredBlock is Team.StoredBlock on this server.
func (s *Server) StoredBlock(series []calendar.Series) (title, block string, ok bool, err error) {
	return s.team.StoredBlock(s.dav, series)
}
