package caldav

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// XML namespaces of WebDAV (RFC 4918), CalDAV (RFC 4791) and Apple's
// calendarserver extensions (getctag).
const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
)

// maxXMLBody bounds the size of a multistatus body we are willing to parse.
const maxXMLBody = 256 << 20

// multistatus is an RFC 4918 §14.16 multistatus, with the RFC 6578
// sync-token a sync-collection report adds.
type multistatus struct {
	// base is the URL of the request answered (after redirects), which
	// relative hrefs resolve against.
	base      *url.URL
	XMLName   xml.Name   `xml:"DAV: multistatus"`
	Responses []response `xml:"DAV: response"`
	SyncToken string     `xml:"DAV: sync-token"`
}

type response struct {
	Hrefs     []string   `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	PropStats []propstat `xml:"DAV: propstat"`
	Error     *nameSet   `xml:"DAV: error"`
}

type propstat struct {
	Status string `xml:"DAV: status"`
	Prop   prop   `xml:"DAV: prop"`
}

// prop holds every property this client asks for. A pointer is nil when
// the property was not returned with a success status.
type prop struct {
	ResourceType         *nameSet  `xml:"DAV: resourcetype"`
	GetETag              *string   `xml:"DAV: getetag"`
	GetContentType       *string   `xml:"DAV: getcontenttype"`
	DisplayName          *string   `xml:"DAV: displayname"`
	SyncToken            *string   `xml:"DAV: sync-token"`
	SupportedReportSet   *nameSet  `xml:"DAV: supported-report-set"`
	CurrentUserPrincipal *hrefProp `xml:"DAV: current-user-principal"`
	CalendarHomeSet      *hrefProp `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
	ScheduleInboxURL     *hrefProp `xml:"urn:ietf:params:xml:ns:caldav schedule-inbox-URL"`
	ScheduleOutboxURL    *hrefProp `xml:"urn:ietf:params:xml:ns:caldav schedule-outbox-URL"`
	CalendarUserAddrSet  *hrefProp `xml:"urn:ietf:params:xml:ns:caldav calendar-user-address-set"`
	SupportedCompSet     *compSet  `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
	CalendarData         *string   `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	GetCTag              *string   `xml:"http://calendarserver.org/ns/ getctag"`
}

type hrefProp struct {
	Hrefs []string `xml:"DAV: href"`
}

type compSet struct {
	Comps []struct {
		Name string `xml:"name,attr"`
	} `xml:"urn:ietf:params:xml:ns:caldav comp"`
}

// nameSet records the names of all elements below the one it decodes
// (resource types, supported reports, error conditions), whatever their
// nesting: servers differ (Radicale wraps reports in DAV:report, Xandikos
// does not).
type nameSet map[xml.Name]bool

func (s *nameSet) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	m := nameSet{}
	depth := 1
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			m[t.Name] = true
			depth++
		case xml.EndElement:
			depth--
		}
	}
	*s = m
	return nil
}

func (s *nameSet) has(space, local string) bool {
	return s != nil && (*s)[xml.Name{Space: space, Local: local}]
}

// statusCode parses an RFC 4918 status line ("HTTP/1.1 404 Not Found").
// An empty line gives 0.
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return 0
	}
	return n
}

// props merges the properties of all propstats with a 2xx status.
func (r *response) props() prop {
	var out prop
	for _, ps := range r.PropStats {
		if c := statusCode(ps.Status); c != 0 && c/100 != 2 {
			continue
		}
		p := ps.Prop
		set := func(dst **string, src *string) {
			if src != nil && *dst == nil {
				*dst = src
			}
		}
		set(&out.GetETag, p.GetETag)
		set(&out.GetContentType, p.GetContentType)
		set(&out.DisplayName, p.DisplayName)
		set(&out.SyncToken, p.SyncToken)
		set(&out.CalendarData, p.CalendarData)
		set(&out.GetCTag, p.GetCTag)
		if p.ResourceType != nil && out.ResourceType == nil {
			out.ResourceType = p.ResourceType
		}
		if p.SupportedReportSet != nil && out.SupportedReportSet == nil {
			out.SupportedReportSet = p.SupportedReportSet
		}
		if p.CurrentUserPrincipal != nil && out.CurrentUserPrincipal == nil {
			out.CurrentUserPrincipal = p.CurrentUserPrincipal
		}
		if p.CalendarHomeSet != nil && out.CalendarHomeSet == nil {
			out.CalendarHomeSet = p.CalendarHomeSet
		}
		if p.ScheduleInboxURL != nil && out.ScheduleInboxURL == nil {
			out.ScheduleInboxURL = p.ScheduleInboxURL
		}
		if p.ScheduleOutboxURL != nil && out.ScheduleOutboxURL == nil {
			out.ScheduleOutboxURL = p.ScheduleOutboxURL
		}
		if p.CalendarUserAddrSet != nil && out.CalendarUserAddrSet == nil {
			out.CalendarUserAddrSet = p.CalendarUserAddrSet
		}
		if p.SupportedCompSet != nil && out.SupportedCompSet == nil {
			out.SupportedCompSet = p.SupportedCompSet
		}
	}
	return out
}

// responses returns ms's responses with each response that gives one status
// for several hrefs (RFC 4918 §14.24) split into one response per href.
func (ms *multistatus) responses() []response {
	out := make([]response, 0, len(ms.Responses))
	for _, r := range ms.Responses {
		if len(r.Hrefs) <= 1 || len(r.PropStats) > 0 {
			out = append(out, r)
			continue
		}
		for _, h := range r.Hrefs {
			one := r
			one.Hrefs = []string{h}
			out = append(out, one)
		}
	}
	return out
}

// url resolves the response's href against base, the URL of the request
// it answers (after redirects): an href may be an absolute path or a full
// URL (RFC 4918 §8.3), on this host or another. The raw path keeps the
// server's percent-encoding (url.URL.RawPath).
func (r *response) url(base *url.URL) (*url.URL, error) {
	if len(r.Hrefs) != 1 {
		return nil, fmt.Errorf("response with %d hrefs, want 1", len(r.Hrefs))
	}
	return resolveHref(base, r.Hrefs[0])
}

// resolveHref resolves one href as a server wrote it against base.
func resolveHref(base *url.URL, href string) (*url.URL, error) {
	href = strings.TrimSpace(href)
	ref, err := url.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("bad href %q: %v", href, redactParseError(err))
	}
	if ref.Scheme == "" && (ref.Path == "" || !strings.HasPrefix(ref.Path, "/")) {
		return nil, fmt.Errorf("bad href %q: not an absolute path", href)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("bad href %q: not an http(s) URL", href)
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment = nil, "", "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// escapePath percent-encodes a decoded path the way Go does.
func escapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

func decodeMultistatus(r io.Reader) (*multistatus, error) {
	var ms multistatus
	d := xml.NewDecoder(io.LimitReader(r, maxXMLBody))
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	if err := d.Decode(&ms); err != nil {
		return nil, fmt.Errorf("bad multistatus XML: %v", err)
	}
	return &ms, nil
}

// xmlText escapes s for use as XML character data.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Request bodies. They are small and fixed, so they are written as text.
const (
	propfindListing = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop>` +
		`<d:resourcetype/><d:getetag/><d:getcontenttype/><d:sync-token/><cs:getctag/><d:supported-report-set/>` +
		`</d:prop></d:propfind>`

	propfindCTag = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/></d:prop></d:propfind>`

	propfindETag = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`

	propfindDiscover = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>` +
		`<d:resourcetype/><d:displayname/><d:current-user-principal/><c:calendar-home-set/><c:supported-calendar-component-set/>` +
		`<c:schedule-inbox-URL/><c:schedule-outbox-URL/><c:calendar-user-address-set/>` +
		`</d:prop></d:propfind>`

	// propfindPrincipal asks a principal for its calendar home, its
	// RFC 6638 scheduling collections (left out of the calendars; the
	// outbox answers FreeBusy) and its addresses.
	propfindPrincipal = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>` +
		`<c:calendar-home-set/><c:schedule-inbox-URL/><c:schedule-outbox-URL/><c:calendar-user-address-set/>` +
		`</d:prop></d:propfind>`

	// propfindHome lists the collections of a calendar home.
	propfindHome = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>` +
		`<d:resourcetype/><d:displayname/><c:supported-calendar-component-set/>` +
		`</d:prop></d:propfind>`
)

func syncCollectionBody(token string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:"><d:sync-token>` + xmlText(token) +
		`</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
}

// multigetBody asks for the objects at hrefs, written as the server wrote
// them (raw paths, or full URLs for another host).
func multigetBody(hrefs []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>`)
	for _, h := range hrefs {
		b.WriteString("<d:href>")
		b.WriteString(xmlText(h))
		b.WriteString("</d:href>")
	}
	b.WriteString("</c:calendar-multiget>")
	return b.String()
}
