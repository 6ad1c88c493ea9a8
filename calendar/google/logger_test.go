package google_test

import (
	"context"
	"testing"

	"oneonone/calendar/google"
	"oneonone/internal/fake/googleapi"
	"oneonone/internal/logtest"
)

// The client logs through Options.Logger, and never through slog's default
// logger: not with a logger, not without one (nil discards).
func TestLogger(t *testing.T) {
	def := logtest.CaptureDefault(t)
	ctx := context.Background()
	f := newFake(t)
	f.apply(t, "master_exdate.json")

	rec := logtest.New()
	c := f.client(t, &sleeper{}, func(o *google.Options) { o.Logger = rec.Logger() })
	f.srv.Inject(googleapi.Fault{Method: "GET", PathContains: "/events", Status: 503, Times: 1})
	if _, err := c.Changes(ctx, "primary", "", nil); err != nil {
		t.Fatal(err)
	}
	lines := rec.Lines()
	if len(lines) != 1 || lines[0].Message != "google: retrying a request" || lines[0].Attrs["op"] != "events.list" {
		t.Errorf("the given logger got %+v, want one retry of events.list", lines)
	}

	quiet := f.client(t, &sleeper{})
	f.srv.Inject(googleapi.Fault{Method: "GET", PathContains: "/events", Status: 503, Times: 1})
	if _, err := quiet.Changes(ctx, "primary", "", nil); err != nil {
		t.Fatal(err)
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("the default logger got %q", m)
	}
}
