package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"oneonone/agenda"
	"oneonone/calendar"
)

// CheckReport is what Check found in a state file.
type CheckReport struct {
	Path     string
	Schema   int      // the file's schema version
	Records  int      // records that decode
	Problems []string // each one line; none: the file is sound
}

// maxCheckProblems bounds the problems a check lists.
const maxCheckProblems = 20

// decoders are, per bucket, how a record of the current schema decodes.
// decodersFor gives those of an older schema.
var decoders = map[string]func(k, v []byte) error{
	string(bucketCalendars):   func(_, v []byte) error { var x CalendarState; return json.Unmarshal(v, &x) },
	string(bucketObjects):     func(_, v []byte) error { _, _, err := decodeObject(v); return err },
	string(bucketSeries):      func(_, v []byte) error { var x calendar.Series; return json.Unmarshal(v, &x) },
	string(bucketOccurrences): func(k, v []byte) error { _, err := decodeOccurrence(k, v); return err },
	string(bucketActions):     func(_, v []byte) error { var x agenda.Action; return json.Unmarshal(v, &x) },
	string(bucketPoints):      func(_, v []byte) error { var x agenda.Point; return json.Unmarshal(v, &x) },
}

// decodersFor returns the decoders of schema version v: before schema 3,
// objects and occurrences were JSON (legacy.go).
func decodersFor(v int) map[string]func(k, v []byte) error {
	if v >= 3 {
		return decoders
	}
	old := maps.Clone(decoders)
	old[string(bucketObjects)] = func(_, v []byte) error { _, _, err := decodeLegacyObject(v); return err }
	old[string(bucketOccurrences)] = func(k, v []byte) error { _, err := decodeLegacyOccurrence(k, v); return err }
	return old
}

// Check reads the whole state file at path without writing to it: every
// page, with bbolt's own consistency check, and every record, which must
// decode, under the schema version of this build. A file bbolt cannot
// read at all is a *DamagedError; what a readable file holds wrong is in
// the report's Problems. Check refuses a file a writer (the daemon) holds.
func Check(path string) (CheckReport, error) {
	rep := CheckReport{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return rep, fmt.Errorf("check %s: %w", path, err)
	}
	if fi.Size() == 0 {
		return rep, damaged(path, "the file is empty")
	}
	// PreLoadFreelist: a damaged freelist panics here, where the panic is
	// recovered, and not in the goroutine of tx.Check, where it could not be.
	db, err := openDB(path, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true, Timeout: openTimeout, FreelistType: bbolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return rep, fmt.Errorf("check %s: %s is %w", path, filepath.Base(path), ErrInUse)
	}
	var de *DamagedError
	if errors.As(err, &de) {
		return rep, err
	}
	if err != nil {
		return rep, fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	return (&Store{db: db, path: path, readOnly: true}).Check()
}

// Check is Check(path) on an open store, for the process that holds the
// file (the daemon, asked through its control socket).
func (s *Store) Check() (CheckReport, error) {
	path := s.path
	rep := CheckReport{Path: path}
	problem := func(format string, args ...any) {
		if len(rep.Problems) < maxCheckProblems {
			rep.Problems = append(rep.Problems, oneLine(fmt.Sprintf(format, args...)))
		}
	}
	err := s.view(func(tx *bbolt.Tx) error {
		if err := checkSize(tx, path); err != nil {
			return err
		}
		// Our walk first: it touches every page of the tree in this
		// goroutine, where a damaged page is recovered.
		v, err := schemaVersion(tx, path)
		if err != nil {
			problem("%v", err)
		}
		rep.Schema = v
		if v > SchemaVersion() {
			problem("schema version %d is newer than this oneonone's (%d)", v, SchemaVersion())
		}
		// An older schema is no problem: its records are checked as it
		// wrote them, and a command that writes (sync) migrates it.
		rep.Records += checkRecords(tx, v, problem)
		if bad := checkPageHeaders(tx, path); len(bad) > 0 {
			for _, b := range bad {
				problem("%s", b)
			}
			return nil // tx.Check would panic on them, in its own goroutine
		}
		for err := range tx.Check() {
			problem("bbolt: %v", err)
		}
		return nil
	})
	return rep, err
}

// checkPageHeaders checks the headers of the pages tx.Check reads outside
// the tree our walk has touched: the two meta pages and the freelist's.
// tx.Check asserts them in a goroutine of its own, where a damaged one
// panics beyond any recover; a file whose meta page 0 is overwritten
// still reads, from meta page 1. The pages are read from the file (bbolt
// lays them out in the machine's byte order).
func checkPageHeaders(tx *bbolt.Tx, path string) []string {
	const (
		metaFlag     = 0x04
		freelistFlag = 0x10
		noFreelist   = ^uint64(0)
	)
	f, err := os.Open(path)
	if err != nil {
		return []string{fmt.Sprintf("read the page headers: %v", err)}
	}
	defer f.Close()
	ps := int64(tx.DB().Info().PageSize)
	header := func(id uint64) (gotID uint64, flags uint16, page []byte, err error) {
		page = make([]byte, 16+64)
		if _, err := f.ReadAt(page, int64(id)*ps); err != nil {
			return 0, 0, nil, err
		}
		return binary.NativeEndian.Uint64(page), binary.NativeEndian.Uint16(page[8:]), page, nil
	}
	var bad []string
	freelist := noFreelist
	for id := uint64(0); id < 2; id++ {
		got, flags, page, err := header(id)
		if err != nil {
			bad = append(bad, fmt.Sprintf("meta page %d: %v", id, err))
			continue
		}
		if got != id || flags != metaFlag {
			bad = append(bad, fmt.Sprintf("meta page %d is damaged: its header names page %d, flags %#x", id, got, flags))
			continue
		}
		// The meta of the transaction in use names the freelist: header
		// 16 bytes, then magic, version, page size, flags, root (16),
		// freelist, pgid, txid.
		if binary.NativeEndian.Uint64(page[16+48:]) == uint64(tx.ID()) {
			freelist = binary.NativeEndian.Uint64(page[16+32:])
		}
	}
	if freelist != noFreelist && int64(freelist)*ps < tx.Size() {
		if got, flags, _, err := header(freelist); err != nil || got != freelist || flags != freelistFlag {
			bad = append(bad, fmt.Sprintf("freelist page %d is damaged: its header names page %d, flags %#x", freelist, got, flags))
		}
	}
	return bad
}

// checkRecords decodes every record, as schema version wrote it, and
// returns how many decode.
func checkRecords(tx *bbolt.Tx, version int, problem func(string, ...any)) int {
	current := version == SchemaVersion()
	decoders := decodersFor(version)
	n := 0
	_ = tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		bucket := string(name)
		switch {
		case bucket == string(bucketMeta):
			return b.ForEach(func(k, v []byte) error {
				if string(k) == string(keySchemaVersion) {
					n++
				}
				return nil
			})
		case bucket == string(bucketFacts):
			return b.ForEach(func(k, v []byte) error {
				if v != nil && current {
					problem("bucket facts: %q is a value, not a namespace", k)
					return nil
				}
				if v != nil {
					n++ // a flat fact of schema 1
					return nil
				}
				return b.Bucket(k).ForEach(func(fk, fv []byte) error {
					if len(fv) < expiryLen { // a nil fv (a bucket) too
						problem("bucket facts/%s: record %q does not decode (%d bytes, too short for a fact)", k, fk, len(fv))
						return nil
					}
					n++
					return nil
				})
			})
		case decoders[bucket] != nil:
			dec := decoders[bucket]
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					problem("bucket %s: %q is a bucket, not a record", bucket, k)
					return nil
				}
				if err := dec(k, v); err != nil {
					problem("bucket %s: record %q does not decode (%v)", bucket, k, err)
					return nil
				}
				n++
				return nil
			})
		default:
			problem("bucket %q is not one of oneonone's", bucket)
		}
		return nil
	})
	if current {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				problem("no bucket %s", name)
			}
		}
	}
	return n
}

// checkSize refuses a file shorter than its pages reach (a truncated
// copy): reading past its end would fault.
func checkSize(tx *bbolt.Tx, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if fi.Size() < tx.Size() {
		return damaged(path, fmt.Sprintf("truncated: %d bytes where its pages need %d", fi.Size(), tx.Size()))
	}
	return nil
}
