package oauth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// ServiceAccount returns a token source for the service account key file
// at keyPath, acting for the user subject through domain-wide delegation
// (RFC 7523 JWT bearer grant to the key's token_uri). The key is checked at
// once, so a wrong file fails here, with an error naming it. Refused
// tokens are not [ErrReauth]: logging in again does not help; the error
// says what to check (delegation of the client id for scope, the subject).
func ServiceAccount(ctx context.Context, keyPath, subject, scope string) (oauth2.TokenSource, error) {
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read google service account key: %w", err)
	}
	if isBlank(data) {
		return nil, fmt.Errorf("google service account key %s: the file is empty", keyPath)
	}
	var key struct {
		Type        string          `json:"type"`
		ClientEmail string          `json:"client_email"`
		ClientID    string          `json:"client_id"`
		PrivateKey  string          `json:"private_key"`
		Installed   json.RawMessage `json:"installed"`
		Web         json.RawMessage `json:"web"`
	}
	if err := json.Unmarshal(data, &key); err != nil {
		return nil, fmt.Errorf("google service account key %s: not a key file: %s", keyPath, jsonProblem(err))
	}
	switch {
	case key.Installed != nil || key.Web != nil:
		return nil, fmt.Errorf("google service account key %s: this is an OAuth client file: set it as client_secrets, or download a JSON key of a service account", keyPath)
	case key.Type != "service_account":
		return nil, fmt.Errorf(`google service account key %s: type is %q, want "service_account"`, keyPath, key.Type)
	case key.ClientEmail == "":
		return nil, fmt.Errorf("google service account key %s: no client_email", keyPath)
	case key.PrivateKey == "":
		return nil, fmt.Errorf("google service account key %s: no private_key", keyPath)
	case subject == "":
		return nil, fmt.Errorf("google service account key %s: no subject: domain-wide delegation needs the address of the user to act for", keyPath)
	}
	if err := checkRSAKey(key.PrivateKey); err != nil {
		return nil, fmt.Errorf("google service account key %s: private_key: %w", keyPath, err)
	}
	conf, err := google.JWTConfigFromJSON(data, scope)
	if err != nil {
		return nil, fmt.Errorf("google service account key %s: %w", keyPath, err)
	}
	conf.Subject = subject
	return &saSource{
		ts:       conf.TokenSource(ctx),
		keyPath:  keyPath,
		email:    key.ClientEmail,
		clientID: key.ClientID,
		subject:  subject,
		scope:    scope,
	}, nil
}

// checkRSAKey checks that pemKey is an RSA private key in PEM (PKCS #8, as
// Google writes it, or PKCS #1), which is what the JWT is signed with.
func checkRSAKey(pemKey string) error {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return errors.New("not a PEM-encoded key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return errors.New("not a PKCS #8 or PKCS #1 private key")
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		return fmt.Errorf("a %T, want an RSA key", k)
	}
	return nil
}

// saSource gives the errors of a service account's token source a clear
// message; the token source itself caches the token until it expires.
type saSource struct {
	ts                                       oauth2.TokenSource
	keyPath, email, clientID, subject, scope string
}

func (s *saSource) Token() (*oauth2.Token, error) {
	tok, err := s.ts.Token()
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return nil, fmt.Errorf("google service account %s (key %s) acting for %s: %w", s.email, s.keyPath, s.subject, err)
	}
	msg := fmt.Sprintf("google service account %s (key %s) acting for %s: token refused: %s", s.email, s.keyPath, s.subject, describeTokenError(err))
	switch code, _ := errorAnswer(re); code {
	case "unauthorized_client", "access_denied":
		id := s.clientID
		if id == "" {
			id = "of the service account"
		}
		msg += fmt.Sprintf(" (in the Google Workspace admin console, grant domain-wide delegation to client id %s for scope %s)", id, s.scope)
	case "invalid_grant":
		msg += fmt.Sprintf(" (check that %s is a user of the Workspace domain and that the key has not been deleted)", s.subject)
	}
	return nil, &tokenError{msg: msg, err: err}
}
