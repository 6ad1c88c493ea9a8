package google

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"oneonone/calendar"
)

// pageSize is the largest page events.list gives.
const pageSize = 2500

// maxPages bounds one listing, against a server that never stops paging.
const maxPages = 10000

// listPage is the part of an events.list answer that paging needs; the
// items are kept as Google sent them.
type listPage struct {
	Items         []json.RawMessage `json:"items"`
	NextPageToken string            `json:"nextPageToken"`
	NextSyncToken string            `json:"nextSyncToken"`
}

// itemHead is what Changes reads of each item.
type itemHead struct {
	ID               string `json:"id"`
	ETag             string `json:"etag"`
	Status           string `json:"status"`
	RecurringEventID string `json:"recurringEventId"`
}

// Changes lists what changed in calendar cal since cursor, a sync token
// from an earlier call; "" asks for every event (Changes.Full). Both use
// events.list with singleEvents=false, showDeleted=true, maxResults=2500
// and eventTypes=default (the sync guide asks for the same parameters with
// the token, and forbids timeMin, timeMax, orderBy, q and updatedMin), and
// follow nextPageToken to the last page, which carries the next sync token.
//
// Each item is one object (Href: the event id; Data: its JSON as received).
// A cancelled item with a recurringEventId is a cancelled occurrence and
// comes in Put; one without is a deleted event or series and comes in
// Deleted (on a full listing it is left out). An expired token (410) gives
// calendar.ErrCursorExpired. A last page without nextSyncToken leaves
// Cursor empty, so the next call lists everything again. known is not used.
func (c *Client) Changes(ctx context.Context, cal, cursor string, known map[string]string) (calendar.Changes, error) {
	ctx, n := withCounter(ctx)
	ch := calendar.Changes{Full: cursor == ""}
	seen := make(map[string]bool)
	pageToken := ""
	for page := 0; ; page++ {
		if page >= maxPages {
			return calendar.Changes{Requests: int(n.Load())}, fmt.Errorf("list events of %s: more than %d pages", cal, maxPages)
		}
		p, err := c.listPage(ctx, cal, cursor, pageToken)
		if err != nil {
			return calendar.Changes{Requests: int(n.Load())}, fmt.Errorf("list events of %s: %w", cal, err)
		}
		for _, raw := range p.Items {
			var h itemHead
			if err := json.Unmarshal(raw, &h); err != nil || h.ID == "" {
				// Not an event: nothing could name it, nor store it.
				// Failing the listing for it would stop the calendar's
				// sync for good.
				c.log.Debug("google: skipping an item that is not an event", slog.String("calendar", cal))
				continue
			}
			// An event may come twice when it changed while we paged: the
			// later copy wins.
			if seen[h.ID] {
				ch.Put = slices.DeleteFunc(ch.Put, func(o calendar.Object) bool { return o.Href == h.ID })
				ch.Deleted = slices.DeleteFunc(ch.Deleted, func(href string) bool { return href == h.ID })
			}
			seen[h.ID] = true
			if h.Status == "cancelled" && h.RecurringEventID == "" {
				if !ch.Full {
					ch.Deleted = append(ch.Deleted, h.ID)
				}
				continue
			}
			ch.Put = append(ch.Put, calendar.Object{Href: h.ID, ETag: h.ETag, Data: raw})
		}
		if p.NextPageToken == "" {
			ch.Cursor = p.NextSyncToken
			break
		}
		if p.NextPageToken == pageToken {
			return calendar.Changes{Requests: int(n.Load())}, fmt.Errorf("list events of %s: the server gave the same page token twice", cal)
		}
		pageToken = p.NextPageToken
	}
	ch.Requests = int(n.Load())
	return ch, nil
}

// listPage gets one page of events.list, retried as the policy says.
func (c *Client) listPage(ctx context.Context, cal, syncToken, pageToken string) (*listPage, error) {
	ctx, capture := withCapture(ctx)
	var p listPage
	err := c.do(ctx, opList, func() error {
		call := c.svc.Events.List(cal).Context(ctx).
			SingleEvents(false).
			ShowDeleted(true).
			MaxResults(pageSize).
			EventTypes("default")
		if syncToken != "" {
			call = call.SyncToken(syncToken)
		}
		if pageToken != "" {
			call = call.PageToken(pageToken)
		}
		if _, err := call.Do(); err != nil {
			return err
		}
		p = listPage{}
		if err := json.Unmarshal(capture.buf.Bytes(), &p); err != nil {
			return fmt.Errorf("read the answer: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &p, nil // json.RawMessage copies: the capture may be reused
}
