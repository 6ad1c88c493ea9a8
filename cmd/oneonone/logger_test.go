package main

import (
	"bytes"
	"encoding/json"
	stdlog "log"
	"log/slog"
	"strings"
	"testing"

	"oneonone/internal/logtest"
)

// TestSyncLogsJSON runs sync against a CalDAV source with log_format =
// "json" and log_level = "debug": every stderr line is a JSON object, and
// the CalDAV client's debug lines are among them (they went to slog's
// default logger before, past both settings).
func TestSyncLogsJSON(t *testing.T) {
	def := logtest.CaptureDefault(t)
	cfg, _, _ := userFlow(t, `log_format = "json"`, `log_level = "debug"`)
	code, _, errs := runCmd(t, "sync", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		var rec struct {
			Level, Msg string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" || rec.Msg == "" {
			t.Errorf("stderr line is not a JSON log line: %q", line)
			continue
		}
		msgs = append(msgs, rec.Msg)
	}
	found := false
	for _, m := range msgs {
		if strings.HasPrefix(m, "caldav: discovered calendars") {
			found = true
		}
	}
	if !found {
		t.Errorf("no caldav discovery line in the log: %q", msgs)
	}
	if m := def.Messages(); len(m) > 0 {
		t.Errorf("lines reached the default logger of before the command: %q", m)
	}
}

// useLogger makes the configured logger slog's default, and the log
// package's output, until restore.
func TestUseLogger(t *testing.T) {
	def := logtest.CaptureDefault(t)
	cfg, _, _ := userFlow(t, `log_format = "json"`, `log_level = "debug"`)
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	log, restore := useLogger(c, &b)
	log.Debug("given")
	slog.Debug("by default")
	stdlog.Print("by the log package")
	restore()
	slog.Info("after restore")

	var got []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not JSON: %q", line)
		}
		got = append(got, rec.Msg)
	}
	if want := []string{"given", "by default", "by the log package"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the configured logger got %q, want %q", got, want)
	}
	if m := def.Messages(); len(m) != 1 || m[0] != "after restore" {
		t.Errorf("the previous default got %q, want only the line after restore", m)
	}
}
