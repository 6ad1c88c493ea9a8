package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"oneonone/internal/davtest"
)

// TestAgendaInitRealWebDAV: agenda init against a real server's plain
// collection: the document is created, a second run meets it (412).
// Xandikos only: Radicale keeps calendars and address books, and refuses a
// plain collection (MKCOL: 403).
func TestAgendaInitRealWebDAV(t *testing.T) {
	for _, c := range []struct {
		name  string
		start func(testing.TB) *davtest.Server
		coll  string
	}{
		{"xandikos", davtest.StartXandikos, "/user/notes/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.start(t)
			coll := strings.TrimSuffix(s.Root, "/") + c.coll
			resp, err := s.Do(context.Background(), "MKCOL", coll, "", nil)
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("MKCOL %s: %+v, %v", coll, resp, err)
			}
			cfg, _ := agendaConfig(t, s.URL, "")
			out := mustRun(t, "agenda", "init", "--config", cfg, "--with", "carol@example.com", "--url", coll)
			doc := coll + "1on1-carol-example-com.md"
			if !strings.Contains(out, doc) {
				t.Errorf("stdout %s", out)
			}
			got, err := s.Do(context.Background(), http.MethodGet, doc, "", nil)
			if err != nil || got.StatusCode != http.StatusOK || !strings.Contains(string(got.Body), "## Talking points") {
				t.Fatalf("GET %s: %+v, %v", doc, got, err)
			}
			code, _, errs := runCmd(t, "agenda", "init", "--config", cfg, "--with", "carol@example.com", "--url", coll)
			if code != 1 || !strings.Contains(errs, doc+" exists already") {
				t.Errorf("second run: exit %d, %s", code, errs)
			}
		})
	}
}
