package caldav_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
)

// modelDAV is a model CalDAV server for the shapes of real deployments that
// the in-process server does not take: a front host naming another, hrefs
// percent-encoded or as full URLs, a sub-path behind a proxy, scheduling
// collections listed as calendars. Each route answers one method on one
// request-URI exactly as sent (RequestURI, its bytes): "/a@b" does not
// reach the route "/a%40b". Bodies may hold {{front}} and {{part}}, the
// URLs of the two hosts of a test.
type modelDAV struct {
	t        *testing.T
	user     string // Basic auth required when set ("anna"/"pw")
	mu       gosync.Mutex
	routes   map[string]route // "METHOD request-URI"
	vars     *strings.Replacer
	requests int
	noAuth   []string // "METHOD URI" of requests that came without credentials
}

type route struct {
	status  int
	header  map[string]string
	body    string
	bodyHas string // the request body must hold it (an href as written)
}

func (m *modelDAV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	key := r.Method + " " + r.RequestURI
	if m.user != "" {
		u, p, ok := r.BasicAuth()
		if !ok {
			m.noAuth = append(m.noAuth, key)
		}
		if !ok || u != m.user || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="model"`)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
	}
	rt, ok := m.routes[key]
	if !ok {
		http.Error(w, "no route "+key, http.StatusNotFound)
		return
	}
	if rt.bodyHas != "" && !strings.Contains(string(b), m.vars.Replace(rt.bodyHas)) {
		m.t.Errorf("%s: body lacks %q:\n%s", key, rt.bodyHas, b)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	for k, v := range rt.header {
		w.Header().Set(k, m.vars.Replace(v))
	}
	if rt.body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	}
	w.WriteHeader(rt.status)
	io.WriteString(w, m.vars.Replace(rt.body))
}

func (m *modelDAV) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

// XML helpers for the model's answers.
func msXML(responses ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">` +
		strings.Join(responses, "") + `</d:multistatus>`
}

func respXML(href, props string) string {
	return `<d:response><d:href>` + href + `</d:href><d:propstat><d:prop>` + props +
		`</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`
}

func hrefXML(h string) string { return `<d:href>` + h + `</d:href>` }

const (
	calType    = `<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>`
	collType   = `<d:resourcetype><d:collection/></d:resourcetype>`
	inboxType  = `<d:resourcetype><d:collection/><c:schedule-inbox/></d:resourcetype>`
	outboxType = `<d:resourcetype><d:collection/><c:schedule-outbox/></d:resourcetype>`
)

func ms207(body string) route { return route{status: 207, body: body} }

// calendarRoutes are the routes of one calendar holding one object: its
// listing, a multiget that must name the object's href as written, a PUT
// of the object, and OPTIONS with dav/hdr.
func calendarRoutes(rt map[string]route, calHref, objHref string) {
	calPath, objPath := pathOf(calHref), pathOf(objHref)
	rt["PROPFIND "+calPath] = ms207(msXML(
		respXML(calHref, calType+`<cs:getctag>c1</cs:getctag>`),
		respXML(objHref, `<d:getetag>"e1"</d:getetag><d:getcontenttype>text/calendar</d:getcontenttype>`)))
	rt["REPORT "+calPath] = route{status: 207, bodyHas: "<d:href>" + objPath + "</d:href>", body: msXML(
		respXML(objHref, `<d:getetag>"e1"</d:getetag><c:calendar-data>`+fmt.Sprintf(ics, "a", "A")+`</c:calendar-data>`))}
	rt["PUT "+objPath] = route{status: 204, header: map[string]string{"ETag": `"e2"`}}
}

// pathOf is the path of an href written as a path or {{front}}/{{part}} URL.
func pathOf(h string) string {
	for _, v := range []string{"{{front}}", "{{part}}"} {
		h = strings.TrimPrefix(h, v)
	}
	return h
}

// hostMap makes a client whose transport sends every request for a name
// in names to the listener at its address, TLS unchecked: test hosts on
// 127.0.0.1 with real names, so that the domain rule sees real names.
func hostMap(names map[string]string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if to, ok := names[host]; ok {
			addr = to
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// shape is one deployment: how the front host (the configured one) and
// the partition host answer.
type shape struct {
	name string
	tls  bool
	// names maps the hosts' names to front/part when set ("caldav.icloud.com").
	frontName, partName string
	path                string // of the configured URL
	calendars           []string
	routes              func(front, part map[string]route)
	wantIDs             []string // {{front}}/{{part}} stand for the URLs
	wantObj             string   // the key of the object in the first calendar
	wantErr             error    // of Calendars
	wantSched           caldav.SchedulingInfo
}

func (sh shape) run(t *testing.T) {
	ctx := context.Background()
	front := &modelDAV{t: t, user: "anna", routes: map[string]route{}}
	part := &modelDAV{t: t, user: "anna", routes: map[string]route{}}
	newServer := httptest.NewServer
	if sh.tls {
		newServer = httptest.NewTLSServer
	}
	fs, ps := newServer(front), newServer(part)
	t.Cleanup(fs.Close)
	t.Cleanup(ps.Close)
	frontURL, partURL := fs.URL, ps.URL
	names := map[string]string{}
	scheme := "http://"
	if sh.tls {
		scheme = "https://"
	}
	if sh.frontName != "" {
		names[sh.frontName] = fs.Listener.Addr().String()
		frontURL = scheme + sh.frontName
	}
	if sh.partName != "" {
		names[sh.partName] = ps.Listener.Addr().String()
		partURL = scheme + sh.partName
	}
	vars := strings.NewReplacer("{{front}}", frontURL, "{{part}}", partURL)
	front.vars, part.vars = vars, vars
	sh.routes(front.routes, part.routes)

	var cals []string
	for _, c := range sh.calendars {
		cals = append(cals, vars.Replace(c))
	}
	c, err := caldav.New(caldav.Options{URL: frontURL + sh.path, Username: "anna", Password: "pw", Calendars: cals, HTTPClient: hostMap(names)})
	if err != nil {
		t.Fatal(err)
	}
	checkCount := func() {
		t.Helper()
		if got, want := c.Requests(), int64(front.count()+part.count()); got != want {
			t.Errorf("client counted %d requests, the servers saw %d", got, want)
		}
	}
	refs, err := c.Calendars(ctx)
	checkCount()
	if sh.wantErr != nil {
		if !errors.Is(err, sh.wantErr) || errors.Is(err, caldav.ErrAuthFailed) || !strings.Contains(err.Error(), strings.TrimPrefix(strings.TrimPrefix(partURL, "https://"), "http://")) {
			t.Fatalf("Calendars: err = %v, want %v naming the other host", err, sh.wantErr)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Calendars: err is not one line: %q", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	var want []string
	for _, w := range sh.wantIDs {
		want = append(want, vars.Replace(w))
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("Calendars() IDs = %q, want %q", ids, want)
	}
	si, err := c.Scheduling(ctx)
	if err != nil || si != sh.wantSched {
		t.Errorf("Scheduling() = %+v, %v; want %+v", si, err, sh.wantSched)
	}
	ch, err := c.Changes(ctx, refs[0].ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantObj := vars.Replace(sh.wantObj)
	if len(ch.Put) != 1 || ch.Put[0].Href != wantObj || ch.Put[0].ETag != "e1" {
		t.Fatalf("Changes Put = %+v, want one object %s", ch.Put, wantObj)
	}
	etag, err := c.Put(ctx, ch.Put[0].Href, ch.Put[0].Data, ch.Put[0].ETag)
	if err != nil || etag != "e2" {
		t.Fatalf("Put = %q, %v", etag, err)
	}
	checkCount()
	for _, m := range []*modelDAV{front, part} {
		m.mu.Lock()
		if len(m.noAuth) > 0 {
			t.Errorf("requests without credentials: %q", m.noAuth)
		}
		m.mu.Unlock()
	}

	// The snapshot, through JSON, spares a new client the discovery.
	d, ok := c.Discovery()
	if !ok {
		t.Fatal("Discovery() = false after discovery")
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var d2 caldav.Discovery
	if err := json.Unmarshal(b, &d2); err != nil {
		t.Fatal(err)
	}
	c2, _ := caldav.New(caldav.Options{URL: frontURL + sh.path, Username: "anna", Password: "pw", Calendars: cals, HTTPClient: hostMap(names)})
	if !c2.RestoreDiscovery(d2) {
		t.Fatalf("RestoreDiscovery(%s) = false", b)
	}
	refs2, err := c2.Calendars(ctx)
	if err != nil || !slices.Equal(refs2, refs) || c2.Requests() != 0 {
		t.Fatalf("restored Calendars() = %v, %v after %d requests; want %v after none", refs2, err, c2.Requests(), refs)
	}
	if si2, _ := c2.Scheduling(ctx); si2 != si || c2.Requests() != 0 {
		t.Errorf("restored Scheduling() = %+v after %d requests, want %+v", si2, c2.Requests(), si)
	}
	if _, err := c2.Changes(ctx, refs[0].ID, "", nil); err != nil {
		t.Fatalf("Changes after a restore: %v", err)
	}
	if c2.Requests() != 2 {
		t.Errorf("Changes after a restore took %d requests, want 2 (listing, multiget)", c2.Requests())
	}
	other, _ := caldav.New(caldav.Options{URL: frontURL + sh.path, Username: "bob", Password: "pw", Calendars: cals, HTTPClient: hostMap(names)})
	if other.RestoreDiscovery(d2) {
		t.Error("a snapshot was restored for another user")
	}
}

// TestDiscoveryShapes runs discovery, a first sync and a write against
// each shape, counting requests on both sides and checking that every
// request carried the credentials, then restores the discovery snapshot
// in a new client.
func TestDiscoveryShapes(t *testing.T) {
	none := caldav.SchedulingInfo{Mode: caldav.SchedulingNone, Server: "unknown"}
	icloudDAV := map[string]string{"DAV": "1, 2, access-control, calendar-access, calendar-schedule, calendar-auto-schedule, calendar-managed-attachments"}
	for _, sh := range []shape{
		{
			// iCloud: the front host's principal names a calendar home on
			// a partition host, as an absolute URL; hrefs percent-encoded.
			name: "partition host", tls: true, frontName: "caldav.icloud.com", partName: "p12-caldav.icloud.com", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = route{status: 301, header: map[string]string{"Location": "/"}}
				front["PROPFIND /"] = ms207(msXML(respXML("/", collType+`<d:current-user-principal>`+hrefXML("/123/principal/")+`</d:current-user-principal>`)))
				front["PROPFIND /123/principal/"] = ms207(msXML(respXML("/123/principal/",
					`<c:calendar-home-set>`+hrefXML("{{part}}:443/123/calendars/")+`</c:calendar-home-set>`+
						`<c:schedule-inbox-URL>`+hrefXML("{{part}}/123/calendars/inbox/")+`</c:schedule-inbox-URL>`+
						`<c:schedule-outbox-URL>`+hrefXML("{{part}}/123/calendars/outbox/")+`</c:schedule-outbox-URL>`)))
				part["PROPFIND /123/calendars/"] = ms207(msXML(
					respXML("/123/calendars/", collType),
					respXML("/123/calendars/work%40home/", calType+`<d:displayname>Work</d:displayname>`),
					respXML("/123/calendars/inbox/", inboxType),
					respXML("/123/calendars/outbox/", outboxType),
					respXML("/123/calendars/tasks/", calType+`<c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set>`)))
				part["OPTIONS /123/calendars/"] = route{status: 200, header: icloudDAV}
				calendarRoutes(part, "/123/calendars/work%40home/", "/123/calendars/work%40home/a%40b.ics")
			},
			wantIDs:   []string{"{{part}}/123/calendars/work%40home/"},
			wantObj:   "{{part}}/123/calendars/work%40home/a%40b.ics",
			wantSched: caldav.SchedulingInfo{Mode: caldav.SchedulingUnknown, Server: "unknown", AutoSchedule: true, Outbox: true},
		},
		{
			// The front host redirects the well-known URI to the partition.
			name: "front redirects to the partition", tls: true, frontName: "caldav.icloud.com", partName: "p12-caldav.icloud.com", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = route{status: 301, header: map[string]string{"Location": "{{part}}/"}}
				part["PROPFIND /"] = ms207(msXML(respXML("/", collType+`<d:current-user-principal>`+hrefXML("/123/principal/")+`</d:current-user-principal>`)))
				part["PROPFIND /123/principal/"] = ms207(msXML(respXML("/123/principal/",
					`<c:calendar-home-set>`+hrefXML("/123/calendars/")+`</c:calendar-home-set>`)))
				part["PROPFIND /123/calendars/"] = ms207(msXML(respXML("/123/calendars/", collType),
					respXML("/123/calendars/home/", calType+`<d:displayname>Home</d:displayname>`)))
				part["OPTIONS /123/calendars/"] = route{status: 200, header: icloudDAV}
				calendarRoutes(part, "/123/calendars/home/", "/123/calendars/home/x.ics")
			},
			wantIDs:   []string{"{{part}}/123/calendars/home/"},
			wantObj:   "{{part}}/123/calendars/home/x.ics",
			wantSched: caldav.SchedulingInfo{Mode: caldav.SchedulingUnknown, Server: "unknown", AutoSchedule: true},
		},
		{
			// Two loopback servers: the same IP on another port is the
			// same site; hrefs are full URLs.
			name: "loopback other port, full URLs", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = ms207(msXML(respXML("{{front}}/.well-known/caldav", collType+
					`<d:current-user-principal>`+hrefXML("{{front}}/p/anna/")+`</d:current-user-principal>`)))
				front["PROPFIND /p/anna/"] = ms207(msXML(respXML("{{front}}/p/anna/", `<c:calendar-home-set>`+hrefXML("{{part}}/cal/anna/")+`</c:calendar-home-set>`)))
				part["PROPFIND /cal/anna/"] = ms207(msXML(respXML("{{part}}/cal/anna/", collType),
					respXML("{{part}}/cal/anna/work/", calType)))
				part["OPTIONS /cal/anna/"] = route{status: 200, header: map[string]string{"DAV": "1, 2, calendar-access"}}
				calendarRoutes(part, "{{part}}/cal/anna/work/", "{{part}}/cal/anna/work/a.ics")
			},
			wantIDs:   []string{"{{part}}/cal/anna/work/"},
			wantObj:   "{{part}}/cal/anna/work/a.ics",
			wantSched: none,
		},
		{
			// Full-URL hrefs on the configured host give the same keys
			// as paths (decoded paths: what state files hold today).
			name: "full URLs on the configured host", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = ms207(msXML(respXML("{{front}}/", collType+
					`<d:current-user-principal>`+hrefXML("{{front}}/p/anna/")+`</d:current-user-principal>`)))
				front["PROPFIND /p/anna/"] = ms207(msXML(respXML("{{front}}/p/anna/", `<c:calendar-home-set>`+hrefXML("{{front}}/cal/anna/")+`</c:calendar-home-set>`)))
				front["PROPFIND /cal/anna/"] = ms207(msXML(respXML("{{front}}/cal/anna/", collType),
					respXML("{{front}}/cal/anna/my%20work/", calType)))
				front["OPTIONS /cal/anna/"] = route{status: 200, header: map[string]string{"DAV": "1, 2, calendar-access"}}
				calendarRoutes(front, "{{front}}/cal/anna/my%20work/", "{{front}}/cal/anna/my%20work/%C3%A9t%C3%A9.ics")
			},
			wantIDs:   []string{"/cal/anna/my work/"},
			wantObj:   "/cal/anna/my work/été.ics",
			wantSched: none,
		},
		{
			// Percent-encoding the server chose (%40 for @, lower-case hex)
			// is kept byte for byte in keys and requests.
			name: "percent-encoded paths", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = route{status: 301, header: map[string]string{"Location": "/dav/"}}
				front["PROPFIND /dav/"] = ms207(msXML(respXML("/dav/", collType+`<d:current-user-principal>`+hrefXML("/dav/anna%40example.com/")+`</d:current-user-principal>`+
					`<c:calendar-home-set>`+hrefXML("/dav/anna%40example.com/")+`</c:calendar-home-set>`)))
				front["PROPFIND /dav/anna%40example.com/"] = ms207(msXML(respXML("/dav/anna%40example.com/", collType+`<c:calendar-home-set>`+hrefXML("/dav/anna%40example.com/")+`</c:calendar-home-set>`),
					respXML("/dav/anna%40example.com/caf%c3%a9/", calType)))
				front["OPTIONS /dav/anna%40example.com/"] = route{status: 200, header: map[string]string{"DAV": "1, 2, calendar-access"}}
				calendarRoutes(front, "/dav/anna%40example.com/caf%c3%a9/", "/dav/anna%40example.com/caf%c3%a9/1%402.ics")
			},
			wantIDs:   []string{"/dav/anna%40example.com/caf%c3%a9/"},
			wantObj:   "/dav/anna%40example.com/caf%c3%a9/1%402.ics",
			wantSched: none,
		},
		{
			// A server behind a proxy under /dav/, with the well-known URI
			// at the root redirecting there; sabre/dav identified.
			name: "sub-path behind a proxy", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = route{status: 301, header: map[string]string{"Location": "{{front}}/dav/"}}
				front["PROPFIND /dav/"] = ms207(msXML(respXML("/dav/", collType+`<d:current-user-principal>`+hrefXML("/dav/principals/anna/")+`</d:current-user-principal>`)))
				front["PROPFIND /dav/principals/anna/"] = ms207(msXML(respXML("/dav/principals/anna/", `<c:calendar-home-set>`+hrefXML("/dav/calendars/anna/")+`</c:calendar-home-set>`+
					`<c:schedule-outbox-URL>`+hrefXML("/dav/calendars/anna/outbox/")+`</c:schedule-outbox-URL>`)))
				front["PROPFIND /dav/calendars/anna/"] = ms207(msXML(respXML("/dav/calendars/anna/", collType),
					respXML("/dav/calendars/anna/work/", calType+`<d:displayname>Work</d:displayname>`)))
				front["OPTIONS /dav/calendars/anna/"] = route{status: 200, header: map[string]string{"X-Sabre-Version": "4.7.0",
					"DAV": "1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, calendar-access, calendar-proxy, calendar-auto-schedule, calendar-availability"}}
				calendarRoutes(front, "/dav/calendars/anna/work/", "/dav/calendars/anna/work/a.ics")
			},
			wantIDs:   []string{"/dav/calendars/anna/work/"},
			wantObj:   "/dav/calendars/anna/work/a.ics",
			wantSched: caldav.SchedulingInfo{Mode: caldav.SchedulingSuppressed, Server: "sabre/dav 4.7.0", AutoSchedule: true, Outbox: true},
		},
		{
			// DAViCal lists the scheduling inbox and outbox (.in/, .out/)
			// with a calendar resource type: they are left out by the
			// principal's URLs for them.
			name: "DAViCal inbox and outbox", path: "/caldav.php/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /caldav.php/"] = ms207(msXML(respXML("/caldav.php/", collType+`<d:current-user-principal>`+hrefXML("/caldav.php/anna/")+`</d:current-user-principal>`)))
				// The principal is its own calendar home: one PROPFIND
				// answers for both (Depth 0 is a prefix of Depth 1 here).
				front["PROPFIND /caldav.php/anna/"] = ms207(msXML(respXML("/caldav.php/anna/", collType+`<c:calendar-home-set>`+hrefXML("/caldav.php/anna/")+`</c:calendar-home-set>`+
					`<c:schedule-inbox-URL>`+hrefXML("/caldav.php/anna/.in/")+`</c:schedule-inbox-URL>`+
					`<c:schedule-outbox-URL>`+hrefXML("/caldav.php/anna/.out/")+`</c:schedule-outbox-URL>`),
					respXML("/caldav.php/anna/.in/", calType),
					respXML("/caldav.php/anna/.out/", calType),
					respXML("/caldav.php/anna/calendar/", calType+`<d:displayname>Calendar</d:displayname>`)))
				front["OPTIONS /caldav.php/anna/"] = route{status: 200, header: map[string]string{"DAV": "1, 2, 3, access-control, calendar-access, calendar-schedule, extended-mkcol, bind, addressbook, calendar-auto-schedule, calendar-proxy"}}
				calendarRoutes(front, "/caldav.php/anna/calendar/", "/caldav.php/anna/calendar/a.ics")
			},
			wantIDs:   []string{"/caldav.php/anna/calendar/"},
			wantObj:   "/caldav.php/anna/calendar/a.ics",
			wantSched: caldav.SchedulingInfo{Mode: caldav.SchedulingUnknown, Server: "unknown", AutoSchedule: true, Outbox: true},
		},
		{
			// A configured calendar URL on the partition host works, and
			// the credentials go there (the user named it, in the domain).
			name: "configured calendar on the partition host", tls: true, frontName: "caldav.icloud.com", partName: "p12-caldav.icloud.com", path: "/",
			calendars: []string{"{{part}}/123/calendars/work/"},
			routes: func(front, part map[string]route) {
				part["PROPFIND /123/calendars/work/"] = ms207(msXML(respXML("/123/calendars/work/", calType+`<d:displayname>Work</d:displayname>`)))
				part["OPTIONS /123/calendars/work/"] = route{status: 200, header: map[string]string{"Server": "Cyrus-HTTP/3.6.1-Debian-3.6.1-4", "DAV": "calendar-access, calendar-auto-schedule"}}
				calendarRoutes(part, "/123/calendars/work/", "/123/calendars/work/a.ics")
				// calendarRoutes set PROPFIND for the listing; the check
				// (Depth 0) gets the same answer, which is fine.
			},
			wantIDs:   []string{"{{part}}/123/calendars/work/"},
			wantObj:   "{{part}}/123/calendars/work/a.ics",
			wantSched: caldav.SchedulingInfo{Mode: caldav.SchedulingSuppressed, Server: "Cyrus", AutoSchedule: true},
		},
		{
			// A home on a host in another domain gets no credentials: its
			// 401 is ErrCredentialsWithheld naming it, not a wrong password.
			name: "home in another domain", tls: true, frontName: "caldav.example.com", partName: "p1.example.net", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = ms207(msXML(respXML("/.well-known/caldav", collType+`<d:current-user-principal>`+hrefXML("/p/")+`</d:current-user-principal>`+
					`<c:calendar-home-set>`+hrefXML("{{part}}/home/")+`</c:calendar-home-set>`)))
				front["PROPFIND /p/"] = ms207(msXML(respXML("/p/", `<c:calendar-home-set>`+hrefXML("{{part}}/home/")+`</c:calendar-home-set>`)))
			},
			wantErr: caldav.ErrCredentialsWithheld,
		},
		{
			// Over plain HTTP a host of the same domain gets none either.
			name: "partition over plain HTTP", frontName: "caldav.example.com", partName: "p1.example.com", path: "/",
			routes: func(front, part map[string]route) {
				front["PROPFIND /.well-known/caldav"] = route{status: 301, header: map[string]string{"Location": "{{part}}/"}}
			},
			wantErr: caldav.ErrCredentialsWithheld,
		},
	} {
		t.Run(sh.name, sh.run)
	}
}

// TestSchedulingDetection reads OPTIONS answers captured from real servers.
func TestSchedulingDetection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		want   caldav.SchedulingInfo
	}{
		{"sabre 4.7 (Baikal)", http.Header{"X-Sabre-Version": {"4.7.0"}, "Dav": {"1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, calendar-access, calendar-proxy, calendar-auto-schedule, calendar-availability"}},
			caldav.SchedulingInfo{Mode: caldav.SchedulingSuppressed, Server: "sabre/dav 4.7.0", AutoSchedule: true}},
		{"Cyrus 3.6, several DAV headers", http.Header{"Server": {"Cyrus-HTTP/3.6.1-Debian-3.6.1-4 OpenSSL/3.0"}, "Dav": {"1, 2, 3, access-control, extended-mkcol, resource-sharing", "calendar-access, calendar-auto-schedule", "calendar-query-extended, calendar-availability, calendar-managed-attachments"}},
			caldav.SchedulingInfo{Mode: caldav.SchedulingSuppressed, Server: "Cyrus", AutoSchedule: true}},
		{"Nextcloud", http.Header{"Dav": {"1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, calendar-access, calendar-proxy, calendar-auto-schedule, nextcloud-checksum-update, nc-calendar-search"}},
			caldav.SchedulingInfo{Mode: caldav.SchedulingSuppressed, Server: "Nextcloud (sabre/dav)", AutoSchedule: true}},
		{"auto-schedule, unknown server", http.Header{"Dav": {"1, 2, calendar-access, calendar-auto-schedule"}, "Server": {"DAViCal"}},
			caldav.SchedulingInfo{Mode: caldav.SchedulingUnknown, Server: "unknown", AutoSchedule: true}},
		{"Radicale", http.Header{"Dav": {"1, 2, 3, calendar-access, addressbook, extended-mkcol"}},
			caldav.SchedulingInfo{Mode: caldav.SchedulingNone, Server: "unknown"}},
		{"sabre without auto-schedule", http.Header{"X-Sabre-Version": {"4.7.0"}, "Dav": {"1, 3, calendar-access"}},
			caldav.SchedulingInfo{Mode: caldav.SchedulingNone, Server: "sabre/dav 4.7.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &modelDAV{t: t, routes: map[string]route{
				"PROPFIND /cal/": ms207(msXML(respXML("/cal/", calType))),
				"OPTIONS /cal/":  {status: 200, header: map[string]string{}},
			}, vars: strings.NewReplacer()}
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					for k, vs := range tc.header {
						for _, v := range vs {
							w.Header().Add(k, v)
						}
					}
				}
				m.ServeHTTP(w, r)
			}))
			defer ts.Close()
			c, _ := caldav.New(caldav.Options{URL: ts.URL + "/cal/"})
			got, err := c.Scheduling(context.Background())
			if err != nil || got != tc.want {
				t.Errorf("Scheduling() = %+v, %v; want %+v", got, err, tc.want)
			}
			if c.Requests() != 2 || m.count() != 2 {
				t.Errorf("%d requests (server %d), want 2: PROPFIND, OPTIONS", c.Requests(), m.count())
			}
			if _, err := c.Scheduling(context.Background()); err != nil || c.Requests() != 2 {
				t.Errorf("a second Scheduling() made requests: %d", c.Requests())
			}
		})
	}
}

// TestDiscoveryForgottenWhenCalendarGone: a 404 on a remembered calendar
// drops the snapshot, and the next Calendars discovers again.
func TestDiscoveryForgottenWhenCalendarGone(t *testing.T) {
	m := &modelDAV{t: t, routes: map[string]route{}, vars: strings.NewReplacer()}
	m.routes["PROPFIND /cal/"] = ms207(msXML(respXML("/cal/", calType)))
	m.routes["OPTIONS /cal/"] = route{status: 200}
	ts := httptest.NewServer(m)
	defer ts.Close()
	ctx := context.Background()
	c, _ := caldav.New(caldav.Options{URL: ts.URL + "/cal/"})
	refs, err := c.Calendars(ctx)
	if err != nil || len(refs) != 1 {
		t.Fatalf("Calendars() = %v, %v", refs, err)
	}
	if _, ok := c.Discovery(); !ok {
		t.Fatal("no snapshot after discovery")
	}
	m.mu.Lock()
	delete(m.routes, "PROPFIND /cal/")
	m.mu.Unlock()
	if _, err := c.Changes(ctx, refs[0].ID, "", nil); !errors.Is(err, calendar.ErrNotFound) {
		t.Fatalf("Changes of a gone calendar: %v", err)
	}
	if _, ok := c.Discovery(); ok {
		t.Error("the snapshot is still there after the calendar was gone")
	}
	before := c.Requests()
	_, _ = c.Calendars(ctx)
	if c.Requests() == before {
		t.Error("Calendars made no request after the snapshot was dropped")
	}
	if c.Requests() != int64(m.count()) {
		t.Errorf("client counted %d requests, the server saw %d", c.Requests(), m.count())
	}
}

// TestRestoreDiscoveryRefusesStale: an expired snapshot, or one for other
// calendars, is not taken.
func TestRestoreDiscoveryRefusesStale(t *testing.T) {
	m := &modelDAV{t: t, routes: map[string]route{}, vars: strings.NewReplacer()}
	m.routes["PROPFIND /cal/"] = ms207(msXML(respXML("/cal/", calType)))
	m.routes["OPTIONS /cal/"] = route{status: 200}
	ts := httptest.NewServer(m)
	defer ts.Close()
	c, _ := caldav.New(caldav.Options{URL: ts.URL, Calendars: []string{"/cal/"}})
	if _, err := c.Calendars(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, ok := c.Discovery()
	if !ok {
		t.Fatal("no snapshot")
	}
	old := d
	old.FoundAt = old.FoundAt.Add(-2 * old.TTL)
	c2, _ := caldav.New(caldav.Options{URL: ts.URL, Calendars: []string{"/cal/"}})
	if c2.RestoreDiscovery(old) {
		t.Error("an expired snapshot was restored")
	}
	c3, _ := caldav.New(caldav.Options{URL: ts.URL, Calendars: []string{"/cal/", "/other/"}})
	if c3.RestoreDiscovery(d) {
		t.Error("a snapshot for other calendars was restored")
	}
	if !c2.RestoreDiscovery(d) {
		t.Error("a fresh snapshot for the same configuration was refused")
	}
}
