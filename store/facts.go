package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Namespaces of facts, one per owner. A fact's key is unique only within
// its namespace: each namespace is its own bucket, nested in "facts".
const (
	// FactsDocItems: document item (agenda.ActionStore's key: pair, then a
	// hash of owner and text) → when oneonone first saw it (a time).
	FactsDocItems = "docitem"
	// FactsEmailReport: ISO week ("2026-W47") → the state of the week's
	// report mail, "<state> <RFC 3339 time>" (a string; report/email).
	FactsEmailReport = "email.report"
	// FactsEmailRollup: ISO week → the state of the week's roll-up mail
	// to [report.rollup] to, as FactsEmailReport (report/email).
	FactsEmailRollup = "email.rollup"
	// FactsMailSent: "<ISO week> <address>" → the state of that person's
	// per-person report mail of the week, as FactsEmailReport (a string;
	// report/email.PerPerson). Expires after MailSentTTL.
	FactsMailSent = "mail-sent"
	// FactsReadOnly: source, href [, recurrence id] → when the server
	// refused (403) a write to the event (a time; sync). Expires after
	// ReadOnlyTTL.
	FactsReadOnly = "read-only"
	// FactsWriteRefused: source, href → the backoff record of an object
	// whose writes the server refuses (JSON bytes; sync). Deleted when a
	// write succeeds; expires after WriteRefusedTTL.
	FactsWriteRefused = "write-refused"
	// FactsSourceMemory: source → what the source remembers between runs,
	// such as discovery results (bytes; sync). Expires after
	// SourceMemoryTTL.
	FactsSourceMemory = "source-memory"
	// FactsBuildIndex: source → the engine's index of its stored objects
	// (which UIDs each holds, the pair of each UID, the write-back targets
	// of each series), so that a new process need not decode every object
	// to learn that nothing changed (JSON bytes; sync). Trusted only for
	// calendars whose CalendarState.Built matches.
	FactsBuildIndex = "build-index"
	// FactsNudges: nudge ID (report.Nudge.ID) → when it fired (a time;
	// nudge): each nudge fires once.
	FactsNudges = "nudge"
	// FactsReportNotify: ISO week → the state of the week's report to the
	// notification targets, as FactsEmailReport (report/email).
	FactsReportNotify = "notify.report"
	// FactsWayBack: report.WayBackNeed.ID → the make-up found for it
	// (report.WayBack as JSON bytes; wayback). Expires after WayBackTTL.
	FactsWayBack = "way-back"
	// FactsReminders: "<series ID> <original start> → <deliverer>" → when
	// that deliverer took the reminder of the slot (a time; remind): each
	// is sent once per slot, whatever moves it. Expires after remind.TTL.
	FactsReminders = "reminder"
	// FactsPairDoc: pair ("a|b") → the agenda document that "oneonone
	// agenda init" wrote for it, {"doc": path or URL, "link": URL} (JSON
	// bytes; cmd). Used when the config names no document (or link) of
	// the pair.
	FactsPairDoc = "pair-doc"
	// FactsWrittenBoxes: source, href [, recurrence id] → the boxes of
	// the block oneonone last wrote into that event, one "<a|p><x|o>
	// <line>" a line (bytes; sync): a box that still reads as written is
	// nobody's tick. Expires after WrittenBoxesTTL.
	FactsWrittenBoxes = "written-boxes"
	// FactsShareKeys: key ID (a decimal number) → the 32 random bytes of
	// the HMAC-SHA256 key that signs the shared pages' links (bytes; web).
	// Made on first use; a rotation writes the next ID and deletes the
	// others, so only the current key is ever kept.
	FactsShareKeys = "share.keys"
	// FactsShareRevoked: pair ("a@x|b@y") → the revoked-before time, Unix
	// seconds (an int64; web): a link of the pair issued before it is
	// refused.
	FactsShareRevoked = "share.revoked"
	// FactsLegacy holds, under their old key, facts of schema 1 that no
	// namespace owns (none that a release wrote), so a migration loses
	// nothing.
	FactsLegacy = "legacy"
)

// Expiries of the facts that are caches or marks to look at again.
const (
	// ReadOnlyTTL is how long an event the server refused to let us write
	// (403) is left alone: a day later the write is tried again, so that a
	// permission granted since is picked up, at the cost of one request a
	// day per event that stays read-only (as the write-refused backoff,
	// whose longest wait is a day too).
	ReadOnlyTTL = 24 * time.Hour

	// MailSentTTL is how long a per-person mail is remembered: longer
	// than the week it may be sent in.
	MailSentTTL = 5 * 7 * 24 * time.Hour
	// WriteRefusedTTL is how long a backoff record outlives its last
	// refusal. An object still written is tried at least daily (the
	// longest backoff), which rewrites the record; one untouched for a
	// week is no longer written (gone, or no longer a 1:1), and its record
	// is forgotten.
	WriteRefusedTTL = 7 * 24 * time.Hour
	// SourceMemoryTTL is how long what a source remembers (discovery
	// results: which calendars, at which URLs) is trusted: a month, so that
	// a moved calendar or server is rediscovered at least that often
	// even when the daemon never restarts with a changed configuration.
	SourceMemoryTTL = 30 * 24 * time.Hour
	// WayBackTTL is how long a make-up found is kept: its need ends with
	// the next occurrence, at most a cadence later; a month covers the
	// longest, and what is left after it is forgotten.
	WayBackTTL = 31 * 24 * time.Hour
	// WrittenBoxesTTL is how long the boxes written into an event are
	// remembered: a block unchanged for longer is compared with the store
	// alone, as before any record.
	WrittenBoxesTTL = 90 * 24 * time.Hour
)

// sweepInterval is how often, at most, a write to the facts also deletes
// the expired facts of every namespace (besides the sweep at Open and the
// lazy deletion of an expired fact read), so that a long-running daemon
// does not keep expired facts nobody reads again.
const sweepInterval = time.Hour

// A stored fact is its expiry, in Unix nanoseconds, 8 bytes big-endian (0:
// none), then its value: the bytes of a string or of Bytes, a time in RFC
// 3339 with nanoseconds, an int64 in 8 bytes big-endian, a bool in one byte.
const expiryLen = 8

// ErrBadFact is the error of a typed read of a value of another type (an
// Int64 of a string, say).
var ErrBadFact = errors.New("malformed fact")

// Facts are the small facts of one namespace; Store.Facts makes them. A
// Facts value is cheap to copy and safe for concurrent use. Keys are any
// non-empty string.
type Facts struct {
	s   *Store
	ns  string
	ttl time.Duration // of what Put… writes; 0 = no expiry
}

// Facts returns the facts of namespace ns (one of the Facts… constants).
func (s *Store) Facts(ns string) Facts { return Facts{s: s, ns: ns} }

// Expiring returns f whose Put… methods write facts that expire ttl after
// the write (by the store's clock; see WithClock): from then on they read
// as absent, and are deleted. Facts written without Expiring never expire.
func (f Facts) Expiring(ttl time.Duration) Facts {
	f.ttl = ttl
	return f
}

// Namespace returns f's namespace.
func (f Facts) Namespace() string { return f.ns }

// String returns the string stored under key; ok is false when there is
// none (or it expired).
func (f Facts) String(key string) (v string, ok bool, err error) {
	b, ok, err := f.get("get", key)
	return string(b), ok, err
}

// PutString stores a string.
func (f Facts) PutString(key, v string) error { return f.put(key, []byte(v)) }

// Bytes returns the bytes stored under key.
func (f Facts) Bytes(key string) ([]byte, bool, error) { return f.get("get", key) }

// PutBytes stores bytes.
func (f Facts) PutBytes(key string, v []byte) error { return f.put(key, v) }

// Time returns the time stored under key (with PutTime), with its offset.
func (f Facts) Time(key string) (time.Time, bool, error) {
	b, ok, err := f.get("get time", key)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	var t time.Time
	if err := t.UnmarshalText(b); err != nil {
		return time.Time{}, false, fmt.Errorf("get time %s %q: %w: %v", f.ns, key, ErrBadFact, err)
	}
	return t, true, nil
}

// PutTime stores a time, to the nanosecond, with its offset.
func (f Facts) PutTime(key string, t time.Time) error {
	b, err := t.MarshalText()
	if err != nil {
		return fmt.Errorf("put time %s %q: %w", f.ns, key, err)
	}
	return f.put(key, b)
}

// Int64 returns the integer stored under key.
func (f Facts) Int64(key string) (int64, bool, error) {
	b, ok, err := f.get("get int64", key)
	if err != nil || !ok {
		return 0, false, err
	}
	if len(b) != 8 {
		return 0, false, fmt.Errorf("get int64 %s %q: %w", f.ns, key, ErrBadFact)
	}
	return int64(binary.BigEndian.Uint64(b)), true, nil
}

// PutInt64 stores an integer.
func (f Facts) PutInt64(key string, v int64) error {
	return f.put(key, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// Bool returns the bool stored under key.
func (f Facts) Bool(key string) (bool, bool, error) {
	b, ok, err := f.get("get bool", key)
	if err != nil || !ok {
		return false, false, err
	}
	if len(b) != 1 || b[0] > 1 {
		return false, false, fmt.Errorf("get bool %s %q: %w", f.ns, key, ErrBadFact)
	}
	return b[0] == 1, true, nil
}

// PutBool stores a bool.
func (f Facts) PutBool(key string, v bool) error {
	b := []byte{0}
	if v {
		b[0] = 1
	}
	return f.put(key, b)
}

// Delete removes a fact; removing one that is not there is no error.
func (f Facts) Delete(key string) error {
	if err := f.check(key); err != nil {
		return fmt.Errorf("delete fact: %w", err)
	}
	err := f.s.update(func(tx *bbolt.Tx) error {
		b := f.bucket(tx)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete fact %s %q: %w", f.ns, key, err)
	}
	return nil
}

// Keys returns the keys with prefix ("" for all) of the namespace's facts
// that have not expired, sorted.
func (f Facts) Keys(prefix string) ([]string, error) {
	if err := f.check("-"); err != nil {
		return nil, fmt.Errorf("list facts: %w", err)
	}
	now := f.s.now()
	var out []string
	err := f.s.view(func(tx *bbolt.Tx) error {
		b := f.bucket(tx)
		if b == nil {
			return nil
		}
		return scanPrefix(b, []byte(prefix), func(k, v []byte) error {
			if !expired(v, now) {
				out = append(out, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list facts %s: %w", f.ns, err)
	}
	return out, nil
}

// DeletePrefix removes the namespace's facts whose key has prefix ("" for
// all of them), and returns how many there were (expired ones included).
func (f Facts) DeletePrefix(prefix string) (int, error) {
	if err := f.check("-"); err != nil {
		return 0, fmt.Errorf("delete facts: %w", err)
	}
	n := 0
	err := f.s.update(func(tx *bbolt.Tx) error {
		b := f.bucket(tx)
		if b == nil {
			return nil
		}
		n = countPrefix(b, []byte(prefix))
		if prefix == "" {
			return tx.Bucket(bucketFacts).DeleteBucket([]byte(f.ns))
		}
		return deletePrefix(b, []byte(prefix), nil)
	})
	if err != nil {
		return 0, fmt.Errorf("delete facts %s %q: %w", f.ns, prefix, err)
	}
	return n, nil
}

func (f Facts) check(key string) error {
	switch {
	case f.s == nil:
		return errors.New("no store")
	case f.ns == "":
		return errors.New("empty namespace")
	case key == "":
		return fmt.Errorf("empty key in namespace %s", f.ns)
	case f.ttl < 0:
		return fmt.Errorf("negative expiry %v in namespace %s", f.ttl, f.ns)
	}
	return nil
}

func (f Facts) bucket(tx *bbolt.Tx) *bbolt.Bucket {
	return tx.Bucket(bucketFacts).Bucket([]byte(f.ns))
}

// get returns a copy of the value under key, deleting it when it expired.
func (f Facts) get(op, key string) ([]byte, bool, error) {
	if err := f.check(key); err != nil {
		return nil, false, fmt.Errorf("%s fact: %w", op, err)
	}
	now := f.s.now()
	var out []byte
	var ok, stale bool
	err := f.s.view(func(tx *bbolt.Tx) error {
		b := f.bucket(tx)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(key))
		switch {
		case v == nil:
		case len(v) < expiryLen:
			return ErrBadFact
		case expired(v, now):
			stale = true
		default:
			out, ok = bytes.Clone(v[expiryLen:]), true
			if out == nil {
				out = []byte{}
			}
		}
		return nil
	})
	if err == nil && stale && !f.s.readOnly {
		err = f.s.update(func(tx *bbolt.Tx) error {
			b := f.bucket(tx)
			if b == nil {
				return nil
			}
			if v := b.Get([]byte(key)); v != nil && expired(v, now) {
				return b.Delete([]byte(key))
			}
			return nil
		})
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s fact %s %q: %w", op, f.ns, key, err)
	}
	return out, ok, nil
}

func (f Facts) put(key string, v []byte) error {
	if err := f.check(key); err != nil {
		return fmt.Errorf("put fact: %w", err)
	}
	now := f.s.now()
	var exp time.Time
	if f.ttl > 0 {
		exp = now.Add(f.ttl)
	}
	err := f.s.update(func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(bucketFacts).CreateBucketIfNotExists([]byte(f.ns))
		if err != nil {
			return err
		}
		if err := putIfChanged(b, []byte(key), encodeFact(v, exp)); err != nil {
			return err
		}
		return f.s.sweepDue(tx, now)
	})
	if err != nil {
		return fmt.Errorf("put fact %s %q: %w", f.ns, key, err)
	}
	return nil
}

// encodeFact is a stored fact: exp (zero: never) and v.
func encodeFact(v []byte, exp time.Time) []byte {
	var n uint64
	if !exp.IsZero() {
		n = uint64(max(exp.UnixNano(), 1))
	}
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, expiryLen+len(v)), n), v...)
}

// expired tells whether a stored fact expired at now. A value too short to
// hold an expiry is not expired (reading it fails).
func expired(v []byte, now time.Time) bool {
	if len(v) < expiryLen {
		return false
	}
	n := binary.BigEndian.Uint64(v)
	return n != 0 && now.UnixNano() >= int64(n)
}

// SweepFacts deletes the facts of every namespace that expired by the
// store's clock, and returns how many. Open sweeps, and so does a write to
// the facts once an hour at most; an expired fact read is deleted then.
func (s *Store) SweepFacts() (int, error) {
	now := s.now()
	n := 0
	// Look first, write only when something expired.
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		n, err = sweepFacts(tx, now, false)
		return err
	})
	if err == nil && n > 0 {
		err = s.update(func(tx *bbolt.Tx) error {
			var err error
			n, err = sweepFacts(tx, now, true)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("sweep facts: %w", err)
	}
	s.sweepMu.Lock()
	s.lastSweep = now
	s.sweepMu.Unlock()
	return n, nil
}

// sweepDue sweeps in tx when the last sweep is sweepInterval old.
func (s *Store) sweepDue(tx *bbolt.Tx, now time.Time) error {
	s.sweepMu.Lock()
	due := now.Sub(s.lastSweep) >= sweepInterval || now.Before(s.lastSweep)
	s.sweepMu.Unlock()
	if !due {
		return nil
	}
	if _, err := sweepFacts(tx, now, true); err != nil {
		return err
	}
	// Counted as done even if tx then fails: the next write an hour later,
	// or the next Open, sweeps again.
	s.sweepMu.Lock()
	s.lastSweep = now
	s.sweepMu.Unlock()
	return nil
}

// sweepFacts counts, and when del deletes, the facts expired at now.
func sweepFacts(tx *bbolt.Tx, now time.Time, del bool) (int, error) {
	n := 0
	facts := tx.Bucket(bucketFacts)
	err := facts.ForEachBucket(func(name []byte) error {
		b := facts.Bucket(name)
		var gone [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if v != nil && expired(v, now) {
				gone = append(gone, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		n += len(gone)
		if !del {
			return nil
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// ---- schema 1 → 2

// legacyPrefixes map the key prefixes of the flat facts of schema 1 to
// their namespace; what follows the prefix is the key in the namespace.
var legacyPrefixes = []struct {
	prefix, ns string
	time       bool          // the value is an RFC 3339 time
	ttl        time.Duration // from the time in the value, or else from the migration
}{
	{"docitem ", FactsDocItems, true, 0},
	{"email.report.", FactsEmailReport, false, 0},
	{"readonly ", FactsReadOnly, true, ReadOnlyTTL},
	{"write-refused ", FactsWriteRefused, false, WriteRefusedTTL},
	{"source-memory ", FactsSourceMemory, false, SourceMemoryTTL},
}

// migrateFacts moves the flat facts of schema 1 (bucket "facts": key → a
// JSON string) into namespaces. A time that does not parse is dropped (its
// owner would have overwritten it); a read-only mark expires ReadOnlyTTL
// after the time it holds; the other expiring facts expire their TTL
// after the migration.
func migrateFacts(tx *bbolt.Tx, now time.Time) error {
	old := tx.Bucket(bucketFacts)
	if old == nil {
		return nil
	}
	type fact struct{ k, v []byte }
	var all []fact
	err := old.ForEach(func(k, v []byte) error {
		if v == nil {
			return fmt.Errorf("facts: unexpected bucket %q in schema 1", k)
		}
		all = append(all, fact{bytes.Clone(k), bytes.Clone(v)})
		return nil
	})
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket(bucketFacts); err != nil {
		return err
	}
	facts, err := tx.CreateBucket(bucketFacts)
	if err != nil {
		return err
	}
	for _, f := range all {
		value := f.v
		var str string
		if json.Unmarshal(f.v, &str) == nil {
			value = []byte(str)
		}
		ns, key, exp := FactsLegacy, string(f.k), time.Time{}
		for _, p := range legacyPrefixes {
			rest, ok := strings.CutPrefix(string(f.k), p.prefix)
			if !ok || rest == "" {
				continue
			}
			ns, key = p.ns, rest
			if p.time {
				t, err := time.Parse(time.RFC3339, string(value))
				if err != nil {
					ns = ""
					break
				}
				value, _ = t.MarshalText()
				if p.ttl > 0 {
					exp = t.Add(p.ttl)
				}
			} else if p.ttl > 0 {
				exp = now.Add(p.ttl)
			}
			break
		}
		if ns == "" {
			continue
		}
		b, err := facts.CreateBucketIfNotExists([]byte(ns))
		if err != nil {
			return err
		}
		if err := b.Put([]byte(key), encodeFact(value, exp)); err != nil {
			return err
		}
	}
	return nil
}
