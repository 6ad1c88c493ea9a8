package oauth_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"oneonone/calendar/google/oauth"
	fakeoauth "oneonone/internal/fake/oauth"
)

func TestScopeFor(t *testing.T) {
	me := []string{"anna@example.com", "Anna.Alias@Example.com"}
	tests := []struct {
		name, calendar string
		want           string
	}{
		{"primary", "primary", oauth.ScopeEventsOwned},
		{"default", "", oauth.ScopeEventsOwned},
		{"own address", "anna@example.com", oauth.ScopeEventsOwned},
		{"own alias, any case", "anna.alias@example.com", oauth.ScopeEventsOwned},
		{"someone else's", "bob@example.com", oauth.ScopeEvents},
		{"group calendar", "c_0123456789abcdef@group.calendar.google.com", oauth.ScopeEvents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := oauth.ScopeFor(tc.calendar, me); got != tc.want {
				t.Errorf("ScopeFor(%q) = %q, want %q", tc.calendar, got, tc.want)
			}
		})
	}
	if got := oauth.ScopeFor("anna@example.com", nil); got != oauth.ScopeEvents {
		t.Errorf("without identity: %q, want %q", got, oauth.ScopeEvents)
	}
}

func TestLoadClientSecrets(t *testing.T) {
	s := fakeoauth.NewServer(t)
	path := writeFile(t, "client.json", s.ClientSecretsJSON())
	conf, err := oauth.LoadClientSecrets(path, oauth.ScopeEventsOwned)
	if err != nil {
		t.Fatalf("LoadClientSecrets: %v", err)
	}
	if conf.ClientID != s.ClientID || conf.ClientSecret != s.ClientSecret ||
		conf.Endpoint.AuthURL != s.URL+"/auth" || conf.Endpoint.TokenURL != s.TokenURL() ||
		conf.Endpoint.AuthStyle != oauth2.AuthStyleInParams ||
		!slices.Equal(conf.Scopes, []string{oauth.ScopeEventsOwned}) {
		t.Errorf("config = client %q, endpoint %+v, scopes %q", conf.ClientID, conf.Endpoint, conf.Scopes)
	}

	// A minimal Desktop app file: Google's endpoints, no redirect_uris.
	minimal := writeFile(t, "min.json", []byte(`{"installed":{"client_id":"id","client_secret":"sec"}}`))
	conf, err = oauth.LoadClientSecrets(minimal, oauth.ScopeEvents)
	if err != nil {
		t.Fatalf("LoadClientSecrets(minimal): %v", err)
	}
	if conf.Endpoint.AuthURL != "https://accounts.google.com/o/oauth2/auth" || conf.Endpoint.TokenURL != "https://oauth2.googleapis.com/token" {
		t.Errorf("endpoint = %+v, want Google's", conf.Endpoint)
	}
}

func TestLoadClientSecretsErrors(t *testing.T) {
	tests := []struct {
		name string
		data string // "": no file
		want string
	}{
		{"missing", "", "no such file"},
		{"empty", "\n", "the file is empty"},
		{"not JSON", "client_id=x", "not a client secrets JSON file: invalid JSON at byte 1"},
		{"web client", `{"web":{"client_id":"id","client_secret":"sec","redirect_uris":["https://x"]}}`, `this is a "Web application" client; create an OAuth client of type "Desktop app"`},
		{"service account", `{"type":"service_account","client_email":"a@b","private_key":"k"}`, "this is a service account key: set service_account (and subject) instead of client_secrets"},
		{"other", `{"foo":1}`, `no "installed" client in it; create an OAuth client of type "Desktop app"`},
		{"installed not object", `{"installed":"x"}`, `"installed" is not a JSON object`},
		{"no client_secret", `{"installed":{"client_id":"id"}}`, `"installed" has no client_secret`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "client.json")
			if tc.data != "" {
				path = writeFile(t, "client.json", []byte(tc.data))
			}
			_, err := oauth.LoadClientSecrets(path, oauth.ScopeEventsOwned)
			if err == nil {
				t.Fatal("LoadClientSecrets succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %q, want it to name %s and contain %q", err, path, tc.want)
			}
		})
	}
}
