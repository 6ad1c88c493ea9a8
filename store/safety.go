package store

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DamagedError is the error of a state file bbolt cannot read: its pages
// are not what they should be (a disk, a crash of another tool, a partial
// copy). bbolt panics on some of these, inside Open or a transaction; the
// store recovers and returns this error instead.
type DamagedError struct {
	Path   string
	Reason string // what bbolt found, one line
	Backup string // the newest backup that passes the check; "" when none
}

func (e *DamagedError) Error() string {
	if e.Backup != "" {
		return fmt.Sprintf(`state file %s is damaged (%s); the last good backup is %s: run "oneonone state restore" or move the file away`, e.Path, e.Reason, e.Backup)
	}
	return fmt.Sprintf(`state file %s is damaged (%s) and there is no backup: move the file away (the next sync fetches the calendars again; stored actions and old history are lost)`, e.Path, e.Reason)
}

// damaged is the DamagedError of the file at path, naming its newest good
// backup.
func damaged(path, reason string) *DamagedError {
	return &DamagedError{Path: path, Reason: oneLine(reason), Backup: lastGoodBackup(path)}
}

// isDamage tells whether an error of bbolt.Open means the file's content
// is not a readable bbolt file (rather than, say, a permission).
func isDamage(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrInvalidMapping) ||
		strings.Contains(err.Error(), "file size too small")
}

// guard turns a panic of bbolt on a damaged file, or a fault reading its
// mapped pages (a truncated file), into a DamagedError in *err. Use it as
//
//	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
//	defer guard(path, &err)
func guard(path string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	reason := fmt.Sprint(r)
	if _, ok := r.(interface{ Addr() uintptr }); ok {
		// A fault, not a panic of bbolt's: a page past the end of the file.
		reason = "a page lies past the end of the file: truncated?"
	}
	*err = damaged(path, reason)
}

// view is db.View, guarded: a damaged page is an error, not a panic.
func (s *Store) view(fn func(*bbolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(s.path, &err)
	return s.db.View(fn)
}

// update is db.Update, guarded as view is. A read-only store refuses.
func (s *Store) update(fn func(*bbolt.Tx) error) (err error) {
	if s.readOnly {
		return fmt.Errorf("%s is open read-only", s.path)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(s.path, &err)
	if err := s.db.Update(fn); err != nil {
		return err
	}
	s.commits.Add(1)
	return nil
}

// openDB is bbolt.Open, guarded: bbolt panics on some damaged freelists.
// On such a panic the file is unlocked and closed (its mapping stays until
// the process exits: bbolt gives back no handle to unmap it).
func openDB(path string, o *bbolt.Options) (db *bbolt.DB, err error) {
	var file *os.File
	opts := *o
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if err != nil && db == nil && file != nil {
			var de *DamagedError
			if errors.As(err, &de) {
				unlock(file) // bbolt closes it on the errors it returns
				_ = file.Close()
			}
		}
	}()
	defer guard(path, &err)
	db, err = bbolt.Open(path, 0o600, &opts)
	if err != nil && isDamage(err) {
		return nil, damaged(path, err.Error())
	}
	return db, err
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// A BadRecord is a stored record that does not decode. Reads of many
// records skip it and report it (WithBadRecord); the rest is read.
type BadRecord struct {
	Bucket, Key string
	Err         error
}

func (b BadRecord) String() string {
	return fmt.Sprintf("skipped record %q of bucket %s: it does not decode (%v)", b.Key, b.Bucket, b.Err)
}

// WithBadRecord makes fn hear of each record a read skipped because it
// does not decode, once per record for the store's life (nil: nobody).
func WithBadRecord(fn func(BadRecord)) Option {
	return func(s *Store) { s.onBad = fn }
}

// badRecord reports a skipped record once.
func (s *Store) badRecord(bucket []byte, key []byte, err error) {
	if s.onBad == nil {
		return
	}
	id := string(bucket) + sep + string(key)
	s.badMu.Lock()
	seen := s.badSeen[id]
	if s.badSeen == nil {
		s.badSeen = make(map[string]bool)
	}
	s.badSeen[id] = true
	s.badMu.Unlock()
	if !seen {
		s.onBad(BadRecord{Bucket: string(bucket), Key: string(key), Err: err})
	}
}
