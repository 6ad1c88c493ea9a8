package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"oneonone/calendar"
)

var (
	sourceNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// unknownFieldRE finds the field in text/template's execution error.
	unknownFieldRE = regexp.MustCompile(`can't evaluate field (\w+)`)
)

// Bounds of the durations and counts.
const (
	minInterval = 30 * time.Second
	// concurrent_syncs: the default and the bounds.
	defaultConcurrentSyncs = 8
	maxConcurrentSyncs     = 256

	minHorizon = day
	maxHorizon = 90 * day
	minWeeks   = 1
	maxWeeks   = 104
	// late_notice: from 1 minute to 30 days.
	minLateNotice = time.Minute
	maxLateNotice = 30 * day
)

// validator collects problems in the order they are found.
type validator struct {
	c    *Config
	errs []error
}

// secretError is a secret the config names that cannot be read where
// the config is loaded: a variable that is not set or is empty, a file
// that cannot be read. It says nothing wrong of the file itself (the
// daemon's unit may hold the variable, not the shell), so
// LoadIgnoringSecrets lets it pass; CheckSecrets returns only these.
type secretError struct{ error }

func (e secretError) Unwrap() error { return e.error }

// secret records err, what reading a secret gave, as a secretError.
func (v *validator) secret(err error) {
	v.errs = append(v.errs, secretError{err})
}

func (v *validator) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if env, ok := v.c.fromEnv[key]; ok {
		msg += " (set by " + env + ")"
	}
	v.errs = append(v.errs, &FieldError{Key: key, Msg: msg})
}

// Validate checks the whole configuration and returns every problem, as an
// errors.Join of *FieldError, or nil. It also checks that a source's
// password_env is set and its password_file readable.
func (c *Config) Validate() error {
	v := &validator{c: c}

	if c.State == "" {
		v.add("state", "must be set to the path of the state file")
	}
	if loc, err := loadZone(c.Timezone); err != nil {
		v.add("timezone", "unknown zone %q: use an IANA name like \"Europe/Berlin\"", c.Timezone)
	} else {
		c.loc = loc
	}
	if c.Interval.Duration < minInterval {
		v.add("interval", "must be at least %s, got %s", FormatDuration(minInterval), c.Interval)
	}
	if c.ConcurrentSyncs < 1 || c.ConcurrentSyncs > maxConcurrentSyncs {
		v.add("concurrent_syncs", "must be between 1 and %d, got %d", maxConcurrentSyncs, c.ConcurrentSyncs)
	}
	if err := checkHostPort(c.Listen); err != nil {
		v.add("listen", "%v", err)
	}
	if !slices.Contains([]string{"text", "json"}, c.LogFormat) {
		v.add("log_format", "must be \"text\" or \"json\", got %q", c.LogFormat)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		v.add("log_level", "must be one of debug, info, warn, error; got %q", c.LogLevel)
	}

	// identity.me may be left out when the sources' subjects or accounts
	// give the addresses (Me): the sources are read first.
	var meErrs []error
	for i, m := range c.Identity.Me {
		if err := checkAddress(m); err != nil {
			meErrs = append(meErrs, &FieldError{Key: fmt.Sprintf("identity.me[%d]", i), Msg: err.Error()})
		}
	}
	sv := &validator{c: c}
	if len(c.Sources) == 0 {
		sv.add("source", "at least one [[source]] is required")
	}
	names := make(map[string]int)
	for i := range c.Sources {
		c.validateSource(sv, i, names)
	}
	if len(c.Me()) == 0 && !slices.ContainsFunc(c.Sources, func(s Source) bool { return s.Many() }) {
		v.add("identity.me", "must list at least one address of yours (or a source's subjects or accounts_file must give them)")
	}
	v.errs = append(v.errs, meErrs...)
	v.errs = append(v.errs, sv.errs...)
	if c.Google.MaxRequestsPerMinute < 0 {
		v.add("google.max_requests_per_minute", "must be 0 (no limit) or more, got %d", c.Google.MaxRequestsPerMinute)
	}

	c.validateAgenda(v)
	c.validateNotify(v)
	c.validateNudges(v)

	for _, list := range []struct {
		key      string
		patterns []string
	}{{"detect.include", c.Detect.Include}, {"detect.exclude", c.Detect.Exclude}} {
		for i, p := range list.patterns {
			if _, err := regexp.Compile("(?i)" + p); err != nil {
				v.add(fmt.Sprintf("%s[%d]", list.key, i), "not a valid regular expression: %v", err)
			}
		}
	}
	if !slices.Contains(Relationships, c.Detect.Relationship) {
		v.add("detect.relationship", "must be one of %s; got %q", strings.Join(Relationships, ", "), c.Detect.Relationship)
	}

	if c.Report.Weeks < minWeeks || c.Report.Weeks > maxWeeks {
		v.add("report.weeks", "must be between %d and %d, got %d", minWeeks, maxWeeks, c.Report.Weeks)
	}
	if n := c.Report.LateNotice.Duration; n < minLateNotice || n > maxLateNotice {
		v.add("report.late_notice", "must be between %s and %s, got %s", FormatDuration(minLateNotice), FormatDuration(maxLateNotice), c.Report.LateNotice)
	}
	if _, err := calendar.ParseWorkingHours(c.Report.WorkingHours); err != nil {
		v.add("report.working_hours", "%v", err)
	}
	c.validateEmail(v)
	c.validateProxy(v)
	if _, err := c.Web.AccessToken(); err != nil {
		if c.Web.Token == "" && c.Web.TokenEnv != "" && os.Getenv(c.Web.TokenEnv) == "" {
			v.secret(err)
		} else {
			v.errs = append(v.errs, err)
		}
	}
	return errors.Join(v.errs...)
}

func (c *Config) validateEmail(v *validator) {
	e := &c.Report.Email
	if len(e.Person) > 0 && !e.PerPerson {
		v.add("report.email.person[0]", "needs report.email.per_person = true")
	}
	if !e.Enabled() && !e.PerPerson && len(c.Report.Rollup.To) == 0 {
		return // "to" empty: no e-mail, whatever else is set
	}
	for i, to := range e.To {
		if err := checkAddress(to); err != nil {
			v.add(fmt.Sprintf("report.email.to[%d]", i), "%v", err)
		}
	}
	for i, to := range c.Report.Rollup.To {
		if err := checkAddress(to); err != nil {
			v.add(fmt.Sprintf("report.rollup.to[%d]", i), "%v", err)
		}
	}
	if err := checkAddress(e.From); err != nil {
		v.add("report.email.from", "%v", err)
	}
	host := ""
	if err := checkHostPort(e.SMTP); err != nil {
		v.add("report.email.smtp", "%v", err)
	} else {
		host, _, _ = net.SplitHostPort(e.SMTP)
	}
	if e.Username != "" && e.PasswordEnv == "" {
		v.add("report.email.password_env", "must name the variable holding the password of %s", e.Username)
	}
	if e.PasswordEnv != "" {
		if _, err := e.Password(); err != nil {
			v.secret(err)
		}
	}
	switch e.Security {
	case "starttls", "tls":
	case "none":
		if host != "" && !isLoopback(host) {
			v.add("report.email.security", "\"none\" sends the report and password in clear: only for a server on loopback, not %s", host)
		}
	default:
		v.add("report.email.security", "must be starttls, tls or none; got %q", e.Security)
	}
	if _, ok := parseWeekday(e.Weekday); !ok {
		v.add("report.email.weekday", "must be a day of the week like \"monday\", got %q", e.Weekday)
	}
	var h, m int
	if n, err := fmt.Sscanf(e.Time, "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || h > 23 || m < 0 || m > 59 || len(e.Time) != 5 {
		v.add("report.email.time", "must be HH:MM like \"08:00\", got %q", e.Time)
	}
	seen := map[string]bool{}
	for i, p := range e.Person {
		key := fmt.Sprintf("report.email.person[%d]", i)
		if err := checkAddress(p.Address); err != nil {
			v.add(key+".address", "%v", err)
		} else if a := strings.ToLower(p.Address); seen[a] {
			v.add(key+".address", "%s is given twice", p.Address)
		} else {
			seen[a] = true
		}
		if _, ok := parseWeekday(p.Weekday); p.Weekday != "" && !ok {
			v.add(key+".weekday", "must be a day of the week like \"monday\", got %q", p.Weekday)
		}
		if p.Time != "" && !validClock(p.Time) {
			v.add(key+".time", "must be HH:MM like \"08:00\", got %q", p.Time)
		}
	}
}

// validClock reports whether s is HH:MM.
func validClock(s string) bool {
	var h, m int
	n, err := fmt.Sscanf(s, "%d:%d", &h, &m)
	return err == nil && n == 2 && h >= 0 && h <= 23 && m >= 0 && m <= 59 && len(s) == 5
}

func (c *Config) validateSource(v *validator, i int, names map[string]int) {
	s := &c.Sources[i]
	p := fmt.Sprintf("source[%d]", i)
	s.key = p
	key := func(f string) string { return p + "." + f }

	switch {
	case s.Name == "":
		v.add(key("name"), "must be set")
	case !sourceNameRE.MatchString(s.Name):
		v.add(key("name"), "%q may contain only a-z, 0-9, _ and -", s.Name)
	default:
		if j, dup := names[s.Name]; dup {
			v.add(key("name"), "%q is already the name of source[%d]", s.Name, j)
		} else {
			names[s.Name] = i
		}
	}
	if s.Timezone != "" {
		if _, err := loadZone(s.Timezone); err != nil {
			v.add(key("timezone"), "unknown zone %q: use an IANA name like \"Europe/Berlin\"", s.Timezone)
		}
	}

	caldavKeys := []struct {
		name string
		set  bool
	}{
		{"url", s.URL != ""}, {"username", s.Username != ""}, {"password_env", s.PasswordEnv != ""},
		{"password_file", s.PasswordFile != ""}, {"calendars", s.Calendars != nil},
		{"notify_attendees", s.NotifyAttendees}, {"header_timeout", s.HeaderTimeout.Duration != 0},
		{"idle_timeout", s.IdleTimeout.Duration != 0}, {"insecure", s.Insecure},
		{"accounts_file", s.AccountsFile != ""},
	}
	googleKeys := []struct {
		name string
		set  bool
	}{
		{"calendar", s.Calendar != ""}, {"client_secrets", s.ClientSecrets != ""},
		{"service_account", s.ServiceAccount != ""}, {"subject", s.Subject != ""},
		{"endpoint", s.Endpoint != ""}, {"token", s.Token != ""},
		{"subjects", s.Subjects != nil}, {"subjects_file", s.SubjectsFile != ""},
	}

	switch s.Kind {
	case KindCalDAV:
		for _, k := range googleKeys {
			if k.set {
				v.add(key(k.name), "only for kind %q", KindGoogle)
			}
		}
		if s.URL == "" {
			v.add(key("url"), "must be set to the CalDAV server's URL")
		} else if err := checkURL(s.URL); err != nil {
			v.add(key("url"), "%v", err)
		} else {
			u, _ := url.Parse(s.URL)
			if u.User != nil {
				v.add(key("url"), "%s", userinfoMsg)
			}
			if host := u.Hostname(); u.Scheme == "http" && !isLoopback(host) && !s.Insecure && (s.Username != "" || s.AccountsFile != "" || u.User != nil) {
				v.add(key("url"), "http:// to %s would send the password in clear: use https://, or set insecure = true", strings.ToLower(host))
			}
		}
		switch {
		case s.AccountsFile != "" && (s.Username != "" || s.PasswordEnv != "" || s.PasswordFile != ""):
			v.add(key("accounts_file"), "set username (with password_env or password_file) or accounts_file, not both")
		case s.AccountsFile != "":
			c.validateAccounts(v, s, key)
		case s.PasswordEnv != "" && !envNameRE.MatchString(s.PasswordEnv):
			v.add(key("password_env"), "%q is not an environment variable name", s.PasswordEnv)
		case s.Username == "" && s.PasswordEnv != "":
			v.add(key("password_env"), "needs username")
		case s.Username == "" && s.PasswordFile != "":
			v.add(key("password_file"), "needs username")
		case s.Username == "":
		case s.PasswordEnv == "" && s.PasswordFile == "":
			v.add(key("username"), "needs password_env or password_file")
		case s.PasswordEnv != "" && s.PasswordFile != "":
			v.add(key("password_file"), "set password_env or password_file, not both")
		default:
			if _, err := s.Password(); err != nil {
				v.secret(err)
			}
		}
		for _, d := range []struct {
			name string
			d    time.Duration
		}{{"header_timeout", s.HeaderTimeout.Duration}, {"idle_timeout", s.IdleTimeout.Duration}} {
			if d.d < 0 || (d.d > 0 && d.d < time.Second) {
				v.add(key(d.name), "must be at least 1s, got %s", FormatDuration(d.d))
			}
		}
		for j, cal := range s.Calendars {
			if strings.TrimSpace(cal) == "" {
				v.add(fmt.Sprintf("%s[%d]", key("calendars"), j), "must not be empty")
			} else if u, err := url.Parse(cal); err == nil && u.User != nil {
				v.add(fmt.Sprintf("%s[%d]", key("calendars"), j), "%s", userinfoMsg)
			}
		}
	case KindGoogle:
		for _, k := range caldavKeys {
			if k.set {
				v.add(key(k.name), "only for kind %q", KindCalDAV)
			}
		}
		fake := false
		if s.Endpoint != "" {
			u, err := url.Parse(s.Endpoint)
			switch {
			case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
				v.add(key("endpoint"), "must be an absolute http:// or https:// URL, got %q", redactURL(s.Endpoint))
			case u.Scheme == "http" && !isLoopback(u.Hostname()):
				v.add(key("endpoint"), "plain http:// is allowed only to a loopback address, got %q", redactURL(s.Endpoint))
			case u.Scheme == "http":
				fake = true
			}
		}
		switch {
		case s.ClientSecrets != "" && s.ServiceAccount != "":
			v.add(key("service_account"), "set client_secrets or service_account, not both")
		case s.ServiceAccount != "":
			if s.Subject == "" && !s.Many() {
				v.add(key("subject"), "must be set with service_account: the user to act for (or subjects, subjects_file)")
			}
		case s.ClientSecrets != "":
		case !fake:
			v.add(key("client_secrets"), "needs client_secrets or service_account (or a loopback http:// endpoint)")
		}
		if s.Subject != "" {
			if s.ServiceAccount == "" {
				v.add(key("subject"), "only with service_account")
			} else if err := checkAddress(s.Subject); err != nil {
				v.add(key("subject"), "%v", err)
			}
		}
		s.subjects = nil
		switch {
		case s.ServiceAccount == "" && s.Subjects != nil:
			v.add(key("subjects"), "only with service_account (domain-wide delegation)")
		case s.ServiceAccount == "" && s.SubjectsFile != "":
			v.add(key("subjects_file"), "only with service_account (domain-wide delegation)")
		case s.ServiceAccount != "":
			c.validateSubjects(v, s, key)
			if s.Many() && s.Calendar != defaultGoogleCalendar {
				v.add(key("calendar"), "must be %q with subjects or subjects_file: each subject's own calendar is watched, got %q", defaultGoogleCalendar, s.Calendar)
			}
		}
	case "":
		v.add(key("kind"), "must be set: %q or %q", KindCalDAV, KindGoogle)
	default:
		v.add(key("kind"), "must be %q or %q, got %q", KindCalDAV, KindGoogle, s.Kind)
	}
}

func (c *Config) validateAgenda(v *validator) {
	a := &c.Agenda
	if a.MaxPoints < 0 || a.MaxPoints > 50 {
		v.add("agenda.max_points", "must be between 0 and 50, got %d", a.MaxPoints)
	}
	if r := a.Reminder.Duration; r < 0 || r > 7*day || r > 0 && r < 5*time.Minute {
		v.add("agenda.reminder", "must be 0 (off) or between 5m and 7d, got %s", a.Reminder)
	}
	if u := c.Web.PublicURL; u != "" {
		pu, err := url.Parse(u)
		switch {
		case err != nil:
			v.add("web.public_url", "not a URL: %v", err)
		case pu.Scheme != "https" && !(pu.Scheme == "http" && isLoopback(pu.Hostname())):
			v.add("web.public_url", "must be https:// (or http:// to a loopback address), got %q", u)
		case pu.User != nil || pu.RawQuery != "" || pu.Fragment != "":
			v.add("web.public_url", "must be a plain base URL without userinfo, query or fragment, got %q", pu.Redacted())
		}
	}
	if d := c.Web.ShareDays; d < 1 || d > 365 {
		v.add("web.share_days", "must be between 1 and 365, got %d", d)
	}
	if a.Link != "" {
		if _, err := parseLink(a.Link); err != nil {
			v.add("agenda.link", "not a valid template: %v", err)
		} else if _, err := executeLink(a.Link, LinkData{Counterpart: "bob@example.com", CounterpartName: "Bob", Me: "anna@example.com", Pair: "anna@example.com|bob@example.com"}); err != nil {
			msg := errors.Unwrap(err).Error()
			if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
				msg = "unknown field ." + m[1]
			}
			v.add("agenda.link", "%s (fields: .Counterpart, .CounterpartName, .Me, .Pair)", msg)
		}
	}
	if a.Horizon.Duration < minHorizon || a.Horizon.Duration > maxHorizon {
		v.add("agenda.horizon", "must be between %s and %s, got %s", FormatDuration(minHorizon), FormatDuration(maxHorizon), a.Horizon)
	}
	seen := make(map[string]int)
	for i, p := range a.Pairs {
		key := func(f string) string { return fmt.Sprintf("agenda.pair[%d].%s", i, f) }
		with := normalizeEmail(p.With)
		if with == "" {
			v.add(key("with"), "must be set to the counterpart's address")
		} else if err := checkAddress(with); err != nil {
			v.add(key("with"), "%v", err)
		} else if j, dup := seen[with]; dup {
			v.add(key("with"), "%q is already in agenda.pair[%d]", with, j)
		} else {
			seen[with] = i
		}
		if p.Link != "" {
			if u, err := url.Parse(p.Link); err != nil || u.Scheme == "" {
				v.add(key("link"), "must be an absolute URL, got %q", p.Link)
			}
		}
		if p.Relationship != "" && !slices.Contains(Relationships, p.Relationship) {
			v.add(key("relationship"), "must be one of %s; got %q", strings.Join(Relationships, ", "), p.Relationship)
		}
	}
}

// userinfoMsg refuses a URL with user information, never repeating it.
const userinfoMsg = "must not hold a user name or password (user:password@): set username, and password_env or password_file"

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be host:port like \"127.0.0.1:8787\", got %q", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535, got %q", port)
	}
	return nil
}

func checkAddress(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s, "@") {
		return fmt.Errorf("%q is not an e-mail address", s)
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("must be an absolute http:// or https:// URL, got %q", redactURL(s))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateProxy checks web.auth_proxy_header, web.trusted_proxies and
// web.admins (docs/DESIGN.md, "Who is looking"): the header is an HTTP
// token and comes with the proxies it is trusted from; proxies or admins
// without the header are an error, not a warning, since nothing would
// read them and the operator meant to restrict the web face.
func (c *Config) validateProxy(v *validator) {
	w := &c.Web
	if h := w.AuthProxyHeader; h != "" {
		if !isHeaderToken(h) {
			v.add("web.auth_proxy_header", "%q is not an HTTP header name (letters, digits and !#$%%&'*+-.^_`|~ only)", h)
		}
		if len(w.TrustedProxies) == 0 {
			v.add("web.auth_proxy_header", "needs web.trusted_proxies: the addresses the proxy connects from (\"127.0.0.1/32\" when it runs on this machine)")
		}
	} else {
		if len(w.TrustedProxies) > 0 {
			v.add("web.trusted_proxies", "needs web.auth_proxy_header: the header in which the proxy sends the signed-in address")
		}
		if len(w.Admins) > 0 {
			v.add("web.admins", "needs web.auth_proxy_header: without a sign-in proxy there is one viewer")
		}
	}
	for i, e := range w.TrustedProxies {
		if _, err := parseTrusted(e); err != nil {
			v.add(fmt.Sprintf("web.trusted_proxies[%d]", i), "%q is not a CIDR (\"10.0.0.0/8\") or an IP address", e)
		}
	}
	seen := map[string]int{}
	for i, a := range w.Admins {
		key := fmt.Sprintf("web.admins[%d]", i)
		if err := checkAddress(strings.TrimSpace(a)); err != nil {
			v.add(key, "%v", err)
			continue
		}
		n := calendar.NormalizeEmail(a)
		if j, ok := seen[n]; ok {
			v.add(key, "%s is already in web.admins[%d]", n, j)
			continue
		}
		seen[n] = i
	}
}

// isHeaderToken reports whether s is an RFC 9110 token, what a header
// field's name is.
func isHeaderToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
