package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"oneonone/web"
)

// loginCookie follows a login link and returns the cookie it set.
func loginCookie(t *testing.T, f *fixture, link string) (*http.Cookie, response) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	r := f.get(u.RequestURI())
	resp := &http.Response{Header: r.Header}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return c, r
		}
	}
	return nil, r
}

func TestAuth(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	var seen []response // every response, to look for the token in

	paths := []string{"/", pairPath(bobAddr), "/api/report", "/api/series", "/api/actions", "/healthz", "/metrics", "/nowhere"}
	for _, path := range paths {
		for _, hdr := range []string{"", "Authorization: Bearer wrong-token-0123456789abcdef", "Authorization: Basic " + testToken, "Authorization: Bearer"} {
			r := f.get(path, hdr)
			seen = append(seen, r)
			wantCode(t, path+" with "+hdr, r, 401)
			if strings.HasPrefix(path, "/api/") {
				if e := decode[map[string]string](t, r); !strings.HasPrefix(e["error"], "unauthorized") {
					t.Errorf("%s: %v", path, e)
				}
			} else if !strings.Contains(r.Body, "<h1>Log in first</h1>") {
				t.Errorf("%s: not the login page: %s", path, r.Body)
			}
		}
	}
	for _, path := range paths[:6] {
		r := f.get(path, "Authorization: Bearer "+testToken)
		seen = append(seen, r)
		code := 200
		if path == "/healthz" {
			code = 503 // no sources: authorized, and stale
		}
		wantCode(t, path+" with the token", r, code)
	}
	wantCode(t, "metrics with the token", f.get("/metrics", "authorization: bearer "+testToken), 200)

	// The login link sets a cookie once.
	link, err := f.server.LoginURL(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, f.srv.URL+"/login?code=") || strings.Contains(link, testToken) {
		t.Fatalf("login link %q", link)
	}
	c, r := loginCookie(t, f, link)
	seen = append(seen, r)
	if c == nil || r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("login: %d %v, cookie %v", r.Code, r.Header, c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over http, Path=/", c)
	}
	if strings.Contains(c.Value, testToken) {
		t.Errorf("the cookie holds the token")
	}
	cookie := "Cookie: " + cookieName + "=" + c.Value
	for _, path := range paths[:5] {
		r := f.get(path, cookie)
		seen = append(seen, r)
		wantCode(t, path+" with the cookie", r, 200)
	}
	// With the cookie a same-origin POST goes through.
	r = f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"from the browser"}`, cookie, "Content-Type: application/json", "Origin: "+f.srv.URL, "Sec-Fetch-Site: same-origin")
	seen = append(seen, r)
	wantCode(t, "POST with the cookie", r, 201)

	c2, r := loginCookie(t, f, link)
	seen = append(seen, r)
	if c2 != nil || r.Code != 401 {
		t.Errorf("second use of the link: %d, cookie %v", r.Code, c2)
	}
	for _, bad := range []string{
		c.Value + "x",
		"1.AAAA",
		strings.Replace(c.Value, ".", "0.", 1), // another issue time, same MAC
		testToken,
		"",
	} {
		r := f.get("/api/series", "Cookie: "+cookieName+"="+bad)
		wantCode(t, "forged cookie "+bad, r, 401)
	}
	wantCode(t, "no code", f.get("/login"), 401)
	wantCode(t, "made-up code", f.get("/login?code=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401)

	// A link expires after 10 minutes; a session after 30 days.
	late, err := f.server.LoginURL(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(late, f.srv.URL+"/login?code=") {
		t.Errorf("link under a base with a slash: %q", late)
	}
	f.clock.Add(11 * time.Minute)
	if c, r := loginCookie(t, f, late); c != nil || r.Code != 401 {
		t.Errorf("expired link: %d, cookie %v", r.Code, c)
	}
	wantCode(t, "cookie after 11 minutes", f.get("/", cookie), 200)
	f.clock.Add(31 * 24 * time.Hour)
	wantCode(t, "cookie after 31 days", f.get("/", cookie), 401)

	for i, r := range seen {
		if strings.Contains(r.Body, testToken) {
			t.Errorf("response %d has the token in its body", i)
		}
		for k, v := range r.Header {
			if strings.Contains(strings.Join(v, " "), testToken) {
				t.Errorf("response %d has the token in header %s", i, k)
			}
		}
	}

	if _, err := f.server.LoginURL("127.0.0.1:8787"); err == nil {
		t.Errorf("LoginURL took a base without a scheme")
	}
}

func TestLoginWithoutToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if _, err := f.server.LoginURL(f.srv.URL); err == nil {
		t.Errorf("LoginURL without a token: no error")
	}
	r := f.get("/login?code=x")
	if r.Code != http.StatusSeeOther || r.Header.Get("Set-Cookie") != "" {
		t.Errorf("login without a token: %d %v", r.Code, r.Header)
	}
	wantCode(t, "open", f.get("/api/series"), 200)
}

func TestCookieSecureOverTLS(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken, tls: true})
	link, err := f.server.LoginURL(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, r := loginCookie(t, f, link)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("over TLS: %d, cookie %+v", r.Code, c)
	}
	wantCode(t, "with the cookie over TLS", f.get("/api/series", "Cookie: "+cookieName+"="+c.Value), 200)
	// Same origin over TLS is https://host.
	r = f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"x"}`, "Cookie: "+cookieName+"="+c.Value, "Content-Type: application/json", "Origin: "+f.srv.URL)
	wantCode(t, "same-origin POST over TLS", r, 201)
	r = f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"x"}`, "Cookie: "+cookieName+"="+c.Value, "Content-Type: application/json", "Origin: "+strings.Replace(f.srv.URL, "https:", "http:", 1))
	wantCode(t, "http origin to the https server", r, 403)
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	for _, mode := range []struct {
		name  string
		token string
		auth  string
	}{
		{"no token", "", ""},
		{"token", testToken, "Authorization: Bearer " + testToken},
	} {
		t.Run(mode.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{token: mode.token})
			add := `{"with":"bob@example.com","text":"from elsewhere"}`
			for _, tt := range []struct {
				name    string
				method  string
				path    string
				body    string
				headers []string
				code    int
			}{
				{"foreign origin", "POST", "/api/actions", add, []string{"Content-Type: application/json", "Origin: https://evil.example"}, 403},
				{"foreign origin, same site claimed", "POST", "/api/actions", add, []string{"Content-Type: application/json", "Origin: https://evil.example", "Sec-Fetch-Site: same-origin"}, 403},
				{"other port on loopback", "POST", "/api/actions", add, []string{"Content-Type: application/json", "Origin: http://127.0.0.1:1"}, 403},
				{"null origin", "POST", "/api/actions", add, []string{"Content-Type: application/json", "Origin: null"}, 403},
				{"cross-site fetch", "POST", "/api/actions", add, []string{"Content-Type: application/json", "Sec-Fetch-Site: cross-site"}, 403},
				{"same-site fetch", "POST", "/api/actions", add, []string{"Content-Type: application/json", "Sec-Fetch-Site: same-site"}, 403},
				{"cross-site sync", "POST", "/api/sync", "", []string{"Origin: https://evil.example"}, 403},
				{"cross-site patch", "PATCH", "/api/actions/1", `{"done":true}`, []string{"Content-Type: application/json", "Origin: https://evil.example"}, 403},
				{"cross-site edit", "PATCH", "/api/actions/1", `{"text":"changed"}`, []string{"Content-Type: application/json", "Origin: https://evil.example"}, 403},
				{"cross-site delete", "DELETE", "/api/actions/1", "", []string{"Origin: https://evil.example"}, 403},
				{"cross-site fetch delete", "DELETE", "/api/actions/1", "", []string{"Sec-Fetch-Site: cross-site"}, 403},
				{"form delete", "DELETE", "/api/actions/1", "x=1", []string{"Content-Type: application/x-www-form-urlencoded", "Origin: " + f.srv.URL}, 415},
				{"form post, same origin", "POST", "/api/actions", "with=bob@example.com&text=x", []string{"Content-Type: application/x-www-form-urlencoded", "Origin: " + f.srv.URL}, 415},
				{"text/plain post", "POST", "/api/actions", add, []string{"Content-Type: text/plain"}, 415},
				{"multipart sync", "POST", "/api/sync", "", []string{"Content-Type: multipart/form-data; boundary=x"}, 415},
				{"body without a type", "POST", "/api/actions", add, nil, 415},
				{"same origin", "POST", "/api/actions", add, []string{"Content-Type: application/json; charset=utf-8", "Origin: " + f.srv.URL, "Sec-Fetch-Site: same-origin"}, 201},
				{"script, no origin", "POST", "/api/actions", add, []string{"Content-Type: application/json"}, 201},
				{"script sync", "POST", "/api/sync", "", nil, 200},
				{"same-origin patch", "PATCH", "/api/actions/1", `{"done":true}`, []string{"Content-Type: application/json", "Origin: " + f.srv.URL}, 200},
			} {
				t.Run(tt.name, func(t *testing.T) {
					before, _ := f.store.Actions(bobPair())
					headers := tt.headers
					if mode.auth != "" {
						headers = append([]string{mode.auth}, headers...)
					}
					r := f.request(tt.method, tt.path, tt.body, headers...)
					wantCode(t, tt.name, r, tt.code)
					after, _ := f.store.Actions(bobPair())
					if tt.code >= 400 && (len(after) != len(before) || after[0].Done != before[0].Done) {
						t.Errorf("a refused request changed the actions")
					}
				})
			}
			// Reading cross-site is harmless and allowed (the browser keeps
			// the answer from the foreign page; CORS is never approved).
			r := f.get("/api/series", mode.auth, "Origin: https://evil.example", "Sec-Fetch-Site: cross-site")
			wantCode(t, "cross-site GET", r, 200)
			if r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("CORS approved")
			}
			r = f.request("OPTIONS", "/api/actions", "", "Origin: https://evil.example", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type")
			if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Headers") != "" {
				t.Errorf("preflight approved: %d %v", r.Code, r.Header)
			}
		})
	}
}

func TestSessionKey(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	link, err := f.server.LoginURL(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := loginCookie(t, f, link)
	if c == nil {
		t.Fatal("no cookie")
	}
	cookie := "Cookie: " + cookieName + "=" + c.Value
	// Another server over the same store (a restart) does not know it.
	other, err := web.New(web.Options{Store: f.store, Me: []string{me}, Token: testToken, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "cookie of another server", f.with(other).get("/api/series", cookie), 401)

	// Two servers with one key (a config reload) share sessions.
	key := []byte(strings.Repeat("k", 32))
	a, err := web.New(web.Options{Store: f.store, Me: []string{me}, Token: testToken, Now: f.clock.Now, SessionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	b, err := web.New(web.Options{Store: f.store, Me: []string{me}, Token: testToken, Now: f.clock.Now, SessionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	fa := f.with(a)
	link, err = a.LoginURL(fa.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, _ = loginCookie(t, fa, link)
	if c == nil {
		t.Fatal("no cookie from a")
	}
	wantCode(t, "cookie of a at b", f.with(b).get("/api/series", "Cookie: "+cookieName+"="+c.Value), 200)

	if _, err := web.New(web.Options{Store: f.store, Me: []string{me}, SessionKey: []byte("short")}); err == nil {
		t.Error("a short session key was taken")
	}
}
