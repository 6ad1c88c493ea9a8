package oauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oneonone/calendar/google/oauth"
	fakeoauth "oneonone/internal/fake/oauth"
)

const saEmail = "oneonone@oneonone-test.iam.gserviceaccount.com"

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServiceAccount(t *testing.T) {
	s := fakeoauth.NewServer(t)
	path := writeFile(t, "sa.json", s.ServiceAccountJSON(saEmail, newRSAKey(t)))

	ts, err := oauth.ServiceAccount(t.Context(), path, "anna@example.com", oauth.ScopeEventsOwned)
	if err != nil {
		t.Fatalf("ServiceAccount: %v", err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if !tok.Valid() {
		t.Error("the token is not valid")
	}
	want := fakeoauth.JWTGrant{Issuer: saEmail, Subject: "anna@example.com", Scope: oauth.ScopeEventsOwned, Audience: s.TokenURL()}
	if g := s.JWTGrants(); len(g) != 1 || g[0] != want {
		t.Errorf("JWT grants = %+v, want [%+v]", g, want)
	}

	resp, err := oauth.HTTPClient(t.Context(), ts, "work").Get(s.URL + "/api")
	if err != nil {
		t.Fatalf("GET /api: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api: status %d", resp.StatusCode)
	}
	if n := s.Stats().JWTGrants; n != 1 {
		t.Errorf("%d JWT grants, want 1 (the token is cached)", n)
	}
}

func TestServiceAccountRefused(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		want   []string
	}{
		{"no delegation", http.StatusUnauthorized, "unauthorized_client",
			[]string{"unauthorized_client", "domain-wide delegation", "client id 104242424242424242424", oauth.ScopeEvents}},
		{"unknown subject", http.StatusBadRequest, "invalid_grant",
			[]string{"invalid_grant", "check that anna@example.com is a user"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeoauth.NewServer(t)
			s.FailJWT(tc.status, tc.code)
			path := writeFile(t, "sa.json", s.ServiceAccountJSON(saEmail, newRSAKey(t)))
			ts, err := oauth.ServiceAccount(t.Context(), path, "anna@example.com", oauth.ScopeEvents)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token()
			if err == nil {
				t.Fatal("Token succeeded")
			}
			msg := err.Error()
			for _, w := range append(tc.want, path, saEmail, "acting for anna@example.com") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
			if errors.Is(err, oauth.ErrReauth) {
				t.Error("a refused service account is ErrReauth; a new login does not help")
			}
		})
	}
}

func TestServiceAccountBadFiles(t *testing.T) {
	s := fakeoauth.NewServer(t)
	good := map[string]string{}
	if err := json.Unmarshal(s.ServiceAccountJSON(saEmail, newRSAKey(t)), &good); err != nil {
		t.Fatal(err)
	}
	with := func(k, v string) []byte {
		m := map[string]string{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return b
	}
	ecDER, err := func() ([]byte, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	}()
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))

	tests := []struct {
		name    string
		data    []byte // nil: no file
		subject string
		want    string
	}{
		{"missing", nil, "anna@example.com", "no such file"},
		{"empty", []byte(" \n"), "anna@example.com", "the file is empty"},
		{"not JSON", []byte("-----BEGIN PRIVATE KEY-----"), "anna@example.com", "not a key file: invalid JSON"},
		{"OAuth client", s.ClientSecretsJSON(), "anna@example.com", "this is an OAuth client file"},
		{"user credentials", with("type", "authorized_user"), "anna@example.com", `type is "authorized_user", want "service_account"`},
		{"no email", with("client_email", ""), "anna@example.com", "no client_email"},
		{"no key", with("private_key", ""), "anna@example.com", "no private_key"},
		{"key not PEM", with("private_key", "MIIEvQIBADANBg"), "anna@example.com", "private_key: not a PEM-encoded key"},
		{"key garbage", with("private_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "anna@example.com", "not a PKCS #8 or PKCS #1 private key"},
		{"EC key", with("private_key", ecPEM), "anna@example.com", "want an RSA key"},
		{"no subject", s.ServiceAccountJSON(saEmail, newRSAKey(t)), "", "no subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sa.json")
			if tc.data != nil {
				path = writeFile(t, "sa.json", tc.data)
			}
			_, err := oauth.ServiceAccount(t.Context(), path, tc.subject, oauth.ScopeEventsOwned)
			if err == nil {
				t.Fatal("ServiceAccount succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %q, want it to name %s and contain %q", err, path, tc.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q quotes the key or is not one line", err)
			}
		})
	}
}
