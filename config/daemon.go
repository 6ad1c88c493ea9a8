package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"oneonone/calendar"
)

// ServeToken returns the web face's access token ("" for none), or why the
// daemon may not serve with this config: the token cannot be read, or the
// listen address is not loopback and there is neither a token nor a
// sign-in proxy (web.auth_proxy_header, which refuses every peer but
// web.trusted_proxies).
func (c *Config) ServeToken() (string, error) {
	token, err := c.Web.AccessToken()
	if err != nil {
		return "", err
	}
	if !c.ListenIsLoopback() && token == "" && !c.Web.ProxyMode() {
		return "", fmt.Errorf("listen = %q is not a loopback address: set web.token (or web.token_env), or web.auth_proxy_header behind a sign-in proxy, before serving the web face there", c.Listen)
	}
	return token, nil
}

// Reloadable reports why a daemon running with old may not take next on a
// reload (SIGHUP), or nil when it may. A reload may change everything but:
//
//   - state: the store stays open on the old file; a change needs a restart;
//   - listen: the listener stays on the old address; a change needs a
//     restart;
//
// and next must be able to serve (see ServeToken: a token that cannot be
// read, or a listen address beyond loopback without one or a sign-in
// proxy, is refused).
//
// What a reload keeps without a word: the logger (log_level and
// log_format take effect at the next start), the web sessions and the
// metrics.
func Reloadable(old, next *Config) error {
	if next.State != old.State {
		return fmt.Errorf("state: changing the state file (%s → %s) needs a restart", old.State, next.State)
	}
	if next.Listen != old.Listen {
		return fmt.Errorf("listen: changing the address (%s → %s) needs a restart", old.Listen, next.Listen)
	}
	token, err := next.Web.AccessToken()
	if err != nil {
		return err
	}
	if !next.ListenIsLoopback() && token == "" && !next.Web.ProxyMode() {
		return errors.New("web.token: the web face listens beyond loopback and the new config has no token")
	}
	return nil
}

// NewLogger returns the logger log_level and log_format ask for, writing to
// w: text (logfmt) or JSON lines, at the level named (info when the name
// is not one; Validate refuses it).
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// PairDoc returns the agenda document (agenda.pair doc) of a pair of mine:
// that of the agenda.pair entry of its other member; "" when there is none,
// or when p has none of identity.me.
func (c *Config) PairDoc(p calendar.Pair) string {
	doc := ""
	for _, me := range c.Me() {
		if pc, ok := c.Pair(p.Other(me)); ok && p.Has(me) {
			doc = pc.Doc
		}
	}
	return doc
}

// DocCredentials lends a CalDAV source's credentials to an agenda document
// at u when it is on the same host and scheme as the source's URL (the
// first such source with a username and a readable password), and to no
// other host.
func (c *Config) DocCredentials(u *url.URL) (user, password string, ok bool) {
	for i := range c.Sources {
		sc := &c.Sources[i]
		su, err := url.Parse(sc.URL)
		if sc.Kind != KindCalDAV || err != nil || sc.Username == "" || !strings.EqualFold(su.Host, u.Host) || su.Scheme != u.Scheme {
			continue
		}
		if pw, err := sc.Password(); err == nil {
			return sc.Username, pw, true
		}
	}
	return "", "", false
}

// BasicAuth returns a CalDAV source's username and password. The password
// is read (see Password) only when there is a username: without one the
// source goes without authentication, and an unset password_env is no
// error.
func (s *Source) BasicAuth() (user, password string, err error) {
	if s.Username == "" {
		return "", "", nil
	}
	password, err = s.Password()
	if err != nil {
		return "", "", err
	}
	return s.Username, password, nil
}
