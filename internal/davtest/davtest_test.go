package davtest

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
)

var starts = []struct {
	name  string
	start func(testing.TB) *Server
}{
	{"radicale", StartRadicale},
	{"xandikos", StartXandikos},
	{"sabre", StartSabre},
	{"cyrus", StartCyrus},
}

func TestServers(t *testing.T) {
	for _, tc := range starts {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.start(t)
			if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || !strings.HasPrefix(s.Root, "http://127.0.0.1:") {
				t.Fatalf("URL = %q, Root = %q, want loopback URLs", s.URL, s.Root)
			}
			if got := strings.TrimSuffix(s.Root, "/") + s.CalendarPath; got != s.CalendarURL {
				t.Errorf("Root + CalendarPath = %q, CalendarURL = %q", got, s.CalendarURL)
			}
			body := `<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>`
			resp, err := s.Do(context.Background(), "PROPFIND", s.CalendarURL, body, http.Header{"Depth": {"0"}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusMultiStatus || !strings.Contains(string(resp.Body), "calendar") {
				t.Fatalf("PROPFIND %s: %s\n%s", s.CalendarURL, resp.Status, resp.Body)
			}
			if s.Username != "" {
				s2 := *s
				s2.Password = "wrong"
				resp, err := s2.Do(context.Background(), "PROPFIND", s.CalendarURL, body, http.Header{"Depth": {"0"}})
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("PROPFIND with a wrong password: %s, want 401", resp.Status)
				}
			}
			if s.script == nil {
				return
			}
			if s.Username2 == "" || s.Password2 == "" || s.CalendarURL2 == "" {
				t.Errorf("no second user: %q %q %q", s.Username2, s.Password2, s.CalendarURL2)
			}
			if _, ok := s.Requests(t); !ok {
				t.Errorf("%s keeps no request log", s.Name)
			}
		})
	}
}

// TestSchedulingLog: sabre and Cyrus log a message for an organizer's PUT
// with an external attendee, and none when the PUT carries the headers that
// suppress implicit scheduling (Schedule-Reply: F for sabre,
// Scheduling-Enabled: F for Cyrus). The request log sees the PUTs.
func TestSchedulingLog(t *testing.T) {
	for _, tc := range starts[2:] {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.start(t)
			if n := len(s.SchedulingMessages(t)); n != 0 {
				t.Fatalf("%d messages before any PUT", n)
			}
			put := func(uid string, h http.Header) *Response {
				t.Helper()
				ics := strings.Join([]string{
					"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oneonone//test//EN",
					"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261101T000000Z",
					"DTSTART:20261201T100000Z", "DURATION:PT30M", "RRULE:FREQ=WEEKLY", "SUMMARY:Anna / Bob 1:1",
					"ORGANIZER:mailto:anna@example.com",
					"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@example.com",
					"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com",
					"DESCRIPTION:notes", "END:VEVENT", "END:VCALENDAR", "",
				}, "\r\n")
				h.Set("Content-Type", "text/calendar; charset=utf-8")
				resp, err := s.Do(context.Background(), http.MethodPut, s.CalendarURL+uid+".ics", ics, h)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode/100 != 2 {
					t.Fatalf("PUT %s: %s: %s", uid, resp.Status, resp.Body)
				}
				t.Logf("PUT %s (%v): %s, ETag %q, Schedule-Tag %q", uid, h, resp.Status, resp.Header.Get("ETag"), resp.Header.Get("Schedule-Tag"))
				return resp
			}
			put("quiet", http.Header{"Schedule-Reply": {"F"}, "Scheduling-Enabled": {"F"}})
			if msgs := s.SchedulingMessages(t); len(msgs) != 0 {
				t.Fatalf("PUT with the suppression headers: %d messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
			}
			put("loud", http.Header{})
			msgs := s.SchedulingMessages(t)
			if len(msgs) != 1 || !strings.Contains(msgs[0], "bob@example.com") {
				t.Fatalf("PUT without the headers: %d messages, want 1 to bob:\n%s", len(msgs), strings.Join(msgs, "\n"))
			}
			reqs, _ := s.Requests(t)
			puts := 0
			for _, r := range reqs {
				if r.Method == http.MethodPut && strings.HasPrefix(r.Path, s.CalendarPath) {
					puts++
				}
			}
			if puts != 2 {
				t.Errorf("request log: %d PUTs into %s, want 2: %v", puts, s.CalendarPath, reqs)
			}
		})
	}
}

func TestMissingBinarySkips(t *testing.T) {
	if os.Getenv("CI") != "" {
		t.Skip("CI is set: a missing binary fails the test instead")
	}
	check := func(name string, start func(testing.TB) *Server) {
		skipped := false
		t.Run(name, func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			start(t)
		})
		if !skipped {
			t.Errorf("%s: not skipped", name)
		}
	}
	t.Run("no binaries", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		for _, tc := range starts {
			check(tc.name, tc.start)
		}
	})
	t.Run("no scripts", func(t *testing.T) {
		t.Setenv("ONEONONE_SERVERS", t.TempDir())
		for _, tc := range starts[2:] {
			check(tc.name, tc.start)
		}
	})
}
