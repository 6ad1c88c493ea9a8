package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"

	"oneonone/store"
)

// requireAdmin on a route of its own, as the roll-up (/rollup,
// /api/rollup) uses it: behind the proxy web.admins pass and other
// viewers get 403; with a token whoever passed it does.
func TestRequireAdmin(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	serve := func(opt Options) *httptest.Server {
		opt.Store, opt.Me = st, []string{"anna@example.com"}
		s, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		ran := s.requireAdmin(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "rolled up") })
		mux := http.NewServeMux()
		mux.HandleFunc("GET /test/rollup", ran)
		var h http.Handler = s.authenticate(mux)
		if s.proxyMode() {
			h = s.fromProxy(mux)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	get := func(srv *httptest.Server, headers map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/test/rollup", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	proxy := serve(Options{AuthProxyHeader: "Remote-Email", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Admins: []string{" Boss@Example.com"}})
	for _, tt := range []struct {
		name, viewer string
		code         int
	}{
		{"admin", "boss@example.com", http.StatusOK},
		{"admin in another case", "BOSS@example.COM", http.StatusOK},
		{"not an admin", "anna@example.com", http.StatusForbidden},
		{"no viewer", "", http.StatusUnauthorized},
	} {
		code, body := get(proxy, map[string]string{"Remote-Email": tt.viewer})
		if code != tt.code || (code == http.StatusOK) != (body == "rolled up") {
			t.Errorf("proxy mode, %s: %d %q, want %d", tt.name, code, body, tt.code)
		}
	}

	token := serve(Options{Token: "s3cret-token-0123456789abcdef"})
	if code, _ := get(token, nil); code != http.StatusUnauthorized {
		t.Errorf("token mode without the token: %d", code)
	}
	if code, body := get(token, map[string]string{"Authorization": "Bearer s3cret-token-0123456789abcdef", "Remote-Email": "anna@example.com"}); code != http.StatusOK || body != "rolled up" {
		t.Errorf("token mode with the token: %d %q", code, body)
	}
	if code, body := get(serve(Options{}), nil); code != http.StatusOK || body != "rolled up" {
		t.Errorf("loopback mode: %d %q", code, body)
	}
}
