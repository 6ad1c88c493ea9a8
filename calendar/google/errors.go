package google

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"oneonone/calendar"
)

// Error is an answer of the Calendar API that is not a success. It matches
// (errors.Is) the calendar error its status maps to in the call it answered
// (calendar.ErrNotFound, ErrConflict, ErrForbidden, ErrCursorExpired), and
// unwraps to the *googleapi.Error.
type Error struct {
	Code    int    // HTTP status
	Reason  string // errors[0].reason ("rateLimitExceeded"), else the status text
	Message string
	Err     *googleapi.Error
	kind    error // the calendar error, or nil
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("google: %d %s", e.Code, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap returns the calendar error, if any, and the *googleapi.Error.
func (e *Error) Unwrap() []error {
	if e.kind != nil {
		return []error{e.kind, e.Err}
	}
	return []error{e.Err}
}

// AuthError is a request that could not be authorised: the token endpoint
// refused a refresh (Err wraps the *oauth2.RetrieveError, e.g. invalid_grant,
// and whatever the token source wrapped it in, such as the oauth package's
// *ReauthError), Google answered 401, or 403 insufficientPermissions (the
// token lacks the scope). A new login is usually the cure; the caller says
// how.
type AuthError struct{ Err error }

func (e *AuthError) Error() string {
	return "google: authorization failed: " + strings.TrimPrefix(e.Err.Error(), "google: ")
}
func (e *AuthError) Unwrap() error { return e.Err }

// DelegationError is a request of a service account acting for Subject
// that Google refused: the token endpoint would not issue a token for the
// subject (unauthorized_client, access_denied: the client id has no
// domain-wide delegation for the scope, or the user is not in the domain)
// or the API answered 401 or a 403 that is not a rate limit to the
// listing of the calendar. Nothing but the Workspace admin's grant helps;
// other subjects of the same service account are not concerned.
type DelegationError struct {
	Subject string
	Err     error
}

func (e *DelegationError) Error() string {
	return "Google refused delegation for " + e.Subject + ": " + strings.TrimPrefix(e.Err.Error(), "google: ")
}
func (e *DelegationError) Unwrap() error { return e.Err }

// delegation wraps err in a *DelegationError when the client acts for a
// subject and err says the subject's delegation was refused.
func (c *Client) delegation(o op, err error) error {
	if c.subject == "" {
		return err
	}
	var ae *AuthError
	var e *Error
	switch {
	case errors.As(err, &ae):
	case o == opList && errors.As(err, &e) && e.Code == http.StatusForbidden && !rateLimitReasons[e.Reason]:
	default:
		return err
	}
	return &DelegationError{Subject: c.subject, Err: err}
}

// op names what a request was for, which decides how its errors map.
type op int

const (
	opList  op = iota // events.list
	opGet             // events.get
	opPatch           // events.patch
)

func (o op) String() string {
	switch o {
	case opList:
		return "events.list"
	case opGet:
		return "events.get"
	case opPatch:
		return "events.patch"
	case opFreeBusy:
		return "freebusy.query"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// maxMessage bounds the bytes of Google's message kept in an error.
const maxMessage = 300

// forbiddenReasons are the 403 reasons that say the account may not write
// the event, when Google's error body names them. Quota reasons
// (quotaExceeded, dailyLimitExceeded), a missing scope and a 403 without a
// readable reason are not among them: the engine remembers ErrForbidden for
// good.
var forbiddenReasons = map[string]bool{
	"forbidden":                   true,
	"forbiddenForNonOrganizer":    true,
	"requiredAccessLevel":         true,
	"forbiddenForServiceAccounts": true,
}

// rateLimitReasons are the 403 reasons Google asks clients to back off on.
var rateLimitReasons = map[string]bool{
	"rateLimitExceeded":     true,
	"userRateLimitExceeded": true,
}

// retryableStatus are the server errors worth another try.
var retryableStatus = map[int]bool{
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

// mapError turns what a generated call returned into our error.
func mapError(o op, err error) error {
	// The transport's errors come as *url.Error with the whole URL, sync
	// and page tokens included: name the request without its query; a
	// token that could not be refreshed has nothing to do with the URL.
	var re *oauth2.RetrieveError
	var ue *url.Error
	switch {
	case errors.As(err, &re) && errors.As(err, &ue):
		return &AuthError{Err: ue.Err}
	case errors.As(err, &re):
		return &AuthError{Err: err}
	case errors.As(err, &ue):
		u, _, _ := strings.Cut(ue.URL, "?")
		if pu, perr := url.Parse(u); perr == nil {
			u = pu.Redacted()
		}
		err = fmt.Errorf("%s %s: %w", ue.Op, u, ue.Err)
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("google: %w", err)
	}
	e := &Error{Code: ge.Code, Err: ge, Message: ge.Message}
	if len(ge.Errors) > 0 {
		e.Reason = ge.Errors[0].Reason
		if e.Message == "" {
			e.Message = ge.Errors[0].Message
		}
	}
	// Only a reason Google gave says what a 403 means; a body that is cut
	// short, empty or not Google's (a proxy's page) says nothing.
	googleReason := e.Reason != ""
	if e.Reason == "" {
		e.Reason = strings.ToLower(http.StatusText(ge.Code))
	}
	if e.Message == "" {
		e.Message = strings.Join(strings.Fields(ge.Body), " ")
	}
	if len(e.Message) > maxMessage {
		e.Message = strings.ToValidUTF8(e.Message[:maxMessage], "") + "…"
	}
	switch ge.Code {
	case http.StatusUnauthorized:
		return &AuthError{Err: e}
	case http.StatusForbidden:
		if e.Reason == "insufficientPermissions" {
			// The token lacks the scope: signing in again asks for it.
			return &AuthError{Err: e}
		}
		if googleReason && forbiddenReasons[e.Reason] {
			e.kind = calendar.ErrForbidden
		}
	case http.StatusNotFound:
		e.kind = calendar.ErrNotFound
	case http.StatusGone:
		// fullSyncRequired: the sync token (or a page token of the
		// listing) is no longer valid. On an event: it was deleted.
		if o == opList {
			e.kind = calendar.ErrCursorExpired
		} else {
			e.kind = calendar.ErrNotFound
		}
	case http.StatusPreconditionFailed:
		if o == opPatch {
			e.kind = calendar.ErrConflict
		}
	}
	return e
}

// retryable reports whether a mapped error is worth another try.
func retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Code == http.StatusForbidden {
		return rateLimitReasons[e.Reason]
	}
	return retryableStatus[e.Code]
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Initial <= 0 {
		p.Initial = time.Second
	}
	if p.Max <= 0 {
		p.Max = 32 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Attempts <= 0 {
		p.Attempts = 6
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Jitter == nil {
		p.Jitter = fullJitter
	}
	return p
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fullJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// ceiling is the longest wait before retry number k+1 (k from 0).
func (p RetryPolicy) ceiling(k int) time.Duration {
	d := p.Initial
	for range k {
		if d >= p.Max/2 {
			return p.Max
		}
		d *= 2
	}
	return min(d, p.Max)
}

// retryAfter reads a Retry-After header in seconds.
func retryAfter(err error) time.Duration {
	var e *Error
	if !errors.As(err, &e) || e.Err == nil || e.Err.Header == nil {
		return 0
	}
	s, err2 := strconv.Atoi(strings.TrimSpace(e.Err.Header.Get("Retry-After")))
	if err2 != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// do runs call, mapping its error, and retries it while the error is a rate
// limit or a server error, the policy allows another attempt and ctx is not
// done. A Retry-After header lengthens a wait, within Max.
func (c *Client) do(ctx context.Context, o op, call func() error) error {
	p := c.retry
	for k := 0; ; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := call()
		if err == nil {
			return nil
		}
		err = mapError(o, err)
		if !retryable(err) {
			return c.delegation(o, err)
		}
		if k+1 >= p.Attempts {
			return fmt.Errorf("%w (gave up after %d attempts)", err, p.Attempts)
		}
		d := min(max(p.Jitter(p.ceiling(k)), retryAfter(err)), p.Max)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return fmt.Errorf("%w (no time left to retry: %w)", err, context.DeadlineExceeded)
		}
		c.log.Debug("google: retrying a request", slog.String("op", o.String()), slog.Int("attempt", k+1),
			slog.Duration("wait", d), slog.String("error", err.Error()))
		if serr := p.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("%w (stopped retrying: %w)", err, serr)
		}
	}
}
