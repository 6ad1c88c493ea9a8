package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// CalendarState is what is known about syncing one calendar.
type CalendarState struct {
	Source      string    `json:"source"`
	Calendar    string    `json:"calendar"`
	Name        string    `json:"name,omitempty"` // display name
	Cursor      string    `json:"cursor,omitempty"`
	LastSync    time.Time `json:"last_sync,omitzero"`    // last attempt
	LastSuccess time.Time `json:"last_success,omitzero"` // last attempt that succeeded
	LastError   string    `json:"last_error,omitempty"`
	Objects     int       `json:"objects"` // objects stored for the calendar
	// Built names the configuration (sync.Engine's build key) under which
	// the history was last rebuilt from every stored object of the
	// calendar; "" when objects changed since. A process that fetches
	// nothing new for a calendar Built under its own key need not rebuild.
	Built string `json:"built,omitempty"`
}

// CalendarState returns the state of one calendar.
func (s *Store) CalendarState(source, cal string) (CalendarState, bool, error) {
	var st CalendarState
	key, err := calKey(source, cal)
	if err != nil {
		return st, false, fmt.Errorf("get calendar state: %w", err)
	}
	var ok bool
	err = s.view(func(tx *bbolt.Tx) error {
		ok, err = getJSON(tx.Bucket(bucketCalendars), key, &st)
		return err
	})
	if err != nil {
		return CalendarState{}, false, fmt.Errorf("get calendar state %s/%s: %w", source, cal, err)
	}
	return st, ok, nil
}

// CalendarStates returns the states of the calendars of source ("" = of
// every source), sorted by source, then calendar.
func (s *Store) CalendarStates(source string) ([]CalendarState, error) {
	var prefix []byte
	if source != "" {
		if err := checkPart("source", source); err != nil {
			return nil, fmt.Errorf("list calendar states: %w", err)
		}
		prefix = []byte(source + sep)
	}
	var out []CalendarState
	err := s.view(func(tx *bbolt.Tx) error {
		return scanPrefix(tx.Bucket(bucketCalendars), prefix, func(k, v []byte) error {
			var st CalendarState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			out = append(out, st)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list calendar states: %w", err)
	}
	return out, nil
}

// PutCalendarState stores st as the state of calendar st.Calendar of
// st.Source, leaving its objects alone (to record an attempt or an error).
// st.Objects is set to the number of objects stored.
func (s *Store) PutCalendarState(st CalendarState) error {
	key, err := calKey(st.Source, st.Calendar)
	if err != nil {
		return fmt.Errorf("put calendar state: %w", err)
	}
	err = s.update(func(tx *bbolt.Tx) error {
		st.Objects = countPrefix(tx.Bucket(bucketObjects), append(slices.Clip(key), sep...))
		return putJSON(tx.Bucket(bucketCalendars), key, st)
	})
	if err != nil {
		return fmt.Errorf("put calendar state %s/%s: %w", st.Source, st.Calendar, err)
	}
	return nil
}

// ApplyChanges stores what a sync of one calendar returned, in one
// transaction: when ch.Full, the calendar's objects become exactly ch.Put;
// otherwise ch.Deleted are removed and ch.Put upserted (an href in both is
// kept). Then st is stored as the calendar's state, with Source, Calendar,
// Cursor (ch.Cursor) and Objects (the count) filled in.
func (s *Store) ApplyChanges(source, cal string, ch calendar.Changes, st CalendarState) error {
	wrap := func(err error) error { return fmt.Errorf("apply changes to %s/%s: %w", source, cal, err) }
	key, err := calKey(source, cal)
	if err != nil {
		return wrap(err)
	}
	prefix := append(slices.Clip(key), sep...)
	puts := make(map[string][]byte, len(ch.Put))
	for _, o := range ch.Put {
		k, err := objKey(prefix, o.Href)
		if err != nil {
			return wrap(err)
		}
		v, err := encodeObject(o.ETag, o.Data)
		if err != nil {
			return wrap(fmt.Errorf("encode %s: %w", o.Href, err))
		}
		puts[string(k)] = v
	}
	var dels [][]byte
	if !ch.Full {
		for _, href := range ch.Deleted {
			k, err := objKey(prefix, href)
			if err != nil {
				return wrap(err)
			}
			if _, put := puts[string(k)]; !put {
				dels = append(dels, k)
			}
		}
	}
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketObjects)
		b.FillPercent = objectsFillPercent
		if ch.Full {
			err := deletePrefix(b, prefix, func(k, _ []byte) bool { _, put := puts[string(k)]; return put })
			if err != nil {
				return err
			}
		}
		for _, k := range dels {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		keys := make([]string, 0, len(puts))
		for k := range puts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := putIfChanged(b, []byte(k), puts[k]); err != nil {
				return err
			}
		}
		st.Source, st.Calendar, st.Cursor = source, cal, ch.Cursor
		st.Objects = countPrefix(b, prefix)
		return putJSON(tx.Bucket(bucketCalendars), key, st)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// Objects returns the stored objects of a calendar, sorted by href.
func (s *Store) Objects(source, cal string) ([]calendar.Object, error) {
	prefix, err := calPrefix(source, cal)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	var out []calendar.Object
	err = s.view(func(tx *bbolt.Tx) error {
		return scanPrefix(tx.Bucket(bucketObjects), prefix, func(k, v []byte) error {
			etag, data, err := decodeObject(v)
			if err != nil {
				return fmt.Errorf("decode %q: %w", k[len(prefix):], err)
			}
			out = append(out, calendar.Object{Href: string(k[len(prefix):]), ETag: etag, Data: data})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list objects of %s/%s: %w", source, cal, err)
	}
	return out, nil
}

// Object returns one stored object.
func (s *Store) Object(source, cal, href string) (calendar.Object, bool, error) {
	prefix, err := calPrefix(source, cal)
	if err != nil {
		return calendar.Object{}, false, fmt.Errorf("get object: %w", err)
	}
	key, err := objKey(prefix, href)
	if err != nil {
		return calendar.Object{}, false, fmt.Errorf("get object: %w", err)
	}
	var obj calendar.Object
	var ok bool
	err = s.view(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketObjects).Get(key)
		if v == nil {
			return nil
		}
		ok = true
		obj.ETag, obj.Data, err = decodeObject(v)
		return err
	})
	if err != nil {
		return calendar.Object{}, false, fmt.Errorf("get object %s in %s/%s: %w", href, source, cal, err)
	}
	if !ok {
		return calendar.Object{}, false, nil
	}
	obj.Href = href
	return obj, true, nil
}

// ObjectETags maps the href of every stored object of a calendar to its ETag.
func (s *Store) ObjectETags(source, cal string) (map[string]string, error) {
	prefix, err := calPrefix(source, cal)
	if err != nil {
		return nil, fmt.Errorf("list etags: %w", err)
	}
	out := make(map[string]string)
	err = s.view(func(tx *bbolt.Tx) error {
		return scanPrefix(tx.Bucket(bucketObjects), prefix, func(k, v []byte) error {
			etag, err := decodeObjectETag(v)
			if err != nil {
				return fmt.Errorf("decode %q: %w", k[len(prefix):], err)
			}
			out[string(k[len(prefix):])] = etag
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list etags of %s/%s: %w", source, cal, err)
	}
	return out, nil
}

// PutObject stores one object (after a write-back), leaving the cursor
// alone; the calendar's object count follows.
func (s *Store) PutObject(source, cal string, obj calendar.Object) error {
	wrap := func(err error) error { return fmt.Errorf("put object %s in %s/%s: %w", obj.Href, source, cal, err) }
	key, err := calKey(source, cal)
	if err != nil {
		return wrap(err)
	}
	prefix := append(slices.Clip(key), sep...)
	k, err := objKey(prefix, obj.Href)
	if err != nil {
		return wrap(err)
	}
	v, err := encodeObject(obj.ETag, obj.Data)
	if err != nil {
		return wrap(err)
	}
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketObjects)
		existed := b.Get(k) != nil
		if err := putIfChanged(b, k, v); err != nil {
			return err
		}
		if existed {
			// The count is unchanged: not counting keeps a run of
			// write-backs into a large calendar linear.
			return nil
		}
		cals := tx.Bucket(bucketCalendars)
		var st CalendarState
		ok, err := getJSON(cals, key, &st)
		if err != nil || !ok {
			return err
		}
		if n := countPrefix(b, prefix); n != st.Objects {
			st.Objects = n
			return putJSON(cals, key, st)
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// RemoveCalendar deletes a calendar's objects and state in one transaction.
// The history of its series is kept.
func (s *Store) RemoveCalendar(source, cal string) error {
	key, err := calKey(source, cal)
	if err != nil {
		return fmt.Errorf("remove calendar: %w", err)
	}
	err = s.update(func(tx *bbolt.Tx) error {
		if err := deletePrefix(tx.Bucket(bucketObjects), append(slices.Clip(key), sep...), nil); err != nil {
			return err
		}
		return tx.Bucket(bucketCalendars).Delete(key)
	})
	if err != nil {
		return fmt.Errorf("remove calendar %s/%s: %w", source, cal, err)
	}
	return nil
}
