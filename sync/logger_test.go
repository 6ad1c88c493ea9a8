package sync

import (
	"context"
	"log/slog"
	"maps"
	"testing"

	"oneonone/internal/logtest"
)

// The daemon's cycles log through Engine.Log, and never through slog's
// default logger: not with a logger, not without one (nil discards).
func TestLogger(t *testing.T) {
	def := logtest.CaptureDefault(t)
	rec := logtest.New()
	for _, eng := range []*Engine{
		{Store: openStore(t), Log: rec.Logger()},
		{Store: openStore(t)},
	} {
		eng.Sources = []NamedSource{{Name: "good", Source: &countingSource{}}, {Name: "bad", Source: &countingSource{fail: true}}}
		d := &Daemon{Engine: eng}
		if _, err := d.SyncNow(context.Background()); err == nil {
			t.Fatal("SyncNow: the failing source did not fail")
		}
	}
	lines := rec.Lines()
	if len(lines) != 2 || lines[0].Message != "synced" || lines[0].Attrs["source"] != "good" ||
		lines[1].Message != "sync failed" || lines[1].Attrs["source"] != "bad" {
		t.Errorf("the given logger got %+v, want a line for each source", lines)
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("the default logger got %q", m)
	}
}

// A source that sends its credentials in clear (insecure = true on an
// http:// URL) says so at warn once in every cycle, failed or not; the
// others say nothing of the kind.
func TestInClearWarnsEachCycle(t *testing.T) {
	rec := logtest.New()
	eng := &Engine{Store: openStore(t), Log: rec.Logger(), Sources: []NamedSource{
		{Name: "plain", Source: &countingSource{}, InClear: "cal.example.com"},
		{Name: "down", Source: &countingSource{fail: true}, InClear: "dav.example.org"},
		{Name: "tls", Source: &countingSource{}},
	}}
	for range 3 {
		eng.SyncAll(context.Background())
	}
	got := map[string]int{}
	for _, l := range rec.Lines() {
		if l.Message != "credentials sent in clear" {
			continue
		}
		if l.Level != slog.LevelWarn {
			t.Errorf("line %+v is not at warn", l)
		}
		got[l.Attrs["source"]+" "+l.Attrs["host"]]++
	}
	want := map[string]int{"plain cal.example.com": 3, "down dav.example.org": 3}
	if !maps.Equal(got, want) {
		t.Errorf("in-clear warnings per source = %v, want %v (one per cycle)", got, want)
	}
}
