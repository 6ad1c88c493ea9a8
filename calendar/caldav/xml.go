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

// path returns the response's href as a percent-decoded absolute path.
func (r *response) path() (string, error) {
	if len(r.Hrefs) != 1 {
		return "", fmt.Errorf("response with %d hrefs, want 1", len(r.Hrefs))
	}
	return hrefPath(r.Hrefs[0])
}

// hrefPath turns an href as a server wrote it (an absolute path or a full
// URL, percent-encoded to the server's taste) into a percent-decoded
// absolute path, the one form hrefs take in this package.
func hrefPath(href string) (string, error) {
	href = strings.TrimSpace(href)
	u, err := url.Parse(href)
	if err != nil {
		return "", fmt.Errorf("bad href %q: %v", href, err)
	}
	if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("bad href %q: not an absolute path", href)
	}
	return u.Path, nil
}

// escapePath percent-encodes a decoded path for a request line or an href
// in a request body.
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
		`</d:prop></d:propfind>`
)

func syncCollectionBody(token string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:"><d:sync-token>` + xmlText(token) +
		`</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
}

func multigetBody(paths []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>`)
	for _, p := range paths {
		b.WriteString("<d:href>")
		b.WriteString(xmlText(escapePath(p)))
		b.WriteString("</d:href>")
	}
	b.WriteString("</c:calendar-multiget>")
	return b.String()
}
