package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/oauth2"
)

// SaveToken writes tok to path as JSON, atomically: a temporary file in the
// same directory, synced, then renamed over path, so a reader sees the old
// token or the new one and never a part. The file gets mode 0600; a missing
// directory is made with mode 0700 (an existing one is left as it is: it is
// the state directory).
func SaveToken(path string, tok *oauth2.Token) error {
	if tok == nil {
		return fmt.Errorf("save google token %s: no token", path)
	}
	cp := *tok
	cp.ExpiresIn = 0 // relative to when it was received; Expiry is what counts
	data, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("save google token %s: %w", path, err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save google token: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save google token: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("save google token %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil { // CreateTemp's default, made explicit
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save google token %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable; best effort
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadToken reads a token written by [SaveToken]. A missing or empty file,
// or one that holds neither an access nor a refresh token, gives an error
// wrapping [ErrNoToken].
func LoadToken(path string) (*oauth2.Token, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoToken, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read google token: %w", err)
	}
	if isBlank(data) {
		return nil, fmt.Errorf("%w at %s: the file is empty", ErrNoToken, path)
	}
	var tok oauth2.Token
	if err := json.Unmarshal(data, &tok); err != nil {
		return nil, fmt.Errorf("google token %s: not a token file: %s", path, jsonProblem(err))
	}
	if tok.AccessToken == "" && tok.RefreshToken == "" {
		return nil, fmt.Errorf("%w at %s: the file holds no token", ErrNoToken, path)
	}
	tok.ExpiresIn = 0
	return &tok, nil
}

// TokenOptions are the options of [TokenSource].
type TokenOptions struct {
	// Logger receives the token source's logs (a refreshed token that
	// could not be saved); nil means they are discarded. The token source
	// never logs through slog's default logger.
	Logger *slog.Logger
}

// TokenSource returns a token source for the token stored at path (an
// error wrapping [ErrNoToken] when there is none). When the token has
// expired it is refreshed with cfg, and every new token is saved back to
// path, so a restart keeps it (and a rotated refresh token is not lost).
//
// Before refreshing, the file is read again: a token that another process
// saved there meanwhile (a new "oneonone auth google", another oneonone
// refreshing) is taken instead, so a running daemon recovers from a revoked
// token once the user has logged in again.
//
// Refresh errors that mean "log in again" wrap [ErrReauth]; others (network,
// 5xx) are returned as they are and the next call tries again. ctx carries
// the refresh requests (and an [oauth2.HTTPClient], if any); it should live
// as long as the token source. The source is safe for concurrent use.
func TokenSource(ctx context.Context, cfg *oauth2.Config, path string, opt TokenOptions) (oauth2.TokenSource, error) {
	if cfg == nil {
		return nil, errors.New("google token source: no OAuth client config")
	}
	tok, err := LoadToken(path)
	if err != nil {
		return nil, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &fileSource{ctx: ctx, conf: cfg, path: path, log: log, tok: tok, onDisk: *tok}, nil
}

// fileSource is the token source of TokenSource.
type fileSource struct {
	ctx  context.Context
	conf *oauth2.Config
	path string
	log  *slog.Logger // never nil

	mu     sync.Mutex
	tok    *oauth2.Token // the current token
	onDisk oauth2.Token  // what the file held when last read or written
}

func (s *fileSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.Valid() {
		return copyToken(s.tok), nil
	}
	// Someone else may have written a newer token.
	if disk, err := LoadToken(s.path); err == nil && !sameToken(disk, &s.onDisk) {
		s.onDisk = *disk
		s.tok = disk
		if s.tok.Valid() {
			return copyToken(s.tok), nil
		}
	}
	if s.tok.RefreshToken == "" {
		return nil, fmt.Errorf("refresh google token %s: %w: the stored token has no refresh token", s.path, ErrReauth)
	}
	// A token with only the refresh token is never valid, so the config's
	// source refreshes at once; it keeps the refresh token when the answer
	// has none.
	tok, err := s.conf.TokenSource(s.ctx, &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token()
	if err != nil {
		if isReauth(err) {
			cause := describeTokenError(err)
			if isInvalidGrant(err) {
				cause = &invalidGrant{cause}
			}
			return nil, fmt.Errorf("refresh google token %s: %w: %w", s.path, ErrReauth, cause)
		}
		return nil, fmt.Errorf("refresh google token %s: %w", s.path, describeTokenError(err))
	}
	s.tok = tok
	if err := SaveToken(s.path, tok); err != nil {
		// The token works; losing it only costs a refresh after a restart
		// (or a login, if the refresh token was rotated). Keep going.
		s.log.Warn("could not save the refreshed google token", slog.String("path", s.path), slog.String("error", err.Error()))
	} else {
		s.onDisk = *tok
	}
	return copyToken(tok), nil
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	cp := *t
	return &cp
}

func sameToken(a, b *oauth2.Token) bool {
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken && a.Expiry.Equal(b.Expiry)
}

// isReauth reports whether err is a token endpoint's refusal that only a new
// login can fix: "invalid_grant", or a 400 or 401 answer.
func isReauth(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	if code, _ := errorAnswer(re); code == "invalid_grant" {
		return true
	}
	if re.Response != nil {
		switch re.Response.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized:
			return true
		}
	}
	return false
}

// isInvalidGrant reports whether err is the token endpoint's
// "invalid_grant": the refresh token was revoked or has expired.
func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	code, _ := errorAnswer(re)
	return code == "invalid_grant"
}

// invalidGrant marks a refresh that the token endpoint answered
// "invalid_grant", so that [ReauthError] can say why that happens; its
// message is the wrapped error's.
type invalidGrant struct{ err error }

func (e *invalidGrant) Error() string { return e.err.Error() }
func (e *invalidGrant) Unwrap() error { return e.err }

// describeTokenError gives a token endpoint's error answer a one-line
// message (RetrieveError's own quotes the body over two lines); err stays
// wrapped. Other errors are returned as they are.
func describeTokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	code, desc := errorAnswer(re)
	msg := "the token endpoint answered"
	if re.Response != nil {
		msg += " " + oneLine(re.Response.Status)
	}
	if code != "" {
		msg += ": " + code
	}
	if desc != "" {
		msg += ": " + desc
	}
	return &tokenError{msg: msg, err: err}
}

// errorAnswer returns the RFC 6749 section 5.2 error code and description
// of a token endpoint's answer, each on one line. The JWT grant's errors
// leave them in the body only.
func errorAnswer(re *oauth2.RetrieveError) (code, desc string) {
	code, desc = re.ErrorCode, re.ErrorDescription
	if code == "" {
		var body struct {
			Error any    `json:"error"`
			Desc  string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			if s, ok := body.Error.(string); ok {
				code, desc = s, body.Desc
			}
		}
	}
	return oneLine(code), oneLine(desc)
}

// tokenError is a token endpoint's error answer with a one-line message.
type tokenError struct {
	msg string
	err error
}

func (e *tokenError) Error() string { return e.msg }
func (e *tokenError) Unwrap() error { return e.err }
