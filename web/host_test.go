package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestHostRuleWithoutToken: without a token, a page that rebinds its own
// name to 127.0.0.1 (DNS rebinding) sends its name as Host, with a
// matching Origin; the server must answer it neither a read nor a write.
// Loopback names, in every spelling, are served.
func TestHostRuleWithoutToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	port := mustPort(t, f.srv.URL)
	add := `{"with":"bob@example.com","text":"from a rebound page"}`

	for _, host := range []string{
		"rebind.evil.example:" + port,
		"rebind.evil.example",
		"REBIND.evil.example:" + port,
		"127.0.0.1.evil.example:" + port,
		"localhost.evil.example:" + port,
		"evil-localhost:" + port,
		"sub.localhost:" + port,
		"192.168.1.10:" + port,
		"0.0.0.0:" + port,
		"[::ffff:192.168.1.10]:" + port,
		"[fe80::1]:" + port,
	} {
		t.Run(host, func(t *testing.T) {
			origin := "Origin: http://" + host
			for _, path := range []string{"/api/report", "/api/series", "/", "/healthz", "/metrics", "/login", "/no/such/page"} {
				r := f.get(path, "Host: "+host, origin)
				if r.Code != 421 {
					t.Errorf("GET %s: status %d, want 421", path, r.Code)
					continue
				}
				msg := r.Body
				if strings.HasPrefix(path, "/api/") {
					msg = decode[struct{ Error string }](t, r).Error
				}
				if !strings.Contains(msg, "http://127.0.0.1:"+port+"/") || !strings.Contains(msg, "web.token") || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
					t.Errorf("GET %s: message %q, want one line naming http://127.0.0.1:%s/ and web.token", path, msg, port)
				}
				if r.Header.Get("Content-Security-Policy") == "" {
					t.Errorf("GET %s: the refusal lacks the security headers", path)
				}
			}
			before, _ := f.store.Actions(bobPair())
			r := f.request("POST", "/api/actions", add, "Host: "+host, origin, "Content-Type: application/json", "Sec-Fetch-Site: same-origin")
			if r.Code != 421 {
				t.Errorf("POST /api/actions: status %d, want 421", r.Code)
			}
			if after, _ := f.store.Actions(bobPair()); len(after) != len(before) {
				t.Errorf("a refused POST added an action")
			}
			r = f.request("POST", "/api/sync", "", "Host: "+host, origin)
			if r.Code != 421 {
				t.Errorf("POST /api/sync: status %d, want 421", r.Code)
			}
		})
	}

	for _, host := range []string{
		"127.0.0.1:" + port,
		"127.0.0.1",
		"127.1.2.3:" + port,
		"localhost:" + port,
		"localhost",
		"LocalHost:" + port,
		"localhost.:" + port,
		"localhost.",
		"[::1]:" + port,
		"[::1]",
		"[0:0:0:0:0:0:0:1]:" + port,
	} {
		t.Run(host, func(t *testing.T) {
			for _, path := range []string{"/api/report", "/healthz", "/"} {
				r := f.get(path, "Host: "+host)
				if r.Code == 421 {
					t.Errorf("GET %s with Host %s refused: %s", path, host, r.Body)
				}
			}
			r := f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"from `+host+`"}`,
				"Host: "+host, "Origin: http://"+host, "Content-Type: application/json", "Sec-Fetch-Site: same-origin")
			wantCode(t, "same-origin POST", r, 201)
		})
	}
}

// TestHostNotRestrictedWithToken: with a token the daemon may sit behind a
// proxy under a real name; the token is the protection.
func TestHostNotRestrictedWithToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	auth := "Authorization: Bearer " + testToken
	r := f.get("/api/report", auth, "Host: oneonone.example.org")
	wantCode(t, "GET with a token and a real name", r, 200)
	r = f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"via the proxy"}`, auth,
		"Host: oneonone.example.org", "Origin: http://oneonone.example.org", "Content-Type: application/json")
	wantCode(t, "POST with a token and a real name", r, 201)
	// Without the token it is still refused, by the token check.
	r = f.get("/api/report", "Host: oneonone.example.org")
	wantCode(t, "GET without the token", r, 401)
}

func mustPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}
