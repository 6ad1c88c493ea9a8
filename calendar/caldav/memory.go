package caldav

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
)

// Remember returns the discovery snapshot as JSON, for the engine to keep in
// the state file, and whether it changed since the last Recall or Remember;
// nil when nothing is remembered (then the kept copy is dropped).
func (c *Client) Remember() ([]byte, bool) {
	d, ok := c.Discovery()
	var b []byte
	if ok {
		var err error
		if b, err = json.Marshal(d); err != nil {
			b = nil
		}
	}
	c.memMu.Lock()
	defer c.memMu.Unlock()
	changed := string(b) != string(c.mem)
	c.mem = b
	return b, changed
}

// Recall takes back a snapshot that Remember gave, perhaps in another
// process; one that does not fit (another configuration, expired,
// unreadable) is ignored and discovery runs again.
func (c *Client) Recall(state []byte) {
	var d Discovery
	if json.Unmarshal(state, &d) != nil || !c.RestoreDiscovery(d) {
		return
	}
	c.memMu.Lock()
	c.mem = append([]byte(nil), state...)
	c.memMu.Unlock()
}

// WouldNotify reports whether a write of an event with attendees would
// make the server send them a scheduling message despite the headers Put
// sends: true for a server that schedules implicitly and that we do not
// know how to tell (iCloud, DAViCal, …). It uses what discovery found.
func (c *Client) WouldNotify(ctx context.Context) (bool, string, error) {
	info, err := c.Scheduling(ctx)
	if err != nil {
		return true, "", err
	}
	if info.Mode == SchedulingUnknown {
		name := info.Server
		if name == "" || name == "unknown" {
			name = "this server"
		}
		return true, fmt.Sprintf("%s (calendar-auto-schedule, no known way to suppress it)", name), nil
	}
	return false, info.Server, nil
}

// SetAltDescription returns obj's data with the HTML X-ALT-DESC of one
// event set to html, every other byte as it was (ical.SetAltDescription).
func (c *Client) SetAltDescription(obj calendar.Object, uid string, rid time.Time, html string) ([]byte, error) {
	out, _, err := ical.SetAltDescription(obj.Data, uid, rid, html)
	return out, err
}
