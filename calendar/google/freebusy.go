package google

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"oneonone/calendar"
)

// opFreeBusy is freebusy.query. Its errors map as events.get's do: 404 and
// 410 are calendar.ErrNotFound, 412 is nothing in particular.
const opFreeBusy = opPatch + 1

// FreeBusy asks Google for the busy time of q.Addresses over [q.From, q.To)
// with one freebusy.query (retried as the policy says). It never creates,
// changes or sends anything; q.Organizer is not used.
//
// The answer has one Availability per address, in q.Addresses' order: the
// busy spans Google gave, sorted, merged where they overlap and clipped to
// [q.From, q.To). An address Google answers with errors (an unknown
// calendar, one the account may not see: "notFound") is Unknown with the
// first error's reason; an address missing from the answer is Unknown with
// the reason "not in the answer"; one whose spans cannot be read is Unknown
// too, never free. Without addresses nothing is asked. Errors of the whole
// call are mapped as for the other calls (*Error, *AuthError).
func (c *Client) FreeBusy(ctx context.Context, q calendar.FreeBusyQuery) ([]calendar.Availability, error) {
	if !q.To.After(q.From) {
		return nil, fmt.Errorf("google: free/busy: empty span %s–%s", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	out := make([]calendar.Availability, len(q.Addresses))
	if len(q.Addresses) == 0 {
		return out, nil
	}
	// Whole seconds, the span widened to them; the answer is clipped to
	// the exact one.
	from, to := q.From.Round(0).UTC(), q.To.Round(0).UTC()
	ceil := to.Truncate(time.Second)
	if ceil.Before(to) {
		ceil = ceil.Add(time.Second)
	}
	req := &gcal.FreeBusyRequest{
		TimeMin: from.Truncate(time.Second).Format(time.RFC3339),
		TimeMax: ceil.Format(time.RFC3339),
	}
	var asked []string
	for _, a := range q.Addresses {
		if !slices.Contains(asked, a) {
			asked = append(asked, a)
			req.Items = append(req.Items, &gcal.FreeBusyRequestItem{Id: a})
		}
	}
	var resp *gcal.FreeBusyResponse
	err := c.do(ctx, opFreeBusy, func() error {
		r, err := c.svc.Freebusy.Query(req).Context(ctx).Do()
		if err != nil {
			return err
		}
		resp = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("free/busy of %d addresses: %w", len(asked), err)
	}
	for i, a := range q.Addresses {
		out[i] = availability(a, resp.Calendars, from, to)
	}
	return out, nil
}

// availability reads one address's entry of a freebusy.query answer. The
// entry is looked up by the address as sent, else regardless of case.
func availability(addr string, cals map[string]gcal.FreeBusyCalendar, from, to time.Time) calendar.Availability {
	av := calendar.Availability{Address: addr}
	fc, ok := cals[addr]
	if !ok {
		for id, v := range cals {
			if strings.EqualFold(id, addr) {
				fc, ok = v, true
				break
			}
		}
	}
	if !ok {
		av.Unknown, av.Reason = true, "not in the answer"
		return av
	}
	if len(fc.Errors) > 0 {
		av.Unknown, av.Reason = true, "error"
		if e := fc.Errors[0]; e != nil && e.Reason != "" {
			av.Reason = e.Reason
		}
		return av
	}
	busy, err := busySpans(fc.Busy, from, to)
	if err != nil {
		av.Unknown, av.Reason = true, err.Error()
		return av
	}
	av.Busy = busy
	return av
}

// busySpans parses Google's busy periods, clips them to [from, to), drops
// the empty ones, sorts them and merges those that overlap or touch.
func busySpans(periods []*gcal.TimePeriod, from, to time.Time) ([]calendar.Busy, error) {
	var out []calendar.Busy
	for _, p := range periods {
		if p == nil {
			continue
		}
		start, err1 := time.Parse(time.RFC3339, p.Start)
		end, err2 := time.Parse(time.RFC3339, p.End)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("unreadable busy span %q–%q", p.Start, p.End)
		}
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if end.After(start) {
			out = append(out, calendar.Busy{Start: start, End: end})
		}
	}
	slices.SortFunc(out, func(a, b calendar.Busy) int { return a.Start.Compare(b.Start) })
	merged := out[:0]
	for _, b := range out {
		if n := len(merged); n > 0 && !b.Start.After(merged[n-1].End) {
			if b.End.After(merged[n-1].End) {
				merged[n-1].End = b.End
			}
			continue
		}
		merged = append(merged, b)
	}
	if len(merged) == 0 {
		return nil, nil
	}
	return merged, nil
}
