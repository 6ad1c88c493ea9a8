package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
)

// TestBackupRotation: at most one daily backup a day, BackupsKept kept,
// the newest first; files 0600 in a folder 0700; Backup replaces today's.
func TestBackupRotation(t *testing.T) {
	path := filledStore(t)
	day := time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC)
	s, err := Open(path, WithClock(func() time.Time { return day }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var made []string
	for i := range 10 {
		p, err := s.BackupDaily()
		if err != nil {
			t.Fatal(err)
		}
		if p == "" {
			t.Fatalf("day %d: no backup", i)
		}
		made = append(made, p)
		if again, err := s.BackupDaily(); err != nil || again != "" {
			t.Fatalf("day %d: a second daily backup %q, %v", i, again, err)
		}
		day = day.Add(24 * time.Hour)
	}
	list, err := Backups(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != BackupsKept || list[0] != made[9] || list[BackupsKept-1] != made[10-BackupsKept] {
		t.Fatalf("kept %q, want the %d newest of %q", list, BackupsKept, made)
	}
	if filepath.Base(list[0]) != "2026-11-10.db" {
		t.Fatalf("newest backup %s", list[0])
	}
	if fi, err := os.Stat(BackupDir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup folder: %v, %v", fi.Mode(), err)
	}
	for _, b := range list {
		if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("backup %s: %v, %v", b, fi.Mode(), err)
		}
		if rep, err := Check(b); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("backup %s checks: %v %q", b, err, rep.Problems)
		}
	}
	// Backup now replaces today's with what the store holds now.
	day = day.Add(-24 * time.Hour)
	if _, err := s.AddAction(agenda.Action{Pair: calendar.NewPair("a@x", "b@x"), Text: "later"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Backup()
	if err != nil || p != made[9] {
		t.Fatalf("Backup: %q, %v", p, err)
	}
	b, err := OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if acts, err := b.Actions(calendar.Pair{}); err != nil || len(acts) != 1 {
		t.Fatalf("the replaced backup has %d actions, %v", len(acts), err)
	}
	if left, _ := filepath.Glob(filepath.Join(BackupDir(path), ".backup-*")); len(left) > 0 {
		t.Fatalf("temporary files left: %q", left)
	}
}

// TestRestore: a damaged file names its last good backup; Restore refuses
// while the file is open, then puts the backup back and keeps the damaged
// file aside.
func TestRestore(t *testing.T) {
	path := filledStore(t)
	clock := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	s, err := Open(path, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	good, err := s.Backup()
	if err != nil {
		t.Fatal(err)
	}
	// Refused while the file is held.
	if _, _, err := Restore(path, "", clock()); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Restore while open: %v", err)
	}
	s.Close()
	corruptions[1].do(t, path) // the freelist page garbage
	_, err = Open(path)
	var de *DamagedError
	if !errors.As(err, &de) || de.Backup != good || !strings.Contains(err.Error(), "the last good backup is "+good+`: run "oneonone state restore"`) {
		t.Fatalf("Open of a damaged file: %v", err)
	}
	damagedBytes := readFile(t, path)

	// A damaged backup is refused.
	bad := filepath.Join(t.TempDir(), "bad.db")
	writeFile(t, bad, []byte(strings.Repeat("x", 9000)))
	if _, _, err := Restore(path, bad, clock()); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Restore of a damaged backup: %v", err)
	}

	from, aside, err := Restore(path, "", clock())
	if err != nil {
		t.Fatal(err)
	}
	if from != good || aside != path+".damaged-20261201T090000Z" {
		t.Fatalf("restored %s, aside %s", from, aside)
	}
	if string(readFile(t, aside)) != string(damagedBytes) {
		t.Fatal("the damaged file was not kept as it was")
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, err := s.Series(); err != nil || len(l) != 5 {
		t.Fatalf("after restore: %d series, %v", len(l), err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored file mode %v, %v", fi.Mode(), err)
	}
	if _, err := os.Stat(good); err != nil {
		t.Fatalf("the backup is gone: %v", err)
	}

	// With a backup around, an empty file is a lost one, not a new one.
	s.Close()
	writeFile(t, path, nil)
	if _, err := Open(path); !errors.As(err, &de) || de.Reason != "the file is empty" || de.Backup != good {
		t.Fatalf("Open of an emptied file: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatal("Open wrote into the emptied file")
	}
}
