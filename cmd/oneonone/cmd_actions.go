package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
)

// cmdActions is "actions add|list|edit|delete|done|reopen": the open
// actions of a pair.
func cmdActions(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want actions add, list, edit, delete, done or reopen"}
	}
	switch args[0] {
	case "add":
		return actionsAdd(e, args[1:])
	case "list":
		return actionsList(ctx, e, args[1:])
	case "done":
		return actionsSetDone(e, "done", args[1:], time.Now())
	case "reopen":
		return actionsSetDone(e, "reopen", args[1:], time.Time{})
	case "edit":
		return actionsEdit(e, args[1:])
	case "delete":
		return actionsDelete(e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown actions command %q (want add, list, edit, delete, done or reopen)", args[0])}
}

func actionsAdd(e *env, args []string) error {
	fs := newFlags(e, "actions add", "--with EMAIL [--owner EMAIL] [--due YYYY-MM-DD] [--force] TEXT")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	owner := fs.String("owner", "", "who owns the action (default: you)")
	due := fs.String("due", "", "due date, YYYY-MM-DD")
	force := fs.Bool("force", false, "keep the action even when no 1:1 with --with is known")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	in := agenda.ActionInput{
		Me: cfg.Identity.Me, With: *with, Owner: *owner, Text: strings.Join(fs.Args(), " "),
		Due: *due, Location: cfg.Location(), Now: time.Now(), Force: *force,
	}
	// The fields first, so that a mistake on the command line is told
	// without the state file; then, with it, whether the 1:1 is known.
	if _, err := agenda.NewAction(in); err != nil {
		return actionUsageError(err, actionArgs)
	}
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	if err != nil {
		return err
	}
	defer st.Close()
	in.Known = st.KnowsCounterpart
	a, err := agenda.NewAction(in)
	if err != nil {
		return actionUsageError(err, actionArgs)
	}
	if a, err = st.AddAction(a); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added action %s for %s: %s\n", a.ID, a.Pair.Other(cfg.Identity.Me[0]), a.Text)
	return nil
}

// actionArgs are the command line's names of the fields of a new action
// that agenda.NewAction refuses.
var actionArgs = map[string]string{
	agenda.FieldWith:  "--with",
	agenda.FieldOwner: "--owner",
	agenda.FieldDue:   "--due",
	agenda.FieldText:  "TEXT",
}

// editArgs are the flags of actions edit for the fields it changes.
var editArgs = map[string]string{
	agenda.FieldOwner: "--owner",
	agenda.FieldDue:   "--due",
	agenda.FieldText:  "--text",
}

// actionUsageError turns agenda's refusal of a field into a usage error
// that names the flag (or TEXT) it came from, by names. A counterpart of
// no known 1:1 is agenda's sentence as it stands: it names --force.
func actionUsageError(err error, names map[string]string) error {
	var fe *agenda.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, agenda.ErrNoOneOnOne) {
		return usageError{fe.Msg}
	}
	name, ok := names[fe.Field]
	if !ok {
		name = fe.Field
	}
	return usageError{name + ": " + fe.Msg}
}

func actionsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "actions list", "[--with EMAIL] [--all] [--format text|json]")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "only the actions of the pair with this address")
	all := fs.Bool("all", false, "include done actions")
	format := fs.format("text", "json")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, st, err := openState(e, *cfgPath, readOnly)
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	me := cfg.Identity.Me[0]
	var pair calendar.Pair
	if *with != "" {
		if pair, err = agenda.PairWith(cfg.Identity.Me, *with); err != nil {
			return actionUsageError(err, actionArgs)
		}
	}
	list, err := st.Actions(pair)
	if err != nil {
		return err
	}
	if !*all {
		list = slices.DeleteFunc(list, func(a agenda.Action) bool { return !a.Done.IsZero() })
	}
	// The open items of the pairs' agenda documents.
	acts := agenda.Actions{Store: st, Docs: agenda.DocReader{Credentials: docCredentials(cfg)}}
	for _, p := range cfg.Agenda.Pairs {
		if p.Doc == "" || (*with != "" && calendar.NewPair(me, p.With) != pair) {
			continue
		}
		open, err := acts.Open(ctx, calendar.NewPair(me, p.With), p.Doc)
		if err != nil {
			fmt.Fprintf(e.stderr, "oneonone actions list: %s\n", oneLine(err.Error()))
		}
		for _, a := range open {
			if a.Origin != "store" {
				list = append(list, a)
			}
		}
	}
	if *format == "json" {
		// The web API's shape (GET /api/actions), by the same code.
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(agenda.Views(list, me, cfg.Location()))
	}
	return writeActionsText(e.stdout, list, me, cfg.Location())
}

func writeActionsText(w io.Writer, list []agenda.Action, me string, loc *time.Location) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no open actions")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWITH\tOWNER\tACTION\tSINCE\tDUE\tSTATE")
	for _, a := range list {
		id, state, due := a.ID, "open", "-"
		if !a.Done.IsZero() {
			state = "done " + a.Done.In(loc).Format(time.DateOnly)
		}
		if !a.Due.IsZero() {
			due = a.Due.In(loc).Format(time.DateOnly)
		}
		owner := a.Owner
		if owner == "" {
			owner = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, a.Pair.Other(me), owner, strings.Join(strings.Fields(a.Text), " "),
			a.Since.In(loc).Format(time.DateOnly), due, state)
	}
	return tw.Flush()
}

func actionsSetDone(e *env, verb string, args []string, when time.Time) error {
	fs := newFlags(e, "actions "+verb, "ID")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want exactly one action ID (see actions list)"}
	}
	id := fs.Arg(0)
	cfg, st, err := openState(e, *cfgPath, readWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	a, ok, err := st.SetActionDone(id, when)
	if err != nil {
		return err
	}
	if !ok {
		return noAction(id)
	}
	fmt.Fprintf(e.stdout, "action %s %s: %s\n", a.ID, map[bool]string{true: "reopened", false: "done"}[when.IsZero()], a.Text)
	return nil
}

// noAction is the error of an ID that is no stored action.
func noAction(id string) error {
	if strings.HasPrefix(id, agenda.DocItemPrefix) {
		return fmt.Errorf("%s is an item of an agenda document: it is ticked, edited and deleted in the document", id)
	}
	return fmt.Errorf("no action %s (see actions list; items of an agenda document are ticked, edited and deleted in the document)", id)
}

// actionsEdit is "actions edit ID [--text TEXT] [--due YYYY-MM-DD]
// [--owner EMAIL]": changes a stored action by agenda.EditAction, the
// rules of a new one.
func actionsEdit(e *env, args []string) error {
	fs := newFlags(e, "actions edit", "ID [--text TEXT] [--due YYYY-MM-DD|\"\"] [--owner EMAIL]")
	cfgPath := fs.String("config", "", "config file")
	text := fs.String("text", "", "the new text")
	due := fs.String("due", "", "the new due date, YYYY-MM-DD; \"\" for none")
	owner := fs.String("owner", "", "the new owner, one of the pair; \"\" for you")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want exactly one action ID (see actions list)"}
	}
	edit := agenda.ActionEdit{}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "text":
			edit.Text = text
		case "due":
			edit.Due = due
		case "owner":
			edit.Owner = owner
		}
	})
	if edit.IsZero() {
		return usageError{"want at least one of --text, --due, --owner"}
	}
	id := fs.Arg(0)
	cfg, st, err := openState(e, *cfgPath, readWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	a, ok, err := st.Action(id)
	if err != nil {
		return err
	}
	if !ok {
		return noAction(id)
	}
	edit.Location = cfg.Location()
	if a, err = agenda.EditAction(a, cfg.Identity.Me, edit); err != nil {
		return actionUsageError(err, editArgs)
	}
	if ok, err = st.UpdateAction(a); err != nil {
		return err
	}
	if !ok {
		return noAction(id)
	}
	fmt.Fprintf(e.stdout, "edited action %s for %s: %s\n", a.ID, a.Pair.Other(cfg.Identity.Me[0]), a.Text)
	return nil
}

// actionsDelete is "actions delete ID": deletes a stored action for good.
func actionsDelete(e *env, args []string) error {
	fs := newFlags(e, "actions delete", "ID")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want exactly one action ID (see actions list)"}
	}
	id := fs.Arg(0)
	cfg, st, err := openState(e, *cfgPath, readWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	a, ok, err := st.DeleteAction(id)
	if err != nil {
		return err
	}
	if !ok {
		return noAction(id)
	}
	fmt.Fprintf(e.stdout, "deleted action %s for %s: %s\n", a.ID, a.Pair.Other(cfg.Identity.Me[0]), a.Text)
	return nil
}
