package google_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"oneonone/calendar"
	"oneonone/calendar/google"
)

// TestUnreadable403IsNotForbidden: only a 403 whose body is Google's and
// names a reason such as forbiddenForNonOrganizer means the account may not
// write the event (which the engine remembers for good). A 403 whose body
// was cut short on the way, is empty, or is a proxy's page says nothing of
// the kind. Found by sync's fault test: a cut 403 rateLimitExceeded marked
// a 1:1 read-only forever.
func TestUnreadable403IsNotForbidden(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		forbidden  bool
	}{
		{"cut short", `{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","mess`, false},
		{"empty", ``, false},
		{"a proxy's page", `<html><body>403 Forbidden</body></html>`, false},
		{"Google's forbiddenForNonOrganizer", `{"error":{"errors":[{"domain":"calendar","reason":"forbiddenForNonOrganizer","message":"Shared properties can only be changed by the organizer of the event."}],"code":403,"message":"Shared properties can only be changed by the organizer of the event."}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer ts.Close()
			c, err := google.New(context.Background(), google.Options{Endpoint: ts.URL + "/calendar/v3/"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Put(context.Background(), "ev1", []byte(`{"description":"x"}`), `"e1"`)
			if err == nil {
				t.Fatal("Put succeeded against a 403")
			}
			if got := errors.Is(err, calendar.ErrForbidden); got != tc.forbidden {
				t.Errorf("%v: ErrForbidden = %v, want %v", err, got, tc.forbidden)
			}
		})
	}
}
