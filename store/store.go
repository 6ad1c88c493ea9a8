// Package store is oneonone's state: one bbolt file holding, per calendar,
// the objects last fetched and the sync cursor; the recognised 1:1 series and
// the history of their occurrences; the actions; and small facts.
//
// One file per entity:
//
//	store.go    Open, Close, Path, the schema version and its migrations, key and bucket helpers
//	objects.go  calendar states and calendar objects
//	history.go  SaveHistory, SaveHistoryFrom and the occurrences
//	series.go   the series
//	actions.go  the actions (agenda.ActionStore)
//	facts.go    typed, namespaced facts, their expiry and the schema 1 → 2 migration
//	safety.go   guarded opens and transactions (DamagedError), skipped records (BadRecord)
//	check.go    Check: bbolt's consistency check and ours
//	backup.go   the daily backups (Backup, BackupDaily, Backups) and Restore
//	encode.go   the binary encodings of objects and occurrences
//	migrate.go  the schema 2 → 3 migration and the backup taken before a migration
//	legacy.go   how schema 2 and older encoded objects and occurrences (JSON)
//
// Layout (values are JSON but for facts, objects and occurrences):
//
//	meta         "schema_version" → schema version (a number)
//	facts        namespace (a nested bucket) → key → expiry and value (Facts)
//	calendars    source \x00 calendar → CalendarState
//	objects      source \x00 calendar \x00 href → version, ETag, raw data (encode.go)
//	series       series ID → calendar.Series
//	occurrences  series ID \x00 original start (UTC, 20060102T150405Z) → calendar.Occurrence, binary (encode.go)
//	actions      ID (a decimal sequence number) → agenda.Action
//
// "\x00" cannot appear in source names, calendar ids, hrefs or series IDs
// (they are checked), so a key prefix selects exactly one calendar or one
// series, and key order is href order and chronological order. Every change
// that touches more than one key is one transaction, so a crash leaves the
// file as it was before or after the change.
//
// # Damage, read-only opens, backups
//
// bbolt panics on some damaged files (a freelist or branch page
// overwritten, a truncated file), inside Open or a transaction. Every open
// and transaction of the store is guarded (safety.go): such a file is a
// *DamagedError, one line naming the file, what bbolt found and the newest
// backup that passes Check. A record that does not decode is skipped by
// the reads of many records and reported once (WithBadRecord).
//
// OpenReadOnly writes nothing: no migration, no sweep, no lock for
// writing; it refuses a file of an older schema (a command that writes
// migrates it).
//
// Before Open migrates a file of an older schema, it copies it as it was
// to "<state>.bak/<day>-schema<N>.db" (Store.MigrationBackup names it);
// the rotation of the daily backups never prunes these copies.
//
// Backups sit next to the file, in "<state>.bak/" (mode 0700), one a day
// named by the store's clock ("2026-12-01.db", mode 0600), the
// BackupsKept newest kept. Backup writes a copy with bbolt's Tx.WriteTo
// (consistent: one read transaction) to a temporary file, then renames
// it; it refuses a file that fails bbolt's check, so that damage does not
// push good copies out. Restore puts one back after checking it, refuses
// while another process holds the file, and keeps the file it replaces
// aside ("<state>.damaged-<time>").
//
// # Facts
//
// Store.Facts(ns) gives the facts of one namespace: typed values (PutString
// and String, PutBytes, PutTime, PutInt64, PutBool and their reads), Delete,
// Keys and DeletePrefix. Each namespace is its own bucket, so namespaces
// cannot collide whatever their keys. The namespaces, each with its owner:
//
//	docitem        pair and item hash → first seen (time)            agenda, through DocItemSeen; never expires
//	email.report   ISO week → "<state> <time>" (string)              report/email; never expires
//	read-only      source, href [, recurrence id] → 403 seen (time)  sync; expires after ReadOnlyTTL (1 day)
//	write-refused  source, href → backoff record (JSON bytes)        sync; expires WriteRefusedTTL (7 days) after the last refusal
//	source-memory  source → what the source remembers (bytes)        sync; expires after SourceMemoryTTL (30 days)
//	legacy         facts of schema 1 of no known owner, kept as they were
//
// Facts.Expiring(ttl) makes writes expire ttl later by the store's clock
// (WithClock; time.Now by default). An expired fact reads as absent and the
// read deletes it; Open deletes every expired fact (SweepFacts), and so
// does a write to the facts when the last sweep is an hour old.
//
// Schema 2 moved the flat facts of schema 1 ("docitem <pair> <hash>",
// "email.report.<week>", "readonly <source> <href>…", "write-refused …",
// "source-memory <source>", JSON strings) into these namespaces; a
// read-only mark then expires a day after the refusal it records, the
// other expiring facts their TTL after the migration.
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
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
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
	bucketPoints      = []byte("points")

	allBuckets = [][]byte{bucketMeta, bucketFacts, bucketCalendars, bucketObjects, bucketSeries, bucketOccurrences, bucketActions, bucketPoints}

	keySchemaVersion = []byte("schema_version")
)

// sep joins the parts of a composite key.
const sep = "\x00"

// migrations[v] moves a file from schema version v to v+1, inside the Open
// transaction; the buckets of the current layout are made after the last
// one. The schema version of this build is len(migrations).
var migrations = []func(tx *bbolt.Tx, now time.Time) error{
	// 0 → 1: a new file; Open makes the buckets.
	func(*bbolt.Tx, time.Time) error { return nil },
	// 1 → 2: the flat facts move into namespaces (facts.go).
	migrateFacts,
	// 2 → 3: objects and occurrences in binary encodings (migrate.go).
	migrateCompact,
	// 3 → 4: the talking points' bucket, which Open makes.
	func(*bbolt.Tx, time.Time) error { return nil },
}

// openTimeout is how long Open waits for the file lock.
var openTimeout = time.Second

// initialMmapSize reserves address space (not disk: the file grows with its
// data) so that a large write transaction does not remap the file, and copy
// every node it holds, each time the file doubles; and so that a remap rarely
// has to wait for readers.
const initialMmapSize = 1 << (20 + 10*(strconv.IntSize/64)) // 1 GiB on 64-bit, 1 MiB on 32-bit

// allocSize is how much the file grows by once it is larger than that
// (bbolt's default is 16 MiB): at most this much of it is unused.
const allocSize = 1 << 20

// Store is the state file. Its methods are safe for concurrent use.
type Store struct {
	db       *bbolt.DB
	path     string
	now      func() time.Time // the clock of fact expiry and of backups
	readOnly bool

	sweepMu   sync.Mutex
	lastSweep time.Time // of the expired facts

	commits atomic.Int64 // write transactions committed

	migrationBackup string // the copy Open took before migrating; "" when it did not

	onBad   func(BadRecord)
	badMu   sync.Mutex
	badSeen map[string]bool
}

// An Option changes how Open opens the store.
type Option func(*Store)

// WithClock makes now the store's clock, by which facts expire and
// backups are named (nil: time.Now). Tests set it; so may a caller whose
// clock is not time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Commits returns how many write transactions this Store has committed
// since Open (each one a bbolt commit, with its fsyncs): the count that
// tests of "nothing changed, nothing written" read.
func (s *Store) Commits() int64 { return s.commits.Load() }

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// Open opens the state file at path, creating it (mode 0600, its directory
// 0700) when missing, and migrates an older schema. It refuses a file of a
// newer schema, and a file another process holds open. It deletes the
// facts that expired. A damaged file is a *DamagedError.
func Open(path string, opts ...Option) (*Store, error) {
	return open(path, false, opts)
}

// OpenReadOnly opens the state file at path to read it only: it writes
// nothing (no migration, no sweep of expired facts, no change of mode),
// so it works in a directory the process may not write, and every write
// method fails. The file must exist, and be of this build's schema
// version: an older one must be migrated by Open first (any command that
// writes, such as sync). Other readers may hold the file at the same time,
// but not a writer.
func OpenReadOnly(path string, opts ...Option) (*Store, error) {
	return open(path, true, opts)
}

// ErrInUse is why Open and OpenReadOnly fail when another process (the
// daemon) holds the state file: "in use by another oneonone process".
var ErrInUse = errors.New("in use by another oneonone process")

// open is Open and OpenReadOnly: the one place that opens the file.
func open(path string, readOnly bool, opts []Option) (*Store, error) {
	s := &Store{path: path, readOnly: readOnly}
	for _, o := range opts {
		o(s)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		// bbolt would make a new file of it, and with backups around, an
		// empty file is a lost one, not a new one.
		if b := lastGoodBackup(path); b != "" {
			return nil, &DamagedError{Path: path, Reason: "the file is empty", Backup: b}
		}
		if readOnly {
			return nil, fmt.Errorf(`open %s: the file is empty (no state yet: run "oneonone sync")`, path)
		}
	}
	if !readOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	bopts := &bbolt.Options{
		Timeout:         openTimeout,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
		ReadOnly:        readOnly,
		// Always load the freelist at Open, where a damaged one is
		// recovered, not later in the goroutine of tx.Check.
		PreLoadFreelist: true,
	}
	db, err := openDB(path, bopts)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %s is %w", path, filepath.Base(path), ErrInUse)
	}
	var de *DamagedError
	if errors.As(err, &de) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.db = db
	if !readOnly {
		db.AllocSize = allocSize
	}
	var version int
	err = s.view(func(tx *bbolt.Tx) error {
		if err := checkSize(tx, path); err != nil {
			return err
		}
		version, err = schemaVersion(tx, path)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	if readOnly {
		if err := s.view(func(tx *bbolt.Tx) error { return checkSchema(tx, path) }); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&^0o600 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if version > 0 && version < SchemaVersion() {
		b, err := s.backupBeforeMigration(version)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: back up before migrating schema %d: %w", path, version, err)
		}
		s.migrationBackup = b
	}
	// A file of this schema with every bucket needs no write: opening it
	// commits nothing (a one-shot `sync` that finds nothing new writes
	// nothing at all).
	ready := false
	_ = s.view(func(tx *bbolt.Tx) error {
		v, err := schemaVersion(tx, path)
		ready = err == nil && v == SchemaVersion() && !slices.ContainsFunc(allBuckets, func(name []byte) bool { return tx.Bucket(name) == nil })
		return nil
	})
	if !ready {
		if err := s.update(func(tx *bbolt.Tx) error { return prepare(tx, path, s.now()) }); err != nil {
			db.Close()
			return nil, err
		}
	}
	if s.migrationBackup != "" {
		if err := s.compact(bopts); err != nil {
			return nil, fmt.Errorf("open %s: after migrating: %w", path, err)
		}
	}
	if _, err := s.SweepFacts(); err != nil {
		db.Close()
		var de *DamagedError
		if errors.As(err, &de) {
			return nil, de
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// schemaVersion reads the file's schema version (0: none).
func schemaVersion(tx *bbolt.Tx, path string) (int, error) {
	version := 0
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keySchemaVersion); v != nil {
			if err := json.Unmarshal(v, &version); err != nil {
				return 0, fmt.Errorf("open %s: read schema version: %w", path, err)
			}
		}
	}
	return version, nil
}

// checkSchema is what a read-only open checks: the schema version is this
// build's, so every bucket is there and every record has today's shape.
func checkSchema(tx *bbolt.Tx, path string) error {
	version, err := schemaVersion(tx, path)
	if err != nil {
		return err
	}
	current := SchemaVersion()
	switch {
	case version > current:
		return fmt.Errorf("open %s: schema version %d is newer than this oneonone (%d)", path, version, current)
	case version < current:
		return fmt.Errorf(`open %s: schema version %d is older than this oneonone's (%d): run "oneonone sync" once to migrate it`, path, version, current)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("open %s: no bucket %s", path, name)
		}
	}
	return nil
}

// prepare checks the schema version, migrates and makes the buckets.
func prepare(tx *bbolt.Tx, path string, now time.Time) error {
	current := SchemaVersion()
	version, err := schemaVersion(tx, path)
	if err != nil {
		return err
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
		if err := migrations[v](tx, now); err != nil {
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
