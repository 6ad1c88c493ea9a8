package caldav_test

import (
	"context"
	"testing"

	"oneonone/calendar/caldav"
	"oneonone/internal/logtest"
)

// The client logs through Options.Logger, and never through slog's default
// logger: not with a logger, not without one (nil discards).
func TestLogger(t *testing.T) {
	def := logtest.CaptureDefault(t)
	ctx := context.Background()
	tg := memTarget(t, true)

	rec := logtest.New()
	opt := tg.opt
	opt.Logger = rec.Logger()
	c, err := caldav.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Calendars(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Changes(ctx, tg.calPath, "bogus:cursor", nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"caldav: discovered calendars", "caldav: unknown cursor"} {
		if !rec.HasPrefix(want) {
			t.Errorf("no %q line in the given logger: %q", want, rec.Messages())
		}
	}

	quiet, err := caldav.New(tg.opt) // no Logger
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quiet.Calendars(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := quiet.Changes(ctx, tg.calPath, "bogus:cursor", nil); err != nil {
		t.Fatal(err)
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("the default logger got %q", m)
	}
}
