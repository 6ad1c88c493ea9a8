package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSeriesSameMeetingTwoSources: the demo team's calendar configured a
// second time, as another source (two accounts' calendars shared with each
// other), holds the same 1:1s under the same UIDs. series lists each pair
// once, with one series per meeting and both sources, and the report counts
// each slot once: as with the one source.
func TestSeriesSameMeetingTwoSources(t *testing.T) {
	one, _, _ := userFlow(t)
	text, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	url := regexp.MustCompile(`(?m)^url = "([^"]+)"`).FindSubmatch(text)
	state := regexp.MustCompile(`(?m)^state = "([^"]+)"`).FindSubmatch(text)
	if url == nil || state == nil {
		t.Fatalf("config without url or state:\n%s", text)
	}
	both := filepath.Join(t.TempDir(), "both.toml")
	cfg := strings.Replace(string(text), string(state[0]), `state = "`+filepath.Join(filepath.Dir(both), "state.db")+`"`, 1) + `
[[source]]
name = "mirror"
kind = "caldav"
url = "` + string(url[1]) + `"
username = "anna"
password_env = "TEST_CALDAV_PASSWORD"
`
	if err := os.WriteFile(both, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "sync", "--config", one)
	mustRun(t, "sync", "--config", both)

	type summary struct {
		Counterpart string   `json:"counterpart"`
		Series      []string `json:"series"`
		Sources     []string `json:"sources"`
	}
	series := func(cfg string) map[string]summary {
		var sums []summary
		if err := json.Unmarshal([]byte(mustRun(t, "series", "--config", cfg, "--format", "json")), &sums); err != nil {
			t.Fatal(err)
		}
		out := map[string]summary{}
		for _, s := range sums {
			if _, dup := out[s.Counterpart]; dup {
				t.Errorf("%s listed twice", s.Counterpart)
			}
			out[s.Counterpart] = s
		}
		return out
	}
	alone, twice := series(one), series(both)
	if len(alone) == 0 || len(twice) != len(alone) {
		t.Fatalf("%d pairs with two sources, %d with one", len(twice), len(alone))
	}
	for who, s := range twice {
		if len(s.Series) != len(alone[who].Series) || !slices.Equal(s.Sources, []string{"mirror", "team"}) {
			t.Errorf("%s: series %v, sources %v; want %d series and [mirror team]", who, s.Series, s.Sources, len(alone[who].Series))
		}
	}
	if out := mustRun(t, "series", "--config", both); !strings.Contains(out, "mirror,team") {
		t.Errorf("series names one source:\n%s", out)
	}

	// The last full week's report, as of that week's end.
	type rep struct {
		Week  string `json:"week"`
		Pairs []struct {
			Counterpart string          `json:"counterpart"`
			Week        json.RawMessage `json:"week"`
			Trailing    struct {
				Due, Kept, Streak int
			} `json:"trailing"`
		} `json:"pairs"`
	}
	report := func(args ...string) rep {
		var r rep
		if err := json.Unmarshal([]byte(mustRun(t, append([]string{"report", "--format", "json"}, args...)...)), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	ra := report("--config", one)
	rb := report("--config", both, "--week", ra.Week)
	if len(ra.Pairs) == 0 || len(rb.Pairs) != len(ra.Pairs) {
		t.Fatalf("report of %s: %d pairs with two sources, %d with one", ra.Week, len(rb.Pairs), len(ra.Pairs))
	}
	for i, p := range rb.Pairs {
		a := ra.Pairs[i]
		if p.Counterpart != a.Counterpart || string(p.Week) != string(a.Week) || p.Trailing != a.Trailing {
			t.Errorf("%s with two sources: week %s, trailing %+v; want %s %s, %+v", p.Counterpart, p.Week, p.Trailing, a.Counterpart, a.Week, a.Trailing)
		}
	}
}
