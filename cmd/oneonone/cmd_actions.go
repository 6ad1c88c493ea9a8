package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
)

// cmdActions is "actions add|list|done|reopen": the open actions of a pair.
func cmdActions(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want actions add, list, done or reopen"}
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
	}
	return usageError{fmt.Sprintf("unknown actions command %q (want add, list, done or reopen)", args[0])}
}

func actionsAdd(e *env, args []string) error {
	fs := newFlags(e, "actions add", "--with EMAIL [--owner EMAIL] [--due YYYY-MM-DD] TEXT")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	owner := fs.String("owner", "", "who owns the action (default: you)")
	due := fs.String("due", "", "due date, YYYY-MM-DD")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	a, err := agenda.NewAction(agenda.ActionInput{
		Me: cfg.Identity.Me, With: *with, Owner: *owner, Text: strings.Join(fs.Args(), " "),
		Due: *due, Location: cfg.Location(), Now: time.Now(),
	})
	if err != nil {
		return actionUsageError(err)
	}
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	if err != nil {
		return err
	}
	defer st.Close()
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

// actionUsageError turns agenda's refusal of a field into a usage error
// that names the flag (or TEXT) it came from.
func actionUsageError(err error) error {
	var fe *agenda.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	name, ok := actionArgs[fe.Field]
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
			return actionUsageError(err)
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
	if list == nil {
		list = []agenda.Action{}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
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
		if id == "" {
			id = "doc"
		}
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
		return fmt.Errorf("no action %s (see actions list; items of an agenda document are ticked in the document)", id)
	}
	fmt.Fprintf(e.stdout, "action %s %s: %s\n", a.ID, map[bool]string{true: "reopened", false: "done"}[when.IsZero()], a.Text)
	return nil
}
