package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// BackupsKept is how many daily backups of the state file are kept: a
// week of days, so that damage noticed days late still finds a copy from
// before it.
const BackupsKept = 7

// backupName is a backup's name: the day (by the store's clock) it was
// taken. One a day; a later backup the same day replaces it.
var backupName = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.db$`)

// BackupDir is the folder of the backups of the state file at path: next
// to it, its name with ".bak" (mode 0700; the backups are 0600).
func BackupDir(path string) string { return path + ".bak" }

// Backups returns the backups of the state file at path, newest first.
func Backups(path string) ([]string, error) {
	entries, err := os.ReadDir(BackupDir(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			out = append(out, filepath.Join(BackupDir(path), e.Name()))
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

// LastGoodBackup is the newest backup of the state file at path that
// passes Check, "" when none does.
func LastGoodBackup(path string) string { return lastGoodBackup(path) }

func lastGoodBackup(path string) string {
	list, _ := Backups(path)
	for _, b := range list {
		if rep, err := Check(b); err == nil && len(rep.Problems) == 0 {
			return b
		}
	}
	return ""
}

// Backup writes a consistent copy of the state file, checked first, as
// today's backup (replacing one taken earlier today), keeps the
// BackupsKept newest, and returns the backup's path. A file that fails
// bbolt's check is not backed up: its damage would push good copies out.
func (s *Store) Backup() (string, error) {
	return s.backup(true)
}

// BackupDaily is Backup unless today's backup exists already; then it
// returns "" and does nothing. The daemon calls it at start and after each
// successful cycle.
func (s *Store) BackupDaily() (string, error) {
	return s.backup(false)
}

func (s *Store) backup(replace bool) (string, error) {
	dir := BackupDir(s.path)
	dst := filepath.Join(dir, s.now().Format(time.DateOnly)+".db")
	if !replace {
		if _, err := os.Stat(dst); err == nil {
			return "", nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("back up %s: %w", s.path, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("back up %s: %w", s.path, err)
	}
	tmp, err := os.CreateTemp(dir, ".backup-*")
	if err != nil {
		return "", fmt.Errorf("back up %s: %w", s.path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	err = s.view(func(tx *bbolt.Tx) error {
		if err := checkSize(tx, s.path); err != nil {
			return err
		}
		if err := checkTree(tx); err != nil {
			return damaged(s.path, err.Error())
		}
		_, err := tx.WriteTo(tmp)
		return err
	})
	err = finishTemp(tmp, err)
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	var de *DamagedError
	if errors.As(err, &de) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("back up %s: %w", s.path, err)
	}
	syncDir(dir)
	if err := pruneBackups(s.path); err != nil {
		return dst, err
	}
	return dst, nil
}

// checkTree walks every page of the tree in this goroutine (where a
// damaged page panics into guard), then runs bbolt's check.
func checkTree(tx *bbolt.Tx) error {
	var walk func(b *bbolt.Bucket) error
	walk = func(b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(b.Bucket(k))
			}
			return nil
		})
	}
	err := tx.ForEach(func(_ []byte, b *bbolt.Bucket) error { return walk(b) })
	if err != nil {
		return err
	}
	var errs []error
	for err := range tx.Check() {
		if len(errs) < 3 {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pruneBackups deletes all but the BackupsKept newest backups.
func pruneBackups(path string) error {
	list, err := Backups(path)
	if err != nil {
		return err
	}
	for _, old := range list[min(len(list), BackupsKept):] {
		if err := os.Remove(old); err != nil {
			return fmt.Errorf("remove old backup: %w", err)
		}
	}
	return nil
}

// Restore replaces the state file at path with the backup from (the
// newest good backup when from is ""), after checking it. It refuses
// while another process (the daemon) holds the file. The file it replaces
// is kept aside, renamed with ".damaged-" (or, when it checks sound,
// ".replaced-") and the time by now; Restore returns the backup restored
// and where the old file went ("" when there was none).
func Restore(path, from string, now time.Time) (restored, aside string, err error) {
	if from == "" {
		if from = lastGoodBackup(path); from == "" {
			return "", "", fmt.Errorf("restore %s: no good backup in %s", path, BackupDir(path))
		}
	}
	rep, err := Check(from)
	if err != nil {
		return "", "", fmt.Errorf("restore %s: backup %s: %w", path, from, err)
	}
	if len(rep.Problems) > 0 {
		return "", "", fmt.Errorf("restore %s: backup %s fails the check: %s", path, from, rep.Problems[0])
	}
	if rep.Schema > SchemaVersion() {
		return "", "", fmt.Errorf("restore %s: backup %s has schema version %d, newer than this oneonone (%d)", path, from, rep.Schema, SchemaVersion())
	}
	tag := "replaced"
	if _, err := os.Stat(path); err == nil {
		if err := notInUse(path); err != nil {
			return "", "", err
		}
		if rep, err := Check(path); err != nil || len(rep.Problems) > 0 {
			tag = "damaged"
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("restore %s: %w", path, err)
	} else {
		tag = ""
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".restore-*")
	if err != nil {
		return "", "", fmt.Errorf("restore %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = copyInto(tmp, from)
	err = finishTemp(tmp, err)
	if err != nil {
		return "", "", fmt.Errorf("restore %s: %w", path, err)
	}
	if tag != "" {
		aside = fmt.Sprintf("%s.%s-%s", path, tag, now.UTC().Format("20060102T150405Z"))
		if err := os.Rename(path, aside); err != nil {
			return "", "", fmt.Errorf("restore %s: keep the old file aside: %w", path, err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", aside, fmt.Errorf("restore %s: %w (the old file is %s)", path, err, aside)
	}
	syncDir(dir)
	return from, aside, nil
}

// notInUse refuses a file that another process holds open to write
// (bbolt's lock; a damaged file is not in use).
func notInUse(path string) error {
	db, err := openDB(path, &bbolt.Options{ReadOnly: true, Timeout: openTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("restore %s: %s is in use by another oneonone process (stop the daemon first)", path, filepath.Base(path))
	}
	if err == nil {
		db.Close()
	}
	return nil
}

func copyInto(dst *os.File, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}

// syncDir makes a rename in dir durable, as far as the system allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// finishTemp makes a temporary copy ready to be renamed into place: owner
// only, on disk, closed. err is what writing it gave; the first error wins.
func finishTemp(tmp *os.File, err error) error {
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	return err
}
