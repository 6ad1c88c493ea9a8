// Package oauth is a fake Google OAuth 2.0 server for tests, on
// 127.0.0.1: the authorization endpoint of the installed-app flow, the
// token endpoint (authorization code with PKCE, refresh token, and the
// RFC 7523 JWT bearer grant of service accounts) and a protected resource
// that accepts only the access tokens it issued.
//
// It is strict: a request that breaks what oneonone must send (the loopback
// redirect URI, S256 PKCE, offline access with prompt=consent, the client's
// credentials) fails the test; answers a real server gives (invalid_grant,
// access_denied) can be asked for with its knobs.
package oauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Grant types of the token endpoint.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// Server is the fake. Its endpoints are URL+"/auth", URL+"/token" and
// URL+"/api" (GET with "Authorization: Bearer <access token>": 200 or 401).
type Server struct {
	URL          string
	ClientID     string
	ClientSecret string

	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	n          int                       // issued codes and tokens
	codes      map[string]codeGrant      // unused authorization codes
	refresh    map[string]string         // live refresh token → scope
	access     map[string]time.Time      // issued access token → expiry
	keys       map[string]*rsa.PublicKey // service account e-mail → key
	expiresIn  int
	deny       bool
	rotate     bool
	refreshErr answer
	jwtErr     answer
	refused    map[string]answer // subject → how its JWT grants are refused
	subjectOf  map[string]string // access token issued for a JWT → its sub
	stats      Stats
	lastAuth   url.Values
	jwtGrants  []JWTGrant
}

type codeGrant struct {
	redirectURI, challenge, scope string
}

type answer struct {
	status int
	code   string
}

// Stats counts what the server did.
type Stats struct {
	Authorizations int // consent redirects with a code
	Exchanges      int // codes exchanged, each with a PKCE verifier that matched
	PKCEFailures   int // code exchanges refused for a wrong verifier
	Refreshes      int // access tokens issued for a refresh token
	JWTGrants      int // access tokens issued for a service account's JWT
}

// JWTGrant is what a service account's signed JWT asked for.
type JWTGrant struct {
	Issuer, Subject, Scope, Audience string
}

// NewServer starts a fake on 127.0.0.1 that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		ClientID:     "1234-fake.apps.googleusercontent.com",
		ClientSecret: "fake-client-secret",
		t:            t,
		codes:        make(map[string]codeGrant),
		refresh:      make(map[string]string),
		access:       make(map[string]time.Time),
		keys:         make(map[string]*rsa.PublicKey),
		refused:      make(map[string]answer),
		subjectOf:    make(map[string]string),
		expiresIn:    3600,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth", s.handleAuth)
	mux.HandleFunc("POST /token", s.handleToken)
	mux.HandleFunc("GET /api", s.handleAPI)
	s.srv = httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fake oauth: listen: %v", err)
	}
	s.srv.Listener = ln
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// TokenURL is the token endpoint, the audience of service accounts' JWTs.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// Config is the OAuth client config of the fake's client.
func (s *Server) Config(scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		RedirectURL:  "http://localhost",
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.URL + "/auth",
			TokenURL:  s.TokenURL(),
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// ClientSecretsJSON is the client secrets file of a "Desktop app" client
// of the fake, as the Google Cloud console downloads it.
func (s *Server) ClientSecretsJSON() []byte {
	b, _ := json.Marshal(map[string]any{"installed": map[string]any{
		"client_id":                   s.ClientID,
		"project_id":                  "oneonone-test",
		"auth_uri":                    s.URL + "/auth",
		"token_uri":                   s.TokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_secret":               s.ClientSecret,
		"redirect_uris":               []string{"http://localhost"},
	}})
	return b
}

// ServiceAccountJSON registers a service account with key and returns its
// key file, whose token_uri is the fake's.
func (s *Server) ServiceAccountJSON(email string, key *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		s.t.Fatalf("fake oauth: marshal key: %v", err)
	}
	s.mu.Lock()
	s.keys[email] = &key.PublicKey
	s.mu.Unlock()
	b, _ := json.Marshal(map[string]string{
		"type":                        "service_account",
		"project_id":                  "oneonone-test",
		"private_key_id":              "k1",
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "104242424242424242424",
		"auth_uri":                    s.URL + "/auth",
		"token_uri":                   s.TokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	})
	return b
}

// DenyConsent makes the authorization endpoint answer error=access_denied,
// as when the user clicks "Cancel".
func (s *Server) DenyConsent() { s.mu.Lock(); s.deny = true; s.mu.Unlock() }

// RotateRefreshTokens makes every refresh return a new refresh token and
// revoke the old one.
func (s *Server) RotateRefreshTokens() { s.mu.Lock(); s.rotate = true; s.mu.Unlock() }

// SetExpiresIn sets the lifetime of the access tokens issued from now on.
func (s *Server) SetExpiresIn(seconds int) { s.mu.Lock(); s.expiresIn = seconds; s.mu.Unlock() }

// FailRefresh makes refresh token grants fail with status and the RFC 6749
// error code (status 0: succeed again).
func (s *Server) FailRefresh(status int, code string) {
	s.mu.Lock()
	s.refreshErr = answer{status, code}
	s.mu.Unlock()
}

// FailJWT makes JWT bearer grants fail with status and the error code.
func (s *Server) FailJWT(status int, code string) {
	s.mu.Lock()
	s.jwtErr = answer{status, code}
	s.mu.Unlock()
}

// RefuseSubject makes the JWT bearer grants of one subject (the user a
// service account acts for, JWT "sub") fail with status and the error
// code, as Google does when domain-wide delegation does not cover the
// scope or the user (401 or 403 "unauthorized_client"); other subjects are
// served. The comparison ignores case.
func (s *Server) RefuseSubject(subject string, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[strings.ToLower(subject)] = answer{status, code}
}

// SubjectOf returns the subject (JWT "sub") an access token was issued
// for; false for a token the server did not issue for a JWT grant. A fake
// resource server uses it to know whose calendar a request is for.
func (s *Server) SubjectOf(accessToken string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subjectOf[accessToken]
	if ok {
		if exp, live := s.access[accessToken]; !live || time.Now().After(exp) {
			return "", false
		}
	}
	return sub, ok
}

// IssueRefreshToken returns a live refresh token for scope, as if a login
// had happened.
func (s *Server) IssueRefreshToken(scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.next("refresh")
	s.refresh[rt] = scope
	return rt
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats { s.mu.Lock(); defer s.mu.Unlock(); return s.stats }

// LastAuthorization returns the query of the last request to /auth.
func (s *Server) LastAuthorization() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuth
}

// JWTGrants returns the JWT bearer grants that were answered with a token.
func (s *Server) JWTGrants() []JWTGrant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]JWTGrant(nil), s.jwtGrants...)
}

// next returns a new opaque value; s.mu is held.
func (s *Server) next(kind string) string {
	s.n++
	return fmt.Sprintf("fake-%s-%d-%d", kind, s.n, time.Now().UnixNano()%1e6)
}

// violation fails the test: the client sent what it must not.
func (s *Server) violation(format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("fake oauth: %s", msg)
	return msg
}

func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.lastAuth = q
	deny := s.deny
	s.mu.Unlock()

	var problems []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, s.violation("/auth: "+format, args...))
		}
	}
	check(q.Get("client_id") == s.ClientID, "client_id = %q, want %q", q.Get("client_id"), s.ClientID)
	check(isLoopbackRedirect(q.Get("redirect_uri")), "redirect_uri = %q, want http://127.0.0.1:PORT/", q.Get("redirect_uri"))
	check(q.Get("response_type") == "code", "response_type = %q, want code", q.Get("response_type"))
	check(q.Get("code_challenge_method") == "S256", "code_challenge_method = %q, want S256", q.Get("code_challenge_method"))
	check(len(q.Get("code_challenge")) == 43, "code_challenge %q is not a base64url SHA-256", q.Get("code_challenge"))
	check(q.Get("access_type") == "offline", "access_type = %q, want offline", q.Get("access_type"))
	check(q.Get("prompt") == "consent", "prompt = %q, want consent", q.Get("prompt"))
	check(q.Get("state") != "", "no state")
	check(q.Get("scope") != "", "no scope")
	if len(problems) > 0 {
		http.Error(w, strings.Join(problems, "\n"), http.StatusBadRequest)
		return
	}

	back, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"state": {q.Get("state")}}
	if deny {
		v.Set("error", "access_denied")
	} else {
		s.mu.Lock()
		code := s.next("code")
		s.codes[code] = codeGrant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
		s.stats.Authorizations++
		s.mu.Unlock()
		v.Set("code", code)
		v.Set("scope", q.Get("scope"))
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// isLoopbackRedirect reports whether u is http://127.0.0.1:PORT/.
func isLoopbackRedirect(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || p.Hostname() != "127.0.0.1" || p.Path != "/" || p.RawQuery != "" {
		return false
	}
	port, err := strconv.Atoi(p.Port())
	return err == nil && port > 0
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", s.violation("/token: %v", err))
		return
	}
	f := r.PostForm
	grant := f.Get("grant_type")
	if grant == GrantJWTBearer {
		s.jwtBearer(w, f)
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id != s.ClientID || secret != s.ClientSecret {
		tokenError(w, http.StatusUnauthorized, "invalid_client", s.violation("/token: wrong client credentials"))
		return
	}
	switch grant {
	case GrantAuthorizationCode:
		s.exchange(w, f)
	case GrantRefreshToken:
		s.refreshGrant(w, f)
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", s.violation("/token: grant_type = %q", grant))
	}
}

func (s *Server) exchange(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := f.Get("code")
	g, ok := s.codes[code]
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
		return
	}
	delete(s.codes, code) // single use
	if f.Get("redirect_uri") != g.redirectURI {
		tokenError(w, http.StatusBadRequest, "redirect_uri_mismatch", s.violation("/token: redirect_uri = %q, want %q", f.Get("redirect_uri"), g.redirectURI))
		return
	}
	verifier := f.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	if verifier == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		s.stats.PKCEFailures++
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Missing code verifier or it does not match the code challenge.")
		return
	}
	s.stats.Exchanges++
	rt := s.next("refresh")
	s.refresh[rt] = g.scope
	s.issue(w, rt, g.scope)
}

func (s *Server) refreshGrant(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.refreshErr; a.status != 0 {
		tokenError(w, a.status, a.code, "Token has been expired or revoked.")
		return
	}
	rt := f.Get("refresh_token")
	scope, ok := s.refresh[rt]
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
		return
	}
	s.stats.Refreshes++
	newRT := ""
	if s.rotate {
		delete(s.refresh, rt)
		newRT = s.next("refresh")
		s.refresh[newRT] = scope
	}
	s.issue(w, newRT, scope)
}

// issue answers with a new access token (and refreshToken, if not empty)
// and returns it; s.mu is held.
func (s *Server) issue(w http.ResponseWriter, refreshToken, scope string) string {
	at := s.next("access")
	s.access[at] = time.Now().Add(time.Duration(s.expiresIn) * time.Second)
	body := map[string]any{
		"access_token": at,
		"expires_in":   s.expiresIn,
		"token_type":   "Bearer",
		"scope":        scope,
	}
	if refreshToken != "" {
		body["refresh_token"] = refreshToken
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(body)
	return at
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// jwtBearer answers the RFC 7523 grant: the assertion must be an RS256 JWT
// signed by a registered service account, for this token endpoint.
func (s *Server) jwtBearer(w http.ResponseWriter, f url.Values) {
	parts := strings.Split(f.Get("assertion"), ".")
	if len(parts) != 3 {
		tokenError(w, http.StatusBadRequest, "invalid_grant", s.violation("/token: the assertion is not a JWT"))
		return
	}
	var head struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	var claims struct {
		Iss   string `json:"iss"`
		Sub   string `json:"sub"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
	}
	if err := decodeSegment(parts[0], &head); err != nil || head.Alg != "RS256" {
		tokenError(w, http.StatusBadRequest, "invalid_grant", s.violation("/token: JWT header: alg %q, err %v", head.Alg, err))
		return
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_grant", s.violation("/token: JWT claims: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.keys[claims.Iss]
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid grant: account not found")
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		tokenError(w, http.StatusBadRequest, "invalid_grant", s.violation("/token: Invalid JWT Signature."))
		return
	}
	now := time.Now().Unix()
	if claims.Aud != s.TokenURL() || claims.Exp <= now || claims.Iat > now+60 || claims.Scope == "" {
		tokenError(w, http.StatusBadRequest, "invalid_grant", s.violation("/token: JWT claims: aud %q, iat %d, exp %d, scope %q", claims.Aud, claims.Iat, claims.Exp, claims.Scope))
		return
	}
	a := s.jwtErr
	if r, ok := s.refused[strings.ToLower(claims.Sub)]; ok {
		a = r
	}
	if a.status != 0 {
		tokenError(w, a.status, a.code, "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
		return
	}
	s.stats.JWTGrants++
	s.jwtGrants = append(s.jwtGrants, JWTGrant{Issuer: claims.Iss, Subject: claims.Sub, Scope: claims.Scope, Audience: claims.Aud})
	at := s.issue(w, "", claims.Scope)
	s.subjectOf[at] = claims.Sub
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	exp, known := s.access[at]
	s.mu.Unlock()
	if !ok || !known || time.Now().After(exp) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials."}}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"kind":"calendar#events","items":[]}`)
}
