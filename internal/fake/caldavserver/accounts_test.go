package caldavserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"oneonone/internal/fake/caldavserver"
)

// TestAccounts: one URL, a principal per user; each user's Basic auth
// finds that user's principal and calendars only, a wrong password or an
// unknown user answers 401, and the requests are counted per user.
func TestAccounts(t *testing.T) {
	a := caldavserver.NewAccounts()
	for _, u := range []string{"anna", "bob"} {
		s := a.Add(u, "pw-"+u)
		cal, err := s.CreateCalendar("work", "Work of "+u)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutObject(cal, u+".ics", fmt.Appendf(nil, event, u, u)); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	ctx := context.Background()
	for _, u := range []string{"anna", "bob"} {
		c, err := caldav.NewClient(webdav.HTTPClientWithBasicAuth(nil, u, "pw-"+u), ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		principal, err := c.FindCurrentUserPrincipal(ctx)
		if err != nil || principal != "/"+u+"/" {
			t.Fatalf("%s: principal = %q, %v", u, principal, err)
		}
		home, err := c.FindCalendarHomeSet(ctx, principal)
		if err != nil {
			t.Fatal(err)
		}
		cals, err := c.FindCalendars(ctx, home)
		if err != nil || len(cals) != 1 || cals[0].Name != "Work of "+u {
			t.Fatalf("%s: calendars = %+v, %v", u, cals, err)
		}
		objs, err := c.MultiGetCalendar(ctx, cals[0].Path, &caldav.CalendarMultiGet{Paths: []string{cals[0].Path + u + ".ics"}})
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: multiget = %+v, %v", u, objs, err)
		}
	}
	if n := a.RequestsBy("anna"); n != 4 {
		t.Errorf("anna made %d requests, want 4 (principal, home, calendars, multiget)", n)
	}
	for _, c := range []struct{ user, pass string }{{"anna", "pw-bob"}, {"carol", "pw-carol"}, {"", ""}} {
		req, _ := http.NewRequest("PROPFIND", ts.URL+"/anna/calendars/", nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q/%q: %s, want 401", c.user, c.pass, resp.Status)
		}
	}
	if got, want := a.RequestsBy("anna")+a.RequestsBy("bob"), a.Requests()-2; got != want {
		t.Errorf("requests by user add up to %d, want %d (all but the two without a known user)", got, want)
	}
}
