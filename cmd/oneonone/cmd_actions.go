package main

import (
	"context"
	"encoding/json"
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
	text := strings.TrimSpace(strings.Join(fs.Args(), " "))
	switch {
	case *with == "" || !strings.Contains(*with, "@"):
		return usageError{"--with: want the counterpart's e-mail address"}
	case text == "":
		return usageError{"want the action's text"}
	case *owner != "" && !strings.Contains(*owner, "@"):
		return usageError{fmt.Sprintf("--owner: %q is not an e-mail address", *owner)}
	}
	cfg, st, err := openState(*cfgPath)
	if err != nil {
		return err
	}
	defer st.Close()
	me := cfg.Identity.Me[0]
	a := agenda.Action{
		Pair:   calendar.NewPair(me, *with),
		Owner:  calendar.NormalizeEmail(*owner),
		Text:   text,
		Since:  time.Now(),
		Origin: "store",
	}
	if a.Owner == "" {
		a.Owner = calendar.NormalizeEmail(me)
	}
	if !a.Pair.Has(a.Owner) {
		return usageError{fmt.Sprintf("--owner: %s is not one of the pair (%s)", a.Owner, a.Pair)}
	}
	if *due != "" {
		if a.Due, err = time.ParseInLocation(time.DateOnly, *due, cfg.Location()); err != nil {
			return usageError{fmt.Sprintf("--due: want YYYY-MM-DD, got %q", *due)}
		}
	}
	if a, err = st.AddAction(a); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added action %s for %s: %s\n", a.ID, a.Pair.Other(me), a.Text)
	return nil
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
	cfg, st, err := openState(*cfgPath)
	if err != nil {
		return err
	}
	defer st.Close()
	me := cfg.Identity.Me[0]
	var pair calendar.Pair
	if *with != "" {
		pair = calendar.NewPair(me, *with)
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
		if p.Doc == "" || (*with != "" && !strings.EqualFold(p.With, *with)) {
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
	_, st, err := openState(*cfgPath)
	if err != nil {
		return err
	}
	defer st.Close()
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
