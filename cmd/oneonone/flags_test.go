package main

import (
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"oneonone/internal/agendatest"
)

// TestFlagsAnywhere: every command reads its flags before, between and
// after its positional arguments; "--" ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	cfg := actionsConfig(t)
	with, other := agendatest.With, agendatest.Me[1]
	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout (exit 0) or stderr (otherwise)
	}{
		{"add: flags after the text", []string{"actions", "add", "send the draft", "--with", with, "--force", "--config", cfg}, 0, "added action 1 for " + with + ": send the draft"},
		{"add: flags between the words", []string{"actions", "add", "--config", cfg, "book", "--with", with, "the", "--force", "--owner", other, "room"}, 0, "added action 2 for " + with + ": book the room"},
		{"add: -- ends the flags", []string{"actions", "add", "--config", cfg, "--with", with, "--force", "--", "--with", "-x"}, 0, "added action 3 for " + with + ": --with -x"},
		{"add: --flag=value after the text", []string{"actions", "add", "call", "--with=" + with, "--force=true", "--config=" + cfg}, 0, "added action 4 for " + with + ": call"},
		{"add: unknown flag after the text", []string{"actions", "add", "call", "--with", with, "--nope", "--config", cfg}, 2, "flag provided but not defined: -nope"},
		{"add: flag without its value at the end", []string{"actions", "add", "--config", cfg, "call", "--with"}, 2, "flag needs an argument: -with"},
		{"done: flags after the ID", []string{"actions", "done", "2", "--config", cfg}, 0, "action 2 done: book the room"},
		{"reopen: flags after the ID", []string{"actions", "reopen", "2", "--config", cfg}, 0, "action 2 reopened: book the room"},
		{"done: two IDs around a flag", []string{"actions", "done", "1", "--config", cfg, "2"}, 2, "want exactly one action ID"},
		{"list: flags in any order", []string{"actions", "list", "--format", "json", "--config", cfg, "--with", with}, 0, `"text": "book the room"`},
		{"list: a stray argument between flags", []string{"actions", "list", "--config", cfg, "stray", "--all"}, 2, `unexpected argument "stray"`},
		{"report: flags in any order", []string{"report", "--format", "json", "--week", "2026-W47", "--config", cfg}, 0, `"week": "2026-W47"`},
		{"report: a stray argument after the flags", []string{"report", "--config", cfg, "--week", "2026-W47", "stray", "--format", "json"}, 2, `unexpected argument "stray"`},
		{"report: -- ends the flags", []string{"report", "--config", cfg, "--", "--format", "json"}, 2, `unexpected argument "--format"`},
		{"inspect: file between flags", []string{"inspect", "--format", "json", "testdata/google.ics", "--from", "2025-09-01", "--to", "2025-11-01"}, 0, `"file": "testdata/google.ics"`},
		{"inspect: file after flags", []string{"inspect", "--from", "2025-09-01", "--to", "2025-11-01", "--format", "json", "testdata/google.ics"}, 0, `"original_start": "2025-09-23T10:00:00+02:00"`},
		{"inspect: file before flags", []string{"inspect", "testdata/google.ics", "--format", "json", "--from", "2025-09-01", "--to", "2025-11-01"}, 0, `"state": "postponed"`},
		{"inspect: two files", []string{"inspect", "testdata/google.ics", "--format", "json", "testdata/apple.ics"}, 2, "want exactly one FILE.ics"},
		{"inspect: -- then a file named like a flag", []string{"inspect", "--format", "json", "--", "--from"}, 1, "--from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tt.args...)
			got := out
			if tt.code != 0 {
				got = errs
			}
			if code != tt.code || !strings.Contains(got, tt.out) {
				t.Errorf("oneonone %s:\nexit %d, stdout %.300q, stderr %.300q\nwant exit %d and %q", strings.Join(tt.args, " "), code, out, errs, tt.code, tt.out)
			}
		})
	}
}

// TestHelp: help, -h and --help print the usage on stdout and exit 0, for
// the top level, for every command with subcommands, and for a command.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"help"}, []string{"usage: oneonone <command>", "actions", "version"}},
		{[]string{"--help"}, []string{"usage: oneonone <command>"}},
		{[]string{"-h"}, []string{"usage: oneonone <command>"}},
		{[]string{"help", "actions"}, []string{"usage: oneonone actions", "add", "list", "done", "reopen"}},
		{[]string{"help", "report"}, []string{"usage: oneonone report", "-week"}},
		{[]string{"actions", "--help"}, []string{"usage: oneonone actions", "add", "list", "done", "reopen"}},
		{[]string{"actions", "-h"}, []string{"usage: oneonone actions"}},
		{[]string{"actions", "help"}, []string{"usage: oneonone actions"}},
		{[]string{"config", "--help"}, []string{"usage: oneonone config", "check"}},
		{[]string{"config", "-h"}, []string{"usage: oneonone config"}},
		{[]string{"auth", "--help"}, []string{"usage: oneonone auth", "google"}},
		{[]string{"auth", "-h"}, []string{"usage: oneonone auth"}},
		{[]string{"state", "--help"}, []string{"usage: oneonone state", "check", "backup", "restore"}},
		{[]string{"state", "-h"}, []string{"usage: oneonone state"}},
		{[]string{"actions", "add", "--help"}, []string{"usage: oneonone actions add", "-with"}},
		{[]string{"actions", "add", "some", "text", "-h"}, []string{"usage: oneonone actions add"}},
		{[]string{"report", "--help"}, []string{"usage: oneonone report"}},
		{[]string{"version", "--help"}, []string{"usage: oneonone version"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := runCmd(t, tt.args...)
			if code != 0 || errs != "" {
				t.Errorf("exit %d, stderr %q; want exit 0 and nothing on stderr", code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout %q does not mention %q", out, w)
				}
			}
		})
	}
	// A missing or unknown subcommand is still a usage mistake.
	for _, args := range [][]string{{"actions"}, {"actions", "frob"}, {"config"}, {"auth"}, {"state", "frob"}, {"help", "frob"}} {
		if code, _, errs := runCmd(t, args...); code != 2 || errs == "" {
			t.Errorf("oneonone %s: exit %d, stderr %q; want exit 2 and a line on stderr", strings.Join(args, " "), code, errs)
		}
	}
}

// TestVersion: "version" and "--version" print the program's name and a
// version ("(devel)" when the build carries none).
func TestVersion(t *testing.T) {
	line := regexp.MustCompile(`^oneonone (\(devel\)|v\S+)`)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errs := runCmd(t, args...)
		if code != 0 || errs != "" || !line.MatchString(out) || strings.Count(out, "\n") != 1 {
			t.Errorf("oneonone %s: exit %d, stdout %q, stderr %q; want one line matching %s", strings.Join(args, " "), code, out, errs, line)
		}
	}
	if code, _, errs := runCmd(t, "version", "extra"); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q; want a usage error", code, errs)
	}
}

// TestVersionLine: what the toolchain stamps is printed: the module
// version, the revision, whether the tree was dirty, the commit time.
func TestVersionLine(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.24.0",
		Main:      debug.Module{Path: "oneonone", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "2e78467c0ffee"},
			{Key: "vcs.time", Value: "2026-12-02T19:40:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		info *debug.BuildInfo
		want string
	}{
		{stamped, "oneonone v1.2.3 (revision 2e78467c0ffee, dirty, committed 2026-12-02T19:40:00Z, go1.24.0)"},
		{&debug.BuildInfo{Main: debug.Module{Path: "oneonone", Version: "(devel)"}}, "oneonone (devel)"},
		{&debug.BuildInfo{}, "oneonone (devel)"},
		{nil, "oneonone (devel)"},
	}
	for _, tt := range tests {
		if got := versionLine(tt.info); got != tt.want {
			t.Errorf("versionLine = %q, want %q", got, tt.want)
		}
	}
}
