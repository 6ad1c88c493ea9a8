package oauth_test

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"oneonone/calendar/google/oauth"
	fakeoauth "oneonone/internal/fake/oauth"
)

func TestSaveLoadToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "google-work.json") // dir made by SaveToken
	in := &oauth2.Token{
		AccessToken:  "at-1",
		TokenType:    "Bearer",
		RefreshToken: "rt-1",
		Expiry:       time.Now().Add(time.Hour),
		ExpiresIn:    3600,
	}
	if err := oauth.SaveToken(path, in); err != nil {
		t.Fatalf("SaveToken: %v", err)
	}
	got, err := oauth.LoadToken(path)
	if err != nil {
		t.Fatalf("LoadToken: %v", err)
	}
	if got.AccessToken != in.AccessToken || got.RefreshToken != in.RefreshToken || got.TokenType != in.TokenType || !got.Expiry.Equal(in.Expiry) {
		t.Error("LoadToken does not return the saved token")
	}
	if got.ExpiresIn != 0 {
		t.Errorf("ExpiresIn = %d, want 0 (relative to a past moment)", got.ExpiresIn)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)

	// Replacing a token keeps the mode, also over a file that had a wider one.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	in2 := *in
	in2.AccessToken = "at-2"
	if err := oauth.SaveToken(path, &in2); err != nil {
		t.Fatalf("SaveToken again: %v", err)
	}
	if got, err := oauth.LoadToken(path); err != nil || got.AccessToken != "at-2" {
		t.Errorf("LoadToken after replace: err %v, replaced %v", err, err == nil && got.AccessToken == "at-2")
	}
	assertMode(t, path, 0o600)
	assertOnly(t, filepath.Dir(path), "google-work.json")
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

// assertOnly checks that dir holds exactly the named entries: no
// temporary file was left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestSaveTokenFails(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}

	t.Run("directory is a file", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "state")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := oauth.SaveToken(filepath.Join(file, "google-work.json"), tok); err == nil {
			t.Fatal("SaveToken succeeded")
		}
		assertOnly(t, dir, "state")
	})

	t.Run("rename fails", func(t *testing.T) {
		// The target is a non-empty directory: the token is written in full
		// to a temporary file, the rename fails, nothing is left.
		dir := t.TempDir()
		target := filepath.Join(dir, "google-work.json")
		if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
			t.Fatal(err)
		}
		err := oauth.SaveToken(target, tok)
		if err == nil {
			t.Fatal("SaveToken succeeded")
		}
		if !strings.Contains(err.Error(), target) {
			t.Errorf("error %q does not name the file", err)
		}
		assertOnly(t, dir, "google-work.json")
	})

	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories")
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "google-work.json")
		if err := oauth.SaveToken(path, &oauth2.Token{AccessToken: "old", RefreshToken: "rt"}); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		if err := oauth.SaveToken(path, tok); err == nil {
			t.Fatal("SaveToken succeeded")
		}
		if got, err := oauth.LoadToken(path); err != nil || got.AccessToken != "old" {
			t.Errorf("the old token is not intact: %v", err)
		}
		assertOnly(t, dir, "google-work.json")
	})

	t.Run("nil token", func(t *testing.T) {
		if err := oauth.SaveToken(filepath.Join(t.TempDir(), "t.json"), nil); err == nil {
			t.Fatal("SaveToken(nil) succeeded")
		}
	})
}

func TestLoadTokenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		path      string
		noToken   bool
		mustNotIn string
	}{
		{"missing", filepath.Join(dir, "none.json"), true, ""},
		{"empty", write("empty.json", "\n"), true, ""},
		{"no tokens", write("obj.json", `{"token_type":"Bearer"}`), true, ""},
		{"not JSON", write("bad.json", `access_token=s3cr3t-value`), false, "s3cr3t"},
		{"truncated", write("trunc.json", `{"access_token":"s3cr3t-value","refresh_tok`), false, "s3cr3t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oauth.LoadToken(tc.path)
			if err == nil {
				t.Fatal("LoadToken succeeded")
			}
			if errors.Is(err, oauth.ErrNoToken) != tc.noToken {
				t.Errorf("errors.Is(%q, ErrNoToken) = %v, want %v", err, !tc.noToken, tc.noToken)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the file", err)
			}
			if tc.mustNotIn != "" && strings.Contains(err.Error(), tc.mustNotIn) {
				t.Errorf("error %q quotes the file", err)
			}
		})
	}
}

// saveExpired stores an expired token with refreshToken at a new path.
func saveExpired(t *testing.T, refreshToken string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "google-work.json")
	err := oauth.SaveToken(path, &oauth2.Token{
		AccessToken:  "stale-access",
		TokenType:    "Bearer",
		RefreshToken: refreshToken,
		Expiry:       time.Now().Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTokenSourceRefreshesAndSaves(t *testing.T) {
	s := fakeoauth.NewServer(t)
	s.RotateRefreshTokens()
	conf := loadFakeClient(t, s, oauth.ScopeEventsOwned)
	rt := s.IssueRefreshToken(oauth.ScopeEventsOwned)
	path := saveExpired(t, rt)

	ts, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
	if err != nil {
		t.Fatalf("TokenSource: %v", err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == "stale-access" || !tok.Valid() {
		t.Fatal("the expired token was not refreshed")
	}
	if tok.RefreshToken == rt || tok.RefreshToken == "" {
		t.Error("the rotated refresh token was not taken")
	}
	saved, err := oauth.LoadToken(path)
	if err != nil {
		t.Fatal(err)
	}
	if saved.AccessToken != tok.AccessToken || saved.RefreshToken != tok.RefreshToken || !saved.Expiry.Equal(tok.Expiry) {
		t.Error("the refreshed token was not saved to the file")
	}
	assertMode(t, path, 0o600)
	assertOnly(t, filepath.Dir(path), "google-work.json")

	// A valid token is not refreshed again, nor after a restart.
	if again, err := ts.Token(); err != nil || again.AccessToken != tok.AccessToken {
		t.Errorf("second Token: err %v, same token %v", err, err == nil && again.AccessToken == tok.AccessToken)
	}
	ts2, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after, err := ts2.Token(); err != nil || after.AccessToken != tok.AccessToken {
		t.Errorf("after a restart: err %v, same token %v", err, err == nil && after.AccessToken == tok.AccessToken)
	}
	if n := s.Stats().Refreshes; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}

	// The API accepts the client's requests.
	resp, err := oauth.HTTPClient(t.Context(), ts2, "work").Get(s.URL + "/api")
	if err != nil {
		t.Fatalf("GET /api: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api: status %d", resp.StatusCode)
	}
}

// With short-lived tokens and rotation, every refresh must use the refresh
// token of the one before, also across restarts: the file always holds the
// latest.
func TestTokenSourceRotationAcrossRestarts(t *testing.T) {
	s := fakeoauth.NewServer(t)
	s.RotateRefreshTokens()
	s.SetExpiresIn(5) // less than oauth2's 10s margin: every Token refreshes
	conf := s.Config(oauth.ScopeEventsOwned)
	path := saveExpired(t, s.IssueRefreshToken(oauth.ScopeEventsOwned))
	for restart := range 3 {
		ts, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			tok, err := ts.Token()
			if err != nil {
				t.Fatalf("restart %d, Token %d: %v", restart, i, err)
			}
			saved, err := oauth.LoadToken(path)
			if err != nil || saved.RefreshToken != tok.RefreshToken {
				t.Fatalf("restart %d, Token %d: the file does not hold the latest refresh token", restart, i)
			}
		}
	}
	if n := s.Stats().Refreshes; n != 6 {
		t.Errorf("%d refreshes, want 6", n)
	}
}

func TestTokenSourceReauth(t *testing.T) {
	const line = `google token for source "work" was revoked or has expired: run "oneonone auth google --source work"`
	tests := []struct {
		name   string
		status int    // FailRefresh; 0: an unknown (revoked) refresh token
		code   string //
		reauth bool
		line   string // of the ReauthError; "": line
	}{
		{"revoked", 0, "", true, testingLine},
		{"invalid_grant", http.StatusBadRequest, "invalid_grant", true, testingLine},
		{"400", http.StatusBadRequest, "invalid_request", true, ""},
		{"401", http.StatusUnauthorized, "invalid_client", true, ""},
		{"503 is not", http.StatusServiceUnavailable, "temporarily_unavailable", false, ""},
		{"500 is not", http.StatusInternalServerError, "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeoauth.NewServer(t)
			conf := s.Config(oauth.ScopeEventsOwned)
			rt := "fake-refresh-revoked"
			if tc.status != 0 {
				rt = s.IssueRefreshToken(oauth.ScopeEventsOwned)
				s.FailRefresh(tc.status, tc.code)
			}
			path := saveExpired(t, rt)
			ts, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token()
			if err == nil {
				t.Fatal("Token succeeded")
			}
			if errors.Is(err, oauth.ErrReauth) != tc.reauth {
				t.Errorf("errors.Is(%q, ErrReauth) = %v, want %v", err, !tc.reauth, tc.reauth)
			}
			for _, secret := range []string{rt, "stale-access"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a token", err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}

			resp, err := oauth.HTTPClient(t.Context(), ts, "work").Get(s.URL + "/api")
			if err == nil {
				resp.Body.Close()
				t.Fatal("GET /api succeeded")
			}
			var re *oauth.ReauthError
			if errors.As(err, &re) != tc.reauth {
				t.Fatalf("HTTPClient error %q: ReauthError %v, want %v", err, !tc.reauth, tc.reauth)
			}
			if !tc.reauth {
				return
			}
			want := line
			if tc.line != "" {
				want = tc.line
			}
			if re.Error() != want {
				t.Errorf("ReauthError = %q\nwant        %q", re.Error(), want)
			}
			if !errors.Is(err, oauth.ErrReauth) || !strings.HasSuffix(err.Error(), ": "+want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("HTTPClient error = %q, want one line ending in the ReauthError", err)
			}
		})
	}
}

// testingLine is the one line of a refresh answered invalid_grant.
const testingLine = `google token for source "work" was revoked or has expired (invalid_grant): run "oneonone auth google --source work" again; ` +
	`tokens of an OAuth app left in "Testing" publishing status expire after 7 days, so publish the app ` +
	`(Google Cloud console → OAuth consent screen → Publish app) to stop this coming back`

// A refresh answered invalid_grant, the answer Google gives when the
// refresh token of an app in "Testing" publishing status is a week old,
// fails every request with one line that says so, how to publish the app,
// and how to sign in again.
func TestTokenSourceInvalidGrantSaysTesting(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := s.Config(oauth.ScopeEventsOwned)
	path := saveExpired(t, s.IssueRefreshToken(oauth.ScopeEventsOwned))
	s.FailRefresh(http.StatusBadRequest, "invalid_grant")
	ts, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := oauth.HTTPClient(t.Context(), ts, "work").Get(s.URL + "/api")
	if err == nil {
		resp.Body.Close()
		t.Fatal("GET /api succeeded")
	}
	var re *oauth.ReauthError
	if !errors.As(err, &re) || !errors.Is(err, oauth.ErrReauth) {
		t.Fatalf("error %q: want a ReauthError", err)
	}
	if re.Error() != testingLine {
		t.Errorf("ReauthError = %q\nwant        %q", re.Error(), testingLine)
	}
	for _, want := range []string{`"Testing"`, "7 days", "Publish app", `"oneonone auth google --source work"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
}

// After "oneonone auth google" saved a new token, a running daemon's
// token source takes it from the file without a restart.
func TestTokenSourceTakesNewLogin(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := s.Config(oauth.ScopeEventsOwned)
	path := saveExpired(t, "fake-refresh-revoked")
	ts, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrReauth) {
		t.Fatalf("Token = %v, want ErrReauth", err)
	}
	// The new login.
	fresh, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: s.IssueRefreshToken(oauth.ScopeEventsOwned)}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if err := oauth.SaveToken(path, fresh); err != nil {
		t.Fatal(err)
	}
	before := s.Stats().Refreshes
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token after the new login: %v", err)
	}
	if tok.AccessToken != fresh.AccessToken || s.Stats().Refreshes != before {
		t.Error("the token source did not take the new login's token from the file")
	}
}

func TestTokenSourceNoRefreshToken(t *testing.T) {
	s := fakeoauth.NewServer(t)
	path := saveExpired(t, "")
	ts, err := oauth.TokenSource(t.Context(), s.Config(oauth.ScopeEventsOwned), path, oauth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrReauth) {
		t.Errorf("Token = %v, want ErrReauth", err)
	}
}

func TestTokenSourceNoFile(t *testing.T) {
	s := fakeoauth.NewServer(t)
	path := filepath.Join(t.TempDir(), "google-work.json")
	_, err := oauth.TokenSource(t.Context(), s.Config(oauth.ScopeEventsOwned), path, oauth.TokenOptions{})
	if !errors.Is(err, oauth.ErrNoToken) || !strings.Contains(err.Error(), path) {
		t.Errorf("TokenSource = %v, want ErrNoToken naming %s", err, path)
	}
}

// The refreshed token is still returned when it cannot be saved.
func TestTokenSourceSaveFails(t *testing.T) {
	s := fakeoauth.NewServer(t)
	conf := s.Config(oauth.ScopeEventsOwned)
	path := saveExpired(t, s.IssueRefreshToken(oauth.ScopeEventsOwned))
	ts, err := oauth.TokenSource(t.Context(), conf, path, oauth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Replace the file by a directory: the rename of SaveToken fails.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil || !tok.Valid() {
		t.Fatalf("Token = %v", err)
	}
	resp, err := oauth.HTTPClient(t.Context(), ts, "work").Get(s.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api: status %d", resp.StatusCode)
	}
}
