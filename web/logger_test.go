package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/logtest"
	"oneonone/store"
	"oneonone/web"
)

// The server logs through Options.Log (here: an agenda document that
// cannot be read), and never through slog's default logger: not with a
// logger, not without one (nil discards).
func TestLogger(t *testing.T) {
	def := logtest.CaptureDefault(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	unreadable := func(context.Context, calendar.Pair) ([]agenda.Action, error) {
		return nil, errors.New("document gone")
	}
	rec := logtest.New()
	for _, log := range []*slog.Logger{rec.Logger(), nil} {
		s, err := web.New(web.Options{Store: st, Me: []string{"anna@example.com"}, Actions: unreadable, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		resp, err := http.Get(srv.URL + "/api/actions?with=bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/actions: %d", resp.StatusCode)
		}
	}
	if l := rec.Lines(); len(l) != 1 || l[0].Level != slog.LevelWarn || l[0].Attrs["error"] != "document gone" {
		t.Errorf("the given logger got %+v, want one warning", l)
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("the default logger got %q", m)
	}
}
