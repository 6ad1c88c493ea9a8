package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"oneonone/store"
)

// command is one subcommand: its name, a one-line summary, and what it does.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: where to write, and how to fail.
type env struct {
	stdout, stderr io.Writer
	name           string // of the command, for warnings
}

// usageError is a mistake on the command line; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func commands() []command {
	return []command{
		{"demo", "run oneonone against an embedded CalDAV server seeded with a team", cmdDemo},
		{"run", "the daemon: sync on every interval, write agendas, serve the web face", cmdRun},
		{"sync", "one full sync cycle over all sources, then exit", cmdSync},
		{"report", "the weekly report of held, skipped and postponed 1:1s", cmdReport},
		{"series", "the recognised 1:1 series and their metrics", cmdSeries},
		{"history", "--with EMAIL: every occurrence of a pair's 1:1s (text, JSON or CSV)", cmdHistory},
		{"actions", "add|list|edit|delete|done|reopen: the open actions of a pair", cmdActions},
		{"agenda", "init --with EMAIL --dir DIR|--url URL: write a pair's agenda document", cmdAgenda},
		{"share", "link|revoke|rotate: the link of a pair's shared page, for the counterpart", cmdShare},
		{"points", "add|list|done|reopen|delete: the talking points of a pair", cmdPoints},
		{"auth", "auth google --source NAME: authorize a Google source", cmdAuth},
		{"inspect", "show how oneonone reads an .ics file, without any server", cmdInspect},
		{"config", "config check: validate the config file", cmdConfig},
		{"state", "check|backup|restore: the state file's health, a backup now, putting one back", cmdState},
		{"version", "the version and VCS revision of this build", cmdVersion},
	}
}

// subcommand is one subcommand of a command such as actions, for its help.
type subcommand struct{ name, summary string }

// subcommands are the commands that take a subcommand, and theirs: for
// "oneonone actions --help" and the like; each subcommand has its own --help.
var subcommands = map[string][]subcommand{
	"actions": {
		{"add", "--with EMAIL [--owner EMAIL] [--due YYYY-MM-DD] [--force] TEXT: a new action of the pair"},
		{"list", "[--with EMAIL] [--all] [--format text|json]: the open (or all) actions"},
		{"edit", "ID [--text TEXT] [--due YYYY-MM-DD] [--owner EMAIL]: change a stored action"},
		{"delete", "ID: delete a stored action"},
		{"done", "ID: mark an action done"},
		{"reopen", "ID: open a done action again"},
	},
	"agenda": {
		{"init", "--with EMAIL [--dir DIR | --url WEBDAV_COLLECTION] [--link URL]: a new agenda document, recorded as the pair's"},
	},
	"share": {
		{"link", "--with EMAIL: print the link of the pair's shared page (needs web.public_url)"},
		{"revoke", "--with EMAIL: refuse every link of the pair made so far"},
		{"rotate", "a new signing key: refuse every link made so far"},
	},
	"points": {
		{"add", "--with EMAIL [--author EMAIL] [--force] TEXT: a talking point for the next 1:1"},
		{"list", "[--with EMAIL] [--all] [--format text|json]: the open (or all) talking points"},
		{"done", "ID: mark a talking point discussed (in the latest 1:1 held)"},
		{"reopen", "ID: open a discussed talking point again"},
		{"delete", "ID: delete a talking point"},
	},
	"auth": {
		{"google", "--source NAME: the OAuth flow for a Google source"},
	},
	"config": {
		{"check", "validate the config file and say what is wrong, by key"},
	},
	"state": {
		{"check", "bbolt's consistency check, the schema, every record; and the backups"},
		{"backup", "a backup now (replaces today's); prints its path"},
		{"restore", "[FILE]: put back the newest good backup (or FILE)"},
	},
}

// subUsage is the help of a command that takes a subcommand.
func subUsage(w io.Writer, name string, subs []subcommand) {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	fmt.Fprintf(w, "usage: oneonone %s %s [flags]\n", name, strings.Join(names, "|"))
	fmt.Fprintln(w)
	for _, s := range subs {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Run \"oneonone %s <subcommand> --help\" for its flags.\n", name)
}

// isHelp says whether an argument asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: oneonone <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Every command takes --config PATH (else $ONEONONE_CONFIG, else $XDG_CONFIG_HOME/oneonone/config.toml).`)
	fmt.Fprintln(w, `Run "oneonone <command> --help" (or "oneonone help <command>") for a command's flags.`)
}

// run dispatches a command line and returns the exit code: 0 on success,
// 1 when the command failed, 2 for a usage mistake. Every failure is one line
// on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if isHelp(name) {
		if len(args) == 1 {
			usage(stdout)
			return 0
		}
		// "help CMD ARGS..." is "CMD ARGS... --help".
		name, args = args[1], append(slices.Clone(args[1:]), "--help")
	}
	if name == "--version" || name == "-version" {
		name = "version"
	}
	e := &env{stdout: stdout, stderr: stderr, name: name}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		if subs, ok := subcommands[name]; ok && len(args) > 1 && isHelp(args[1]) {
			subUsage(stdout, name, subs)
			return 0
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		}
		// A damaged state file is its own message, whatever wrapped it.
		var de *store.DamagedError
		if errors.As(err, &de) {
			err = de
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "oneonone %s: %s\n", name, oneLine(err.Error()))
			return 2
		}
		fmt.Fprintf(stderr, "oneonone %s: %s\n", name, oneLine(err.Error()))
		return 1
	}
	fmt.Fprintf(stderr, "oneonone: unknown command %q (run \"oneonone help\")\n", name)
	return 2
}

// oneLine folds a (possibly joined) error into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// flagSet is a flag set that stays quiet on mistakes (parse turns them into
// one-line usage errors) and prints its flags for --help. Its flags may come
// before, between and after the positional arguments; "--" ends the flags.
// Args, NArg and Arg are the positional arguments, in their order.
type flagSet struct {
	*flag.FlagSet
	help    func()
	choices []choice
	args    []string
}

// choice is a flag whose value must be one of a list.
type choice struct {
	name    string
	value   *string
	allowed []string
}

// format declares --format with its allowed values, the first the default;
// parse refuses any other value.
func (fs *flagSet) format(allowed ...string) *string {
	v := fs.String("format", allowed[0], strings.Join(allowed, ", "))
	fs.choices = append(fs.choices, choice{"format", v, allowed})
	return v
}

func newFlags(e *env, name, args string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, help: func() {
		fmt.Fprintf(e.stdout, "usage: oneonone %s %s\n", name, args)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}}
}

// parse parses args, flags anywhere among the positional arguments, turning
// flag errors into usage errors and refusing positional arguments unless
// extra is true.
func (fs *flagSet) parse(args []string, extra bool) error {
	flags, positional := fs.split(args)
	err := fs.Parse(flags)
	if errors.Is(err, flag.ErrHelp) {
		fs.help()
		return err
	}
	if err != nil {
		return usageError{err.Error()}
	}
	fs.args = positional
	if !extra && fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	for _, c := range fs.choices {
		if !slices.Contains(c.allowed, *c.value) {
			return usageError{fmt.Sprintf("--%s: unknown %s %q (want %s)", c.name, c.name, *c.value, orList(c.allowed))}
		}
	}
	return nil
}

// split sorts a command line into its flags (with their values) and its
// positional arguments, by the rules of the flag package: a flag is "-name"
// or "--name", with "=value" or, unless it is a boolean, the next argument
// as its value; "-" alone is a positional argument; "--" ends the flags and
// is dropped. What the flag package would refuse stays among the flags, for
// Parse to name.
func (fs *flagSet) split(args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(a[1:], "-")
		if strings.Contains(name, "=") || i+1 == len(args) {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, positional
}

// isBoolFlag says whether a flag takes no value, as the flag package asks.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Args returns the positional arguments.
func (fs *flagSet) Args() []string { return fs.args }

// NArg returns the number of positional arguments.
func (fs *flagSet) NArg() int { return len(fs.args) }

// Arg returns the i'th positional argument, or "" when there is none.
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.args) {
		return ""
	}
	return fs.args[i]
}

// orList writes "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
