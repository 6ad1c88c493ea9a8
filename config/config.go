// Package config is oneonone's configuration: the TOML file (docs/DESIGN.md,
// "The config file"), its defaults, the environment overrides applied after the
// file, and one Validate whose errors name the key that is wrong.
//
// Loading is strict: an unknown key, a value of the wrong type and a TOML
// syntax error are all errors, each naming where it is.
package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"oneonone/calendar"
)

// Config is the whole configuration file.
type Config struct {
	State    string   `toml:"state"`    // bbolt state file
	Timezone string   `toml:"timezone"` // IANA zone; weeks and days are counted here
	Interval Duration `toml:"interval"` // daemon sync interval
	// ConcurrentSyncs caps the sources' cycles that run at once (default
	// 8): with a source of many users, they take turns.
	ConcurrentSyncs int      `toml:"concurrent_syncs"`
	Listen          string   `toml:"listen"`     // host:port of the daemon's web face
	LogFormat       string   `toml:"log_format"` // text | json
	LogLevel        string   `toml:"log_level"`  // debug | info | warn | error
	Identity        Identity `toml:"identity"`
	Sources         []Source `toml:"source"`
	Agenda          Agenda   `toml:"agenda"`
	Detect          Detect   `toml:"detect"`
	Report          Report   `toml:"report"`
	Web             Web      `toml:"web"`
	Nudges          Nudges   `toml:"nudges"`
	Notify          []Notify `toml:"notify"`
	Google          Google   `toml:"google"`

	loc     *time.Location    // Timezone, loaded by Validate
	fromEnv map[string]string // key → the environment variable that set it
}

// Identity says who "me" is.
type Identity struct {
	// Me lists the user's own addresses, lower-cased.
	Me []string `toml:"me"`
}

// Source is one configured account: kind "caldav" or "google".
type Source struct {
	Name string `toml:"name"` // [a-z0-9_-]+, unique
	Kind string `toml:"kind"` // "caldav" | "google"

	// CalDAV.
	URL          string   `toml:"url,omitempty"`           // server or calendar-home URL, http(s)
	Username     string   `toml:"username,omitempty"`      // basic auth user
	PasswordEnv  string   `toml:"password_env,omitempty"`  // environment variable holding the password
	PasswordFile string   `toml:"password_file,omitempty"` // file holding the password
	Calendars    []string `toml:"calendars,omitempty"`     // calendar URLs or paths; empty: all found
	// NotifyAttendees writes agenda blocks into events with attendees even
	// on a server that would mail them about it (one that schedules
	// implicitly and cannot be told not to, such as iCloud). Default false:
	// such events are left alone and counted as refused.
	NotifyAttendees bool `toml:"notify_attendees,omitempty"`
	// Insecure lets a url on plain http:// to a host beyond loopback carry
	// the password, in clear. Default false: Validate refuses such a url
	// with a username. When set, every start and every cycle warns.
	Insecure bool `toml:"insecure,omitempty"`
	// HeaderTimeout bounds the wait for a response's headers, IdleTimeout
	// the wait for the next bytes of an answer being read; no limit bounds
	// a whole request, so a large calendar on a slow server still streams
	// in. Default 60s each.
	HeaderTimeout Duration `toml:"header_timeout,omitempty"`
	IdleTimeout   Duration `toml:"idle_timeout,omitempty"`
	// AccountsFile lists accounts on the server at url, one a line:
	// "address username password_file" (Accounts); each becomes a source
	// of its own, "<name>/<address>" (NameFor).
	AccountsFile string `toml:"accounts_file,omitempty"`

	// Google.
	Calendar       string `toml:"calendar,omitempty"`        // calendar id; default "primary"
	ClientSecrets  string `toml:"client_secrets,omitempty"`  // installed-app OAuth client JSON
	ServiceAccount string `toml:"service_account,omitempty"` // service account key JSON
	Subject        string `toml:"subject,omitempty"`         // user the service account acts for
	// Subjects and SubjectsFile (one address a line) list more users the
	// service account acts for: each becomes a source of its own,
	// "<name>/<address>" (NameFor).
	Subjects     []string `toml:"subjects,omitempty"`
	SubjectsFile string   `toml:"subjects_file,omitempty"`
	Endpoint     string   `toml:"endpoint,omitempty"` // another API base URL (a fake, a proxy)
	Token        string   `toml:"token,omitempty"`    // OAuth token file; default "<state dir>/google-<name>.json"

	// Timezone is the zone of this source's floating times; default: the
	// config's timezone.
	Timezone string `toml:"timezone,omitempty"`

	key string // "source[i]", for errors that name the key

	subjects []string  // Subject, Subjects and SubjectsFile's, read by Validate
	accounts []Account // AccountsFile's lines, read by Validate
}

// Google holds what all Google sources of the process share.
type Google struct {
	// MaxRequestsPerMinute is the ceiling on the requests of all Google
	// sources together (one token bucket in the process); 0 is no limit.
	MaxRequestsPerMinute int `toml:"max_requests_per_minute"`
}

// Agenda configures the agenda block written into upcoming 1:1s.
type Agenda struct {
	// Link is a text/template for the agenda document's link, with the
	// fields of LinkData; a pair's own link wins.
	Link string `toml:"link"`
	// Horizon is how far ahead upcoming overrides get the block.
	Horizon Duration `toml:"horizon"`
	// MaxPoints is how many talking points a block shows; the others are
	// counted, with a pointer to the shared page or the agenda document.
	MaxPoints int `toml:"max_points"`
	// Reminder is how long before each upcoming 1:1 (at its actual time)
	// each of the two is reminded of it; 0 (the default) is off.
	Reminder Duration     `toml:"reminder"`
	Pairs    []AgendaPair `toml:"pair"`
}

// AgendaPair is what is known about one counterpart.
type AgendaPair struct {
	With         string `toml:"with"`                   // counterpart address, lower-cased
	Link         string `toml:"link,omitempty"`         // agenda document link
	Relationship string `toml:"relationship,omitempty"` // report | skip-level | peer | mentor | 1:1
	Doc          string `toml:"doc,omitempty"`          // the pair's notes document (path or URL)
}

// Detect tunes 1:1 recognition.
type Detect struct {
	Include      []string `toml:"include"`      // title patterns that count as 1:1 (case-insensitive)
	Exclude      []string `toml:"exclude"`      // title patterns that never count (case-insensitive)
	Relationship string   `toml:"relationship"` // default relationship of a counterpart
}

// Report configures the report.
type Report struct {
	Weeks int `toml:"weeks"` // trailing window of the metrics, in weeks
	// LateNotice is the notice under which a change of an occurrence's fate
	// (cancelled, moved, declined) counts as late: trailing.late_changes.
	LateNotice Duration `toml:"late_notice"`
	// WayBack turns on the suggestion of a make-up after a skipped 1:1:
	// the first slot before the next occurrence in which both are free,
	// asked of the source's free/busy (default on).
	WayBack bool `toml:"way_back"`
	// WorkingHours bounds the suggestions: "09:00-17:00" (weekdays) or
	// days and hours, "mon-fri 09:00-17:00", in timezone.
	WorkingHours string `toml:"working_hours"`
	Email        Email  `toml:"email"` // the weekly report by e-mail; off while To is empty
	// Notify names the [[notify]] targets that get the weekly report, at
	// email's weekday and time; empty: none.
	Notify []string `toml:"notify"`
	// Rollup is who gets the weekly roll-up by e-mail.
	Rollup Rollup `toml:"rollup"`
}

// Rollup is [report.rollup]: the roll-up (figures per person, no agenda or
// action content) mailed each week to To, through [report.email]'s server
// and sender, at its weekday and time; off while To is empty.
type Rollup struct {
	To []string `toml:"to"`
}

// Email is where and when the daemon mails the weekly report.
type Email struct {
	To          []string `toml:"to"`           // recipients; empty: no e-mail
	From        string   `toml:"from"`         // sender address
	SMTP        string   `toml:"smtp"`         // host:port of the mail server
	Username    string   `toml:"username"`     // SMTP AUTH PLAIN user; empty: no auth
	PasswordEnv string   `toml:"password_env"` // the variable holding the SMTP password
	Security    string   `toml:"security"`     // "starttls" (default), "tls", or "none" (loopback only)
	Weekday     string   `toml:"weekday"`      // day to send, default "monday"
	Time        string   `toml:"time"`         // HH:MM in timezone, default "08:00"
	// PerPerson mails each person of identity.me a report of only the
	// pairs they are in, to their own address, at their own Person
	// weekday/time (else Weekday/Time); To is then not needed.
	PerPerson bool `toml:"per_person"`
	// Person gives one person their own weekday and time (per_person).
	Person []EmailPerson `toml:"person"`
}

// EmailPerson is one person's own schedule of the per-person mail: an
// empty Weekday or Time takes [report.email]'s.
type EmailPerson struct {
	Address string `toml:"address"`
	Weekday string `toml:"weekday"`
	Time    string `toml:"time"`
}

// PersonSchedule returns the weekday, hour and minute at which person
// (an address of identity.me) gets the per-person mail.
func (e Email) PersonSchedule(person string) (time.Weekday, int, int) {
	day, h, m := e.Schedule()
	for _, p := range e.Person {
		if !strings.EqualFold(p.Address, person) {
			continue
		}
		if p.Weekday != "" {
			day, _ = parseWeekday(p.Weekday)
		}
		if p.Time != "" {
			fmt.Sscanf(p.Time, "%d:%d", &h, &m)
		}
	}
	return day, h, m
}

// Enabled reports whether the weekly report is mailed.
func (e Email) Enabled() bool { return len(e.To) > 0 }

// Password returns the SMTP password from password_env.
func (e Email) Password() (string, error) {
	if e.PasswordEnv == "" {
		return "", nil
	}
	v := os.Getenv(e.PasswordEnv)
	if v == "" {
		return "", &FieldError{Key: "report.email.password_env", Msg: fmt.Sprintf("environment variable %s is not set", e.PasswordEnv)}
	}
	return v, nil
}

// Schedule returns the weekday and the hour and minute of the mailing.
func (e Email) Schedule() (time.Weekday, int, int) {
	day, _ := parseWeekday(e.Weekday)
	var h, m int
	fmt.Sscanf(e.Time, "%d:%d", &h, &m)
	return day, h, m
}

// Web is the daemon's web face.
type Web struct {
	// Token is the access token, or TokenEnv names the variable holding it
	// (16 characters or more). With a listen address other than loopback
	// the daemon refuses to start without one.
	Token    string `toml:"token"`
	TokenEnv string `toml:"token_env"`
	// PublicURL is where the counterpart reaches the web face (behind a
	// reverse proxy): with it, each block carries the pair's shared page
	// (a signed link); "" (the default) puts none in.
	PublicURL string `toml:"public_url"`
	// ShareDays is how long a shared page's link is valid (default 30).
	ShareDays int `toml:"share_days"`
	// AuthProxyHeader names the header in which an authenticating reverse
	// proxy in front (oauth2-proxy, Authelia, Pomerium) sends the signed-in
	// person's e-mail address, "X-Forwarded-Email"; "" (the default) means
	// no such proxy: web.token, or loopback alone. With it, each viewer
	// sees only their own pairs (docs/DESIGN.md, "Who is looking").
	AuthProxyHeader string `toml:"auth_proxy_header"`
	// TrustedProxies are the addresses (CIDRs, or single IPs) the proxy
	// connects from; a request from any other peer is refused and its
	// header never read. Required with AuthProxyHeader.
	TrustedProxies []string `toml:"trusted_proxies"`
	// Admins are the viewers (e-mail addresses) who may see the roll-up.
	// Only with AuthProxyHeader.
	Admins []string `toml:"admins"`
}

// ProxyMode reports whether the web face sits behind an authenticating
// proxy (web.auth_proxy_header is set).
func (w Web) ProxyMode() bool { return w.AuthProxyHeader != "" }

// TrustedNets returns web.trusted_proxies as prefixes, a single IP as its
// own /32 or /128; entries that do not parse (Validate names them) are
// left out.
func (w Web) TrustedNets() []netip.Prefix {
	var out []netip.Prefix
	for _, e := range w.TrustedProxies {
		if p, err := parseTrusted(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parseTrusted reads one web.trusted_proxies entry: "10.0.0.0/8" or
// "127.0.0.1" (an IPv4-mapped IPv6 address counts as its IPv4 one).
func parseTrusted(e string) (netip.Prefix, error) {
	e = strings.TrimSpace(e)
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(e)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: a zone is not taken", e)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AdminList returns web.admins, normalised (lower-cased, trimmed).
func (w Web) AdminList() []string {
	out := make([]string, 0, len(w.Admins))
	for _, a := range w.Admins {
		out = append(out, calendar.NormalizeEmail(a))
	}
	return out
}

// AccessToken returns the web access token, "" when none is set.
func (w Web) AccessToken() (string, error) {
	v, key := w.Token, "web.token"
	switch {
	case w.Token != "" && w.TokenEnv != "":
		return "", &FieldError{Key: "web.token", Msg: "set token or token_env, not both"}
	case w.TokenEnv != "":
		v, key = os.Getenv(w.TokenEnv), "web.token_env"
		if v == "" {
			return "", &FieldError{Key: key, Msg: fmt.Sprintf("environment variable %s is not set", w.TokenEnv)}
		}
	case w.Token == "":
		return "", nil
	}
	if len(v) < 16 {
		return "", &FieldError{Key: key, Msg: "the token must be at least 16 characters long"}
	}
	return v, nil
}

// parseWeekday reads "monday" … "sunday" (or their first three letters).
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || (len(s) == 3 && strings.HasPrefix(name, s)) {
			return d, true
		}
	}
	return 0, false
}

// LinkData is what the agenda.link template sees.
type LinkData struct {
	Counterpart     string // counterpart's address
	CounterpartName string // counterpart's display name, may be empty
	Me              string // the user's address in the pair
	Pair            string // "a|b", the pair's key
}

// Kinds of source.
const (
	KindCalDAV = "caldav"
	KindGoogle = "google"
)

// Relationships a counterpart may have.
var Relationships = []string{"report", "skip-level", "peer", "mentor", "1:1"}

// option is one top-level setting that has a default and an environment
// override. Every such setting is declared here, once.
type option struct {
	key  string
	env  string
	help string
	def  func() string
	ptr  func(*Config) any // *string or encoding.TextUnmarshaler
}

var options = []option{
	{"state", "ONEONONE_STATE", "bbolt state file", defaultStatePath,
		func(c *Config) any { return &c.State }},
	{"timezone", "ONEONONE_TIMEZONE", "IANA zone; weeks and days are counted here", localZoneName,
		func(c *Config) any { return &c.Timezone }},
	{"interval", "ONEONONE_INTERVAL", "daemon sync interval, at least 30s", constant("5m"),
		func(c *Config) any { return &c.Interval }},
	{"listen", "ONEONONE_LISTEN", "host:port of the daemon's web face", constant("127.0.0.1:8787"),
		func(c *Config) any { return &c.Listen }},
	{"log_format", "ONEONONE_LOG_FORMAT", "text or json", constant("text"),
		func(c *Config) any { return &c.LogFormat }},
	{"log_level", "ONEONONE_LOG_LEVEL", "debug, info, warn or error", constant("info"),
		func(c *Config) any { return &c.LogLevel }},
}

// Defaults of the nested settings.
const (
	defaultHorizon        = 14 * day
	defaultMaxPoints      = 5
	defaultShareDays      = 30
	defaultRelationship   = "1:1"
	defaultReportWeeks    = 12
	defaultLateNotice     = day
	defaultWorkingHours   = "mon-fri 09:00-17:00"
	defaultGoogleCalendar = "primary"
	// defaultGoogleRate is google.max_requests_per_minute: well below the
	// Calendar API's per-project quota, ample for one person's sources.
	defaultGoogleRate = 600
)

func constant(s string) func() string { return func() string { return s } }

func (o option) set(c *Config, v string) error {
	switch p := o.ptr(c).(type) {
	case *string:
		*p = v
		return nil
	case encoding.TextUnmarshaler:
		return p.UnmarshalText([]byte(v))
	}
	panic("config: option " + o.key + " has an unsupported type")
}

// Default returns the configuration of an empty file, before environment
// overrides: every default set, no identity and no sources.
func Default() *Config {
	c := &Config{
		Agenda: Agenda{Horizon: Duration{defaultHorizon}, MaxPoints: defaultMaxPoints},
		Detect: Detect{Relationship: defaultRelationship},
		Report: Report{Weeks: defaultReportWeeks, LateNotice: Duration{defaultLateNotice}, WayBack: true, WorkingHours: defaultWorkingHours, Email: Email{Security: "starttls", Weekday: "monday", Time: "08:00"}},
		Nudges: defaultNudges,
		Web:    Web{ShareDays: defaultShareDays},
		Google: Google{MaxRequestsPerMinute: defaultGoogleRate},

		ConcurrentSyncs: defaultConcurrentSyncs,
	}
	for _, o := range options {
		if err := o.set(c, o.def()); err != nil {
			panic("config: default of " + o.key + ": " + err.Error())
		}
	}
	return c
}

// ResolvePath returns the config file to read: the --config flag, else
// $ONEONONE_CONFIG, else $XDG_CONFIG_HOME/oneonone/config.toml, else
// ~/.config/oneonone/config.toml.
func ResolvePath(flag string) string {
	if flag != "" {
		return expandHome(flag)
	}
	if p := os.Getenv("ONEONONE_CONFIG"); p != "" {
		return expandHome(p)
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "oneonone", "config.toml")
	}
	return filepath.Join(homeDir(), ".config", "oneonone", "config.toml")
}

// Load reads the config file at path, then applies the environment
// overrides and validates the result.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(data, path)
}

// LoadIgnoringSecrets is Load for a command that sends nothing to a
// server (report, series, actions, history, state, and sync while a
// daemon holds the state file): a secret the config names that cannot be
// read here (password_env, token_env… not set in this shell, when only
// the daemon's unit sets them) is no error. Every other problem is.
// Before it contacts a server, such a command calls CheckSecrets.
func LoadIgnoringSecrets(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, errs := parseAll(data, path, os.Getenv)
	errs = slices.DeleteFunc(errs, func(e error) bool {
		var se secretError
		return errors.As(e, &se)
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// CheckSecrets reads every secret the config names and returns, joined,
// what cannot be read: what LoadIgnoringSecrets let pass (Load and Check
// report it too). nil when each one can.
func (c *Config) CheckSecrets() error {
	err := c.Validate()
	var found []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		found = j.Unwrap()
	} else if err != nil {
		found = []error{err}
	}
	var errs []error
	for _, e := range found {
		var se secretError
		if errors.As(e, &se) {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// Parse is Load from bytes; name is used in syntax errors.
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, os.Getenv)
}

func parse(data []byte, name string, getenv func(string) string) (*Config, error) {
	c, errs := parseAll(data, name, getenv)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Check reads the config file at path as Load does and returns every
// problem it finds, in one pass: unknown keys and values of the wrong type,
// then what Validate finds in the rest, then the files the config names
// that cannot be read (CheckFiles). The config is nil only when the file
// cannot be read or is not TOML; otherwise it is returned even with
// problems, a wrong key left at its default.
func Check(path string) (*Config, []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{fmt.Errorf("load config: %w", err)}
	}
	c, errs := parseAll(data, path, os.Getenv)
	if c != nil {
		errs = append(errs, c.CheckFiles()...)
	}
	return c, errs
}

// parseAll decodes, applies the environment and validates, collecting
// every problem. A key that does not decode is reported once: it is left
// at its default and Validate's complaints about it are dropped. It
// returns a nil config only on a TOML syntax error.
func parseAll(data []byte, name string, getenv func(string) string) (*Config, []error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := strings.Join(strings.Fields(pe.Message), " ")
			return nil, []error{fmt.Errorf("%s:%d:%d: %s", name, pe.Position.Line, pe.Position.Col, msg)}
		}
		return nil, []error{fmt.Errorf("parse %s: %w", name, err)}
	}
	errs := checkSchema(raw) // deletes from raw what it reports
	var badKeys []string
	for _, e := range errs {
		if fe, ok := e.(*FieldError); ok {
			badKeys = append(badKeys, fe.Key)
		}
	}
	if len(errs) > 0 {
		var b bytes.Buffer
		if err := toml.NewEncoder(&b).Encode(raw); err != nil {
			return nil, append(errs, fmt.Errorf("decode %s: %w", name, err))
		}
		data = b.Bytes()
	}
	c := Default()
	md, err := toml.Decode(string(data), c)
	if err != nil {
		// checkSchema leaves only what decodes; this is a bug if reached.
		return nil, append(errs, fmt.Errorf("decode %s: %w", name, err))
	}
	for _, k := range md.Undecoded() { // checkSchema found these already; a safety net
		errs = append(errs, &FieldError{Key: k.String(), Msg: "unknown key"})
	}
	for _, o := range options {
		v := getenv(o.env)
		if v == "" {
			continue
		}
		if err := o.set(c, v); err != nil {
			errs = append(errs, &FieldError{Key: o.key, Msg: fmt.Sprintf("%s: %v", o.env, err)})
			continue
		}
		if c.fromEnv == nil {
			c.fromEnv = make(map[string]string)
		}
		c.fromEnv[o.key] = o.env
	}
	c.normalize()
	if err := c.Validate(); err != nil {
		var found []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			found = j.Unwrap()
		} else {
			found = []error{err}
		}
		for _, e := range found {
			if fe := (*FieldError)(nil); errors.As(e, &fe) && overlaps(fe.Key, badKeys) {
				continue // the key did not decode: said once already
			}
			errs = append(errs, e)
		}
	}
	return c, errs
}

// overlaps reports whether key is one of bad, inside one of them, or an
// array one of them is an element of (dropped whole by checkSchema).
func overlaps(key string, bad []string) bool {
	for _, b := range bad {
		if key == b || strings.HasPrefix(key, b+".") || strings.HasPrefix(key, b+"[") || strings.HasPrefix(b, key+"[") {
			return true
		}
	}
	return false
}

// normalize expands "~", lower-cases addresses and fills the defaults that
// depend on other settings.
func (c *Config) normalize() {
	c.State = expandHome(c.State)
	for i := range c.Identity.Me {
		c.Identity.Me[i] = normalizeEmail(c.Identity.Me[i])
	}
	stateDir := filepath.Dir(c.State)
	for i := range c.Sources {
		s := &c.Sources[i]
		s.key = fmt.Sprintf("source[%d]", i)
		s.PasswordFile = expandHome(s.PasswordFile)
		s.ClientSecrets = expandHome(s.ClientSecrets)
		s.ServiceAccount = expandHome(s.ServiceAccount)
		s.Token = expandHome(s.Token)
		s.Subject = normalizeEmail(s.Subject)
		for j := range s.Subjects {
			s.Subjects[j] = normalizeEmail(s.Subjects[j])
		}
		s.SubjectsFile = expandHome(s.SubjectsFile)
		s.AccountsFile = expandHome(s.AccountsFile)
		if s.Kind == KindGoogle {
			if s.Calendar == "" {
				s.Calendar = defaultGoogleCalendar
			}
			if s.Token == "" && s.Name != "" {
				s.Token = filepath.Join(stateDir, "google-"+s.Name+".json")
			}
		}
	}
	for i := range c.Agenda.Pairs {
		p := &c.Agenda.Pairs[i]
		p.With = normalizeEmail(p.With)
		p.Doc = expandHome(p.Doc)
	}
}

// FieldError is one problem of the configuration, naming its key
// ("source[2].url", "agenda.pair[0].with", "timezone").
type FieldError struct {
	Key string
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Location returns the configured zone, UTC when it does not load.
// WorkingHours returns report.working_hours (Validate has checked it; the
// default if not).
func (c *Config) WorkingHours() calendar.WorkingHours {
	w, err := calendar.ParseWorkingHours(c.Report.WorkingHours)
	if err != nil {
		return calendar.DefaultWorkingHours()
	}
	return w
}

func (c *Config) Location() *time.Location {
	if c.loc != nil {
		return c.loc
	}
	if loc, err := loadZone(c.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// Location returns the zone of the source's floating times: its own
// timezone when set and valid, else fallback.
func (s *Source) Location(fallback *time.Location) *time.Location {
	if s.Timezone != "" {
		if loc, err := loadZone(s.Timezone); err == nil {
			return loc
		}
	}
	return fallback
}

func (s *Source) keyName(field string) string {
	if s.key != "" {
		return s.key + "." + field
	}
	return fmt.Sprintf("source %q %s", s.Name, field)
}

// Password returns the CalDAV password from password_env (the variable must
// be set and non-empty) or password_file (its trailing newline trimmed). It
// returns "" and no error when neither is set. Errors are *FieldError naming
// the key; they never contain the secret.
func (s *Source) Password() (string, error) {
	switch {
	case s.PasswordEnv != "" && s.PasswordFile != "":
		return "", &FieldError{Key: s.keyName("password_env"), Msg: "set password_env or password_file, not both"}
	case s.PasswordEnv != "":
		v, ok := os.LookupEnv(s.PasswordEnv)
		if !ok {
			return "", &FieldError{Key: s.keyName("password_env"), Msg: fmt.Sprintf("environment variable %s is not set", s.PasswordEnv)}
		}
		if v == "" {
			return "", &FieldError{Key: s.keyName("password_env"), Msg: fmt.Sprintf("environment variable %s is empty", s.PasswordEnv)}
		}
		return v, nil
	case s.PasswordFile != "":
		b, err := os.ReadFile(expandHome(s.PasswordFile))
		if err != nil {
			return "", &FieldError{Key: s.keyName("password_file"), Msg: fmt.Sprintf("read password: %v", err)}
		}
		v := strings.TrimSuffix(string(b), "\n")
		v = strings.TrimSuffix(v, "\r")
		if v == "" {
			return "", &FieldError{Key: s.keyName("password_file"), Msg: fmt.Sprintf("%s is empty", s.PasswordFile)}
		}
		return v, nil
	}
	return "", nil
}

// ListenIsLoopback reports whether the web face listens on loopback only.
func (c *Config) ListenIsLoopback() bool {
	host, _, err := net.SplitHostPort(c.Listen)
	return err == nil && isLoopback(host)
}

// Source returns the source named name.
func (c *Config) Source(name string) (*Source, bool) {
	for i := range c.Sources {
		if c.Sources[i].Name == name {
			return &c.Sources[i], true
		}
	}
	return nil, false
}

// Pair returns the agenda.pair entry of the counterpart with (case-insensitive).
func (c *Config) Pair(with string) (AgendaPair, bool) {
	with = normalizeEmail(with)
	for _, p := range c.Agenda.Pairs {
		if normalizeEmail(p.With) == with {
			return p, true
		}
	}
	return AgendaPair{}, false
}

// IsMe reports whether email is one of mine (Me; case-insensitive,
// "mailto:" ignored).
func (c *Config) IsMe(email string) bool {
	email = normalizeEmail(email)
	if email == "" {
		return false
	}
	for _, m := range c.Me() {
		if m == email {
			return true
		}
	}
	return false
}

// AgendaLink returns the agenda document link of a pair: the pair's own
// link when agenda.pair has one for d.Counterpart, else agenda.link executed
// with d, else "".
func (c *Config) AgendaLink(d LinkData) (string, error) {
	if p, ok := c.Pair(d.Counterpart); ok && p.Link != "" {
		return p.Link, nil
	}
	if c.Agenda.Link == "" {
		return "", nil
	}
	return executeLink(c.Agenda.Link, d)
}

func executeLink(text string, d LinkData) (string, error) {
	t, err := parseLink(text)
	if err != nil {
		return "", fmt.Errorf("parse agenda.link: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("execute agenda.link: %w", err)
	}
	return b.String(), nil
}

// Relationship returns the relationship of the counterpart with: the
// agenda.pair entry's, else detect.relationship, else "1:1".
func (c *Config) Relationship(with string) string {
	if p, ok := c.Pair(with); ok && p.Relationship != "" {
		return p.Relationship
	}
	if c.Detect.Relationship != "" {
		return c.Detect.Relationship
	}
	return defaultRelationship
}

// Patterns compiles the include and exclude title patterns, case-insensitive.
func (d *Detect) Patterns() (include, exclude []*regexp.Regexp, err error) {
	if include, err = compileAll("detect.include", d.Include); err != nil {
		return nil, nil, err
	}
	if exclude, err = compileAll("detect.exclude", d.Exclude); err != nil {
		return nil, nil, err
	}
	return include, exclude, nil
}

func compileAll(key string, patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile("(?i)" + p)
		if err != nil {
			return nil, &FieldError{Key: fmt.Sprintf("%s[%d]", key, i), Msg: err.Error()}
		}
		out = append(out, re)
	}
	return out, nil
}

// Redacted returns the configuration as TOML, safe to print: passwords are
// never in it, the web token is masked, and so is the user information of
// URLs.
func (c *Config) Redacted() string {
	cp := *c
	cp.Sources = make([]Source, len(c.Sources))
	for i, s := range c.Sources {
		s.URL = redactURL(s.URL)
		s.Endpoint = redactURL(s.Endpoint)
		cp.Sources[i] = s
	}
	if cp.Web.Token != "" {
		cp.Web.Token = "(redacted)"
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(&cp); err != nil {
		return fmt.Sprintf("# encode config: %v\n", err)
	}
	return b.String()
}

func redactURL(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL, redacted)"
	}
	if u.User == nil {
		return s
	}
	u.User = url.User("xxxxx")
	return u.String()
}

func normalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return h
	}
	return "."
}

// expandHome replaces a leading "~" or "~/" by the home directory.
func expandHome(p string) string {
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}

func defaultStatePath() string {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "oneonone", "state.db")
	}
	return filepath.Join(homeDir(), ".local", "state", "oneonone", "state.db")
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA zone name", name)
	}
	return time.LoadLocation(name)
}

// localZoneName returns the IANA name of the local zone: $TZ, else the
// target of /etc/localtime, else /etc/timezone, else "UTC".
func localZoneName() string {
	valid := func(name string) bool {
		_, err := loadZone(name)
		return err == nil
	}
	fromPath := func(p string) string {
		if i := strings.LastIndex(p, "zoneinfo/"); i >= 0 {
			return p[i+len("zoneinfo/"):]
		}
		return ""
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if valid(tz) && !filepath.IsAbs(tz) {
			return tz
		}
		if name := fromPath(tz); valid(name) {
			return name
		}
	}
	if p, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if name := fromPath(p); valid(name) {
			return name
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		if name := strings.TrimSpace(string(b)); valid(name) {
			return name
		}
	}
	return "UTC"
}
