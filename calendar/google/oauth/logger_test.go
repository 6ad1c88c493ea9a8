package oauth_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"oneonone/calendar/google/oauth"
	fakeoauth "oneonone/internal/fake/oauth"
	"oneonone/internal/logtest"
)

// A token source logs through TokenOptions.Logger (a refreshed token it
// could not save), and never through slog's default logger: not with a
// logger, not without one (nil discards).
func TestTokenSourceLogger(t *testing.T) {
	def := logtest.CaptureDefault(t)
	s := fakeoauth.NewServer(t)
	conf := s.Config(oauth.ScopeEventsOwned)
	for _, logged := range []bool{true, false} {
		rec := logtest.New()
		opt := oauth.TokenOptions{}
		if logged {
			opt.Logger = rec.Logger()
		}
		path := saveExpired(t, s.IssueRefreshToken(oauth.ScopeEventsOwned))
		ts, err := oauth.TokenSource(t.Context(), conf, path, opt)
		if err != nil {
			t.Fatal(err)
		}
		// A directory where the file was: the save fails, the token works.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
			t.Fatal(err)
		}
		if tok, err := ts.Token(); err != nil || !tok.Valid() {
			t.Fatalf("Token = %v", err)
		}
		lines := rec.Lines()
		if logged && (len(lines) != 1 || lines[0].Level != slog.LevelWarn || lines[0].Attrs["path"] != path) {
			t.Errorf("the given logger got %+v, want one warning naming %s", lines, path)
		}
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("the default logger got %q", m)
	}
}
