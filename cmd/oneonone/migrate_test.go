package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oneonone/store"
)

// A command that writes, on a file of an older schema, migrates it and says
// in one line where the copy of the file as it was went; the next one says
// nothing.
func TestMigrationBackupLine(t *testing.T) {
	cfg, state := syncedState(t)
	putRawRecord(t, state, "meta", "schema_version", []byte("2"))
	code, _, errs := runCmd(t, "sync", "--config", cfg)
	if code != 0 {
		t.Fatalf("sync: exit %d: %s", code, errs)
	}
	var line string
	for _, l := range strings.Split(errs, "\n") {
		if strings.Contains(l, "migrated") {
			if line != "" {
				t.Fatalf("two lines about the migration:\n%s", errs)
			}
			line = l
		}
	}
	dir := store.BackupDir(state)
	entries, _ := os.ReadDir(dir)
	var bak string
	for _, e := range entries {
		if strings.Contains(e.Name(), "-schema2") {
			bak = filepath.Join(dir, e.Name())
		}
	}
	t.Log(line)
	if bak == "" || !strings.Contains(line, bak) || !strings.Contains(line, state) {
		t.Fatalf("migration line %q, backup %q", line, bak)
	}
	if _, _, errs := runCmd(t, "sync", "--config", cfg); strings.Contains(errs, "migrated") {
		t.Errorf("second sync: %s", errs)
	}
}
