package google_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"oneonone/calendar/google"
	"oneonone/internal/fake/googleapi"
)

// TestDelegationError: with a subject, a 403 that is not a rate limit on
// the listing is the subject's refused delegation, named; a rate limit is
// still retried, and without a subject a 403 stays what it was.
func TestDelegationError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		subject   string
		fault     googleapi.Fault
		delegated bool
	}{
		{"forbidden, with a subject", "bob@example.com", googleapi.Fault{Status: 403, Reason: "forbidden", Times: 1}, true},
		{"unauthorized, with a subject", "bob@example.com", googleapi.Fault{Status: 401, Times: 1}, true},
		{"forbidden, without a subject", "", googleapi.Fault{Status: 403, Reason: "forbidden", Times: 1}, false},
		{"rate limit, with a subject", "bob@example.com", googleapi.Fault{Status: 403, Reason: "rateLimitExceeded", Times: 10}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.srv.Inject(tc.fault)
			c := f.client(t, nil, func(o *google.Options) {
				o.Subject = tc.subject
				o.Retry.Attempts = 2
				o.Retry.Sleep = func(ctx context.Context, d time.Duration) error { return nil }
			})
			_, err := c.Changes(context.Background(), "primary", "", nil)
			var de *google.DelegationError
			if got := errors.As(err, &de); got != tc.delegated {
				t.Fatalf("DelegationError = %v, want %v: %v", got, tc.delegated, err)
			}
			if tc.delegated && (de.Subject != tc.subject || !strings.Contains(err.Error(), "Google refused delegation for "+tc.subject+": ")) {
				t.Errorf("error %q does not name %s", err, tc.subject)
			}
		})
	}
}
