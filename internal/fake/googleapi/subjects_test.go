package googleapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSubjects: with SetAuth a request needs a known token, "primary" is
// the token's user's calendar, requests are counted per user and a
// refused user gets 403.
func TestSubjects(t *testing.T) {
	s := New()
	s.AddCalendar("anna@example.com", "anna@example.com", "UTC")
	s.AddCalendar("bob@example.com", "bob@example.com", "UTC")
	tokens := map[string]string{"t-anna": "anna@example.com", "t-bob": "Bob@example.com"}
	s.SetAuth(func(tok string) (string, bool) { sub, ok := tokens[tok]; return sub, ok })
	s.RefuseSubject("bob@example.com")
	hs := httptest.NewServer(s)
	defer hs.Close()
	get := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", hs.URL+"/calendar/v3/calendars/primary", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.ID
	}
	if code, id := get("t-anna"); code != 200 || id != "anna@example.com" {
		t.Errorf("anna's primary: %d %q", code, id)
	}
	if code, _ := get("t-bob"); code != 403 {
		t.Errorf("refused bob: %d, want 403", code)
	}
	if code, _ := get(""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := get("made-up"); code != 401 {
		t.Errorf("unknown token: %d, want 401", code)
	}
	get("t-anna")
	if a, b := s.RequestsBy("anna@example.com"), s.RequestsBy("BOB@example.com"); a != 2 || b != 1 {
		t.Errorf("RequestsBy: anna %d, bob %d; want 2, 1", a, b)
	}
	if s.Requests() != 5 {
		t.Errorf("Requests = %d, want 5 (the 401s included)", s.Requests())
	}
}

// TestPerUserQuota: past perMinute requests of one user in a minute, that
// user gets 403 userRateLimitExceeded and nobody else does; the next
// minute serves again.
func TestPerUserQuota(t *testing.T) {
	s := New()
	s.AddCalendar("anna@example.com", "anna@example.com", "UTC")
	s.AddCalendar("bob@example.com", "bob@example.com", "UTC")
	tokens := map[string]string{"t-anna": "anna@example.com", "t-bob": "bob@example.com"}
	s.SetAuth(func(tok string) (string, bool) { sub, ok := tokens[tok]; return sub, ok })
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	s.SetPerUserQuota(3, func() time.Time { return now })
	hs := httptest.NewServer(s)
	defer hs.Close()
	get := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", hs.URL+"/calendar/v3/calendars/primary", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := range 3 {
		if code, _ := get("t-anna"); code != 200 {
			t.Fatalf("anna's request %d: %d", i+1, code)
		}
	}
	if code, body := get("t-anna"); code != 403 || !strings.Contains(body, `"userRateLimitExceeded"`) {
		t.Errorf("anna's fourth request in the minute: %d %s", code, body)
	}
	if code, _ := get("t-bob"); code != 200 {
		t.Errorf("bob, within his own quota: %d", code)
	}
	now = now.Add(time.Minute)
	if code, _ := get("t-anna"); code != 200 {
		t.Errorf("anna in the next minute: %d", code)
	}
	if n := s.QuotaRefusals(); n != 1 {
		t.Errorf("QuotaRefusals = %d, want 1", n)
	}
}
