package caldav_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestObjectWithoutDataIsAProblemNotAFailure: a multiget answer that gives
// one object no calendar data (a server that cannot render it) used to fail
// the whole calendar, on every cycle, for good. Now the other objects come,
// the object is named in Problems, it is neither put nor deleted (what is
// stored of it stays), the answer is not Full, and the cursor is an ETag
// listing, so that the next call asks for it again. Found by sync's
// TestBadServerInput.
func TestObjectWithoutDataIsAProblemNotAFailure(t *testing.T) {
	listing := `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/">
 <response><href>/cal/</href><propstat><prop><resourcetype><collection/></resourcetype><CS:getctag>c2</CS:getctag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/a.ics</href><propstat><prop><getetag>"a"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><propstat><prop><getetag>"b2"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`
	multiget := `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <response><href>/cal/a.ics</href><propstat><prop><getetag>"a"</getetag><C:calendar-data>` + fmt.Sprintf(ics, "a", "A") + `</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><status>HTTP/1.1 500 Internal Server Error</status></response>
</multistatus>`
	for _, tc := range []struct {
		name, cursor string
		known        map[string]string
		deleted      []string
	}{
		{"first sync", "", nil, nil},
		{"full listing over a stored calendar", "", map[string]string{"/cal/b.ics": "b1", "/cal/gone.ics": "g"}, []string{"/cal/gone.ics"}},
		{"ETag listing", "etag:", map[string]string{"/cal/b.ics": "b1", "/cal/gone.ics": "g"}, []string{"/cal/gone.ics"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newFake(t,
				fakeStep{method: "PROPFIND", path: "/cal/", bodyHas: "getetag", status: 207, body: listing},
				fakeStep{method: "REPORT", path: "/cal/", bodyHas: "calendar-multiget", status: 207, body: multiget},
			)
			ch, err := c.Changes(context.Background(), "/cal/", tc.cursor, tc.known)
			if err != nil {
				t.Fatalf("one object without data failed the calendar: %v", err)
			}
			if got := hrefs(ch.Put); !slices.Equal(got, []string{"/cal/a.ics"}) {
				t.Errorf("Put = %q, want [/cal/a.ics]", got)
			}
			if ch.Full || !slices.Equal(ch.Deleted, tc.deleted) {
				t.Errorf("Full %v, Deleted %q; want not Full (b.ics must stay as stored), deleted %q", ch.Full, ch.Deleted, tc.deleted)
			}
			if ch.Cursor != "etag:" {
				t.Errorf("Cursor %q, want etag: (so that b.ics is asked for again)", ch.Cursor)
			}
			if len(ch.Problems) != 1 || !strings.Contains(ch.Problems[0].Error(), "/cal/b.ics") || !strings.Contains(ch.Problems[0].Error(), "500") {
				t.Errorf("Problems = %v, want one naming /cal/b.ics and its 500", ch.Problems)
			}
		})
	}

	// The token of a sync-collection report would not report b.ics again.
	t.Run("sync-collection", func(t *testing.T) {
		_, c := newFake(t,
			fakeStep{method: "REPORT", path: "/cal/", bodyHas: "sync-collection", status: 207, body: `<?xml version="1.0"?>
<multistatus xmlns="DAV:">
 <response><href>/cal/a.ics</href><propstat><prop><getetag>"a"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/cal/b.ics</href><propstat><prop><getetag>"b2"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <sync-token>t2</sync-token>
</multistatus>`},
			fakeStep{method: "REPORT", path: "/cal/", bodyHas: "calendar-multiget", status: 207, body: multiget},
		)
		ch, err := c.Changes(context.Background(), "/cal/", "sync:t1", map[string]string{"/cal/b.ics": "b1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := hrefs(ch.Put); !slices.Equal(got, []string{"/cal/a.ics"}) || len(ch.Deleted) != 0 || ch.Cursor != "etag:" || len(ch.Problems) != 1 {
			t.Errorf("Put %q, Deleted %q, Cursor %q, Problems %v; want a.ics, none, etag:, one", got, ch.Deleted, ch.Cursor, ch.Problems)
		}
	})

	// A response whose href cannot be read may be any object's: none of
	// those missing from the answer is taken for gone.
	t.Run("unreadable href", func(t *testing.T) {
		_, c := newFake(t,
			fakeStep{method: "PROPFIND", path: "/cal/", bodyHas: "getetag", status: 207, body: listing},
			fakeStep{method: "REPORT", path: "/cal/", bodyHas: "calendar-multiget", status: 207, body: strings.Replace(multiget, "<href>/cal/b.ics</href>", "<href>%zz</href>", 1)},
		)
		ch, err := c.Changes(context.Background(), "/cal/", "etag:", map[string]string{"/cal/b.ics": "b1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Deleted) != 0 || ch.Cursor != "etag:" || len(ch.Problems) != 2 {
			t.Errorf("Deleted %q, Cursor %q, Problems %v; want none deleted, etag:, two problems", ch.Deleted, ch.Cursor, ch.Problems)
		}
	})
}
