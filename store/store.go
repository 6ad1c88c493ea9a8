// Package store is oneonone's state: one bbolt file holding, per calendar,
// the objects last fetched and the sync cursor; the recognised 1:1 series and
// the history of their occurrences; and a few small facts.
//
// Layout (values are JSON):
//
//	meta         "schema_version" → schema version (a number)
//	facts        key → string (Meta, SetMeta)
//	calendars    source \x00 calendar → CalendarState
//	objects      source \x00 calendar \x00 href → {etag, data}
//	series       series ID → calendar.Series
//	occurrences  series ID \x00 original start (UTC, 20060102T150405Z) → calendar.Occurrence
//	actions      ID (a decimal sequence number) → agenda.Action
//
// "\x00" cannot appear in source names, calendar ids, hrefs or series IDs
// (they are checked), so a key prefix selects exactly one calendar or one
// series, and key order is href order and chronological order. Every change
// that touches more than one key is one transaction, so a crash leaves the
// file as it was before or after the change.
package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"oneonone/calendar"
)

// Buckets, made at Open.
var (
	bucketMeta        = []byte("meta")
	bucketFacts       = []byte("facts")
	bucketCalendars   = []byte("calendars")
	bucketObjects     = []byte("objects")
	bucketSeries      = []byte("series")
	bucketOccurrences = []byte("occurrences")
	bucketActions     = []byte("actions")

	allBuckets = [][]byte{bucketMeta, bucketFacts, bucketCalendars, bucketObjects, bucketSeries, bucketOccurrences, bucketActions}

	keySchemaVersion = []byte("schema_version")
)

// sep joins the parts of a composite key.
const sep = "\x00"

// migrations[v] moves a file from schema version v to v+1, inside the Open
// transaction; the buckets of the current layout are made after the last
// one. The schema version of this build is len(migrations).
var migrations = []func(tx *bbolt.Tx) error{
	// 0 → 1: a new file; Open makes the buckets.
	func(*bbolt.Tx) error { return nil },
}

// openTimeout is how long Open waits for the file lock.
var openTimeout = time.Second

// initialMmapSize reserves address space (not disk: the file grows with its
// data) so that a large write transaction does not remap the file, and copy
// every node it holds, each time the file doubles; and so that a remap rarely
// has to wait for readers.
const initialMmapSize = 1 << (20 + 10*(strconv.IntSize/64)) // 1 GiB on 64-bit, 1 MiB on 32-bit

// Store is the state file. Its methods are safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
}

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
}

// storedObject is the value of an object; its href is in the key.
type storedObject struct {
	ETag string `json:"etag"`
	Data []byte `json:"data"`
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// Open opens the state file at path, creating it (mode 0600, its directory
// 0700) when missing, and migrates an older schema. It refuses a file of a
// newer schema, and a file another process holds open.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:         openTimeout,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %s is in use by another oneonone process", path, filepath.Base(path))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&^0o600 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if err := db.Update(func(tx *bbolt.Tx) error { return prepare(tx, path) }); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, path: path}, nil
}

// prepare checks the schema version, migrates and makes the buckets.
func prepare(tx *bbolt.Tx, path string) error {
	current := SchemaVersion()
	version := 0
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keySchemaVersion); v != nil {
			if err := json.Unmarshal(v, &version); err != nil {
				return fmt.Errorf("open %s: read schema version: %w", path, err)
			}
		}
	}
	if version == 0 {
		foreign := ""
		_ = tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			if !slices.ContainsFunc(allBuckets, func(b []byte) bool { return bytes.Equal(b, name) }) {
				foreign = string(name)
			}
			return nil
		})
		if foreign != "" {
			return fmt.Errorf("open %s: not a oneonone state file (it has a bucket %q and no schema version)", path, foreign)
		}
	}
	if version > current {
		return fmt.Errorf("open %s: schema version %d is newer than this oneonone (%d)", path, version, current)
	}
	for v := version; v < current; v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("open %s: migrate schema %d to %d: %w", path, v, v+1, err)
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("open %s: create bucket %s: %w", path, name, err)
		}
	}
	if version != current {
		if err := putJSON(tx.Bucket(bucketMeta), keySchemaVersion, current); err != nil {
			return fmt.Errorf("open %s: write schema version: %w", path, err)
		}
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// ---- keys

func checkPart(what, v string) error {
	if v == "" {
		return fmt.Errorf("empty %s", what)
	}
	if strings.Contains(v, sep) {
		return fmt.Errorf("%s %q contains a NUL byte", what, v)
	}
	return nil
}

// calKey is source \x00 calendar; calPrefix adds the separator before hrefs.
func calKey(source, cal string) ([]byte, error) {
	if err := checkPart("source", source); err != nil {
		return nil, err
	}
	if err := checkPart("calendar", cal); err != nil {
		return nil, err
	}
	return []byte(source + sep + cal), nil
}

func calPrefix(source, cal string) ([]byte, error) {
	k, err := calKey(source, cal)
	if err != nil {
		return nil, err
	}
	return append(k, sep...), nil
}

func objKey(prefix []byte, href string) ([]byte, error) {
	if err := checkPart("href", href); err != nil {
		return nil, err
	}
	return append(slices.Clip(prefix), href...), nil
}

func seriesPrefix(id string) ([]byte, error) {
	if err := checkPart("series id", id); err != nil {
		return nil, err
	}
	return []byte(id + sep), nil
}

// ---- helpers

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// putIfChanged writes value unless the stored bytes are the same, so that
// an unchanged save dirties no page.
func putIfChanged(b *bbolt.Bucket, key, value []byte) error {
	if old := b.Get(key); old != nil && bytes.Equal(old, value) {
		return nil
	}
	return b.Put(key, value)
}

func getJSON(b *bbolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	// json.Unmarshal copies what it keeps out of data.
	if err := json.Unmarshal(data, v); err != nil {
		return true, err
	}
	return true, nil
}

// scanPrefix calls fn for every key with prefix, in key order. k and v are
// valid only during the call.
func scanPrefix(b *bbolt.Bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// deletePrefix deletes every key with prefix except those keep says to keep.
func deletePrefix(b *bbolt.Bucket, prefix []byte, keep func(k, v []byte) bool) error {
	return deleteRange(b, prefix, prefix, keep)
}

// scanRange is scanPrefix from the first key at or after start.
func scanRange(b *bbolt.Bucket, prefix, start []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// deleteRange is deletePrefix from the first key at or after start.
func deleteRange(b *bbolt.Bucket, prefix, start []byte, keep func(k, v []byte) bool) error {
	var del [][]byte
	err := scanRange(b, prefix, start, func(k, v []byte) error {
		if keep == nil || !keep(k, v) {
			del = append(del, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range del {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func countPrefix(b *bbolt.Bucket, prefix []byte) int {
	n := 0
	_ = scanPrefix(b, prefix, func(_, _ []byte) error { n++; return nil })
	return n
}

// ---- calendars and objects

// CalendarState returns the state of one calendar.
func (s *Store) CalendarState(source, cal string) (CalendarState, bool, error) {
	var st CalendarState
	key, err := calKey(source, cal)
	if err != nil {
		return st, false, fmt.Errorf("get calendar state: %w", err)
	}
	var ok bool
	err = s.db.View(func(tx *bbolt.Tx) error {
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
	err := s.db.View(func(tx *bbolt.Tx) error {
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
	err = s.db.Update(func(tx *bbolt.Tx) error {
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
		v, err := json.Marshal(storedObject{ETag: o.ETag, Data: o.Data})
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
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketObjects)
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
	err = s.db.View(func(tx *bbolt.Tx) error {
		return scanPrefix(tx.Bucket(bucketObjects), prefix, func(k, v []byte) error {
			var so storedObject
			if err := json.Unmarshal(v, &so); err != nil {
				return fmt.Errorf("decode %q: %w", k[len(prefix):], err)
			}
			out = append(out, calendar.Object{Href: string(k[len(prefix):]), ETag: so.ETag, Data: so.Data})
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
	var so storedObject
	var ok bool
	err = s.db.View(func(tx *bbolt.Tx) error {
		ok, err = getJSON(tx.Bucket(bucketObjects), key, &so)
		return err
	})
	if err != nil {
		return calendar.Object{}, false, fmt.Errorf("get object %s in %s/%s: %w", href, source, cal, err)
	}
	if !ok {
		return calendar.Object{}, false, nil
	}
	return calendar.Object{Href: href, ETag: so.ETag, Data: so.Data}, true, nil
}

// ObjectETags maps the href of every stored object of a calendar to its ETag.
func (s *Store) ObjectETags(source, cal string) (map[string]string, error) {
	prefix, err := calPrefix(source, cal)
	if err != nil {
		return nil, fmt.Errorf("list etags: %w", err)
	}
	out := make(map[string]string)
	err = s.db.View(func(tx *bbolt.Tx) error {
		return scanPrefix(tx.Bucket(bucketObjects), prefix, func(k, v []byte) error {
			var so struct {
				ETag string `json:"etag"`
			}
			if err := json.Unmarshal(v, &so); err != nil {
				return fmt.Errorf("decode %q: %w", k[len(prefix):], err)
			}
			out[string(k[len(prefix):])] = so.ETag
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
	v, err := json.Marshal(storedObject{ETag: obj.ETag, Data: obj.Data})
	if err != nil {
		return wrap(err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
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
	err = s.db.Update(func(tx *bbolt.Tx) error {
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

// ---- series and occurrences

// SaveHistory stores the series of source and their occurrences in one
// transaction: each series is upserted by ID, and for each of them, the
// stored occurrences become exactly those in occ with its SeriesID (keyed by
// Occurrence.Key; a later one wins over an earlier one with the same key).
// Series not in series are left alone. An occurrence of a series not in
// series, a series of another source, an empty ID, or an occurrence without
// an original start is an error, and nothing is stored.
func (s *Store) SaveHistory(source string, series []calendar.Series, occ []calendar.Occurrence) error {
	return s.saveHistory(source, series, occ, time.Time{})
}

// SaveHistoryFrom is SaveHistory for the recent part of the history only:
// for each series saved, the stored occurrences whose original start is at
// or after from (to the second) become exactly those in occ with its
// SeriesID and such a start; older stored occurrences are left alone, and
// older ones in occ are upserted. A cycle that recomputes only the last
// months of history saves them in a time that does not grow with the years
// of history kept.
func (s *Store) SaveHistoryFrom(source string, series []calendar.Series, occ []calendar.Occurrence, from time.Time) error {
	if from.IsZero() {
		return fmt.Errorf("save history of %s: no start of the window", source)
	}
	return s.saveHistory(source, series, occ, from)
}

// occKeyFrom is the key, within a series' prefix, of the first occurrence at
// or after from: the layout of calendar.Occurrence.Key, to the second.
func occKeyFrom(prefix []byte, from time.Time) []byte {
	if from.IsZero() {
		return prefix
	}
	return append(slices.Clip(prefix), calendar.Occurrence{OriginalStart: from.Truncate(time.Second)}.Key()...)
}

// saveHistory is SaveHistory (from zero) and SaveHistoryFrom.
func (s *Store) saveHistory(source string, series []calendar.Series, occ []calendar.Occurrence, from time.Time) error {
	wrap := func(err error) error { return fmt.Errorf("save history of %s: %w", source, err) }
	idx := make(map[string][]int, len(series)) // series ID → indexes into occ
	for _, se := range series {
		if err := checkPart("series id", se.ID); err != nil {
			return wrap(err)
		}
		if se.Source != "" && se.Source != source {
			return wrap(fmt.Errorf("series %s belongs to source %q", se.ID, se.Source))
		}
		idx[se.ID] = nil
	}
	for i, o := range occ {
		list, ok := idx[o.SeriesID]
		if !ok {
			return wrap(fmt.Errorf("occurrence %s of series %q, which is not saved with it", o.Key(), o.SeriesID))
		}
		if o.OriginalStart.IsZero() {
			return wrap(fmt.Errorf("occurrence of series %s without an original start", o.SeriesID))
		}
		idx[o.SeriesID] = append(list, i)
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		sb, ob := tx.Bucket(bucketSeries), tx.Bucket(bucketOccurrences)
		for _, se := range series {
			v, err := json.Marshal(se)
			if err != nil {
				return fmt.Errorf("encode series %s: %w", se.ID, err)
			}
			if err := putIfChanged(sb, []byte(se.ID), v); err != nil {
				return err
			}
		}
		done := make(map[string]bool, len(series))
		for _, se := range series {
			if done[se.ID] {
				continue
			}
			done[se.ID] = true
			id, list := se.ID, idx[se.ID]
			prefix, _ := seriesPrefix(id) // checked above
			want := make(map[string][]byte, len(list))
			for _, i := range list {
				v, err := json.Marshal(occ[i])
				if err != nil {
					return fmt.Errorf("encode occurrence %s of %s: %w", occ[i].Key(), id, err)
				}
				want[string(prefix)+occ[i].Key()] = v
			}
			// Keep what is unchanged, delete what is gone, write the rest;
			// before from, only write what changed.
			start := occKeyFrom(prefix, from)
			err := deleteRange(ob, prefix, start, func(k, v []byte) bool {
				w, ok := want[string(k)]
				if ok && bytes.Equal(w, v) {
					delete(want, string(k))
				}
				return ok
			})
			if err != nil {
				return err
			}
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				put := ob.Put
				if k < string(start) {
					put = func(key, v []byte) error { return putIfChanged(ob, key, v) }
				}
				if err := put([]byte(k), want[k]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// Series returns every stored series, of all sources, sorted by ID.
func (s *Store) Series() ([]calendar.Series, error) {
	var out []calendar.Series
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			var se calendar.Series
			if err := json.Unmarshal(v, &se); err != nil {
				return fmt.Errorf("decode series %s: %w", k, err)
			}
			out = append(out, se)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list series: %w", err)
	}
	return out, nil
}

// SeriesByID returns one series.
func (s *Store) SeriesByID(id string) (calendar.Series, bool, error) {
	var se calendar.Series
	if err := checkPart("series id", id); err != nil {
		return se, false, fmt.Errorf("get series: %w", err)
	}
	var ok bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketSeries), []byte(id), &se)
		return err
	})
	if err != nil {
		return calendar.Series{}, false, fmt.Errorf("get series %s: %w", id, err)
	}
	return se, ok, nil
}

// Occurrences returns the stored occurrences of one series, sorted by
// original start. Times come back in fixed-offset zones; compare them with
// Equal.
func (s *Store) Occurrences(seriesID string) ([]calendar.Occurrence, error) {
	return s.occurrences(seriesID, time.Time{})
}

// OccurrencesFrom returns the stored occurrences of one series whose
// original start is at or after from (to the second), sorted by original
// start: the part of the history a cycle recomputes (see SaveHistoryFrom).
func (s *Store) OccurrencesFrom(seriesID string, from time.Time) ([]calendar.Occurrence, error) {
	return s.occurrences(seriesID, from)
}

func (s *Store) occurrences(seriesID string, from time.Time) ([]calendar.Occurrence, error) {
	prefix, err := seriesPrefix(seriesID)
	if err != nil {
		return nil, fmt.Errorf("list occurrences: %w", err)
	}
	var out []calendar.Occurrence
	err = s.db.View(func(tx *bbolt.Tx) error {
		return scanRange(tx.Bucket(bucketOccurrences), prefix, occKeyFrom(prefix, from), func(k, v []byte) error {
			var o calendar.Occurrence
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("decode occurrence %q: %w", k, err)
			}
			out = append(out, o)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list occurrences of %s: %w", seriesID, err)
	}
	return out, nil
}

// AllOccurrences returns the occurrences of every series, sorted by original
// start, then series. For large stores, ForEachOccurrence does not hold them
// all in memory.
func (s *Store) AllOccurrences() ([]calendar.Occurrence, error) {
	var out []calendar.Occurrence
	err := s.ForEachOccurrence(func(o calendar.Occurrence) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The order of calendar.SortOccurrences, without sort.Slice's reflection.
	slices.SortFunc(out, func(a, b calendar.Occurrence) int {
		if c := a.OriginalStart.Compare(b.OriginalStart); c != 0 {
			return c
		}
		return strings.Compare(a.SeriesID, b.SeriesID)
	})
	return out, nil
}

// ForEachOccurrence calls fn for every stored occurrence, series by series
// (in ID order) and, within a series, by original start, all from one
// consistent snapshot. It stops at fn's first error and returns it. fn runs
// inside a read transaction: it must not write to the store.
func (s *Store) ForEachOccurrence(fn func(calendar.Occurrence) error) error {
	var fnErr error
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOccurrences).ForEach(func(k, v []byte) error {
			var o calendar.Occurrence
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("decode occurrence %q: %w", k, err)
			}
			if err := fn(o); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list occurrences: %w", err)
	}
	return nil
}

// ---- facts

// Meta returns a small stored fact (such as when the last report was mailed).
func (s *Store) Meta(key string) (string, bool, error) {
	if key == "" {
		return "", false, errors.New("get meta: empty key")
	}
	var v string
	var ok bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketFacts), []byte(key), &v)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("get meta %s: %w", key, err)
	}
	return v, ok, nil
}

// SetMeta stores a small fact.
func (s *Store) SetMeta(key, value string) error {
	if key == "" {
		return errors.New("set meta: empty key")
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketFacts), []byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// DeleteMeta removes a fact; removing one that is not there is no error.
func (s *Store) DeleteMeta(key string) error {
	if key == "" {
		return errors.New("delete meta: empty key")
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFacts).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete meta %s: %w", key, err)
	}
	return nil
}
