// Package oauth authorizes oneonone against Google Calendar: the
// installed-app loopback flow with PKCE (RFC 8252, RFC 7636) for a person's
// own account, tokens persisted to a file and refreshed, or a service account
// with domain-wide delegation (the RFC 7523 JWT bearer grant).
//
// Where things live: the token file of a source is config's Source.Token,
// by default "<state dir>/google-<name>.json". "oneonone auth google" runs
// [Login] and saves the token with [SaveToken]; the daemon opens it with
// [TokenSource], which saves every refreshed token back to the same file, and
// wraps it with [HTTPClient]. Token files hold secrets: they are written with
// mode 0600 (their directory 0700) and no function here logs or prints a
// token or puts one into an error.
package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// Scopes. oneonone reads events and patches the description of the ones it
// may edit; it needs no other part of the account.
const (
	// ScopeEventsOwned covers the events of the calendars the user owns:
	// the narrowest scope that reads and patches events.
	ScopeEventsOwned = "https://www.googleapis.com/auth/calendar.events.owned"
	// ScopeEvents covers the events of every calendar the user can see,
	// including calendars shared with them.
	ScopeEvents = "https://www.googleapis.com/auth/calendar.events"
)

// ErrNoToken is wrapped by the errors of a token file that does not exist
// or holds no token: the source has not been authorized yet.
var ErrNoToken = errors.New("no Google token")

// ErrReauth marks a token Google no longer accepts: the refresh token was
// revoked or has expired (the token endpoint answered "invalid_grant", or
// 400/401). Only a new login helps.
var ErrReauth = errors.New("google token revoked or expired")

// ScopeFor returns the scope to ask for when the source reads calendarID
// and me are the user's addresses: [ScopeEventsOwned] for "primary" and for
// a calendar whose id is one of the addresses (a primary calendar's id is
// its owner's address), [ScopeEvents] otherwise.
//
// The reason: calendar.events.owned reaches only calendars the user owns,
// and whether a calendar with another id (a shared one, a group calendar
// "…@group.calendar.google.com") is owned cannot be told without reading
// the calendar list, which would need a scope of its own. So any other id
// gets the wider calendar.events, which works whoever owns the calendar. A
// token granted for one scope does not cover the other: changing the
// calendar of a source may need "oneonone auth google" again.
func ScopeFor(calendarID string, me []string) string {
	id := strings.ToLower(strings.TrimSpace(calendarID))
	if id == "" || id == "primary" {
		return ScopeEventsOwned
	}
	for _, m := range me {
		if strings.ToLower(strings.TrimSpace(m)) == id {
			return ScopeEventsOwned
		}
	}
	return ScopeEvents
}

// LoadClientSecrets reads the client secrets file of an OAuth client of
// type "Desktop app" (an installed application: {"installed": {…}}, as the
// Google Cloud console downloads it) and returns its config for scope. The
// redirect URL is set by [Login]; client credentials are sent in the form
// body, as Google expects.
func LoadClientSecrets(path string, scope string) (*oauth2.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read google client secrets: %w", err)
	}
	if isBlank(data) {
		return nil, fmt.Errorf("google client secrets %s: the file is empty", path)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("google client secrets %s: not a client secrets JSON file: %v", path, jsonProblem(err))
	}
	installed, ok := file["installed"]
	if !ok {
		return nil, fmt.Errorf("google client secrets %s: %s", path, notInstalled(file))
	}
	var c map[string]any
	if err := json.Unmarshal(installed, &c); err != nil || c == nil {
		return nil, fmt.Errorf(`google client secrets %s: "installed" is not a JSON object`, path)
	}
	for _, k := range []string{"client_id", "client_secret"} {
		if s, _ := c[k].(string); s == "" {
			return nil, fmt.Errorf(`google client secrets %s: "installed" has no %s; download the file of the OAuth client again`, path, k)
		}
	}
	// Fill what ConfigFromJSON insists on or leaves empty: a Desktop app
	// file may come without redirect_uris (Login sets its own anyway).
	if uris, _ := c["redirect_uris"].([]any); len(uris) == 0 {
		c["redirect_uris"] = []string{"http://127.0.0.1"}
	}
	if s, _ := c["auth_uri"].(string); s == "" {
		c["auth_uri"] = google.Endpoint.AuthURL
	}
	if s, _ := c["token_uri"].(string); s == "" {
		c["token_uri"] = google.Endpoint.TokenURL
	}
	only, err := json.Marshal(map[string]any{"installed": c})
	if err != nil {
		return nil, fmt.Errorf("google client secrets %s: %w", path, err)
	}
	conf, err := google.ConfigFromJSON(only, scope)
	if err != nil {
		return nil, fmt.Errorf("google client secrets %s: %w", path, err)
	}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return conf, nil
}

// notInstalled explains a client secrets file without an "installed" client.
func notInstalled(file map[string]json.RawMessage) string {
	const want = `create an OAuth client of type "Desktop app" in the Google Cloud console and download its JSON`
	if _, ok := file["web"]; ok {
		return `this is a "Web application" client; ` + want
	}
	var typ string
	if raw, ok := file["type"]; ok {
		_ = json.Unmarshal(raw, &typ)
	}
	switch typ {
	case "service_account":
		return "this is a service account key: set service_account (and subject) instead of client_secrets"
	case "":
		return `no "installed" client in it; ` + want
	}
	return fmt.Sprintf(`this is a credentials file of type %q, not an OAuth client; %s`, typ, want)
}

// jsonProblem describes a JSON decoding error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("unexpected JSON %s at byte %d", te.Value, te.Offset)
	}
	return "invalid JSON"
}

// oneLine folds a server-supplied text to one short line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// isBlank reports whether data holds only white space.
func isBlank(data []byte) bool { return len(bytes.TrimSpace(data)) == 0 }
