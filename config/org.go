package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// An organisation on one service: a Google source whose service account
// acts for many users (subjects, subjects_file) and a CalDAV source with
// many accounts (accounts_file). Each user or account becomes a source of
// its own, named "<source>/<address>", and its address counts as one of
// mine (Me).

// Account is one line of a CalDAV source's accounts_file.
type Account struct {
	Address      string // the account's own address, lower-cased
	Username     string // basic auth user
	PasswordFile string // absolute, or relative to the accounts file's directory when written so
	File         string // the accounts file
	Line         int    // its line there
}

// Password reads the account's password file (its trailing newline
// trimmed). The error names the accounts file's line; it never holds the
// secret.
func (a Account) Password() (string, error) {
	b, err := os.ReadFile(a.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("%s:%d: read password of %s: %v", a.File, a.Line, a.Address, unwrapPath(err))
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("%s:%d: password file %s of %s is empty", a.File, a.Line, a.PasswordFile, a.Address)
	}
	return v, nil
}

// Many reports whether the source stands for several users: it sets
// subjects, subjects_file or accounts_file. Each of them is synced as a
// source of its own, named NameFor(address).
func (s *Source) Many() bool {
	return s.Subjects != nil || s.SubjectsFile != "" || s.AccountsFile != ""
}

// NameFor is the name of the source of one subject or account of s:
// "<name>/<address>".
func (s *Source) NameFor(address string) string { return s.Name + "/" + address }

// DelegatedSubjects returns the users a Google source's service account
// acts for: subject, then subjects, then the lines of subjects_file, each
// once, as Validate read them (the file is read again on every Load, so a
// SIGHUP picks up a changed file). Empty without a service account.
func (s *Source) DelegatedSubjects() []string { return s.subjects }

// Accounts returns the lines of a CalDAV source's accounts_file, as
// Validate read them.
func (s *Source) Accounts() []Account { return s.accounts }

// Me returns my addresses: identity.me, then the address of every subject
// of a Google source's service account and of every account of a CalDAV
// source's accounts_file, lower-cased, each once. It is the one list of
// "me" every part uses (detection, reports, the web face); identity.me may
// be empty when the sources give addresses.
func (c *Config) Me() []string {
	out := make([]string, 0, len(c.Identity.Me))
	add := func(a string) {
		a = normalizeEmail(a)
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, m := range c.Identity.Me {
		add(m)
	}
	for i := range c.Sources {
		for _, sub := range c.Sources[i].subjects {
			add(sub)
		}
		for _, a := range c.Sources[i].accounts {
			add(a.Address)
		}
	}
	return out
}

// orgLines reads a list file: each line that is not blank or a "#"
// comment, split into fields, with its number. A comment may also end a
// line.
type orgLine struct {
	n      int
	fields []string
}

func readOrgLines(path string) ([]orgLine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	var out []orgLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, orgLine{n, f})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %v", path, err)
	}
	return out, nil
}

// validateSubjects reads subject, subjects and subjects_file of a Google
// source into s.subjects, reporting every bad entry.
func (c *Config) validateSubjects(v *validator, s *Source, key func(string) string) {
	s.subjects = nil
	add := func(a string) {
		if !slices.Contains(s.subjects, a) {
			s.subjects = append(s.subjects, a)
		}
	}
	if s.Subject != "" && checkAddress(s.Subject) == nil {
		add(s.Subject)
	}
	for j, a := range s.Subjects {
		if err := checkAddress(a); err != nil {
			v.add(fmt.Sprintf("%s[%d]", key("subjects"), j), "%v", err)
			continue
		}
		add(a)
	}
	if s.SubjectsFile == "" {
		if s.Subjects != nil && len(s.Subjects) == 0 {
			v.add(key("subjects"), "lists no address")
		}
		return
	}
	lines, err := readOrgLines(s.SubjectsFile)
	if err != nil {
		v.add(key("subjects_file"), "%v", err)
		return
	}
	seen := map[string]int{}
	for _, l := range lines {
		if len(l.fields) != 1 {
			v.errs = append(v.errs, fmt.Errorf("%s:%d: want one address a line, got %d words", s.SubjectsFile, l.n, len(l.fields)))
			continue
		}
		a := normalizeEmail(l.fields[0])
		if err := checkAddress(a); err != nil {
			v.errs = append(v.errs, fmt.Errorf("%s:%d: %v", s.SubjectsFile, l.n, err))
			continue
		}
		if first, dup := seen[a]; dup {
			v.errs = append(v.errs, fmt.Errorf("%s:%d: %s is listed already on line %d", s.SubjectsFile, l.n, a, first))
			continue
		}
		seen[a] = l.n
		add(a)
	}
	if len(lines) == 0 {
		v.add(key("subjects_file"), "%s lists no address", s.SubjectsFile)
	}
}

// validateAccounts reads a CalDAV source's accounts_file into s.accounts,
// reporting every bad line, and checks that each password file reads.
func (c *Config) validateAccounts(v *validator, s *Source, key func(string) string) {
	s.accounts = nil
	if s.AccountsFile == "" {
		return
	}
	lines, err := readOrgLines(s.AccountsFile)
	if err != nil {
		v.add(key("accounts_file"), "%v", err)
		return
	}
	dir := filepath.Dir(s.AccountsFile)
	seen := map[string]int{}
	for _, l := range lines {
		bad := func(format string, args ...any) {
			v.errs = append(v.errs, fmt.Errorf("%s:%d: %s", s.AccountsFile, l.n, fmt.Sprintf(format, args...)))
		}
		if len(l.fields) != 3 {
			bad("want \"address username password_file\", got %d words", len(l.fields))
			continue
		}
		a := Account{Address: normalizeEmail(l.fields[0]), Username: l.fields[1], PasswordFile: expandHome(l.fields[2]), File: s.AccountsFile, Line: l.n}
		if err := checkAddress(a.Address); err != nil {
			bad("%v", err)
			continue
		}
		if first, dup := seen[a.Address]; dup {
			bad("%s is listed already on line %d", a.Address, first)
			continue
		}
		if !filepath.IsAbs(a.PasswordFile) {
			a.PasswordFile = filepath.Join(dir, a.PasswordFile)
		}
		if _, err := a.Password(); err != nil {
			v.errs = append(v.errs, err)
			continue
		}
		seen[a.Address] = l.n
		s.accounts = append(s.accounts, a)
	}
	if len(lines) == 0 {
		v.add(key("accounts_file"), "%s lists no account", s.AccountsFile)
	}
}

// SourceNames returns the name of every source the daemon syncs, in the
// config's order: a source's own name, or NameFor(address) for each
// subject or account of a source of many (Many). The stored status of
// each, and so its staleness, is kept under that name.
func (c *Config) SourceNames() []string {
	var out []string
	for i := range c.Sources {
		s := &c.Sources[i]
		if !s.Many() {
			out = append(out, s.Name)
			continue
		}
		if s.Kind == KindCalDAV {
			for _, a := range s.accounts {
				out = append(out, s.NameFor(a.Address))
			}
			continue
		}
		for _, sub := range s.subjects {
			out = append(out, s.NameFor(sub))
		}
	}
	return out
}

// SourceOf returns the configured source a synced source belongs to: the
// one named name, or the source of many whose NameFor gave name.
func (c *Config) SourceOf(name string) (*Source, bool) {
	if s, ok := c.Source(name); ok {
		return s, true
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Many() && strings.HasPrefix(name, s.Name+"/") {
			return s, true
		}
	}
	return nil, false
}
