package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// staleInput is the golden team with two stale sources: "team", whose last
// success was a week before the report and whose last cycle failed, and
// "work", which never synced.
func staleInput() Input {
	in := goldenInput()
	since := time.Date(2026, 11, 16, 8, 30, 15, 0, time.UTC)
	in.Stale = []StaleSource{
		{Name: "team", Since: &since, Error: "list calendars: dial tcp 127.0.0.1:5232: connect: connection refused"},
		{Name: "work"},
	}
	return in
}

// TestStaleSourcesInEveryFormat: a report built with stale sources names
// each, with its last success (or never) and its error, in every format.
func TestStaleSourcesInEveryFormat(t *testing.T) {
	r := Build(staleInput())
	want := map[string][]string{
		"text":     {StaleHeading, "STALE team: last synced Mon 16 Nov 2026 09:30 (list calendars: dial tcp 127.0.0.1:5232: connect: connection refused)", "STALE work: never synced"},
		"markdown": {StaleHeading, "**stale** team: last synced Mon 16 Nov 2026 09:30", "**stale** work: never synced", "connection refused"},
		"html":     {`<section class="stale" role="alert">`, StaleHeading, "team: last synced Mon 16 Nov 2026 09:30", "work: never synced", "connection refused"},
	}
	for format, subs := range want {
		var b bytes.Buffer
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			if !strings.Contains(b.String(), s) {
				t.Errorf("%s report lacks %q:\n%s", format, s, b.String())
			}
		}
	}

	var b bytes.Buffer
	if err := Write(&b, r, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pairs []json.RawMessage `json:"pairs"`
		Stale []struct {
			Name  string  `json:"name"`
			Since *string `json:"since"`
			Error *string `json:"error"`
		} `json:"stale"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Pairs) == 0 {
		t.Error("json: the pairs are gone")
	}
	if len(got.Stale) != 2 {
		t.Fatalf("json stale = %+v, want team and work", got.Stale)
	}
	team, work := got.Stale[0], got.Stale[1]
	if team.Name != "team" || team.Since == nil || *team.Since != "2026-11-16T09:30:15+01:00" ||
		team.Error == nil || !strings.Contains(*team.Error, "connection refused") {
		t.Errorf("json stale[0] = %+v, want team since 2026-11-16T09:30:15+01:00 with its error", team)
	}
	if work.Name != "work" || work.Since != nil || work.Error == nil || *work.Error != "" {
		t.Errorf("json stale[1] = %+v, want work since null, error \"\"", work)
	}
}

// TestNoStaleSources: without stale sources the JSON says "stale": [] and
// the other formats say nothing of staleness.
func TestNoStaleSources(t *testing.T) {
	r := Build(goldenInput())
	for _, format := range []string{"text", "markdown", "html"} {
		var b bytes.Buffer
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), StaleHeading) {
			t.Errorf("%s report mentions stale sources without any", format)
		}
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"stale": []`) {
		t.Errorf("json lacks \"stale\": []:\n%s", b.String())
	}
}

// TestStaleSourceTextIsOneCleanLine: a source's error cannot break the
// text report's lines or the Markdown's markup.
func TestStaleSourceTextIsOneCleanLine(t *testing.T) {
	in := goldenInput()
	in.Stale = []StaleSource{{Name: "te\nam", Error: "bad\r\n**x** | <b>" + strings.Repeat("e", 500)}}
	r := Build(in)
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "STALE te am: never synced (bad  **x** | <b>eee") || strings.Contains(b.String(), strings.Repeat("e", maxError)) {
		t.Errorf("text stale line not cleaned or not cut:\n%s", b.String())
	}
	b.Reset()
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `\*\*x\*\* \| &lt;b&gt;`) {
		t.Errorf("markdown stale line not escaped:\n%s", b.String())
	}
	b.Reset()
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<b>e") {
		t.Errorf("html stale line not escaped")
	}
}
