package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"oneonone/calendar/google/oauth"
	fakeoauth "oneonone/internal/fake/oauth"
)

// googleAuthConfig writes a config with one Google source, "work", whose
// OAuth client is the fake's; it returns the config's path and the token
// file of the source.
func googleAuthConfig(t *testing.T, s *fakeoauth.Server) (cfgPath, tokenPath string) {
	t.Helper()
	dir := t.TempDir()
	secrets := filepath.Join(dir, "client.json")
	if err := os.WriteFile(secrets, s.ClientSecretsJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenPath = filepath.Join(dir, "google-work.json")
	cfg := fmt.Sprintf(`state = %q
timezone = "Europe/Berlin"
[identity]
me = ["anna@example.com"]
[[source]]
name = "work"
kind = "google"
calendar = "primary"
client_secrets = %q
token = %q
endpoint = "http://127.0.0.1:1/"
`, filepath.Join(dir, "state.db"), secrets, tokenPath)
	cfgPath = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, tokenPath
}

var consentRE = regexp.MustCompile(`(?m)^  (http://127\.0\.0\.1:\d+/auth\?\S+)$`)

// redirectedAddress waits for the consent URL in out and opens it in a
// browser that cannot reach this machine's loopback listener: it returns
// the address the browser was sent to ("" after t.Errorf).
func redirectedAddress(t *testing.T, ctx context.Context, out *lockedBuffer) string {
	var authURL string
	for authURL == "" {
		if m := consentRE.FindStringSubmatch(out.String()); m != nil {
			authURL = m[1]
			break
		}
		select {
		case <-ctx.Done():
			t.Errorf("no consent URL on stdout:\n%s", out.String())
			return ""
		case <-time.After(5 * time.Millisecond):
		}
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Errorf("consent page: %v", err)
		return ""
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Errorf("consent page: status %d: %v", resp.StatusCode, err)
		return ""
	}
	return loc.String()
}

// runAuthPasting runs "auth google --no-browser" with paste turning the
// redirected address into what the user pastes on stdin.
func runAuthPasting(t *testing.T, cfg string, paste func(addr string) string) (code int, stdout, stderr string) {
	pr, pw := io.Pipe()
	old := authStdin
	authStdin = pr
	t.Cleanup(func() { authStdin = old })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, errs := &lockedBuffer{}, &lockedBuffer{}
	go func() {
		defer pw.Close() // then the end of stdin
		if addr := redirectedAddress(t, ctx, out); addr != "" {
			io.WriteString(pw, paste(addr)+"\n")
		}
	}()
	code = run(ctx, []string{"auth", "google", "--config", cfg, "--source", "work", "--no-browser"}, out, errs)
	return code, out.String(), errs.String()
}

// On a headless server: "auth google --no-browser" prints the consent URL
// with the loopback redirect URI, takes the redirected address pasted on
// stdin, and saves the token.
func TestAuthGoogleNoBrowser(t *testing.T) {
	s := fakeoauth.NewServer(t)
	cfg, tokenPath := googleAuthConfig(t, s)
	code, out, errs := runAuthPasting(t, cfg, func(addr string) string { return addr })
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if r := s.LastAuthorization().Get("redirect_uri"); !strings.HasPrefix(r, "http://127.0.0.1:") {
		t.Errorf("redirect_uri = %q, want http://127.0.0.1:PORT/", r)
	}
	if !strings.Contains(out, "paste it here") || !strings.Contains(out, "Authorized.") {
		t.Errorf("stdout:\n%s", out)
	}
	tok, err := oauth.LoadToken(tokenPath)
	if err != nil || !strings.HasPrefix(tok.RefreshToken, "fake-refresh-") {
		t.Fatalf("saved token: %v", err)
	}
	if st := s.Stats(); st.Exchanges != 1 || st.PKCEFailures != 0 {
		t.Errorf("fake stats = %+v", st)
	}
}

// A pasted address with another state is refused with a clear line, and
// nothing is saved.
func TestAuthGoogleNoBrowserWrongState(t *testing.T) {
	s := fakeoauth.NewServer(t)
	cfg, tokenPath := googleAuthConfig(t, s)
	code, out, errs := runAuthPasting(t, cfg, func(addr string) string {
		u, _ := url.Parse(addr)
		q := u.Query()
		q.Set("state", "from-another-attempt")
		u.RawQuery = q.Encode()
		return u.String()
	})
	if code == 0 {
		t.Fatalf("exit 0 with a pasted address of another state\nstdout:\n%s", out)
	}
	const why = "does not carry this sign-in's state"
	if !strings.Contains(out, "Refused: the pasted address "+why) {
		t.Errorf("stdout does not refuse the address:\n%s", out)
	}
	if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "oneonone auth: ") || !strings.Contains(errs, why) {
		t.Errorf("stderr should be one line saying the state was refused:\n%s", errs)
	}
	if _, err := os.Stat(tokenPath); err == nil {
		t.Error("a token was saved")
	}
	if n := s.Stats().Exchanges; n != 0 {
		t.Errorf("%d codes exchanged", n)
	}
}

// A sync whose refresh Google answers invalid_grant (an app in "Testing"
// status, a week later) fails with one line on stderr that says why and
// what to do.
func TestSyncInvalidGrantLine(t *testing.T) {
	s := fakeoauth.NewServer(t)
	cfg, tokenPath := googleAuthConfig(t, s)
	if err := oauth.SaveToken(tokenPath, &oauth2.Token{
		AccessToken: "stale-access", RefreshToken: s.IssueRefreshToken(oauth.ScopeEventsOwned),
		TokenType: "Bearer", Expiry: time.Unix(1, 0),
	}); err != nil {
		t.Fatal(err)
	}
	s.FailRefresh(http.StatusBadRequest, "invalid_grant")
	code, out, errs := runCmd(t, "sync", "--config", cfg)
	if code == 0 {
		t.Fatalf("exit 0; stdout %q", out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
		if strings.HasPrefix(l, "oneonone sync: work: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("stderr should hold one line for work:\n%s", errs)
	}
	t.Log(lines[0])
	for _, want := range []string{"invalid_grant", `"Testing" publishing status expire after 7 days`,
		"Google Cloud console → OAuth consent screen → Publish app", `run "oneonone auth google --source work"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the line does not say %q:\n%s", want, lines[0])
		}
	}
	if strings.Contains(errs, "stale-access") || strings.Contains(errs, "fake-refresh-") {
		t.Errorf("stderr shows a token:\n%s", errs)
	}
}
