package caldav

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"oneonone/calendar"
)

// Discovery is what discovery found, so that a later process can skip it
// (Client.Discovery, Client.RestoreDiscovery). It is JSON-encodable; the
// main program keeps it in its state file.
type Discovery struct {
	// Fingerprint is of the configuration it was found for (URL, user,
	// configured calendars); a snapshot with another is not restored.
	Fingerprint string `json:"fingerprint"`
	// FoundAt and TTL bound its life: it is trusted until FoundAt+TTL.
	FoundAt time.Time     `json:"found_at"`
	TTL     time.Duration `json:"ttl"`
	// Calendars are the calendars to sync, in the order Calendars gives.
	Calendars []DiscoveredCalendar `json:"calendars"`
	// Scheduling is what the server does about RFC 6638 scheduling.
	Scheduling SchedulingInfo `json:"scheduling"`
	// Hosts are the origins ("https://p12-caldav.icloud.com") that get the
	// credentials, the configured one included.
	Hosts []string `json:"hosts"`
	// OutboxURL is the principal's RFC 6638 schedule-outbox-URL (full URL),
	// where FreeBusy POSTs; "" when the server names none, or the calendars
	// were configured and FreeBusy has not yet asked the principal (see
	// OutboxLooked). A snapshot written before this
	// field existed has Scheduling.Outbox true and no OutboxURL: it is
	// restored as it is, and FreeBusy discovers again (see outbox).
	OutboxURL string `json:"outbox_url,omitempty"`
	// Addresses are the principal's calendar-user-address-set mailto
	// addresses, without "mailto:", as the server wrote them; empty when
	// unknown (as for OutboxURL).
	Addresses []string `json:"addresses,omitempty"`
	// OutboxLooked is true when the calendars were configured and FreeBusy
	// has since asked the principal for OutboxURL and Addresses (see
	// Client.FreeBusy): whatever it found, it does not ask again while
	// this snapshot lives. Discovery proper never sets it.
	OutboxLooked bool `json:"outbox_looked,omitempty"`
}

// DiscoveredCalendar is one calendar found: its calendar.Ref and the full
// URL requests to it go to.
type DiscoveredCalendar struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Scheduling says whether a server does RFC 6638 implicit scheduling (sends
// invitations and replies itself when an event with attendees is written),
// and whether this client knows how to tell it not to.
type Scheduling int

const (
	// SchedulingNone: the server does not announce calendar-auto-schedule
	// (Radicale, Xandikos, caldavserver): a PUT notifies nobody.
	SchedulingNone Scheduling = iota
	// SchedulingSuppressed: it does, and it is one known to honour the
	// headers every Put sends (sabre/dav: Schedule-Reply: F, so Nextcloud
	// and Baikal; Cyrus: Scheduling-Enabled: F, so Fastmail).
	SchedulingSuppressed
	// SchedulingUnknown: it does, or may (OPTIONS failed), and it is not
	// one we know how to stop (iCloud, DAViCal, …).
	SchedulingUnknown
)

var schedulingNames = []string{"none", "suppressed", "unknown"}

func (s Scheduling) String() string {
	if int(s) >= 0 && int(s) < len(schedulingNames) {
		return schedulingNames[s]
	}
	return fmt.Sprintf("Scheduling(%d)", int(s))
}

// MarshalText writes the name ("none", "suppressed", "unknown").
func (s Scheduling) MarshalText() ([]byte, error) {
	if int(s) < 0 || int(s) >= len(schedulingNames) {
		return nil, fmt.Errorf("bad scheduling value %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a name MarshalText wrote.
func (s *Scheduling) UnmarshalText(b []byte) error {
	i := slices.Index(schedulingNames, string(b))
	if i < 0 {
		return fmt.Errorf("bad scheduling value %q", b)
	}
	*s = Scheduling(i)
	return nil
}

// SchedulingInfo is what discovery learnt of a server's scheduling, from an
// OPTIONS request (RFC 4791 §5.1 DAV header, RFC 6638 §2
// calendar-auto-schedule) and the principal.
type SchedulingInfo struct {
	Mode Scheduling `json:"mode"`
	// Server names the server for messages: "sabre/dav 4.7.0",
	// "Nextcloud (sabre/dav)", "Cyrus", "unknown".
	Server string `json:"server"`
	// AutoSchedule is true when the DAV header has calendar-auto-schedule.
	AutoSchedule bool `json:"auto_schedule"`
	// Outbox is true when the principal names a schedule-outbox-URL (only
	// known when the calendars were discovered, not configured).
	Outbox bool `json:"outbox"`
}

// fingerprint identifies a configuration: a snapshot of discovery holds for
// it only.
func fingerprint(baseURL, user string, calendars []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "oneonone caldav discovery v1\x00%s\x00%s", baseURL, user)
	for _, c := range calendars {
		fmt.Fprintf(h, "\x00%s", c)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Calendars lists the calendars to sync: the configured ones (each checked
// to be a calendar collection), or those that discovery finds: RFC 6764
// /.well-known/caldav, then current-user-principal (RFC 5397) →
// calendar-home-set → the calendar collections in it whose
// supported-calendar-component-set allows VEVENT or says nothing, less the
// principal's scheduling inbox and outbox (RFC 6638). When Options.URL is
// itself a calendar collection, it is the one calendar. What it finds is
// remembered for refsTTL (see Discovery).
func (c *Client) Calendars(ctx context.Context) ([]calendar.Ref, error) {
	d, err := c.discovery(ctx)
	if d == nil {
		return nil, err
	}
	refs := make([]calendar.Ref, 0, len(d.Calendars))
	for _, dc := range d.Calendars {
		refs = append(refs, calendar.Ref{ID: dc.ID, Name: dc.Name})
	}
	return refs, err
}

// Scheduling returns what the server does about implicit scheduling, from
// the remembered discovery, discovering first when there is none.
func (c *Client) Scheduling(ctx context.Context) (SchedulingInfo, error) {
	d, err := c.discovery(ctx)
	if d == nil {
		return SchedulingInfo{Mode: SchedulingUnknown, Server: "unknown"}, err
	}
	return d.Scheduling, err
}

// Discovery returns a copy of what discovery found, false when nothing is
// remembered (never found, expired, or forgotten because a calendar was
// gone): then the caller should drop any snapshot it keeps.
func (c *Client) Discovery() (Discovery, bool) {
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	if !c.fresh() {
		return Discovery{}, false
	}
	d := *c.disc
	d.Calendars = slices.Clone(d.Calendars)
	d.Hosts = slices.Clone(d.Hosts)
	d.Addresses = slices.Clone(d.Addresses)
	return d, true
}

// RestoreDiscovery takes a snapshot that Discovery gave, perhaps in another
// process, so that Calendars and Scheduling make no request. It reports
// whether it was taken: not when it is for another configuration
// (fingerprint), expired, or from the future; each host in it gets the
// credentials only if it still passes the rule (see Client).
func (c *Client) RestoreDiscovery(d Discovery) bool {
	age := time.Since(d.FoundAt)
	if d.Fingerprint != c.fingerprint || d.FoundAt.IsZero() || age < -time.Minute || age >= min(d.TTL, refsTTL) {
		return false
	}
	var cals []DiscoveredCalendar
	for _, dc := range d.Calendars {
		if _, err := c.url(dc.ID); err != nil || dc.ID == "" {
			return false
		}
		cals = append(cals, dc)
	}
	for _, h := range d.Hosts {
		if u, err := url.Parse(h); err == nil && u.Host != "" {
			c.named(u)
		}
	}
	if d.OutboxURL != "" {
		if u, err := url.Parse(d.OutboxURL); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return false
		}
	}
	d.Addresses = slices.Clone(d.Addresses)
	d.Calendars = cals
	d.TTL = min(d.TTL, refsTTL)
	d.Hosts = c.credentialHosts()
	c.refsMu.Lock()
	c.disc = &d
	c.refsMu.Unlock()
	return true
}

// fresh tells whether c.disc may be used. refsMu is held.
func (c *Client) fresh() bool {
	return c.disc != nil && time.Since(c.disc.FoundAt) < c.disc.TTL
}

// discovery returns the remembered discovery, or finds it. With configured
// calendars some of which fail it returns what it found with the error,
// remembering nothing.
func (c *Client) discovery(ctx context.Context) (*Discovery, error) {
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	if c.fresh() {
		return c.disc, nil
	}
	d, err := c.findCalendars(ctx)
	if d == nil {
		return nil, err
	}
	d.Fingerprint, d.FoundAt, d.TTL = c.fingerprint, time.Now(), refsTTL
	d.Hosts = c.credentialHosts()
	if err == nil {
		c.disc = d
	}
	return d, err
}

// forget drops the remembered discovery when it holds the calendar at u:
// the next Calendars discovers again.
func (c *Client) forget(u *url.URL) {
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	if c.disc == nil {
		return
	}
	for _, dc := range c.disc.Calendars {
		if cu, err := c.url(dc.ID); err == nil && sameResource(cu, u) {
			c.log.Debug("caldav: a remembered calendar is gone, discovering again next time", slog.String("calendar", dc.ID))
			c.disc = nil
			return
		}
	}
}

// calendarGone tells whether a calendar's request failed with 404 or 410.
func calendarGone(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone)
}

// findCalendars checks the configured calendars, or discovers them.
func (c *Client) findCalendars(ctx context.Context) (*Discovery, error) {
	if len(c.calendars) > 0 {
		d := &Discovery{}
		var errs []error
		for _, p := range c.calendars {
			dc, err := c.calendarRef(ctx, p)
			if err != nil {
				if errors.Is(err, ErrAuthFailed) || errors.Is(err, ErrCredentialsWithheld) {
					return nil, err
				}
				errs = append(errs, err)
				continue
			}
			d.Calendars = append(d.Calendars, dc)
		}
		if len(d.Calendars) > 0 {
			u, _ := url.Parse(d.Calendars[0].URL)
			d.Scheduling = c.scheduling(ctx, u)
		}
		return d, errors.Join(errs...)
	}
	d, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("discover calendars at %s: %w", c.base.Redacted(), err)
	}
	return d, nil
}

// calendarRef checks that the configured calendar at key p is a calendar
// collection and names it.
func (c *Client) calendarRef(ctx context.Context, p string) (DiscoveredCalendar, error) {
	want, err := c.url(p)
	if err != nil {
		return DiscoveredCalendar{}, fmt.Errorf("check calendar %s: %w", p, err)
	}
	ms, err := c.davRequest(ctx, "PROPFIND", p, "0", propfindDiscover)
	if err != nil {
		return DiscoveredCalendar{}, fmt.Errorf("check calendar %s: %w", p, err)
	}
	for _, r := range ms.Responses {
		u, err := r.url(ms.base)
		if err != nil || !sameResource(u, want) && !sameResource(u, ms.base) {
			continue
		}
		pr := r.props()
		if !pr.ResourceType.has(nsCalDAV, "calendar") {
			return DiscoveredCalendar{}, fmt.Errorf("check calendar %s: not a calendar collection", p)
		}
		return DiscoveredCalendar{ID: p, Name: displayName(want.Path, pr.DisplayName), URL: want.String()}, nil
	}
	return DiscoveredCalendar{}, fmt.Errorf("check calendar %s: no answer for it in the PROPFIND response", p)
}

func displayName(p string, name *string) string {
	if name != nil && strings.TrimSpace(*name) != "" {
		return strings.TrimSpace(*name)
	}
	return path.Base(strings.TrimSuffix(p, "/"))
}

func allowsEvents(comps []string) bool {
	if len(comps) == 0 {
		return true
	}
	return slices.ContainsFunc(comps, func(s string) bool { return strings.EqualFold(s, "VEVENT") })
}

func components(pr prop) []string {
	var comps []string
	if pr.SupportedCompSet != nil {
		for _, comp := range pr.SupportedCompSet.Comps {
			comps = append(comps, comp.Name)
		}
	}
	return comps
}

// discover walks from the context path to the calendars.
func (c *Client) discover(ctx context.Context) (*Discovery, error) {
	// RFC 6764 §5: with only a host, start from the well-known URI; with a
	// path, start there and try the well-known URI after.
	starts := []string{c.base.EscapedPath(), "/.well-known/caldav"}
	if c.base.Path == "/" {
		starts[0], starts[1] = starts[1], starts[0]
	}
	var errs []error
	for _, start := range starts {
		d, err := c.discoverFrom(ctx, start)
		if err == nil {
			c.log.Debug("caldav: discovered calendars", slog.String("url", c.base.Redacted()), slog.String("start", start),
				slog.Int("calendars", len(d.Calendars)))
			return d, nil
		}
		if errors.Is(err, ErrAuthFailed) || errors.Is(err, ErrCredentialsWithheld) {
			return nil, err
		}
		c.log.Debug("caldav: discovery step failed", slog.String("url", c.base.Redacted()), slog.String("start", start), slog.Any("error", err))
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// hrefs resolves the hrefs of a property against base, skipping those that
// are no good. When the answer came from a host that has the credentials,
// each is named by the server (see Client.named).
func (c *Client) hrefs(base *url.URL, hp *hrefProp) []*url.URL {
	if hp == nil {
		return nil
	}
	trusted := c.hasCredentials(base)
	var out []*url.URL
	for _, h := range hp.Hrefs {
		u, err := resolveHref(base, h)
		if err != nil {
			c.log.Debug("caldav: skipping a bad href", slog.Any("error", err))
			continue
		}
		if trusted {
			c.named(u)
		}
		out = append(out, u)
	}
	return out
}

func (c *Client) discoverFrom(ctx context.Context, start string) (*Discovery, error) {
	ms, err := c.davRequest(ctx, "PROPFIND", start, "0", propfindDiscover)
	if err != nil {
		return nil, fmt.Errorf("find principal from %s: %w", start, err)
	}
	if len(ms.Responses) == 0 {
		return nil, fmt.Errorf("find principal from %s: empty multistatus", start)
	}
	// After a redirect the one response names the resource we ended at.
	r := ms.Responses[0]
	here, err := r.url(ms.base)
	if err != nil {
		return nil, fmt.Errorf("find principal from %s: %w", start, err)
	}
	pr := r.props()
	if pr.ResourceType.has(nsCalDAV, "calendar") {
		if comps := components(pr); !allowsEvents(comps) {
			return nil, fmt.Errorf("calendar %s holds no events (components %s)", here.Redacted(), strings.Join(comps, ", "))
		}
		if c.hasCredentials(ms.base) {
			c.named(here)
		}
		d := &Discovery{Calendars: []DiscoveredCalendar{{
			ID: collectionKey(c.keyOf(here)), Name: displayName(here.Path, pr.DisplayName), URL: here.String(),
		}}}
		d.Scheduling = c.scheduling(ctx, here)
		return d, nil
	}

	homes := c.hrefs(ms.base, pr.CalendarHomeSet)
	inbox := c.hrefs(ms.base, pr.ScheduleInboxURL)
	outbox := c.hrefs(ms.base, pr.ScheduleOutboxURL)
	principals := c.hrefs(ms.base, pr.CurrentUserPrincipal)
	addrs := mailtoAddresses(pr.CalendarUserAddrSet)
	// Ask the principal for its home and scheduling collections unless this
	// answer was the principal's own, or gave both.
	if len(principals) > 0 && (len(homes) == 0 || len(inbox)+len(outbox) == 0 && !sameResource(principals[0], here)) {
		p := principals[0]
		pms, err := c.davRequest(ctx, "PROPFIND", p.String(), "0", propfindPrincipal)
		if err != nil {
			if len(homes) == 0 {
				return nil, fmt.Errorf("find calendar home of %s: %w", p.Redacted(), err)
			}
			c.log.Debug("caldav: principal gave no scheduling collections", slog.String("principal", p.Redacted()), slog.Any("error", err))
		} else {
			for _, pr := range pms.Responses {
				pp := pr.props()
				if len(homes) == 0 {
					homes = c.hrefs(pms.base, pp.CalendarHomeSet)
				}
				inbox = append(inbox, c.hrefs(pms.base, pp.ScheduleInboxURL)...)
				outbox = append(outbox, c.hrefs(pms.base, pp.ScheduleOutboxURL)...)
				if len(addrs) == 0 {
					addrs = mailtoAddresses(pp.CalendarUserAddrSet)
				}
			}
		}
	}
	if len(homes) == 0 {
		if len(principals) == 0 {
			return nil, fmt.Errorf("find principal from %s: the server names no current-user-principal", start)
		}
		return nil, fmt.Errorf("find calendar home of %s: the server names none", principals[0].Redacted())
	}
	skip := map[string]bool{}
	for _, u := range append(inbox, outbox...) {
		skip[resourceID(u)] = true
	}

	d := &Discovery{}
	seen := map[string]bool{}
	for _, home := range homes {
		hms, err := c.davRequest(ctx, "PROPFIND", home.String(), "1", propfindHome)
		if err != nil {
			return nil, fmt.Errorf("list calendars in %s: %w", home.Redacted(), err)
		}
		for _, r := range hms.responses() {
			u, err := r.url(hms.base)
			if err != nil {
				c.log.Debug("caldav: skipping a bad response in a calendar home", slog.Any("error", err))
				continue
			}
			if code := statusCode(r.Status); code != 0 && code/100 != 2 {
				continue
			}
			pr := r.props()
			// DAViCal lists the scheduling inbox and outbox (.in/, .out/)
			// as calendars: they are left out by the principal's URLs for
			// them and by their resource types, on every server.
			if !pr.ResourceType.has(nsCalDAV, "calendar") || pr.ResourceType.has(nsCalDAV, "schedule-inbox") ||
				pr.ResourceType.has(nsCalDAV, "schedule-outbox") || skip[resourceID(u)] || !allowsEvents(components(pr)) {
				continue
			}
			id := collectionKey(c.keyOf(u))
			if seen[resourceID(u)] {
				continue
			}
			seen[resourceID(u)] = true
			if c.hasCredentials(hms.base) {
				c.named(u)
			}
			d.Calendars = append(d.Calendars, DiscoveredCalendar{ID: id, Name: displayName(u.Path, pr.DisplayName), URL: u.String()})
		}
	}
	slices.SortFunc(d.Calendars, func(a, b DiscoveredCalendar) int { return strings.Compare(a.ID, b.ID) })
	d.Scheduling = c.scheduling(ctx, homes[0])
	d.Scheduling.Outbox = len(outbox) > 0
	if len(outbox) > 0 {
		d.OutboxURL = outbox[0].String()
	}
	d.Addresses = addrs
	return d, nil
}

// mailtoAddresses returns the mailto: hrefs of a calendar-user-address-set
// without their scheme (matched case-insensitively), in the server's order,
// each once; other hrefs (urn:uuid:, the principal's URL) are left out.
func mailtoAddresses(hp *hrefProp) []string {
	if hp == nil {
		return nil
	}
	var out []string
	for _, h := range hp.Hrefs {
		h = strings.TrimSpace(h)
		if len(h) <= len("mailto:") || !strings.EqualFold(h[:len("mailto:")], "mailto:") {
			continue
		}
		a := strings.TrimSpace(h[len("mailto:"):])
		if a == "" || slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, a) }) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// scheduling asks OPTIONS of u (the calendar home, or a calendar) and reads
// what the server does about implicit scheduling from its headers. A failed
// OPTIONS gives SchedulingUnknown: nothing proves the server will not send.
func (c *Client) scheduling(ctx context.Context, u *url.URL) SchedulingInfo {
	unknown := SchedulingInfo{Mode: SchedulingUnknown, Server: "unknown"}
	if u == nil {
		return unknown
	}
	req, err := newRequestURL(ctx, http.MethodOptions, u, nil)
	if err != nil {
		return unknown
	}
	resp, err := c.do(req)
	if err != nil {
		c.log.Debug("caldav: OPTIONS failed", slog.String("url", u.Redacted()), slog.Any("error", err))
		return unknown
	}
	drain(resp)
	if resp.StatusCode/100 != 2 {
		c.log.Debug("caldav: OPTIONS failed", slog.String("url", u.Redacted()), slog.String("status", resp.Status))
		return unknown
	}
	return parseScheduling(resp.Header)
}

// parseScheduling reads an OPTIONS answer's headers: the DAV header's
// tokens (several headers, each comma-separated) and what names the server.
// sabre/dav sends X-Sabre-Version (Baikal); Nextcloud hides it but has DAV
// tokens starting "nextcloud-" or "nc-"; Cyrus sends Server: Cyrus-HTTP/….
func parseScheduling(h http.Header) SchedulingInfo {
	var tokens []string
	for _, v := range h.Values("DAV") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				tokens = append(tokens, t)
			}
		}
	}
	info := SchedulingInfo{Server: "unknown", AutoSchedule: slices.Contains(tokens, "calendar-auto-schedule")}
	known := true
	switch v := strings.TrimSpace(h.Get("X-Sabre-Version")); {
	case v != "":
		info.Server = "sabre/dav " + v
	case slices.ContainsFunc(tokens, func(t string) bool { return strings.HasPrefix(t, "nextcloud-") || strings.HasPrefix(t, "nc-") }):
		info.Server = "Nextcloud (sabre/dav)"
	case strings.HasPrefix(strings.TrimSpace(h.Get("Server")), "Cyrus-HTTP/"):
		info.Server = "Cyrus"
	default:
		known = false
	}
	switch {
	case !info.AutoSchedule:
		info.Mode = SchedulingNone
	case known:
		info.Mode = SchedulingSuppressed
	default:
		info.Mode = SchedulingUnknown
	}
	return info
}
