package config

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
)

// Warning is something the config allows that the operator should know
// about: a secret in a file others can read, credentials sent in clear. It
// never holds a secret.
type Warning struct {
	Key  string // the key it is about: "web.token", "source[0].password_file"
	File string // the file it is about, "" for none
	Msg  string // one line
}

func (w Warning) String() string { return w.Key + ": " + w.Msg }

// Warnings returns what the config allows but should not go unsaid, in
// the order of the file; path is the config file it was read from ("" to
// leave that file out):
//
//   - a file that holds a secret and that its group or anyone may read
//     (any of the mode's read bits 0o044): the config file when it holds
//     web.token, a CalDAV source's password_file, a Google source's
//     service_account key and its token file (when it exists), a
//     notification target's url_file, secret_file and token_file. Group
//     counts, as for ssh's keys: the group of a file on a shared machine
//     is often everyone's ("users", "staff"); each password file of a
//     CalDAV source's accounts_file too. Not on Windows, which has no
//     such modes;
//   - a CalDAV source or a notification target whose insecure = true
//     takes effect (InClear);
//   - web.token (or token_env) with web.auth_proxy_header: the web face
//     does not ask for it then.
//
// It reads no file, it only looks at their modes; a file it cannot stat
// is Validate's business.
func (c *Config) Warnings(path string) []Warning {
	var out []Warning
	perm := func(key, file, what string) {
		if runtime.GOOS == "windows" || file == "" {
			return
		}
		fi, err := os.Stat(file)
		if err != nil || !fi.Mode().IsRegular() {
			return
		}
		mode := fi.Mode().Perm()
		who := ""
		switch {
		case mode&0o004 != 0:
			who = "anyone"
		case mode&0o040 != 0:
			who = "its group"
		default:
			return
		}
		out = append(out, Warning{Key: key, File: file,
			Msg: fmt.Sprintf("%s holds %s and %s may read it (mode %04o): chmod 600 %s", file, what, who, mode, file)})
	}
	if c.Web.Token != "" {
		perm("web.token", path, "the web token")
	}
	if c.Web.ProxyMode() && (c.Web.Token != "" || c.Web.TokenEnv != "") {
		out = append(out, Warning{Key: "web.token",
			Msg: "not asked of browsers while web.auth_proxy_header is set: the sign-in proxy says who is looking"})
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		key := func(f string) string { return fmt.Sprintf("source[%d].%s", i, f) }
		switch s.Kind {
		case KindCalDAV:
			if host := s.InClear(); host != "" {
				out = append(out, Warning{Key: key("insecure"),
					Msg: fmt.Sprintf("http:// to %s sends the password and the calendars in clear (insecure = true): use https://", host)})
			}
			if s.Username != "" {
				perm(key("password_file"), s.PasswordFile, "a password")
			}
			for _, a := range s.accounts {
				perm(key("accounts_file"), a.PasswordFile, fmt.Sprintf("the password of %s (%s:%d)", a.Address, a.File, a.Line))
			}
		case KindGoogle:
			perm(key("service_account"), s.ServiceAccount, "a service account key")
			perm(key("token"), s.Token, "a Google token")
		}
	}
	for i := range c.Notify {
		n := &c.Notify[i]
		key := func(f string) string { return fmt.Sprintf("notify[%d].%s", i, f) }
		perm(key("url_file"), n.URLFile, "a notification URL")
		perm(key("secret_file"), n.SecretFile, "a signing secret")
		perm(key("token_file"), n.TokenFile, "an access token")
		if host := n.InClear(); host != "" {
			out = append(out, Warning{Key: key("insecure"),
				Msg: fmt.Sprintf("http:// to %s sends the notifications in clear (insecure = true): use https://", host)})
		}
	}
	return out
}

// InClear returns the host a CalDAV source sends its requests (and its
// password, if it has one) to over plain http:// because it sets
// insecure = true; "" for https://, a loopback host, or without insecure.
func (s *Source) InClear() string {
	if s.Kind != KindCalDAV || !s.Insecure {
		return ""
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Scheme != "http" || isLoopback(u.Hostname()) {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
