package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// HTTPClient returns a client that authorizes its requests with tokens
// from ts. A request that fails because the token is [ErrReauth]-class
// fails with a [*ReauthError], whose message is one line telling the user
// to run "oneonone auth google --source <source>" (the client's own
// *url.Error wraps it; errors.As finds it). The base client comes from
// ctx's [oauth2.HTTPClient] value, else [http.DefaultClient].
func HTTPClient(ctx context.Context, ts oauth2.TokenSource, source string) *http.Client {
	c := oauth2.NewClient(ctx, ts)
	c.Transport = &reauthTransport{base: c.Transport, source: source}
	return c
}

// ReauthError is the error of a request whose source must log in again.
// It wraps the refresh error, and so [ErrReauth]. When the token endpoint
// answered "invalid_grant" (the refresh token was revoked or has expired),
// its one line also says that the tokens of an OAuth app left in "Testing"
// publishing status expire after 7 days, and how to publish the app.
type ReauthError struct {
	Source string // the configured source name
	Err    error  // the refresh error; wraps ErrReauth
}

func (e *ReauthError) Error() string {
	var ig *invalidGrant
	if errors.As(e.Err, &ig) {
		// Google gives the refresh tokens of an app in "Testing" a week;
		// that is the usual cause of an invalid_grant that comes back.
		return fmt.Sprintf("google token for source %q was revoked or has expired (invalid_grant): run \"oneonone auth google --source %s\" again; "+
			"tokens of an OAuth app left in \"Testing\" publishing status expire after 7 days, so publish the app "+
			"(Google Cloud console → OAuth consent screen → Publish app) to stop this coming back", e.Source, e.Source)
	}
	return fmt.Sprintf("google token for source %q was revoked or has expired: run \"oneonone auth google --source %s\"", e.Source, e.Source)
}

func (e *ReauthError) Unwrap() error { return e.Err }

// reauthTransport turns ErrReauth-class errors of the token source into a
// *ReauthError.
type reauthTransport struct {
	base   http.RoundTripper // an *oauth2.Transport
	source string
}

func (t *reauthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil && errors.Is(err, ErrReauth) {
		return nil, &ReauthError{Source: t.source, Err: err}
	}
	return resp, err
}
