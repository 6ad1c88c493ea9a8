package caldav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"oneonone/calendar"
)

// Calendars lists the calendars to sync: the configured ones (each checked
// to be a calendar collection), or those that discovery finds: RFC 6764
// /.well-known/caldav, then current-user-principal (RFC 5397) →
// calendar-home-set → the calendar collections in it whose
// supported-calendar-component-set allows VEVENT or says nothing.
// When Options.URL is itself a calendar collection, it is the one calendar.
func (c *Client) Calendars(ctx context.Context) ([]calendar.Ref, error) {
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	if c.refs != nil && time.Since(c.refsAt) < refsTTL {
		return append([]calendar.Ref(nil), c.refs...), nil
	}
	refs, err := c.findCalendars(ctx)
	if err == nil {
		c.refs, c.refsAt = refs, time.Now()
	}
	return refs, err
}

// findCalendars checks the configured calendars, or discovers them.
func (c *Client) findCalendars(ctx context.Context) ([]calendar.Ref, error) {
	if len(c.calendars) > 0 {
		refs := make([]calendar.Ref, 0, len(c.calendars))
		var errs []error
		for _, p := range c.calendars {
			ref, err := c.calendarRef(ctx, p)
			if err != nil {
				if errors.Is(err, ErrAuthFailed) {
					return nil, err
				}
				errs = append(errs, err)
				continue
			}
			refs = append(refs, ref)
		}
		return refs, errors.Join(errs...)
	}
	refs, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("discover calendars at %s: %w", c.base.Redacted(), err)
	}
	return refs, nil
}

// calendarRef checks that p is a calendar collection and names it.
func (c *Client) calendarRef(ctx context.Context, p string) (calendar.Ref, error) {
	ms, err := c.davRequest(ctx, "PROPFIND", p, "0", propfindDiscover)
	if err != nil {
		return calendar.Ref{}, fmt.Errorf("check calendar %s: %w", p, err)
	}
	for _, r := range ms.Responses {
		rp, err := r.path()
		if err != nil || !samePath(rp, p) {
			continue
		}
		pr := r.props()
		if !pr.ResourceType.has(nsCalDAV, "calendar") {
			return calendar.Ref{}, fmt.Errorf("check calendar %s: not a calendar collection", p)
		}
		return calendar.Ref{ID: p, Name: displayName(p, pr.DisplayName)}, nil
	}
	return calendar.Ref{}, fmt.Errorf("check calendar %s: no answer for it in the PROPFIND response", p)
}

func displayName(p string, name *string) string {
	if name != nil && strings.TrimSpace(*name) != "" {
		return strings.TrimSpace(*name)
	}
	return path.Base(strings.TrimSuffix(p, "/"))
}

func allowsEvents(comps []string) bool {
	if len(comps) == 0 {
		return true
	}
	return slices.ContainsFunc(comps, func(s string) bool { return strings.EqualFold(s, "VEVENT") })
}

// discover walks from the context path to the calendars.
func (c *Client) discover(ctx context.Context) ([]calendar.Ref, error) {
	// RFC 6764 §5: with only a host, start from the well-known URI; with a
	// path, start there and try the well-known URI after.
	starts := []string{c.base.Path, "/.well-known/caldav"}
	if c.base.Path == "/" {
		starts[0], starts[1] = starts[1], starts[0]
	}
	var errs []error
	for _, start := range starts {
		refs, err := c.discoverFrom(ctx, start)
		if err == nil {
			return refs, nil
		}
		if errors.Is(err, ErrAuthFailed) {
			return nil, err
		}
		slog.Debug("caldav: discovery step failed", slog.String("url", c.base.Redacted()), slog.String("start", start), slog.Any("error", err))
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (c *Client) discoverFrom(ctx context.Context, start string) ([]calendar.Ref, error) {
	ms, err := c.davRequest(ctx, "PROPFIND", start, "0", propfindDiscover)
	if err != nil {
		return nil, fmt.Errorf("find principal from %s: %w", start, err)
	}
	if len(ms.Responses) == 0 {
		return nil, fmt.Errorf("find principal from %s: empty multistatus", start)
	}
	// After a redirect the one response names the resource we ended at.
	r := ms.Responses[0]
	here, err := r.path()
	if err != nil {
		return nil, fmt.Errorf("find principal from %s: %w", start, err)
	}
	pr := r.props()
	if pr.ResourceType.has(nsCalDAV, "calendar") {
		var comps []string
		if pr.SupportedCompSet != nil {
			for _, comp := range pr.SupportedCompSet.Comps {
				comps = append(comps, comp.Name)
			}
		}
		if !allowsEvents(comps) {
			return nil, fmt.Errorf("calendar %s holds no events (components %s)", here, strings.Join(comps, ", "))
		}
		return []calendar.Ref{{ID: collectionPath(here), Name: displayName(here, pr.DisplayName)}}, nil
	}

	var homes []string
	if pr.CalendarHomeSet != nil {
		for _, h := range pr.CalendarHomeSet.Hrefs {
			if hp, err := hrefPath(h); err == nil {
				homes = append(homes, hp)
			}
		}
	}
	if len(homes) == 0 {
		if pr.CurrentUserPrincipal == nil || len(pr.CurrentUserPrincipal.Hrefs) == 0 {
			return nil, fmt.Errorf("find principal from %s: the server names no current-user-principal", start)
		}
		principal, err := hrefPath(pr.CurrentUserPrincipal.Hrefs[0])
		if err != nil {
			return nil, fmt.Errorf("find principal from %s: %w", start, err)
		}
		home, err := c.dav.FindCalendarHomeSet(ctx, principal)
		if err != nil {
			return nil, fmt.Errorf("find calendar home of %s: %w", principal, err)
		}
		homes = append(homes, home)
	}

	var refs []calendar.Ref
	seen := map[string]bool{}
	for _, home := range homes {
		cals, err := c.dav.FindCalendars(ctx, home)
		if err != nil {
			return nil, fmt.Errorf("list calendars in %s: %w", home, err)
		}
		for _, cal := range cals {
			id := collectionPath(cal.Path)
			if seen[id] || !allowsEvents(cal.SupportedComponentSet) {
				continue
			}
			seen[id] = true
			name := cal.Name
			refs = append(refs, calendar.Ref{ID: id, Name: displayName(id, &name)})
		}
	}
	slices.SortFunc(refs, func(a, b calendar.Ref) int { return strings.Compare(a.ID, b.ID) })
	return refs, nil
}
