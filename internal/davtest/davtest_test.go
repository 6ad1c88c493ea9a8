package davtest

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestServers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *Server
	}{
		{"radicale", StartRadicale},
		{"xandikos", StartXandikos},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.start(t)
			if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
				t.Fatalf("URL = %q, want a loopback URL", s.URL)
			}
			body := `<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>`
			resp, err := s.Do(context.Background(), "PROPFIND", s.CalendarURL, body, http.Header{"Depth": {"0"}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusMultiStatus || !strings.Contains(string(resp.Body), "calendar") {
				t.Fatalf("PROPFIND %s: %s\n%s", s.CalendarURL, resp.Status, resp.Body)
			}
			if s.Username != "" {
				s2 := *s
				s2.Password = "wrong"
				resp, err := s2.Do(context.Background(), "PROPFIND", s.CalendarURL, body, http.Header{"Depth": {"0"}})
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("PROPFIND with a wrong password: %s, want 401", resp.Status)
				}
			}
		})
	}
}

func TestMissingBinarySkips(t *testing.T) {
	if os.Getenv("CI") != "" {
		t.Skip("CI is set: a missing binary fails the test instead")
	}
	t.Setenv("PATH", t.TempDir())
	for name, start := range map[string]func(testing.TB) *Server{"radicale": StartRadicale, "xandikos": StartXandikos} {
		skipped := false
		t.Run(name, func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			start(t)
		})
		if !skipped {
			t.Errorf("%s: not skipped without the binary", name)
		}
	}
}
