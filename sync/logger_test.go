package sync

import (
	"context"
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
