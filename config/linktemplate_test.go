package config

import "testing"

// What the agenda.link template inserts is escaped for a path segment,
// unless the template asks for a query's escaping (urlquery) or none (raw).
func TestAgendaLinkEscapes(t *testing.T) {
	d := LinkData{Counterpart: "elif@example.com", CounterpartName: "Elif Yılmaz", Me: "anna@example.com", Pair: "anna@example.com|elif@example.com"}
	for _, tt := range []struct{ tmpl, want string }{
		{"https://notes.example.com/{{.CounterpartName}}", "https://notes.example.com/Elif%20Y%C4%B1lmaz"},
		{"https://notes.example.com/{{.Counterpart}}/{{.Pair}}", "https://notes.example.com/elif@example.com/anna@example.com%7Celif@example.com"},
		{"https://notes.example.com/a?who={{.CounterpartName | urlquery}}", "https://notes.example.com/a?who=Elif+Y%C4%B1lmaz"},
		{"https://notes.example.com/{{urlquery .CounterpartName}}", "https://notes.example.com/Elif+Y%C4%B1lmaz"},
		{"https://notes.example.com/{{.Me | raw}}", "https://notes.example.com/anna@example.com"},
		{"https://notes.example.com/{{with .CounterpartName}}{{.}}{{else}}x/y{{end}}", "https://notes.example.com/Elif%20Y%C4%B1lmaz"},
		{"https://notes.example.com/{{printf \"%s/%s\" .Me .CounterpartName}}", "https://notes.example.com/anna@example.com%2FElif%20Y%C4%B1lmaz"},
		{"https://notes.example.com/{{$n := .CounterpartName}}{{$n}}", "https://notes.example.com/Elif%20Y%C4%B1lmaz"},
	} {
		got, err := executeLink(tt.tmpl, d)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
	}
}

// A template that uses raw or urlquery is valid.
func TestValidateAgendaLinkFuncs(t *testing.T) {
	for _, l := range []string{"https://x.example.com/{{.Me | raw}}", "https://x.example.com/?q={{.Me | urlquery}}"} {
		c := mustParse(t, baseTOML)
		c.Agenda.Link = l
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
}
