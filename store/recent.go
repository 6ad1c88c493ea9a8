package store

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// MaxShift is how far an occurrence's actual start may lie from its
// original start for a windowed read to see it: an occurrence keyed by an
// original start up to MaxShift before a window may have been moved into
// it (report.Load reads a pair's series back from its last kept start
// minus MaxShift). Make-ups are bounded by the next slot (at most a month
// for a monthly series); 62 days covers two of them. The engine does not
// enforce it: an override can move a slot further.
const MaxShift = 62 * 24 * time.Hour

// RecentTx reads parts of the stored occurrences, each by a cursor seek on
// the series' keys, all within one read transaction (ViewRecent), so that a
// report reads in a time that does not grow with the years of history
// kept. Like the transaction, it is valid only inside ViewRecent's fn.
type RecentTx struct {
	s       *Store
	ob      *bbolt.Bucket
	visited int
}

// ViewRecent calls fn with a RecentTx on one consistent snapshot.
func (s *Store) ViewRecent(fn func(*RecentTx) error) error {
	var fnErr error
	err := s.view(func(tx *bbolt.Tx) error {
		fnErr = fn(&RecentTx{s: s, ob: tx.Bucket(bucketOccurrences)})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("read recent occurrences: %w", err)
	}
	return nil
}

// Visited returns how many occurrence records r has read so far: what a
// windowed read costs, counted for tests and benchmarks.
func (r *RecentTx) Visited() int { return r.visited }

// decode reads one record, or reports it bad and skips it (ok false).
func (r *RecentTx) decode(k, v []byte) (calendar.Occurrence, bool) {
	r.visited++
	o, err := decodeOccurrence(k, v)
	if err != nil {
		r.s.badRecord(bucketOccurrences, k, err)
		return o, false
	}
	return o, true
}

// Between returns the occurrences of one series whose original start is at
// or after lo and before hi (both to the second; a zero hi: no end) and for
// which match is true (every one when match is nil), by original start.
func (r *RecentTx) Between(seriesID string, lo, hi time.Time, match func(calendar.Occurrence) bool) ([]calendar.Occurrence, error) {
	prefix, err := seriesPrefix(seriesID)
	if err != nil {
		return nil, fmt.Errorf("list occurrences: %w", err)
	}
	var end []byte
	if !hi.IsZero() {
		end = occKeyFrom(prefix, hi)
	}
	var out []calendar.Occurrence
	err = scanRange(r.ob, prefix, occKeyFrom(prefix, lo), func(k, v []byte) error {
		if end != nil && bytes.Compare(k, end) >= 0 {
			return errStop
		}
		if o, ok := r.decode(k, v); ok && (match == nil || match(o)) {
			out = append(out, o)
		}
		return nil
	})
	if err != nil && err != errStop {
		return nil, fmt.Errorf("list occurrences of %s: %w", seriesID, err)
	}
	return out, nil
}

// errStop ends a scan early; it never leaves this file.
var errStop = fmt.Errorf("stop")

// LastOccurrenceBefore returns the occurrence of one series with the latest
// original start before t (to the second) for which match is true (any
// when match is nil), seeking to t and walking backwards; false when there
// is none. With a match of "kept", it finds a pair's last 1:1 older than a
// window without reading the years before it.
func (r *RecentTx) LastOccurrenceBefore(seriesID string, t time.Time, match func(calendar.Occurrence) bool) (calendar.Occurrence, bool, error) {
	prefix, err := seriesPrefix(seriesID)
	if err != nil {
		return calendar.Occurrence{}, false, fmt.Errorf("find occurrence: %w", err)
	}
	c := r.ob.Cursor()
	// Seek lands on the first key at or after t; every key before it is
	// before t, and when there is none, the last key of the bucket is.
	var k, v []byte
	if k, _ = c.Seek(occKeyFrom(prefix, t)); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		if o, ok := r.decode(k, v); ok && (match == nil || match(o)) {
			return o, true, nil
		}
	}
	return calendar.Occurrence{}, false, nil
}
