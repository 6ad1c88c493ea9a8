package caldavserver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
)

type xmlName struct{ space, local string }

// rootName returns the name of the root element of an XML document.
func rootName(body []byte) xmlName {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return xmlName{}
		}
		if se, ok := tok.(xml.StartElement); ok {
			return xmlName{se.Name.Space, se.Name.Local}
		}
	}
}

// displayNameIn finds a DAV:displayname anywhere in an XML body.
func displayNameIn(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsDAV && se.Name.Local == "displayname" {
			var s string
			if d.DecodeElement(&s, &se) != nil {
				return ""
			}
			return strings.TrimSpace(s)
		}
	}
}

// propNames collects the names of an element's children (the properties
// asked for in a DAV:prop).
type propNames []xmlName

func (p *propNames) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			*p = append(*p, xmlName{t.Name.Space, t.Name.Local})
			if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

type propfindReq struct {
	XMLName  xml.Name   `xml:"DAV: propfind"`
	Prop     *propNames `xml:"DAV: prop"`
	AllProp  *struct{}  `xml:"DAV: allprop"`
	PropName *struct{}  `xml:"DAV: propname"`
}

type multigetReq struct {
	XMLName xml.Name   `xml:"urn:ietf:params:xml:ns:caldav calendar-multiget"`
	Prop    *propNames `xml:"DAV: prop"`
	Hrefs   []string   `xml:"DAV: href"`
}

// msWriter writes a multistatus by hand, with fixed prefixes.
type msWriter struct{ b strings.Builder }

func newMS() *msWriter {
	w := &msWriter{}
	w.b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	w.b.WriteString(`<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">`)
	return w
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func hrefXML(p string) string {
	return "<d:href>" + esc((&url.URL{Path: p}).EscapedPath()) + "</d:href>"
}

// elem renders an empty element for a property name.
func elem(n xmlName) string {
	switch n.space {
	case nsDAV:
		return "<d:" + n.local + "/>"
	case nsCalDAV:
		return "<c:" + n.local + "/>"
	case nsCS:
		return "<cs:" + n.local + "/>"
	}
	return fmt.Sprintf(`<x:%s xmlns:x="%s"/>`, n.local, esc(n.space))
}

// response writes one response: found properties in a 200 propstat, the
// others in a 404 one.
func (w *msWriter) response(p string, values map[xmlName]string, order []xmlName, asked []xmlName, namesOnly bool) {
	w.b.WriteString("<d:response>" + hrefXML(p))
	if asked == nil {
		asked = order
	}
	var ok, missing strings.Builder
	for _, n := range asked {
		v, found := values[n]
		switch {
		case !found:
			missing.WriteString(elem(n))
		case namesOnly:
			ok.WriteString(elem(n))
		default:
			ok.WriteString(v)
		}
	}
	if ok.Len() > 0 {
		w.b.WriteString("<d:propstat><d:prop>" + ok.String() + "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>")
	}
	if missing.Len() > 0 {
		w.b.WriteString("<d:propstat><d:prop>" + missing.String() + "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>")
	}
	w.b.WriteString("</d:response>")
}

func (w *msWriter) status(p string, code int) {
	fmt.Fprintf(&w.b, "<d:response>%s<d:status>HTTP/1.1 %d %s</d:status></d:response>", hrefXML(p), code, http.StatusText(code))
}

func (w *msWriter) serve(rw http.ResponseWriter) {
	w.b.WriteString("</d:multistatus>")
	rw.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	rw.WriteHeader(http.StatusMultiStatus)
	rw.Write([]byte(w.b.String()))
}

var (
	pResourceType  = xmlName{nsDAV, "resourcetype"}
	pDisplayName   = xmlName{nsDAV, "displayname"}
	pGetETag       = xmlName{nsDAV, "getetag"}
	pGetCType      = xmlName{nsDAV, "getcontenttype"}
	pGetCLength    = xmlName{nsDAV, "getcontentlength"}
	pGetLastMod    = xmlName{nsDAV, "getlastmodified"}
	pReportSet     = xmlName{nsDAV, "supported-report-set"}
	pPrincipal     = xmlName{nsDAV, "current-user-principal"}
	pCompSet       = xmlName{nsCalDAV, "supported-calendar-component-set"}
	pCalDesc       = xmlName{nsCalDAV, "calendar-description"}
	pCalData       = xmlName{nsCalDAV, "calendar-data"}
	pCTag          = xmlName{nsCS, "getctag"}
	collectionKeys = []xmlName{pResourceType, pDisplayName, pCTag, pGetETag, pReportSet, pCompSet, pCalDesc, pPrincipal}
	objectKeys     = []xmlName{pResourceType, pGetETag, pGetCType, pGetCLength, pGetLastMod}
)

// propfindCalendar answers PROPFIND on a calendar collection (Depth 0 or 1).
func (s *Server) propfindCalendar(w http.ResponseWriter, r *http.Request) {
	var req propfindReq
	if r.ContentLength != 0 {
		if err := xml.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, "bad PROPFIND body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	var asked []xmlName // nil: allprop
	if req.Prop != nil {
		asked = *req.Prop
	}
	namesOnly := req.PropName != nil
	depth := r.Header.Get("Depth")

	s.mu.RLock()
	c := s.calendars[collectionPath(r.URL.Path)]
	if c == nil {
		s.mu.RUnlock()
		http.Error(w, "no such calendar", http.StatusNotFound)
		return
	}
	ms := newMS()
	vals := map[xmlName]string{
		pResourceType: "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>",
		pReportSet: "<d:supported-report-set>" +
			"<d:supported-report><d:report><c:calendar-multiget/></d:report></d:supported-report>" +
			"<d:supported-report><d:report><c:calendar-query/></d:report></d:supported-report>" +
			"</d:supported-report-set>",
		pCompSet:   `<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>`,
		pPrincipal: "<d:current-user-principal>" + hrefXML(s.principal) + "</d:current-user-principal>",
	}
	if c.name != "" {
		vals[pDisplayName] = "<d:displayname>" + esc(c.name) + "</d:displayname>"
	}
	if c.description != "" {
		vals[pCalDesc] = "<c:calendar-description>" + esc(c.description) + "</c:calendar-description>"
	}
	if !s.noCTag {
		ctag := c.ctag()
		vals[pCTag] = "<cs:getctag>" + esc(ctag) + "</cs:getctag>"
		vals[pGetETag] = `<d:getetag>"` + esc(ctag) + `"</d:getetag>`
	}
	ms.response(c.path, vals, collectionKeys, asked, namesOnly)
	if depth != "0" {
		hrefs := make([]string, 0, len(c.objects))
		for h := range c.objects {
			hrefs = append(hrefs, h)
		}
		slices.Sort(hrefs)
		for _, h := range hrefs {
			ms.response(h, objectValues(c.objects[h], false), objectKeys, asked, namesOnly)
		}
	}
	s.mu.RUnlock()
	ms.serve(w)
}

func objectValues(o *object, withData bool) map[xmlName]string {
	v := map[xmlName]string{
		pResourceType: "<d:resourcetype/>",
		pGetETag:      `<d:getetag>"` + esc(o.etag) + `"</d:getetag>`,
		pGetCType:     "<d:getcontenttype>text/calendar; charset=utf-8; component=VEVENT</d:getcontenttype>",
		pGetCLength:   fmt.Sprintf("<d:getcontentlength>%d</d:getcontentlength>", len(o.data)),
		pGetLastMod:   "<d:getlastmodified>" + o.modTime.Format(http.TimeFormat) + "</d:getlastmodified>",
	}
	if withData {
		// EscapeText writes CR as &#xD;, so the bytes survive XML parsing.
		v[pCalData] = "<c:calendar-data>" + esc(string(o.data)) + "</c:calendar-data>"
	}
	return v
}

// multiget answers an RFC 4791 §7.9 calendar-multiget with the stored bytes.
func (s *Server) multiget(w http.ResponseWriter, r *http.Request, body []byte) {
	var req multigetReq
	if err := xml.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad calendar-multiget body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var asked []xmlName
	if req.Prop != nil {
		asked = *req.Prop
	}
	ms := newMS()
	s.mu.RLock()
	for _, raw := range req.Hrefs {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			ms.status(raw, http.StatusBadRequest)
			continue
		}
		o := s.object(u.Path)
		if o == nil {
			ms.status(u.Path, http.StatusNotFound)
			continue
		}
		ms.response(u.Path, objectValues(o, true), append(slices.Clone(objectKeys), pCalData), asked, false)
	}
	s.mu.RUnlock()
	ms.serve(w)
}
