package caldav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"

	"oneonone/calendar"
)

// Cursor kinds. A cursor is "<kind>:<value>".
const (
	cursorSync = "sync" // RFC 6578 sync-token
	cursorCTag = "ctag" // calendarserver getctag
	cursorETag = "etag" // no token: list ETags every time
)

// multigetBatch is the number of hrefs per calendar-multiget.
const multigetBatch = 100

// maxSyncRounds bounds the repetitions of a truncated sync-collection report.
const maxSyncRounds = 100

// Changes returns what changed in calendar cal since cursor.
//
//   - "" lists the calendar (PROPFIND Depth 1) and fetches every object
//     (calendar-multiget): Changes.Full.
//   - "sync:<token>" asks an RFC 6578 sync-collection report; a token the
//     server refuses falls back to a full listing.
//   - "ctag:<ctag>" asks the collection's getctag: unchanged, done;
//     otherwise an ETag listing compared with known.
//   - "etag:" is an ETag listing compared with known.
//
// An unchanged calendar costs one request. known maps stored hrefs to their
// ETags; when it is nil a listing reports the whole calendar (Full).
func (c *Client) Changes(ctx context.Context, cal, cursor string, known map[string]string) (calendar.Changes, error) {
	ctx, n := withCounter(ctx)
	u, err := c.url(cal)
	if err != nil {
		return calendar.Changes{}, fmt.Errorf("sync calendar %s: %w", cal, err)
	}
	calPath := collectionKey(c.keyOf(u))

	var ch calendar.Changes
	kind, value, _ := strings.Cut(cursor, ":")
	switch {
	case cursor == "":
		ch, err = c.full(ctx, calPath, known)
	case kind == cursorSync && value != "":
		ch, err = c.syncChanges(ctx, calPath, value, known)
	case kind == cursorCTag && value != "":
		ch, err = c.ctagChanges(ctx, calPath, value, known)
	case kind == cursorETag:
		ch, err = c.listChanges(ctx, calPath, known)
	default:
		c.log.Debug("caldav: unknown cursor, listing the calendar", slog.String("calendar", calPath), slog.String("cursor", cursor))
		ch, err = c.full(ctx, calPath, known)
	}
	ch.Requests = int(n.Load())
	if err != nil {
		if calendarGone(err) {
			c.forget(u)
		}
		return calendar.Changes{Requests: ch.Requests}, fmt.Errorf("sync calendar %s: %w", calPath, err)
	}
	return ch, nil
}

// listing is a calendar's PROPFIND Depth 1.
type listing struct {
	etags     map[string]string // object key → ETag
	order     []string          // object keys, in the server's order
	syncToken string
	ctag      string
	// syncReport is false when the server listed its reports and
	// sync-collection was not among them.
	syncReport bool
}

func (l *listing) cursor() string {
	switch {
	case l.syncToken != "" && l.syncReport:
		return cursorSync + ":" + l.syncToken
	case l.ctag != "":
		return cursorCTag + ":" + l.ctag
	}
	return cursorETag + ":"
}

// isObject tells calendar object resources from other children of a
// calendar collection (sub-collections, attachments, …).
func isObject(p string, pr prop) bool {
	if strings.HasSuffix(p, "/") || pr.ResourceType.has(nsDAV, "collection") {
		return false
	}
	if strings.EqualFold(path.Ext(p), ".ics") {
		return true
	}
	return pr.GetContentType != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(*pr.GetContentType)), "text/calendar")
}

func (c *Client) list(ctx context.Context, calPath string) (*listing, error) {
	calURL, err := c.url(calPath)
	if err != nil {
		return nil, err
	}
	ms, err := c.davRequest(ctx, "PROPFIND", calPath, "1", propfindListing)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", calPath, err)
	}
	l := &listing{etags: map[string]string{}, syncReport: true}
	for _, r := range ms.responses() {
		u, err := r.url(ms.base)
		if err != nil {
			c.log.Debug("caldav: skipping a bad response in a listing", slog.String("calendar", calPath), slog.Any("error", err))
			continue
		}
		if code := statusCode(r.Status); code != 0 && code/100 != 2 {
			continue
		}
		pr := r.props()
		if sameResource(u, calURL) || sameResource(u, ms.base) {
			if pr.SyncToken != nil {
				l.syncToken = strings.TrimSpace(*pr.SyncToken)
			}
			if pr.GetCTag != nil {
				l.ctag = strings.TrimSpace(*pr.GetCTag)
			}
			if pr.SupportedReportSet != nil {
				l.syncReport = pr.SupportedReportSet.has(nsDAV, "sync-collection")
			}
			continue
		}
		if !isObject(u.Path, pr) {
			continue
		}
		p := c.keyOf(u)
		etag := ""
		if pr.GetETag != nil {
			etag = unquoteETag(*pr.GetETag)
		}
		if _, dup := l.etags[p]; !dup {
			l.order = append(l.order, p)
		}
		l.etags[p] = etag
	}
	return l, nil
}

// full lists the calendar and fetches every object. When the server would
// not give some of them, the answer cannot be Full (that would delete what
// is stored of them): it puts what came and deletes, of known, what the
// listing lacks.
func (c *Client) full(ctx context.Context, calPath string, known map[string]string) (calendar.Changes, error) {
	l, err := c.list(ctx, calPath)
	if err != nil {
		return calendar.Changes{}, err
	}
	objs, gone, problems, err := c.multiget(ctx, calPath, l.order, l.etags)
	if err != nil {
		return calendar.Changes{}, err
	}
	if len(problems) == 0 {
		return calendar.Changes{Full: true, Put: objs, Cursor: l.cursor()}, nil
	}
	var deleted []string
	for p := range known {
		if _, listed := l.etags[p]; !listed || slices.Contains(gone, p) {
			deleted = append(deleted, p)
		}
	}
	slices.Sort(deleted)
	return calendar.Changes{Put: objs, Deleted: deleted, Cursor: retryCursor, Problems: problems}, nil
}

// retryCursor is the cursor after an answer that lacked some objects: an
// ETag listing next time, which fetches again every object whose stored
// ETag is not the listed one (and gives the server's own cursor back).
const retryCursor = cursorETag + ":"

// listChanges lists the calendar and compares the ETags with known.
func (c *Client) listChanges(ctx context.Context, calPath string, known map[string]string) (calendar.Changes, error) {
	l, err := c.list(ctx, calPath)
	if err != nil {
		return calendar.Changes{}, err
	}
	return c.compare(ctx, calPath, l, known)
}

func (c *Client) compare(ctx context.Context, calPath string, l *listing, known map[string]string) (calendar.Changes, error) {
	if known == nil {
		return c.full(ctx, calPath, nil)
	}
	var changed []string
	for _, p := range l.order {
		if old, ok := known[p]; !ok || old != l.etags[p] || old == "" {
			changed = append(changed, p)
		}
	}
	var deleted []string
	for p := range known {
		if _, ok := l.etags[p]; !ok {
			deleted = append(deleted, p)
		}
	}
	objs, gone, problems, err := c.multiget(ctx, calPath, changed, l.etags)
	if err != nil {
		return calendar.Changes{}, err
	}
	for _, p := range gone {
		if _, ok := known[p]; ok {
			deleted = append(deleted, p)
		}
	}
	slices.Sort(deleted)
	cursor := l.cursor()
	if len(problems) > 0 {
		cursor = retryCursor
	}
	return calendar.Changes{Put: objs, Deleted: deleted, Cursor: cursor, Problems: problems}, nil
}

// ctagChanges asks the collection's getctag (PROPFIND Depth 0) and lists the
// calendar only when it moved.
func (c *Client) ctagChanges(ctx context.Context, calPath, ctag string, known map[string]string) (calendar.Changes, error) {
	ms, err := c.davRequest(ctx, "PROPFIND", calPath, "0", propfindCTag)
	if err != nil {
		return calendar.Changes{}, fmt.Errorf("read ctag of %s: %w", calPath, err)
	}
	for _, r := range ms.responses() {
		pr := r.props()
		if pr.GetCTag != nil && strings.TrimSpace(*pr.GetCTag) == ctag {
			return calendar.Changes{Cursor: cursorCTag + ":" + ctag}, nil
		}
	}
	return c.listChanges(ctx, calPath, known)
}

// syncChanges runs an RFC 6578 sync-collection report from token.
func (c *Client) syncChanges(ctx context.Context, calPath, token string, known map[string]string) (calendar.Changes, error) {
	calURL, err := c.url(calPath)
	if err != nil {
		return calendar.Changes{}, err
	}
	changed := map[string]string{}
	var order []string
	deleted := map[string]bool{}
	for round := 0; ; round++ {
		if round == maxSyncRounds {
			return calendar.Changes{}, fmt.Errorf("sync-collection on %s: still truncated after %d rounds", calPath, round)
		}
		ms, err := c.davRequest(ctx, "REPORT", calPath, "0", syncCollectionBody(token))
		if err != nil {
			if tokenRefused(err) {
				c.log.Debug("caldav: sync token refused, listing the calendar",
					slog.String("calendar", calPath), slog.Any("error", err))
				return c.full(ctx, calPath, known)
			}
			return calendar.Changes{}, fmt.Errorf("sync-collection on %s: %w", calPath, err)
		}
		truncated := false
		for _, r := range ms.responses() {
			u, err := r.url(ms.base)
			if err != nil {
				c.log.Debug("caldav: skipping a bad response in a sync report", slog.String("calendar", calPath), slog.Any("error", err))
				continue
			}
			p := c.keyOf(u)
			code := statusCode(r.Status)
			if sameResource(u, calURL) || sameResource(u, ms.base) {
				// RFC 6578 §3.6: 507 on the request-URI means more to come.
				if code == http.StatusInsufficientStorage {
					truncated = true
				}
				continue
			}
			if strings.HasSuffix(p, "/") {
				continue
			}
			if code == http.StatusNotFound {
				deleted[p] = true
				delete(changed, p)
				continue
			}
			if code != 0 && code/100 != 2 {
				continue
			}
			pr := r.props()
			if pr.ResourceType.has(nsDAV, "collection") {
				continue
			}
			etag := ""
			if pr.GetETag != nil {
				etag = unquoteETag(*pr.GetETag)
			}
			if _, ok := changed[p]; !ok {
				order = append(order, p)
			}
			changed[p] = etag
			delete(deleted, p)
		}
		if ms.SyncToken == "" {
			return calendar.Changes{}, fmt.Errorf("sync-collection on %s: no sync-token in the answer", calPath)
		}
		token = strings.TrimSpace(ms.SyncToken)
		if !truncated {
			break
		}
	}

	// A known key in another form of a reported href (a state written
	// before keys kept the server's encoding: "@" for its "%40") is
	// deleted; the reported form is fetched and put instead.
	var reported []string
	for p := range changed {
		reported = append(reported, p)
	}
	for p := range deleted {
		reported = append(reported, p)
	}
	for _, old := range c.otherForms(known, reported) {
		deleted[old] = true
	}

	var fetch []string
	for _, p := range order {
		etag, ok := changed[p]
		if !ok {
			continue
		}
		if old, ok := known[p]; ok && etag != "" && old == etag {
			continue // reported, but we hold this version already
		}
		fetch = append(fetch, p)
	}
	objs, gone, problems, err := c.multiget(ctx, calPath, fetch, changed)
	if err != nil {
		return calendar.Changes{}, err
	}
	for _, p := range gone {
		deleted[p] = true
	}
	var del []string
	for p := range deleted {
		del = append(del, p)
	}
	slices.Sort(del)
	cursor := cursorSync + ":" + token
	if len(problems) > 0 {
		cursor = retryCursor // the token would not report them again
	}
	return calendar.Changes{Put: objs, Deleted: del, Cursor: cursor, Problems: problems}, nil
}

// otherForms returns the keys of known that name the same resource as one
// of keys but are not it (sorted, each once). Listings need none of this:
// a known key that is not listed is deleted anyway.
func (c *Client) otherForms(known map[string]string, keys []string) []string {
	if len(known) == 0 || len(keys) == 0 {
		return nil
	}
	byID := map[string][]string{}
	for k := range known {
		if u, err := c.url(k); err == nil {
			byID[resourceID(u)] = append(byID[resourceID(u)], k)
		}
	}
	var out []string
	for _, k := range keys {
		u, err := c.url(k)
		if err != nil {
			continue
		}
		for _, old := range byID[resourceID(u)] {
			if old != k && !slices.Contains(out, old) {
				out = append(out, old)
			}
		}
	}
	slices.Sort(out)
	return out
}

// tokenRefused reports whether a sync-collection failure means the token is
// no good (RFC 6578 §3.2 DAV:valid-sync-token, 403 or 409, or any other 4xx;
// Xandikos answers 500), rather than that the calendar or the account is.
func tokenRefused(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch {
	case slices.Contains(se.DAVError, "valid-sync-token"):
		return true
	case se.Code == http.StatusUnauthorized, se.Code == http.StatusNotFound:
		return false
	case se.Code/100 == 4, se.Code == http.StatusInternalServerError:
		return true
	}
	return false
}

// multiget fetches objects with calendar-multiget (RFC 4791 §7.9) in
// batches. It returns the objects in the order asked, the paths the server
// says are gone, and one problem for each object it would not give (a
// non-2xx status other than 404, no calendar data): those are left out of
// both, so that what is stored of them stays. etags supplies an ETag when
// the answer has none.
func (c *Client) multiget(ctx context.Context, calPath string, paths []string, etags map[string]string) ([]calendar.Object, []string, []error, error) {
	var objs []calendar.Object
	var gone []string
	var problems []error
	calURL, err := c.url(calPath)
	if err != nil {
		return nil, nil, nil, err
	}
	for start := 0; start < len(paths); start += multigetBatch {
		batch := paths[start:min(start+multigetBatch, len(paths))]
		// The hrefs asked, as the server wrote them, and the key of each:
		// the answer's hrefs are matched by resource, not by bytes, since
		// a server may encode them differently there.
		hrefs := make([]string, 0, len(batch))
		keys := make(map[string]string, len(batch))
		for _, p := range batch {
			u, err := c.url(p)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("fetch %s: %w", p, err)
			}
			keys[resourceID(u)] = p
			if origin(u) == origin(calURL) {
				hrefs = append(hrefs, u.EscapedPath())
			} else {
				hrefs = append(hrefs, u.String())
			}
		}
		ms, err := c.davRequest(ctx, "REPORT", calPath, "1", multigetBody(hrefs))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("fetch %d objects from %s: %w", len(batch), calPath, err)
		}
		got := map[string]calendar.Object{}
		failed := map[string]bool{}
		garbled := false // a response without a readable href
		for _, r := range ms.responses() {
			u, err := r.url(ms.base)
			if err != nil {
				garbled = true
				problems = append(problems, fmt.Errorf("fetch objects from %s: %w", calPath, err))
				continue
			}
			p, ok := keys[resourceID(u)]
			if !ok {
				p = c.keyOf(u)
			}
			code := statusCode(r.Status)
			if code == http.StatusNotFound {
				gone = append(gone, p)
				continue
			}
			pr := r.props()
			if code != 0 && code/100 != 2 || pr.CalendarData == nil {
				if code == 0 || code/100 == 2 {
					if st := propStatus(r, "calendar-data"); st == http.StatusNotFound {
						gone = append(gone, p)
						continue
					}
				}
				failed[p] = true
				problems = append(problems, fmt.Errorf("fetch %s: the server gave no calendar data (status %q); what is stored of it stays", p, r.Status))
				continue
			}
			etag := etags[p]
			if pr.GetETag != nil {
				etag = unquoteETag(*pr.GetETag)
			}
			got[p] = calendar.Object{Href: p, ETag: etag, Data: crlf(*pr.CalendarData)}
		}
		for _, p := range batch {
			switch o, ok := got[p]; {
			case ok:
				objs = append(objs, o)
			case failed[p], slices.Contains(gone, p):
			case garbled:
				// Perhaps the garbled answer was this one: not gone.
				problems = append(problems, fmt.Errorf("fetch %s: not in the server's answer, which was partly unreadable; what is stored of it stays", p))
			default:
				// Not in the answer at all: treat as gone.
				c.log.Debug("caldav: object missing from multiget answer", slog.String("href", p))
				gone = append(gone, p)
			}
		}
	}
	return objs, gone, problems, nil
}

// propStatus returns the status of the propstat holding a property with
// this local name, or 0.
func propStatus(r response, local string) int {
	for _, ps := range r.PropStats {
		if local == "calendar-data" && ps.Prop.CalendarData != nil {
			return statusCode(ps.Status)
		}
	}
	return 0
}

// crlf restores iCalendar's CRLF line ends (RFC 5545 §3.1) when an XML
// round trip lost them: a server that writes CR raw in calendar-data has it
// turned into LF by every XML parser (XML 1.0 §2.11).
func crlf(s string) []byte {
	if strings.Contains(s, "\r") || !strings.Contains(s, "\n") {
		return []byte(s)
	}
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}
