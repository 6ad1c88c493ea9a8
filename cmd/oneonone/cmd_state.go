package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"oneonone/store"
)

// cmdState is "state check|backup|restore": the state file's health, a
// backup now, and putting a backup back.
func cmdState(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want state check, backup or restore"}
	}
	switch args[0] {
	case "check":
		return stateCheck(ctx, e, args[1:])
	case "backup":
		return stateBackup(ctx, e, args[1:])
	case "restore":
		return stateRestore(e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown state command %q (want check, backup or restore)", args[0])}
}

// stateCheck runs bbolt's consistency check and ours (schema version,
// every record decodes), reading only.
func stateCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "state check", "[--config PATH]")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, err := loadConfigNoSecrets(*cfgPath)
	if err != nil {
		return err
	}
	var rep store.CheckReport
	if err = daemonHolds(cfg.State); err == nil {
		rep, err = store.Check(cfg.State)
	}
	if inUse(cfg, err) {
		// The daemon holds the file: it checks it.
		var got struct {
			Path     string
			Schema   int
			Records  int
			Problems []string
		}
		if err := newDaemonClient(cfg).getJSON(ctx, "/api/state/check", &got); err != nil {
			return err
		}
		rep, err = store.CheckReport{Path: got.Path, Schema: got.Schema, Records: got.Records, Problems: got.Problems}, nil
	}
	if err != nil {
		return err
	}
	backups, err := store.Backups(cfg.State)
	if err != nil {
		return err
	}
	if len(rep.Problems) == 0 {
		records := fmt.Sprintf("%d records", rep.Records)
		if rep.Records == 1 {
			records = "1 record"
		}
		fmt.Fprintf(e.stdout, "state file %s is sound: schema version %d, %s, every page and record checked\n", rep.Path, rep.Schema, records)
		fmt.Fprintln(e.stdout, backupsLine(cfg.State, backups))
		return nil
	}
	damaged := false
	for _, p := range rep.Problems {
		fmt.Fprintf(e.stdout, "problem: %s\n", p)
		damaged = damaged || strings.HasPrefix(p, "bbolt: ")
	}
	fmt.Fprintln(e.stdout, backupsLine(cfg.State, backups))
	if damaged {
		return &store.DamagedError{Path: rep.Path, Reason: fmt.Sprintf("bbolt's check found %d problems, listed above", len(rep.Problems)), Backup: store.LastGoodBackup(cfg.State)}
	}
	return fmt.Errorf("state file %s has %d problems (listed above): commands skip a record that does not decode, and the next sync replaces what it can", rep.Path, len(rep.Problems))
}

func backupsLine(state string, backups []string) string {
	if len(backups) == 0 {
		return fmt.Sprintf(`backups: none yet in %s (the daemon takes one a day; "oneonone state backup" takes one now)`, store.BackupDir(state))
	}
	return fmt.Sprintf("backups: %d in %s, the newest %s", len(backups), store.BackupDir(state), filepath.Base(backups[0]))
}

// stateBackup writes today's backup now (replacing one taken earlier
// today) and prints its path.
func stateBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "state backup", "[--config PATH]")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, st, err := openState(e, *cfgPath, readOnly)
	if inUse(cfg, err) {
		// The daemon holds the file: it writes the backup.
		var got struct{ Path string }
		if err := newDaemonClient(cfg).sendJSON(ctx, http.MethodPost, "/api/state/backup", struct{}{}, &got); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, got.Path)
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	path, err := st.Backup()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, path)
	return nil
}

// stateRestore puts the newest good backup (or FILE) back in place of the
// state file, keeping the file it replaces aside.
func stateRestore(e *env, args []string) error {
	fs := newFlags(e, "state restore", "[--config PATH] [FILE]")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Sprintf("unexpected argument %q (want at most one backup file)", fs.Arg(1))}
	}
	cfg, err := loadConfigNoSecrets(*cfgPath)
	if err != nil {
		return err
	}
	from, aside, err := store.Restore(cfg.State, fs.Arg(0), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s from %s\n", cfg.State, from)
	if aside != "" {
		fmt.Fprintf(e.stdout, "the file it replaced is kept as %s\n", aside)
	}
	return nil
}
