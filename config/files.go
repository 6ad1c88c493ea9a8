package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// CheckFiles returns a *FieldError for every file the config names that
// is needed and cannot be read: a Google source's client_secrets and
// service_account, the token file of one that logs in with client_secrets
// (written by "oneonone auth google"), an agenda.pair's doc when it is a
// path and not an http(s) URL, and the state file when it exists but is
// not a readable file (a state file that does not exist yet is created by
// the first sync). A CalDAV source's password_file is Validate's: it reads
// it. CheckFiles only opens the files; it does not parse them.
//
// Load does not call it, so that "auth google" can run before the token
// exists; "config check" does.
func (c *Config) CheckFiles() []error {
	var out []error
	add := func(key, msg string) { out = append(out, &FieldError{Key: key, Msg: msg}) }
	if c.State != "" {
		if _, err := os.Stat(c.State); err == nil {
			if msg := unreadable(c.State); msg != "" {
				add("state", msg)
			}
		}
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Kind != KindGoogle {
			continue
		}
		key := func(f string) string { return fmt.Sprintf("source[%d].%s", i, f) }
		if s.ServiceAccount != "" {
			if msg := unreadable(s.ServiceAccount); msg != "" {
				add(key("service_account"), msg)
			}
		}
		if s.ClientSecrets != "" {
			if msg := unreadable(s.ClientSecrets); msg != "" {
				add(key("client_secrets"), msg)
			}
			if s.ServiceAccount == "" && s.Token != "" {
				if _, err := os.Stat(s.Token); errors.Is(err, fs.ErrNotExist) {
					add(key("token"), fmt.Sprintf("%s does not exist: log in first with \"oneonone auth google --source %s\"", s.Token, s.Name))
				} else if msg := unreadable(s.Token); msg != "" {
					add(key("token"), msg)
				}
			}
		}
	}
	for i, p := range c.Agenda.Pairs {
		if p.Doc == "" {
			continue
		}
		if u, err := url.Parse(p.Doc); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			continue
		}
		if msg := unreadable(p.Doc); msg != "" {
			add(fmt.Sprintf("agenda.pair[%d].doc", i), msg)
		}
	}
	return out
}

// unreadable says why path is not a file that can be read, "" when it is.
func unreadable(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s does not exist", path)
	case err != nil:
		return fmt.Sprintf("cannot read %s: %v", path, unwrapPath(err))
	case fi.IsDir():
		return fmt.Sprintf("%s is a directory, not a file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("cannot read %s: %v", path, unwrapPath(err))
	}
	f.Close()
	return ""
}

// unwrapPath drops the path of a *fs.PathError, which the message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
