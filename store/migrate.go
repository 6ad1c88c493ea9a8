package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
)

// Schema 3: objects and occurrences in the binary encodings of encode.go,
// instead of JSON (an object's data was base64 inside it).
//
// Before Open migrates a file of an older schema, it writes a copy of it,
// as it was, into the backup folder: "<state>.bak/<day>-schema<N>.db", N
// the file's schema. The daily rotation does not see these copies, so it
// never prunes them; Store.MigrationBackup names the one Open took. After
// the migration, Open compacts the file (bbolt never shrinks one, and the
// migration frees most of its pages).

// compactFillPercent is how full the migration packs the pages of the
// buckets it rewrites in key order (bbolt's default is half full, for
// inserts in random order).
const compactFillPercent = 0.9

// objectsFillPercent is the fill of the objects' pages that ApplyChanges
// writes, in href order.
const objectsFillPercent = 0.9

// migrateCompact (2 → 3) rewrites the objects and the occurrences in the
// encodings of schema 3, and the series as they are, each bucket anew and
// in key order, so that its pages come out nearly full.
func migrateCompact(tx *bbolt.Tx, _ time.Time) error {
	err := rewriteBucket(tx, bucketObjects, func(k, v []byte) ([]byte, error) {
		etag, data, err := decodeLegacyObject(v)
		if err != nil {
			return nil, err
		}
		return encodeObject(etag, data)
	})
	if err != nil {
		return err
	}
	err = rewriteBucket(tx, bucketOccurrences, func(k, v []byte) ([]byte, error) {
		o, err := decodeLegacyOccurrence(k, v)
		if err != nil {
			return nil, err
		}
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return nil, errors.New("key without a series ID")
		}
		keySec, err := parseOccKey(k[i+1:])
		if err != nil {
			return nil, err
		}
		return encodeOccurrenceAt(keySec, o)
	})
	if err != nil {
		return err
	}
	return rewriteBucket(tx, bucketSeries, func(_, v []byte) ([]byte, error) { return v, nil })
}

// rewriteBucket replaces bucket name (when there is one) by a new bucket
// of the same keys, each value passed through conv, written in key order
// at compactFillPercent. A record that conv refuses is kept as it was, for
// Check to report and the reads to skip, as before the migration.
func rewriteBucket(tx *bbolt.Tx, name []byte, conv func(k, v []byte) ([]byte, error)) error {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var recs []kv
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return fmt.Errorf("bucket %s: %q is a bucket, not a record", name, k)
		}
		nv, err := conv(k, v)
		if err != nil {
			nv = v
		}
		recs = append(recs, kv{bytes.Clone(k), bytes.Clone(nv)})
		return nil
	})
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket(name); err != nil {
		return fmt.Errorf("bucket %s: %w", name, err)
	}
	nb, err := tx.CreateBucket(name)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", name, err)
	}
	nb.FillPercent = compactFillPercent
	for _, r := range recs {
		if err := nb.Put(r.k, r.v); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return nil
}

// compact rewrites the file, just migrated, into a new one of the same
// records (bbolt's Compact: every bucket in key order, pages full), puts
// it in the file's place and opens it, so that the pages the migration
// freed do not stay in the file: bbolt never shrinks one. Compacting is
// worth trying only: when it fails, the migrated file, sound, stays and is
// what opens. The error is the open's.
func (s *Store) compact(opts *bbolt.Options) error {
	_ = s.compactInto(filepath.Dir(s.path))
	_ = s.db.Close()
	db, err := openDB(s.path, opts)
	if err != nil {
		return err
	}
	db.AllocSize = allocSize
	s.db = db
	return nil
}

// compactInto writes the compacted copy to a temporary file in dir and
// renames it over the state file, while s.db still holds the file's lock.
func (s *Store) compactInto(dir string) (err error) {
	tmp, err := os.CreateTemp(dir, ".compact-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name) // after the rename, there is nothing to remove
	// No fsync per commit: the copy is synced once, before the rename.
	dst, err := openDB(name, &bbolt.Options{Timeout: openTimeout, FreelistType: bbolt.FreelistMapType,
		InitialMmapSize: initialMmapSize, NoSync: true})
	if err != nil {
		return err
	}
	dst.AllocSize = allocSize
	err = func() (err error) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer guard(s.path, &err)
		return bbolt.Compact(dst, s.db, 16<<20)
	}()
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncFile(name)
	}
	if err == nil {
		err = os.Rename(name, s.path)
	}
	if err == nil {
		syncDir(dir)
	}
	return err
}

// syncFile makes the file at path durable, mode 0600.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return finishTemp(f, nil)
}

// MigrationBackup is the copy of the file that Open wrote before it
// migrated the file from an older schema; "" when it did not migrate.
func (s *Store) MigrationBackup() string { return s.migrationBackup }

// backupBeforeMigration writes the copy of a file of schema version that
// Open is about to migrate, and returns its path. A copy already there
// under the name (the same file restored and migrated again the same day)
// is kept, and this one gets a numbered name.
func (s *Store) backupBeforeMigration(version int) (string, error) {
	dir := BackupDir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	base := fmt.Sprintf("%s-schema%d", s.now().Format(time.DateOnly), version)
	dst := filepath.Join(dir, base+".db")
	for i := 2; ; i++ {
		if _, err := os.Stat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = filepath.Join(dir, fmt.Sprintf("%s-%d.db", base, i))
	}
	tmp, err := os.CreateTemp(dir, ".backup-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	err = s.view(func(tx *bbolt.Tx) error {
		_, err := tx.WriteTo(tmp)
		return err
	})
	err = finishTemp(tmp, err)
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return "", err
	}
	syncDir(dir)
	return dst, nil
}
