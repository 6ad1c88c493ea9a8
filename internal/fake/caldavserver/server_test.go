package caldavserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	gosync "sync"
	"testing"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"oneonone/internal/fake/caldavserver"
)

const event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T103000Z\r\nSUMMARY:%s\r\nX-ORDER-B:2\r\nX-ORDER-A:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func start(t *testing.T) (*caldavserver.Server, *httptest.Server, string) {
	t.Helper()
	s := caldavserver.New("anna")
	s.SetBasicAuth("anna", "pw")
	cal, err := s.CreateCalendar("work", "Work & Co")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts, cal
}

func do(t *testing.T, method, url, body string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("anna", "pw")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func read(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConditionalPutKeepsBytes(t *testing.T) {
	s, ts, cal := start(t)
	url := ts.URL + cal + "a.ics"
	data := fmt.Sprintf(event, "a", "First")

	resp := do(t, "PUT", url, data, "Content-Type", "text/calendar", "If-None-Match", "*")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %s %s", resp.Status, read(t, resp))
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q, want a strong one", etag)
	}
	if resp := do(t, "PUT", url, data, "Content-Type", "text/calendar", "If-None-Match", "*"); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("create again: %s, want 412", resp.Status)
	}
	if resp := do(t, "PUT", url, data, "Content-Type", "text/calendar", "If-Match", `"stale"`); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %s, want 412", resp.Status)
	}
	if resp := do(t, "PUT", ts.URL+cal+"new.ics", data, "Content-Type", "text/calendar", "If-Match", "*"); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("If-Match * on a missing object: %s, want 412", resp.Status)
	}
	data2 := fmt.Sprintf(event, "a", "Second")
	resp = do(t, "PUT", url, data2, "Content-Type", "text/calendar; charset=utf-8", "If-Match", etag)
	if resp.StatusCode/100 != 2 || resp.Header.Get("ETag") == etag {
		t.Fatalf("update: %s, ETag %q (old %q)", resp.Status, resp.Header.Get("ETag"), etag)
	}
	got, stored, ok := s.Object(cal + "a.ics")
	if !ok || string(got) != data2 || `"`+stored+`"` != resp.Header.Get("ETag") {
		t.Errorf("Object = %q, %q, %v; want the bytes put and ETag %s", got, stored, ok, resp.Header.Get("ETag"))
	}
	resp = do(t, "GET", url, "")
	if body := read(t, resp); body != data2 || resp.Header.Get("ETag") != `"`+stored+`"` {
		t.Errorf("GET = %q, ETag %s", body, resp.Header.Get("ETag"))
	}
	if resp := do(t, "PUT", ts.URL+"/anna/calendars/none/x.ics", data, "Content-Type", "text/calendar"); resp.StatusCode != http.StatusConflict {
		t.Errorf("PUT into a missing calendar: %s, want 409", resp.Status)
	}
	if resp := do(t, "DELETE", url, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %s", resp.Status)
	}
	if _, _, ok := s.Object(cal + "a.ics"); ok {
		t.Error("object still there after DELETE")
	}
}

var ctagRE = regexp.MustCompile(`<cs:getctag>([^<]*)</cs:getctag>`)

func ctag(t *testing.T, url string) string {
	t.Helper()
	resp := do(t, "PROPFIND", url, `<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:displayname/></d:prop></d:propfind>`,
		"Depth", "0", "Content-Type", "application/xml")
	body := read(t, resp)
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("PROPFIND: %s %s", resp.Status, body)
	}
	if !strings.Contains(body, "<d:displayname>Work &amp; Co</d:displayname>") {
		t.Errorf("no displayname in %s", body)
	}
	m := ctagRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestCTag(t *testing.T) {
	s, ts, cal := start(t)
	c0 := ctag(t, ts.URL+cal)
	if c0 == "" {
		t.Fatal("no getctag")
	}
	if c := ctag(t, ts.URL+cal); c != c0 {
		t.Errorf("ctag moved without a change: %s → %s", c0, c)
	}
	s.PutObject(cal, "a.ics", fmt.Appendf(nil, event, "a", "A"))
	c1 := ctag(t, ts.URL+cal)
	if c1 == c0 {
		t.Error("ctag did not move on a new object")
	}
	s.PutObject(cal, "a.ics", fmt.Appendf(nil, event, "a", "A2"))
	c2 := ctag(t, ts.URL+cal)
	if c2 == c1 {
		t.Error("ctag did not move on a changed object")
	}
	s.SetCTag(false)
	if c := ctag(t, ts.URL+cal); c != "" {
		t.Errorf("SetCTag(false): still a ctag %q", c)
	}
}

func TestBasicAuth(t *testing.T) {
	_, ts, cal := start(t)
	req, _ := http.NewRequest("PROPFIND", ts.URL+cal, nil)
	req.SetBasicAuth("anna", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("wrong password: %s %v", resp.Status, resp.Header)
	}
}

// TestGoWebDAVClient checks the server with go-webdav's own client:
// discovery, MKCOL-less MKCALENDAR, multiget through our handler and
// calendar-query through go-webdav's.
func TestGoWebDAVClient(t *testing.T) {
	s, ts, cal := start(t)
	ctx := context.Background()
	if resp := do(t, "MKCALENDAR", ts.URL+"/anna/calendars/team/", `<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>Team</d:displayname></d:prop></d:set></c:mkcalendar>`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %s %s", resp.Status, read(t, resp))
	}
	s.PutObject(cal, "a b@x.ics", fmt.Appendf(nil, event, "a", "A"))

	c, err := caldav.NewClient(webdav.HTTPClientWithBasicAuth(nil, "anna", "pw"), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	principal, err := c.FindCurrentUserPrincipal(ctx)
	if err != nil || principal != "/anna/" {
		t.Fatalf("principal = %q, %v", principal, err)
	}
	home, err := c.FindCalendarHomeSet(ctx, principal)
	if err != nil || home != "/anna/calendars/" {
		t.Fatalf("home = %q, %v", home, err)
	}
	cals, err := c.FindCalendars(ctx, home)
	if err != nil || len(cals) != 2 || cals[0].Name != "Team" || cals[1].Name != "Work & Co" {
		t.Fatalf("calendars = %+v, %v", cals, err)
	}
	objs, err := c.MultiGetCalendar(ctx, cal, &caldav.CalendarMultiGet{Paths: []string{cal + "a b@x.ics", cal + "missing.ics"}})
	if err == nil {
		t.Fatalf("multiget with a missing href: want go-webdav to report the 404, got %d objects", len(objs))
	}
	objs, err = c.MultiGetCalendar(ctx, cal, &caldav.CalendarMultiGet{Paths: []string{cal + "a b@x.ics"}})
	if err != nil || len(objs) != 1 || objs[0].Path != cal+"a b@x.ics" || objs[0].ETag == "" {
		t.Fatalf("multiget = %+v, %v", objs, err)
	}
	if sum, _ := objs[0].Data.Children[0].Props.Text("SUMMARY"); sum != "A" {
		t.Errorf("SUMMARY = %q", sum)
	}
	q, err := c.QueryCalendar(ctx, cal, &caldav.CalendarQuery{
		CompRequest: caldav.CalendarCompRequest{Name: "VCALENDAR", AllProps: true, AllComps: true},
		CompFilter:  caldav.CompFilter{Name: "VCALENDAR", Comps: []caldav.CompFilter{{Name: "VEVENT"}}},
	})
	if err != nil || len(q) != 1 {
		t.Fatalf("query = %d objects, %v", len(q), err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, ts, cal := start(t)
	var wg gosync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			url := fmt.Sprintf("%s%se%d.ics", ts.URL, cal, i)
			req, _ := http.NewRequest("PUT", url, strings.NewReader(fmt.Sprintf(event, fmt.Sprint(i), "x")))
			req.SetBasicAuth("anna", "pw")
			req.Header.Set("Content-Type", "text/calendar")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("PUT %s: %s", url, resp.Status)
			}
		}()
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("PROPFIND", ts.URL+cal, strings.NewReader(`<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`))
			req.SetBasicAuth("anna", "pw")
			req.Header.Set("Depth", "1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.Objects(cal)
		}()
	}
	wg.Wait()
	if n := len(s.Objects(cal)); n != 20 {
		t.Errorf("%d objects, want 20", n)
	}
	if s.Requests() < 40 {
		t.Errorf("Requests() = %d, want at least 40", s.Requests())
	}
}

func TestDirectAPI(t *testing.T) {
	s := caldavserver.New("anna")
	if _, err := s.CreateCalendar("a/b", ""); err == nil {
		t.Error("CreateCalendar with a slash: no error")
	}
	cal, _ := s.CreateCalendar("work", "")
	if _, err := s.CreateCalendar("work", ""); err == nil {
		t.Error("CreateCalendar twice: no error")
	}
	if _, _, err := s.PutObject(cal, "x.ics", []byte("not ical")); err == nil {
		t.Error("PutObject of garbage: no error")
	}
	if _, _, err := s.PutObject("/anna/calendars/none/", "x.ics", fmt.Appendf(nil, event, "x", "x")); err == nil {
		t.Error("PutObject into a missing calendar: no error")
	}
	href, etag, err := s.PutObject(cal, "x.ics", fmt.Appendf(nil, event, "x", "x"))
	if err != nil || href != "/anna/calendars/work/x.ics" || etag == "" {
		t.Fatalf("PutObject = %q %q %v", href, etag, err)
	}
	if err := s.DeleteObject(href); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(href); err == nil {
		t.Error("DeleteObject twice: no error")
	}
}
