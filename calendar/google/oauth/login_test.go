package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"oneonone/calendar/google/oauth"
	fakeoauth "oneonone/internal/fake/oauth"
)

// browser plays the user's browser: it opens the consent URL and follows
// the fake's redirect to Login's loopback listener.
type browser struct {
	t *testing.T
	// before is called with the loopback redirect URI before the consent
	// URL is opened (to send stray requests).
	before func(redirect string)
	// tamper may change the redirect to the loopback listener.
	tamper func(u *url.URL)
	// stop, if set, is called when the consent page does not redirect to
	// the loopback listener (the fake refused the request), so that the
	// test need not wait for Login's timeout.
	stop func()

	status int    // of the loopback page
	page   string // its body
	err    error
}

func (b *browser) open(authURL string) error {
	u, err := url.Parse(authURL)
	if err != nil {
		b.t.Errorf("consent URL %q: %v", authURL, err)
		return err
	}
	if b.before != nil {
		b.before(u.Query().Get("redirect_uri"))
	}
	client := &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != "127.0.0.1" {
				return errors.New("redirect off the loopback interface")
			}
			if b.tamper != nil {
				b.tamper(req.URL)
			}
			return nil
		},
	}
	resp, err := client.Get(authURL)
	if err != nil {
		b.err = err
		return nil // the browser opened; what happens there is not open's error
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.status, b.page = resp.StatusCode, string(body)
	if resp.Request.URL.Host == u.Host {
		b.t.Errorf("the consent page answered %d without a redirect: %s", resp.StatusCode, body)
		if b.stop != nil {
			b.stop()
		}
	}
	return nil
}

// loadFakeClient writes the fake's client secrets file and loads it.
func loadFakeClient(t *testing.T, s *fakeoauth.Server, scope string) *oauth2.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "google-client.json")
	if err := os.WriteFile(path, s.ClientSecretsJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	conf, err := oauth.LoadClientSecrets(path, scope)
	if err != nil {
		t.Fatalf("LoadClientSecrets: %v", err)
	}
	return conf
}

func TestLogin(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	wantRedirect := conf.RedirectURL

	var redirect string
	b := &browser{t: t, before: func(r string) {
		redirect = r
		// Stray requests (a favicon, a bare visit) do not end the flow.
		for _, p := range []string{"favicon.ico", ""} {
			resp, err := http.Get(r + p)
			if err != nil {
				t.Errorf("GET %s: %v", p, err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("GET %q: status %d, want an error status", p, resp.StatusCode)
			}
		}
	}}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b.stop = cancel
	tok, err := oauth.Login(ctx, conf, &out, b.open)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if b.err != nil {
		t.Fatalf("browser: %v", b.err)
	}

	if !strings.HasPrefix(tok.AccessToken, "fake-access-") || !strings.HasPrefix(tok.RefreshToken, "fake-refresh-") {
		t.Error("Login did not return the fake's access and refresh tokens")
	}
	if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("token expires in %v, want about 1h", d)
	}
	st := s.Stats()
	if st.Authorizations != 1 || st.Exchanges != 1 || st.PKCEFailures != 0 {
		t.Errorf("fake stats = %+v, want one authorization, one code exchanged with a matching PKCE verifier", st)
	}
	q := s.LastAuthorization()
	if q.Get("scope") != oauth.ScopeEventsOwned {
		t.Errorf("scope = %q, want %q", q.Get("scope"), oauth.ScopeEventsOwned)
	}
	if !strings.HasPrefix(redirect, "http://127.0.0.1:") || q.Get("redirect_uri") != redirect {
		t.Errorf("redirect_uri = %q", redirect)
	}
	if conf.RedirectURL != wantRedirect {
		t.Errorf("Login changed the caller's config: RedirectURL = %q", conf.RedirectURL)
	}
	if b.status != http.StatusOK || !strings.Contains(b.page, "close this tab") {
		t.Errorf("browser page: status %d, body %q", b.status, b.page)
	}
	text := out.String()
	if !strings.Contains(text, "Open this address") || !strings.Contains(text, s.URL+"/auth?") {
		t.Errorf("output does not tell the user to open the consent URL:\n%s", text)
	}
	if strings.Contains(text, tok.AccessToken) || strings.Contains(text, tok.RefreshToken) {
		t.Error("output contains a token")
	}
	// The listener is gone.
	if resp, err := http.Get(redirect); err == nil {
		resp.Body.Close()
		t.Errorf("the loopback listener still answers after Login returned")
	}
}

func TestLoginOpenFails(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEvents)
	b := &browser{t: t}
	done := make(chan struct{})
	open := func(u string) error {
		go func() { // the user opens the printed URL by hand
			defer close(done)
			b.open(u)
		}()
		return errors.New("xdg-open: not found")
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b.stop = cancel
	tok, err := oauth.Login(ctx, conf, &out, open)
	<-done
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token")
	}
	if !strings.Contains(out.String(), "Could not open a browser: xdg-open: not found") {
		t.Errorf("output does not say the browser could not be opened:\n%s", out.String())
	}
}

func TestLoginFails(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(s *fakeoauth.Server, b *browser)
		timeout  time.Duration
		noOpen   bool
		want     string // in the error
		wantIs   error
		wantPage int // status of the loopback page, 0: not reached
	}{
		{
			name:     "access denied",
			setup:    func(s *fakeoauth.Server, b *browser) { s.DenyConsent() },
			want:     "access was denied in the browser (access_denied)",
			wantPage: http.StatusOK,
		},
		{
			name: "other error",
			setup: func(s *fakeoauth.Server, b *browser) {
				b.tamper = func(u *url.URL) {
					q := u.Query()
					q.Del("code")
					q.Set("error", "invalid_scope")
					q.Set("error_description", "Some requested scopes\nwere invalid.")
					u.RawQuery = q.Encode()
				}
			},
			want:     "google sign-in failed: invalid_scope: Some requested scopes were invalid.",
			wantPage: http.StatusOK,
		},
		{
			name: "code rejected",
			setup: func(s *fakeoauth.Server, b *browser) {
				b.tamper = func(u *url.URL) {
					q := u.Query()
					q.Set("code", "not-a-code")
					u.RawQuery = q.Encode()
				}
			},
			want:     "exchange the authorization code: the token endpoint answered 400 Bad Request: invalid_grant",
			wantPage: http.StatusOK,
		},
		{
			name:    "no answer in time",
			noOpen:  true,
			timeout: 300 * time.Millisecond,
			want:    "no answer from the browser in time",
			wantIs:  context.DeadlineExceeded,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeoauth.NewServer(t)
			conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
			b := &browser{t: t}
			if tc.setup != nil {
				tc.setup(s, b)
			}
			open := b.open
			if tc.noOpen {
				open = nil
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 30 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			b.stop = cancel
			tok, err := oauth.Login(ctx, conf, io.Discard, open)
			if err == nil {
				t.Fatalf("Login succeeded, want an error containing %q", tc.want)
			}
			if tok != nil {
				t.Error("Login returned a token with its error")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %q, want one line containing %q", err, tc.want)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			if b.status != tc.wantPage {
				t.Errorf("loopback page status = %d, want %d (body %q, err %v)", b.status, tc.wantPage, b.page, b.err)
			}
			if n := s.Stats().Exchanges; n != 0 {
				t.Errorf("%d codes exchanged", n)
			}
		})
	}
}

// Requests to the loopback listener that do not carry this sign-in's state
// (a browser prefetch, a favicon, a port scanner, a forged answer) are
// answered 400 and ignored: the login goes on waiting, and the real
// redirect that follows them completes it.
func TestLoginIgnoresStrayRequests(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	stray := []struct {
		method, path string
		want         int
	}{
		{"GET", "?code=stray", http.StatusBadRequest},
		{"GET", "?code=stray&state=forged", http.StatusBadRequest},
		{"GET", "?code=stray&state=", http.StatusBadRequest},
		{"GET", "?error=access_denied", http.StatusBadRequest},
		{"GET", "?error=access_denied&state=forged", http.StatusBadRequest},
		{"GET", "?error=server_error&error_description=boom", http.StatusBadRequest},
		{"HEAD", "?code=stray", http.StatusBadRequest},
		{"GET", "", http.StatusBadRequest},
		{"GET", "favicon.ico", http.StatusNotFound},
		{"POST", "?code=stray", http.StatusNotFound},
	}
	b := &browser{t: t, before: func(r string) {
		for _, st := range stray {
			req, err := http.NewRequest(st.method, r+st.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s %s: %v", st.method, st.path, err)
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != st.want {
				t.Errorf("%s %q: status %d, want %d", st.method, st.path, resp.StatusCode, st.want)
			}
			if strings.Contains(string(body), "stray") || strings.Contains(string(body), "boom") {
				t.Errorf("%s %q: the page echoes the request: %q", st.method, st.path, body)
			}
		}
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b.stop = cancel
	tok, err := oauth.Login(ctx, conf, io.Discard, b.open)
	if err != nil {
		t.Fatalf("Login after stray requests: %v", err)
	}
	if b.err != nil || b.status != http.StatusOK {
		t.Fatalf("browser: status %d, err %v, page %q", b.status, b.err, b.page)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token")
	}
	if st := s.Stats(); st.Exchanges != 1 {
		t.Errorf("fake stats = %+v, want the one real code exchanged", st)
	}
}

// A redirect whose state was forged is refused in the browser (400) and
// does not end the login: it waits on until the real answer comes, or, as
// here, until the user gives up.
func TestLoginForgedStateKeepsWaiting(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	b := &browser{t: t, tamper: func(u *url.URL) {
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b.stop = cancel
	open := func(u string) error {
		go func() {
			b.open(u)
			cancel() // the page said no; the user presses Ctrl-C
		}()
		return nil
	}
	tok, err := oauth.Login(ctx, conf, io.Discard, open)
	if !errors.Is(err, context.Canceled) || tok != nil {
		t.Fatalf("Login = %v, %v; want it to wait past the forged answer until cancelled", tok, err)
	}
	if b.status != http.StatusBadRequest {
		t.Errorf("loopback page status = %d, want 400 (body %q, err %v)", b.status, b.page, b.err)
	}
	if n := s.Stats().Exchanges; n != 0 {
		t.Errorf("%d codes exchanged", n)
	}
}

func TestLoginCancelled(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	ctx, cancel := context.WithCancel(t.Context())
	open := func(string) error { cancel(); return nil } // Ctrl-C
	_, err := oauth.Login(ctx, conf, io.Discard, open)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Login = %v, want context.Canceled", err)
	}
}

// The fake's PKCE check has teeth: a code is exchanged only with the
// verifier whose challenge the consent URL carried.
func TestFakeChecksPKCE(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := s.Config(oauth.ScopeEventsOwned)
	conf.RedirectURL = "http://127.0.0.1:9/"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	code := func(verifier string) string {
		t.Helper()
		u := conf.AuthCodeURL("st", oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent"), oauth2.S256ChallengeOption(verifier))
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		return loc.Query().Get("code")
	}
	v := oauth2.GenerateVerifier()
	if _, err := conf.Exchange(t.Context(), code(v), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Error("exchange with another verifier succeeded")
	}
	if _, err := conf.Exchange(t.Context(), code(v), oauth2.VerifierOption(v)); err != nil {
		t.Errorf("exchange with the verifier: %v", err)
	}
	if st := s.Stats(); st.PKCEFailures != 1 || st.Exchanges != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// lockedBuffer is an output that a test reads while Login writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var consentLine = regexp.MustCompile(`(?m)^  (http://127\.0\.0\.1:\d+/auth\?\S+)$`)

// headless plays the user of a headless server: it waits for the consent
// URL in out, opens it in a "browser" elsewhere that cannot reach the
// server's loopback listener (the redirect is not followed), and returns
// the address the browser was sent to, as its address bar shows it ("" on
// a failure, reported with t.Errorf: it runs in its own goroutine).
func headless(t *testing.T, ctx context.Context, out *lockedBuffer) (redirected string) {
	t.Helper()
	var authURL string
	for authURL == "" {
		if m := consentLine.FindStringSubmatch(out.String()); m != nil {
			authURL = m[1]
			break
		}
		select {
		case <-ctx.Done():
			t.Errorf("no consent URL in the output:\n%s", out.String())
			return ""
		case <-time.After(5 * time.Millisecond):
		}
	}
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Errorf("consent page: %v", err)
		return ""
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Errorf("consent page: status %d, no redirect: %v", resp.StatusCode, err)
		return ""
	}
	return loc.String()
}

// --no-browser: the consent URL is printed, the browser on another machine
// is sent to the loopback redirect it cannot reach, and the address pasted
// back completes the sign-in, with the PKCE verifier of this sign-in.
func TestLoginPaste(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &lockedBuffer{}
	go func() {
		addr := headless(t, ctx, out)
		if addr == "" {
			pw.Close()
			return
		}
		// A stray line first: refused with a line, and the next one read.
		io.WriteString(pw, "not an address\n")
		io.WriteString(pw, "  "+addr+"  \n")
	}()
	tok, err := oauth.LoginWith(ctx, conf, oauth.LoginOptions{Out: out, Paste: pr})
	if err != nil {
		t.Fatalf("LoginWith(Paste): %v\noutput:\n%s", err, out)
	}
	if !strings.HasPrefix(tok.RefreshToken, "fake-refresh-") {
		t.Error("no refresh token")
	}
	if st := s.Stats(); st.Authorizations != 1 || st.Exchanges != 1 || st.PKCEFailures != 0 {
		t.Errorf("fake stats = %+v, want one code exchanged with a matching verifier", st)
	}
	if r := s.LastAuthorization().Get("redirect_uri"); !strings.HasPrefix(r, "http://127.0.0.1:") {
		t.Errorf("redirect_uri = %q, want the loopback one", r)
	}
	text := out.String()
	for _, want := range []string{"cannot connect", "paste it here", "Refused: that is not the redirected address"} {
		if !strings.Contains(text, want) {
			t.Errorf("output does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, tok.AccessToken) || strings.Contains(text, tok.RefreshToken) || strings.Contains(text, "fake-code-") {
		t.Error("output contains a token or the code")
	}
}

// A pasted address with another state (another attempt's, or forged) is
// refused with a line saying so, and its code is not exchanged.
func TestLoginPasteWrongState(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	out := &lockedBuffer{}
	go func() {
		defer pw.Close() // the user gives up
		addr := headless(t, ctx, out)
		if addr == "" {
			return
		}
		u, err := url.Parse(addr)
		if err != nil {
			t.Error(err)
			return
		}
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		io.WriteString(pw, u.String()+"\n")
	}()
	tok, err := oauth.LoginWith(ctx, conf, oauth.LoginOptions{Out: out, Paste: pr})
	if err == nil || tok != nil {
		t.Fatalf("LoginWith accepted a pasted address with another state")
	}
	const why = "the pasted address does not carry this sign-in's state"
	if !strings.Contains(err.Error(), why) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %q, want one line saying %q", err, why)
	}
	if !strings.Contains(out.String(), "Refused: "+why) {
		t.Errorf("output does not refuse the address:\n%s", out)
	}
	if strings.Contains(err.Error(), "fake-code-") || strings.Contains(out.String(), "fake-code-") {
		t.Error("the code is echoed")
	}
	if n := s.Stats().Exchanges; n != 0 {
		t.Errorf("%d codes exchanged", n)
	}
}

// A fixed port (for an SSH tunnel) is the one the redirect URI names.
func TestLoginFixedPort(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	b := &browser{t: t}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b.stop = cancel
	if _, err := oauth.LoginWith(ctx, conf, oauth.LoginOptions{Out: io.Discard, Open: b.open, Port: port}); err != nil {
		t.Fatalf("LoginWith(Port: %d): %v", port, err)
	}
	if got, want := s.LastAuthorization().Get("redirect_uri"), fmt.Sprintf("http://127.0.0.1:%d/", port); got != want {
		t.Errorf("redirect_uri = %q, want %q", got, want)
	}
}
