package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/config"
	"oneonone/store"
)

// cmdActions is "actions add|list|edit|delete|done|reopen": the open
// actions of a pair.
func cmdActions(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want actions add, list, edit, delete, done or reopen"}
	}
	switch args[0] {
	case "add":
		return actionsAdd(ctx, e, args[1:])
	case "list":
		return actionsList(ctx, e, args[1:])
	case "done":
		return actionsSetDone(ctx, e, "done", args[1:], time.Now())
	case "reopen":
		return actionsSetDone(ctx, e, "reopen", args[1:], time.Time{})
	case "edit":
		return actionsEdit(ctx, e, args[1:])
	case "delete":
		return actionsDelete(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown actions command %q (want add, list, edit, delete, done or reopen)", args[0])}
}

func actionsAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "actions add", "--with EMAIL [--owner EMAIL] [--due YYYY-MM-DD] [--force] TEXT")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	owner := fs.String("owner", "", "who owns the action (default: you)")
	due := fs.String("due", "", "due date, YYYY-MM-DD")
	force := fs.Bool("force", false, "keep the action even when no 1:1 with --with is known")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	cfg, err := loadConfigNoSecrets(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	in := agenda.ActionInput{
		Me: cfg.Me(), With: *with, Owner: *owner, Text: strings.Join(fs.Args(), " "),
		Due: *due, Location: cfg.Location(), Now: time.Now(), Force: *force,
	}
	// The fields first, so that a mistake on the command line is told
	// without the state file; then, with it, whether the 1:1 is known.
	if _, err := agenda.NewAction(in); err != nil {
		return actionUsageError(err, actionArgs)
	}
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	if inUse(cfg, err) {
		// The daemon holds the file: it adds the action, through the
		// same agenda.NewAction.
		var got struct{ ID, With, Text string }
		err := newDaemonClient(cfg).sendJSON(ctx, http.MethodPost, "/api/actions",
			map[string]any{"with": *with, "owner": *owner, "text": strings.Join(fs.Args(), " "), "due": *due, "force": *force}, &got)
		if err != nil {
			return daemonActionError(err)
		}
		fmt.Fprintf(e.stdout, "added action %s for %s: %s\n", got.ID, got.With, got.Text)
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	e.noteMigration(st)
	in.Known = st.KnowsCounterpart
	a, err := agenda.NewAction(in)
	if err != nil {
		return actionUsageError(err, actionArgs)
	}
	if a, err = st.AddAction(a); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added action %s for %s: %s\n", a.ID, a.Pair.Other(cfg.Me()[0]), a.Text)
	return nil
}

// daemonActionError is actionUsageError for the daemon's refusal of a
// field of an action.
func daemonActionError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && (ae.Code == http.StatusBadRequest || ae.Code == http.StatusUnprocessableEntity) && ae.Field != "" {
		msg := strings.TrimPrefix(ae.Msg, "daemon: "+ae.Field+": ")
		fe := &agenda.FieldError{Field: ae.Field, Msg: msg}
		if ae.Code == http.StatusUnprocessableEntity && ae.Field == agenda.FieldWith {
			// A counterpart of no known 1:1: the API names its "force"
			// (web.Server.actionError), the command line its --force.
			fe.Err = agenda.ErrNoOneOnOne
			fe.Msg = strings.Replace(msg, `"force": true`, "--force", 1)
		}
		return actionUsageError(fe, actionArgs)
	}
	return err
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
	daemon := inUse(cfg, err)
	if err != nil && !daemon {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	me := cfg.Me()[0]
	var pair calendar.Pair
	if *with != "" {
		if pair, err = agenda.PairWith(cfg.Me(), *with); err != nil {
			return actionUsageError(err, actionArgs)
		}
	}
	var list []agenda.Action
	if daemon {
		list, err = daemonActions(ctx, cfg, *with, *all)
	} else {
		list, err = storeActions(ctx, e, cfg, st, pair, *all)
	}
	if err != nil {
		return err
	}
	if list == nil {
		list = []agenda.Action{}
	}
	if *format == "json" {
		// The web API's shape (GET /api/actions), by the same code.
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(agenda.Views(list, me, cfg.Location()))
	}
	return writeActionsText(e.stdout, list, me, cfg.Location())
}

// storeActions is what "actions list" shows, read from the state file:
// the stored actions of pair (all pairs when zero), open ones or all, and
// the open items of the pairs' agenda documents.
func storeActions(ctx context.Context, e *env, cfg *config.Config, st *store.Store, pair calendar.Pair, all bool) ([]agenda.Action, error) {
	me := cfg.Me()[0]
	list, err := st.Actions(pair)
	if err != nil {
		return nil, err
	}
	if !all {
		list = slices.DeleteFunc(list, func(a agenda.Action) bool { return !a.Done.IsZero() })
	}
	// The open items of the pairs' agenda documents.
	acts := agenda.Actions{Store: st, Docs: agenda.DocReader{Credentials: docCredentials(cfg)}}
	for _, p := range cfg.Agenda.Pairs {
		if p.Doc == "" || (pair != (calendar.Pair{}) && calendar.NewPair(me, p.With) != pair) {
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
	return list, nil
}

// daemonActions is storeActions asked of the daemon (GET /api/actions):
// the stored actions, then, for each pair with an agenda document, that
// document's open items (the daemon reads them, and logs what it cannot).
func daemonActions(ctx context.Context, cfg *config.Config, with string, all bool) ([]agenda.Action, error) {
	c := newDaemonClient(cfg)
	get := func(q url.Values) ([]agenda.Action, error) {
		var got []struct {
			ID, Pair, Owner, Text, Due, Origin string
			Since, Done                        time.Time
		}
		if err := c.getJSON(ctx, "/api/actions?"+q.Encode(), &got); err != nil {
			return nil, daemonActionError(err)
		}
		var out []agenda.Action
		for _, g := range got {
			p, ok := calendar.ParsePair(g.Pair)
			if !ok {
				return nil, fmt.Errorf("daemon: action %s: pair %q", g.ID, g.Pair)
			}
			a := agenda.Action{ID: g.ID, Pair: p, Owner: g.Owner, Text: g.Text, Since: g.Since, Done: g.Done, Origin: g.Origin}
			if g.Due != "" {
				due, err := time.ParseInLocation(time.DateOnly, g.Due, cfg.Location())
				if err != nil {
					return nil, fmt.Errorf("daemon: action %s: due %q", g.ID, g.Due)
				}
				a.Due = due
			}
			out = append(out, a)
		}
		return out, nil
	}
	q := url.Values{}
	if all {
		q.Set("all", "1")
	}
	if with != "" {
		// The pair's stored actions and its document's open items.
		q.Set("with", with)
		return get(q)
	}
	list, err := get(q)
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.Agenda.Pairs {
		if p.Doc == "" {
			continue
		}
		open, err := get(url.Values{"with": {p.With}})
		if err != nil {
			return nil, err
		}
		for _, a := range open {
			if a.Origin != "store" {
				list = append(list, a)
			}
		}
	}
	return list, nil
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

// actionsSetDone is "actions done ID" (when is now) and "actions reopen
// ID" (when is zero).
func actionsSetDone(ctx context.Context, e *env, verb string, args []string, when time.Time) error {
	said := map[bool]string{true: "reopened", false: "done"}[when.IsZero()]
	return itemCommand{
		name: "actions " + verb, usage: "want exactly one action ID (see actions list)",
		daemon: func(ctx context.Context, cfg *config.Config, id string) (itemLine, error) {
			return daemonAction(ctx, cfg, http.MethodPatch, id, map[string]bool{"done": !when.IsZero()})
		},
		local: func(cfg *config.Config, st *store.Store, id string) (itemLine, bool, error) {
			a, ok, err := st.SetActionDone(id, when)
			return actionLine(cfg, a), ok, err
		},
		missing: noAction,
		say:     func(l itemLine) string { return fmt.Sprintf("action %s %s: %s", l.ID, said, l.Text) },
	}.run(ctx, e, args)
}

// actionLine is what a command says of a stored action.
func actionLine(cfg *config.Config, a agenda.Action) itemLine {
	return itemLine{a.ID, a.Pair.Other(cfg.Me()[0]), a.Text}
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
func actionsEdit(ctx context.Context, e *env, args []string) error {
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
	if inUse(cfg, err) {
		// The daemon holds the file: PATCH /api/actions/{id}, checked by
		// the same agenda.EditAction.
		body := map[string]string{}
		for k, v := range map[string]*string{"text": edit.Text, "due": edit.Due, "owner": edit.Owner} {
			if v != nil {
				body[k] = *v
			}
		}
		got, err := daemonAction(ctx, cfg, http.MethodPatch, id, body)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "edited action %s for %s: %s\n", got.ID, got.With, got.Text)
		return nil
	}
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
	if a, err = agenda.EditAction(a, cfg.Me(), edit); err != nil {
		return actionUsageError(err, editArgs)
	}
	if ok, err = st.UpdateAction(a); err != nil {
		return err
	}
	if !ok {
		return noAction(id)
	}
	fmt.Fprintf(e.stdout, "edited action %s for %s: %s\n", a.ID, a.Pair.Other(cfg.Me()[0]), a.Text)
	return nil
}

// actionsDelete is "actions delete ID": deletes a stored action for good.
func actionsDelete(ctx context.Context, e *env, args []string) error {
	return itemCommand{
		name: "actions delete", usage: "want exactly one action ID (see actions list)",
		daemon: func(ctx context.Context, cfg *config.Config, id string) (itemLine, error) {
			return daemonAction(ctx, cfg, http.MethodDelete, id, nil)
		},
		local: func(cfg *config.Config, st *store.Store, id string) (itemLine, bool, error) {
			a, ok, err := st.DeleteAction(id)
			return actionLine(cfg, a), ok, err
		},
		missing: noAction,
		say:     func(l itemLine) string { return fmt.Sprintf("deleted action %s for %s: %s", l.ID, l.With, l.Text) },
	}.run(ctx, e, args)
}

// daemonAction sends method /api/actions/{id} (with body, when not nil)
// to the daemon, for done, reopen, edit and delete while it holds the
// state file, and returns the action it answers with. Its refusals say
// what the command says without a daemon: an unknown ID as noAction, a
// field as its flag.
func daemonAction(ctx context.Context, cfg *config.Config, method, id string, body any) (itemLine, error) {
	var got itemLine
	err := newDaemonClient(cfg).sendJSON(ctx, method, "/api/actions/"+url.PathEscape(id), body, &got)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Code == http.StatusNotFound:
		return got, noAction(id)
	case errors.As(err, &ae) && ae.Field != "" && ae.Code < 500:
		msg := strings.TrimPrefix(ae.Msg, "daemon: "+ae.Field+": ")
		return got, actionUsageError(&agenda.FieldError{Field: ae.Field, Msg: msg}, editArgs)
	}
	return got, err
}
