package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	cookieName = "oneonone_session"
	// sessionAge is how long a session cookie is good for.
	sessionAge = 30 * 24 * time.Hour
	// codeAge is how long a login link is good for; it works once.
	codeAge = 10 * time.Minute
)

// LoginURL returns a one-time login link under base (the daemon's address,
// "http://127.0.0.1:8787"): a random code, valid once for 10 minutes, that
// sets the session cookie. There is none without a token.
func (s *Server) LoginURL(base string) (string, error) {
	if s.opt.Token == "" {
		return "", errors.New("login link: no access token is set, so none is needed")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("login link: want a base URL like http://127.0.0.1:8787, got " + strconv.Quote(base))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	code := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	s.mu.Lock()
	for k, exp := range s.codes {
		if !now.Before(exp) {
			delete(s.codes, k)
		}
	}
	s.codes[sha256.Sum256([]byte(code))] = now.Add(codeAge)
	s.mu.Unlock()
	u.Path = strings.TrimSuffix(u.Path, "/") + "/login"
	u.RawQuery = url.Values{"code": {code}}.Encode()
	u.Fragment = ""
	return u.String(), nil
}

// useCode reports whether code is an unused, unexpired login code, and
// uses it up.
func (s *Server) useCode(code string) bool {
	if code == "" {
		return false
	}
	sum := sha256.Sum256([]byte(code))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := false
	for k, exp := range s.codes {
		// Every entry is compared in constant time; a match is used up.
		if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
			ok = now.Before(exp)
			delete(s.codes, k)
		}
	}
	return ok
}

// login is GET /login?code=…: a valid code sets the session cookie and
// sends the browser to the report.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.opt.Token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !s.useCode(r.URL.Query().Get("code")) {
		s.messagePage(w, http.StatusUnauthorized, "This login link is not valid",
			"Each login link works once, for 10 minutes. Restarting oneonone prints a new one.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    s.sessionValue(s.now()),
		Path:     "/",
		MaxAge:   int(sessionAge / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// sessionValue returns a session cookie issued at t: the time and an HMAC
// of it under the server's secret. It holds nothing of the token.
func (s *Server) sessionValue(t time.Time) string {
	issued := strconv.FormatInt(t.Unix(), 10)
	return issued + "." + base64.RawURLEncoding.EncodeToString(s.sessionMAC(issued))
}

func (s *Server) sessionMAC(issued string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("oneonone session " + issued))
	return m.Sum(nil)
}

// validSession reports whether v is a session cookie of this server that
// has not expired.
func (s *Server) validSession(v string) bool {
	issued, mac, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, s.sessionMAC(issued)) {
		return false
	}
	sec, err := strconv.ParseInt(issued, 10, 64)
	if err != nil {
		return false
	}
	age := s.now().Sub(time.Unix(sec, 0))
	return age > -time.Minute && age < sessionAge
}

// authorized reports whether r carries the token or a valid session.
func (s *Server) authorized(r *http.Request) bool {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		// Hashes first, so that the comparison does not reveal the length.
		a, b := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(s.opt.Token))
		if subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
			return true
		}
	}
	if c, err := r.Cookie(cookieName); err == nil && s.validSession(c.Value) {
		return true
	}
	return false
}

// guard refuses state-changing requests that a browser sends on behalf of
// another site, with or without a token, loopback included (any web page
// can post to 127.0.0.1): an Origin other than the request's own,
// Sec-Fetch-Site other than same-origin or none, or a body that is not
// JSON (a form or text/plain post needs no CORS preflight; JSON does, and
// we approve none). Scripts that send no Origin pass.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if s.isShare(r) { // its forms: checked by the share handlers (shareOpen)
			next.ServeHTTP(w, r)
			return
		}
		if err := s.origins.Check(r); err != nil || !sameOrigin(r) {
			s.refuse(w, r, http.StatusForbidden, "cross-site request refused")
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" || hasBody(r) {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				s.refuse(w, r, http.StatusUnsupportedMediaType, "want Content-Type: application/json")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0
}

// sameOrigin reports whether r's Origin header, when present, is the
// request's own origin: its scheme (https over TLS, or when a proxy in
// front says so) and its Host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	if strings.EqualFold(origin, "http://"+r.Host) && r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" {
		return true
	}
	// A browser cannot send X-Forwarded-Proto cross-site without a
	// preflight, so trusting it here cannot let a foreign page through.
	return strings.EqualFold(origin, "https://"+r.Host) && (r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https")
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.opt.Log.Info("web request refused", slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("origin", r.Header.Get("Origin")), slog.String("reason", msg))
	if isAPI(r) {
		writeError(w, code, msg)
		return
	}
	http.Error(w, msg, code)
}
