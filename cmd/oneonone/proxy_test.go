package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/report"
	"oneonone/store"
	"oneonone/web"
)

// TestProxyConfigReachesTheWebFace: [web] auth_proxy_header,
// trusted_proxies and admins from the file are what the daemon's web face
// applies: two managers of one source each see their own 1:1 only, an
// admin gets /metrics, nobody gets in without the header, and the control
// socket still sees both.
func TestProxyConfigReachesTheWebFace(t *testing.T) {
	f := newOrgFixture(t, []string{"anna@example.com", "bob@example.com"})
	text, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text = append([]byte("listen = \"0.0.0.0:8787\"\n"), text...)
	text = append(text, []byte(`
[web]
auth_proxy_header = "X-Forwarded-Email"
trusted_proxies = ["127.0.0.1/32"]
admins = ["anna@example.com"]
`)...)
	if err := os.WriteFile(f.cfgPath, text, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	token, err := cfg.ServeToken()
	if err != nil || token != "" {
		t.Fatalf("ServeToken beyond loopback behind the proxy: %q, %v", token, err)
	}
	st, err := store.Open(filepath.Join(f.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	inst, err := newInstance(context.Background(), cfg, st, token, make([]byte, 32), web.NewMetrics(reg), reg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.daemon.Engine.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(inst.web)
	t.Cleanup(srv.Close)
	control := httptest.NewServer(inst.control)
	t.Cleanup(control.Close)

	get := func(base, path, viewer string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if viewer != "" {
			req.Header.Set("X-Forwarded-Email", viewer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	pairs := func(base, viewer string) []string {
		t.Helper()
		code, b := get(base, "/api/series", viewer)
		if code != http.StatusOK {
			t.Fatalf("/api/series as %q: %d %s", viewer, code, b)
		}
		var sums []report.PairSummary
		if err := json.Unmarshal(b, &sums); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range sums {
			out = append(out, s.Pair)
		}
		return out
	}
	for viewer, want := range map[string]string{"anna@example.com": "anna@example.com|report0@example.com", "BOB@example.com": "bob@example.com|report1@example.com"} {
		if got := pairs(srv.URL, viewer); len(got) != 1 || got[0] != want {
			t.Errorf("%s sees %v, want only %s", viewer, got, want)
		}
	}
	if got := pairs(control.URL, ""); len(got) != 2 {
		t.Errorf("the control socket sees %v, want both pairs", got)
	}
	if code, _ := get(srv.URL, "/api/series", ""); code != http.StatusUnauthorized {
		t.Errorf("no header: %d, want 401", code)
	}
	if code, _ := get(srv.URL, "/metrics", "anna@example.com"); code != http.StatusOK {
		t.Errorf("/metrics as the admin: %d", code)
	}
	if code, _ := get(srv.URL, "/metrics", "bob@example.com"); code != http.StatusForbidden {
		t.Errorf("/metrics as bob: %d, want 403", code)
	}
}
