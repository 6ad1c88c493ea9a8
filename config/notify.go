package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Notify is one notification target, a [[notify]] table. Its URL, and the
// webhook secret or the Matrix token, are never in the file: each is read
// from an environment variable (*_env) or a file (*_file), exactly one of
// the two. None of them is ever logged or printed; a target is named by
// Name.
type Notify struct {
	Name string `toml:"name"` // [a-z0-9_-]+, unique among the targets
	Kind string `toml:"kind"` // "webhook" | "slack" | "matrix" | "teams"

	URLEnv  string `toml:"url_env,omitempty"`  // variable holding the URL (matrix: the homeserver's base URL)
	URLFile string `toml:"url_file,omitempty"` // file holding the URL

	// Webhook: the HMAC-SHA256 key of the signature header; optional.
	SecretEnv  string `toml:"secret_env,omitempty"`
	SecretFile string `toml:"secret_file,omitempty"`

	// Matrix: the access token (required) and the room id ("!…:server").
	TokenEnv  string `toml:"token_env,omitempty"`
	TokenFile string `toml:"token_file,omitempty"`
	Room      string `toml:"room,omitempty"`

	// Insecure lets the URL be plain http:// to a host beyond loopback.
	// Default false: Validate refuses it.
	Insecure bool `toml:"insecure,omitempty"`

	key string // "notify[i]", for errors that name the key
}

// Kinds of notification target.
const (
	NotifyWebhook = "webhook"
	NotifySlack   = "slack"
	NotifyMatrix  = "matrix"
	NotifyTeams   = "teams"
)

var notifyKinds = []string{NotifyWebhook, NotifySlack, NotifyMatrix, NotifyTeams}

func (n *Notify) keyName(field string) string {
	if n.key != "" {
		return n.key + "." + field
	}
	return fmt.Sprintf("notify %q %s", n.Name, field)
}

// URL returns the target's URL from url_env or url_file, without
// surrounding white space. Errors are *FieldError naming the key; they
// never contain the URL.
func (n *Notify) URL() (string, error) {
	u, err := n.secret("url", n.URLEnv, n.URLFile)
	return strings.TrimSpace(u), err
}

// Secret returns a webhook's HMAC key from secret_env or secret_file, ""
// when neither is set.
func (n *Notify) Secret() (string, error) {
	return n.secret("secret", n.SecretEnv, n.SecretFile)
}

// Token returns a Matrix target's access token from token_env or
// token_file, "" when neither is set.
func (n *Notify) Token() (string, error) {
	return n.secret("token", n.TokenEnv, n.TokenFile)
}

// secret reads the value of name_env or name_file the way a source's
// password is read (Source.Password): the variable must be set and not
// empty, the file's trailing newline is trimmed.
func (n *Notify) secret(name, env, file string) (string, error) {
	s := Source{PasswordEnv: env, PasswordFile: file}
	v, err := s.Password()
	if fe, ok := err.(*FieldError); ok {
		field := name + "_env"
		if file != "" && env == "" {
			field = name + "_file"
		}
		msg := fe.Msg
		if env != "" && file != "" {
			msg = fmt.Sprintf("set %s_env or %s_file, not both", name, name)
		}
		msg = strings.Replace(msg, "read password:", "read "+name+":", 1)
		return "", &FieldError{Key: n.keyName(field), Msg: msg}
	}
	return v, err
}

// InClear returns the host a target sends to over plain http:// because
// it sets insecure = true; "" otherwise.
func (n *Notify) InClear() string {
	if !n.Insecure {
		return ""
	}
	u, err := n.URL()
	if err != nil {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || isLoopback(p.Hostname()) {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

// validateNotify checks every [[notify]] table.
func (c *Config) validateNotify(v *validator) {
	names := make(map[string]int)
	for i := range c.Notify {
		n := &c.Notify[i]
		p := fmt.Sprintf("notify[%d]", i)
		n.key = p
		key := func(f string) string { return p + "." + f }

		switch {
		case n.Name == "":
			v.add(key("name"), "must be set")
		case !sourceNameRE.MatchString(n.Name):
			v.add(key("name"), "%q may contain only a-z, 0-9, _ and -", n.Name)
		default:
			if j, dup := names[n.Name]; dup {
				v.add(key("name"), "%q is already the name of notify[%d]", n.Name, j)
			} else {
				names[n.Name] = i
			}
		}
		kindOK := true
		switch n.Kind {
		case NotifyWebhook, NotifySlack, NotifyMatrix, NotifyTeams:
		case "":
			kindOK = false
			v.add(key("kind"), "must be set: one of %s", strings.Join(notifyKinds, ", "))
		default:
			kindOK = false
			v.add(key("kind"), "must be one of %s, got %q", strings.Join(notifyKinds, ", "), n.Kind)
		}

		for _, e := range []struct{ field, val string }{
			{"url_env", n.URLEnv}, {"secret_env", n.SecretEnv}, {"token_env", n.TokenEnv},
		} {
			if e.val != "" && !envNameRE.MatchString(e.val) {
				v.add(key(e.field), "%q is not an environment variable name", e.val)
			}
		}

		// The URL: exactly one of url_env and url_file, http(s).
		switch {
		case n.URLEnv == "" && n.URLFile == "":
			v.add(key("url_env"), "must be set (or url_file): the variable holding the target's URL")
		case n.URLEnv != "" && !envNameRE.MatchString(n.URLEnv):
		default:
			u, err := n.URL()
			if err != nil {
				v.secret(err)
				break
			}
			field := key("url_env")
			if n.URLEnv == "" {
				field = key("url_file")
			}
			from := "the URL in " + n.URLEnv
			if n.URLEnv == "" {
				from = "the URL in " + n.URLFile
			}
			pu, err := url.Parse(u)
			switch {
			case err != nil || !pu.IsAbs() || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https"):
				v.add(field, "%s must be an absolute http:// or https:// URL", from)
			case pu.Scheme == "http" && !isLoopback(pu.Hostname()) && !n.Insecure:
				v.add(field, "%s is http:// to %s, which would send the messages in clear: use https://, or set insecure = true", from, strings.ToLower(pu.Hostname()))
			}
		}

		// Kind-specific keys.
		secretSet := n.SecretEnv != "" || n.SecretFile != ""
		tokenSet := n.TokenEnv != "" || n.TokenFile != ""
		if kindOK && n.Kind != NotifyWebhook {
			if n.SecretEnv != "" {
				v.add(key("secret_env"), "only for kind %q", NotifyWebhook)
			}
			if n.SecretFile != "" {
				v.add(key("secret_file"), "only for kind %q", NotifyWebhook)
			}
		} else if secretSet && (n.SecretEnv == "" || envNameRE.MatchString(n.SecretEnv)) {
			if _, err := n.Secret(); err != nil {
				v.secret(err)
			}
		}
		if kindOK && n.Kind != NotifyMatrix {
			for _, k := range []struct {
				field string
				set   bool
			}{{"token_env", n.TokenEnv != ""}, {"token_file", n.TokenFile != ""}, {"room", n.Room != ""}} {
				if k.set {
					v.add(key(k.field), "only for kind %q", NotifyMatrix)
				}
			}
		}
		if n.Kind == NotifyMatrix {
			switch {
			case !tokenSet:
				v.add(key("token_env"), "must be set (or token_file): the variable holding the Matrix access token")
			case n.TokenEnv != "" && !envNameRE.MatchString(n.TokenEnv):
			default:
				if _, err := n.Token(); err != nil {
					v.secret(err)
				}
			}
			switch {
			case n.Room == "":
				v.add(key("room"), "must be set to the room id, like \"!abcdef:example.org\"")
			case !strings.HasPrefix(n.Room, "!") || strings.ContainsAny(n.Room, " \t\r\n/"):
				v.add(key("room"), "must be a room id starting with \"!\" (not an alias), got %q", n.Room)
			}
		}
	}
}
