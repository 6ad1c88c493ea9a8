package google

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"oneonone/calendar"
)

// Get reads one event again (events.get), its JSON as Google sent it. A
// missing or deleted event gives calendar.ErrNotFound.
func (c *Client) Get(ctx context.Context, href string) (calendar.Object, error) {
	ctx, capture := withCapture(ctx)
	var data []byte
	err := c.do(ctx, opGet, func() error {
		if _, err := c.svc.Events.Get(c.cal, href).Context(ctx).Do(); err != nil {
			return err
		}
		data = bytes.Clone(capture.buf.Bytes())
		return nil
	})
	if err != nil {
		return calendar.Object{}, fmt.Errorf("get event %s of %s: %w", href, c.cal, err)
	}
	var h itemHead
	if err := json.Unmarshal(data, &h); err != nil {
		return calendar.Object{}, fmt.Errorf("get event %s of %s: not an event: %v", href, c.cal, err)
	}
	if h.Status == "cancelled" && h.RecurringEventID == "" {
		return calendar.Object{}, fmt.Errorf("get event %s of %s: deleted: %w", href, c.cal, calendar.ErrNotFound)
	}
	return calendar.Object{Href: href, ETag: h.ETag, Data: data}, nil
}

// Put writes the description found in data (an event's JSON, as
// SetDescription returns it) into event href with events.patch of the
// description only, If-Match ifMatch and sendUpdates=none, so nobody is
// notified. It returns the new etag. A changed event gives
// calendar.ErrConflict (412); an event the account may not edit (403
// forbiddenForNonOrganizer, requiredAccessLevel) calendar.ErrForbidden; a
// deleted one calendar.ErrNotFound.
func (c *Client) Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error) {
	var body struct {
		Description *string `json:"description"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return "", fmt.Errorf("update event %s in %s: not an event: %v", href, c.cal, err)
	}
	if body.Description == nil {
		return "", fmt.Errorf("update event %s in %s: the data has no description", href, c.cal)
	}
	if ifMatch == "" {
		return "", fmt.Errorf("update event %s in %s: no etag to match: writes are conditional", href, c.cal)
	}
	patch := &gcal.Event{Description: *body.Description, ForceSendFields: []string{"Description"}}
	var etag string
	err := c.do(ctx, opPatch, func() error {
		call := c.svc.Events.Patch(c.cal, href, patch).SendUpdates("none").Context(ctx)
		call.Header().Set("If-Match", ifMatch)
		ev, err := call.Do()
		if err != nil {
			return err
		}
		etag = ev.Etag
		return nil
	})
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && (ge.Code == http.StatusInternalServerError || ge.Code == http.StatusBadRequest) {
			// Still failing after the retries: this event's problem.
			return "", fmt.Errorf("update event %s in %s: %w: %w", href, c.cal, calendar.ErrWriteRefused, err)
		}
		return "", fmt.Errorf("update event %s in %s: %w", href, c.cal, err)
	}
	return etag, nil
}

// SetDescription returns obj's JSON with "description" set to desc, every
// other byte as it was (an absent description is added as the first key).
// uid and rid must name the event obj holds, as Decode gives them.
func (c *Client) SetDescription(obj calendar.Object, uid string, rid time.Time, desc string) ([]byte, error) {
	evs, _ := c.Decode("", obj)
	if len(evs) != 1 {
		return nil, fmt.Errorf("set description of %s: not an event", obj.Href)
	}
	if ev := evs[0]; ev.UID != uid || !ev.RecurrenceID.Equal(rid) {
		return nil, fmt.Errorf("set description of %s: it holds event %s at %s, not %s at %s",
			obj.Href, ev.UID, ridText(ev.RecurrenceID), uid, ridText(rid))
	}
	out, err := setMember(obj.Data, "description", desc)
	if err != nil {
		return nil, fmt.Errorf("set description of %s: %w", obj.Href, err)
	}
	return out, nil
}

func ridText(t time.Time) string {
	if t.IsZero() {
		return "the master"
	}
	return t.Format(time.RFC3339)
}

// setMember sets member key of the JSON object data to the string v. The
// bytes of every other member, and the whitespace between them, are kept:
// each value of key is replaced in place, or the member is inserted after
// the opening brace.
func setMember(data []byte, key, v string) ([]byte, error) {
	var value bytes.Buffer
	enc := json.NewEncoder(&value)
	enc.SetEscapeHTML(false) // Google's descriptions are HTML: keep <br> readable
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	val := bytes.TrimRight(value.Bytes(), "\n")

	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	open := dec.InputOffset()
	type span struct{ from, to int64 }
	var spans []span
	members := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		members++
		if name != key {
			continue
		}
		to := dec.InputOffset()
		from := to - int64(len(raw))
		if from < open || !bytes.Equal(data[from:to], raw) {
			return nil, fmt.Errorf("cannot find the bytes of %q", key)
		}
		spans = append(spans, span{from, to})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	if len(spans) == 0 {
		ins := append(append([]byte(`"`+key+`":`), val...), ',')
		if members == 0 {
			ins = ins[:len(ins)-1]
		}
		out := make([]byte, 0, len(data)+len(ins))
		out = append(out, data[:open]...)
		out = append(out, ins...)
		return append(out, data[open:]...), nil
	}
	out := make([]byte, 0, len(data)+len(val))
	at := int64(0)
	for _, s := range spans {
		out = append(out, data[at:s.from]...)
		out = append(out, val...)
		at = s.to
	}
	return append(out, data[at:]...), nil
}
