package googleapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
)

// object is a JSON object that keeps its keys in order, so that an event
// loaded from a real payload is served back with Google's field order and with
// exactly the fields it had (a typed struct would drop "sequence": 0 and
// unknown fields, and add nothing Google would not).
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

// eventFieldOrder is the order in which Google writes the fields of an event;
// a field that an object lacks is inserted at its place in this order.
var eventFieldOrder = []string{
	"kind", "etag", "id", "status", "htmlLink", "created", "updated",
	"summary", "description", "location", "colorId", "creator", "organizer",
	"start", "end", "endTimeUnspecified", "recurrence", "recurringEventId",
	"originalStartTime", "transparency", "visibility", "iCalUID", "sequence",
	"attendees", "attendeesOmitted", "extendedProperties", "hangoutLink",
	"conferenceData", "gadget", "anyoneCanAddSelf", "guestsCanInviteOthers",
	"guestsCanModify", "guestsCanSeeOtherGuests", "privateCopy", "locked",
	"reminders", "source", "workingLocationProperties",
	"outOfOfficeProperties", "focusTimeProperties", "attachments",
	"birthdayProperties", "eventType",
}

var eventFieldRank = func() map[string]int {
	m := make(map[string]int, len(eventFieldOrder))
	for i, k := range eventFieldOrder {
		m[k] = i
	}
	return m
}()

// parseObject reads one JSON object; the values are kept compacted. A key
// given twice keeps its first place and its last value, as encoding/json does.
func parseObject(b []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	o := &object{vals: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key %v is not a string", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		if _, dup := o.vals[key]; !dup {
			o.keys = append(o.keys, key)
		}
		o.vals[key] = buf.Bytes()
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the JSON object")
	}
	return o, nil
}

func (o *object) clone() *object {
	c := &object{keys: slices.Clone(o.keys), vals: make(map[string]json.RawMessage, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = v
	}
	return c
}

func (o *object) has(key string) bool {
	_, ok := o.vals[key]
	return ok
}

func (o *object) get(key string) (json.RawMessage, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// str returns the value of key when it is a JSON string, else "".
func (o *object) str(key string) string {
	var s string
	if v, ok := o.vals[key]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// set stores a raw JSON value; a new key goes to its place in Google's order
// (unknown keys go last).
func (o *object) set(key string, v json.RawMessage) {
	if _, ok := o.vals[key]; ok {
		o.vals[key] = v
		return
	}
	o.vals[key] = v
	rank, known := eventFieldRank[key]
	if !known {
		o.keys = append(o.keys, key)
		return
	}
	at := len(o.keys)
	for i, k := range o.keys {
		if r, ok := eventFieldRank[k]; ok && r > rank {
			at = i
			break
		}
	}
	o.keys = slices.Insert(o.keys, at, key)
}

func (o *object) setString(key, s string) {
	b, _ := json.Marshal(s)
	o.set(key, b)
}

func (o *object) del(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
}

// only returns a copy with just the named keys, in the object's own order.
func (o *object) only(keys ...string) *object {
	c := &object{vals: map[string]json.RawMessage{}}
	for _, k := range o.keys {
		if slices.Contains(keys, k) {
			c.keys = append(c.keys, k)
			c.vals[k] = o.vals[k]
		}
	}
	return c
}

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// sameJSON reports whether two raw values mean the same (key order and
// number spelling aside). Absent values are nil.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// mergePatch applies Google's patch semantics: the fields sent replace the
// stored ones, nested objects are merged field by field, arrays are replaced
// whole, and null clears a field.
func mergePatch(dst json.RawMessage, patch json.RawMessage) json.RawMessage {
	p, err := parseObject(patch)
	if err != nil {
		return patch // not an object: replaces whatever was there
	}
	d, err := parseObject(dst)
	if err != nil || dst == nil {
		d = &object{vals: map[string]json.RawMessage{}}
	}
	for _, k := range p.keys {
		v := p.vals[k]
		switch {
		case string(v) == "null":
			d.del(k)
		case len(v) > 0 && v[0] == '{':
			old, _ := d.get(k)
			d.set(k, mergePatch(old, v))
		default:
			d.set(k, v)
		}
	}
	b, _ := d.MarshalJSON()
	return b
}
