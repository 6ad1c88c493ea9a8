package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"oneonone/store"
)

// syncedState runs a user's first sync and returns the config's path and
// the state file's.
func syncedState(t *testing.T) (cfg, state string) {
	t.Helper()
	cfg, _, _ = userFlow(t)
	mustRun(t, "sync", "--config", cfg)
	return cfg, filepath.Join(filepath.Dir(cfg), "state.db")
}

// putRawRecord writes value under key in bucket with raw bbolt.
func putRawRecord(t *testing.T, path, bucket, key string, value []byte) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte(bucket)).Put([]byte(key), value) }); err != nil {
		t.Fatal(err)
	}
}

// oneLineNoPanic fails unless stderr is exactly one line, without a panic
// or a stack trace.
func oneLineNoPanic(t *testing.T, stderr string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("want one line on stderr, got %q", stderr)
	}
}

// TestSeriesAndReportSkipABadRecord: one series record that does not
// decode is one warning line naming its bucket and key; the other series
// are shown.
func TestSeriesAndReportSkipABadRecord(t *testing.T) {
	cfg, state := syncedState(t)
	putRawRecord(t, state, "series", "team/broken-series", []byte("{not json"))
	for _, args := range [][]string{{"series"}, {"report"}, {"report", "--format", "json"}} {
		code, out, errs := runCmd(t, append(args, "--config", cfg)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", args, code, errs)
		}
		if !strings.Contains(out, "bob@example.com") {
			t.Errorf("%s: the good series are missing:\n%s", args, out)
		}
		oneLineNoPanic(t, errs)
		if !strings.Contains(errs, `warning: skipped record "team/broken-series" of bucket series`) {
			t.Errorf("%s: stderr %q does not name the record", args, errs)
		}
	}
}

// TestReadOnlyCommandsWriteNothing: report, series, actions list and state
// check open the state read-only: in a directory and file they may not
// write they work, and they change no byte of the file. Root ignores
// modes: then the test still checks that no byte, no mtime and no file in
// the directory changed.
func TestReadOnlyCommandsWriteNothing(t *testing.T) {
	cfg, state := syncedState(t)
	dir := filepath.Dir(state)
	if os.Geteuid() == 0 {
		t.Log("running as root, which ignores file modes: checking only that nothing is written")
	}
	if err := os.Chmod(state, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	before, fi := readState(t, state)
	names := dirNames(t, dir)
	for _, args := range [][]string{{"report"}, {"series"}, {"actions", "list"}, {"state", "check"}} {
		code, _, errs := runCmd(t, append(args, "--config", cfg)...)
		if code != 0 {
			t.Fatalf("%s in a read-only directory: exit %d: %s", args, code, errs)
		}
		after, fi2 := readState(t, state)
		if !bytes.Equal(before, after) || !fi.ModTime().Equal(fi2.ModTime()) {
			t.Fatalf("%s wrote to the state file", args)
		}
		if got := dirNames(t, dir); got != names {
			t.Fatalf("%s changed the directory: %s, was %s", args, got, names)
		}
	}
}

func readState(t *testing.T, path string) ([]byte, os.FileInfo) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, fi
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// garbleFreelist overwrites the freelist page of the newest meta page:
// bbolt panics on it ("invalid freelist page") when it opens the file.
func garbleFreelist(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.LittleEndian.Uint32(data[16+8:]))
	var fl, txid uint64
	for p := range 2 {
		m := data[p*ps+16:]
		if id := binary.LittleEndian.Uint64(m[48:]); p == 0 || id > txid {
			txid, fl = id, binary.LittleEndian.Uint64(m[32:])
		}
	}
	for i := range 64 {
		data[int(fl)*ps+i] = 0xAB
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStateCommands: state backup writes a backup and prints its path;
// state check passes; a damaged file makes every command say so in one
// line naming the backup; state restore refuses while the file is held,
// then puts the backup back and keeps the damaged file aside.
func TestStateCommands(t *testing.T) {
	cfg, state := syncedState(t)
	code, out, errs := runCmd(t, "state", "check", "--config", cfg)
	if code != 0 || !strings.Contains(out, "is sound") || !strings.Contains(out, "backups: none yet") {
		t.Fatalf("state check: exit %d: %s%s", code, out, errs)
	}
	backup := strings.TrimSpace(mustRun(t, "state", "backup", "--config", cfg))
	if filepath.Dir(backup) != state+".bak" || !strings.HasSuffix(backup, ".db") {
		t.Fatalf("state backup printed %q", backup)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup: %v", err)
	}
	if out := mustRun(t, "state", "check", "--config", cfg); !strings.Contains(out, "backups: 1 in "+state+".bak, the newest "+filepath.Base(backup)) {
		t.Fatalf("state check after a backup: %s", out)
	}

	garbleFreelist(t, state)
	for _, args := range [][]string{{"series"}, {"report"}, {"sync"}, {"actions", "list"}, {"state", "check"}} {
		code, _, errs := runCmd(t, append(args, "--config", cfg)...)
		if code != 1 {
			t.Fatalf("%s on a damaged file: exit %d: %s", args, code, errs)
		}
		oneLineNoPanic(t, errs)
		want := "state file " + state + ` is damaged (invalid freelist page`
		if !strings.Contains(errs, want) || !strings.Contains(errs, "the last good backup is "+backup+`: run "oneonone state restore" or move the file away`) {
			t.Fatalf("%s: %q, want it to say %q and name the backup", args, errs, want)
		}
	}

	// Refused while a process holds the file (as the daemon does).
	held := filepath.Join(t.TempDir(), "held.db")
	if err := os.WriteFile(held, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	copyCfg := strings.Replace(readText(t, cfg), state, held, 1)
	heldCfg := filepath.Join(filepath.Dir(held), "config.toml")
	if err := os.WriteFile(heldCfg, []byte(copyCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(held)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, "state", "restore", "--config", heldCfg, backup)
	st.Close()
	if code != 1 || !strings.Contains(errs, "in use by another oneonone process") {
		t.Fatalf("state restore while held: exit %d: %s", code, errs)
	}

	damagedBytes := readText(t, state)
	out = mustRun(t, "state", "restore", "--config", cfg)
	if !strings.Contains(out, "restored "+state+" from "+backup) || !strings.Contains(out, "kept as "+state+".damaged-") {
		t.Fatalf("state restore: %s", out)
	}
	aside, _ := filepath.Glob(state + ".damaged-*")
	if len(aside) != 1 || readText(t, aside[0]) != damagedBytes {
		t.Fatalf("the damaged file was not kept aside: %q", aside)
	}
	if out := mustRun(t, "series", "--config", cfg); !strings.Contains(out, "bob@example.com") {
		t.Fatalf("series after restore:\n%s", out)
	}
	mustRun(t, "state", "check", "--config", cfg)
}

func readText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
