package main

import (
	"context"
	"encoding/json"
	"errors"
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
	"oneonone/web"
)

// cmdPoints is "points add|list|done|reopen|delete": the talking points of
// a pair (docs/DESIGN.md, "Talking points").
func cmdPoints(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want points add, list, done, reopen or delete"}
	}
	switch args[0] {
	case "add":
		return pointsAdd(ctx, e, args[1:])
	case "list":
		return pointsList(ctx, e, args[1:])
	case "done":
		return pointsSetDiscussed(ctx, e, "done", args[1:], true)
	case "reopen":
		return pointsSetDiscussed(ctx, e, "reopen", args[1:], false)
	case "delete":
		return pointsDelete(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown points command %q (want add, list, done, reopen or delete)", args[0])}
}

// pointArgs are the command line's names of the fields of a new point
// that agenda.NewPoint refuses.
var pointArgs = map[string]string{
	agenda.FieldWith:  "--with",
	agenda.FieldOwner: "--author",
	agenda.FieldText:  "TEXT",
}

// daemonPointError is actionUsageError for the daemon's refusal of a
// field of a point.
func daemonPointError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && (ae.Code == http.StatusBadRequest || ae.Code == http.StatusUnprocessableEntity) && ae.Field != "" {
		msg := strings.TrimPrefix(ae.Msg, "daemon: "+ae.Field+": ")
		if ae.Code == http.StatusUnprocessableEntity {
			// The API says it in its words; the command line's are agenda's.
			msg = strings.Replace(msg, `"force": true`, "--force", 1)
			return usageError{msg}
		}
		return actionUsageError(&agenda.FieldError{Field: ae.Field, Msg: msg}, pointArgs)
	}
	return err
}

func pointsAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "points add", "--with EMAIL [--author EMAIL] [--force] TEXT")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	author := fs.String("author", "", "who raises the point: one of the pair (default: you)")
	force := fs.Bool("force", false, "keep the point even when no 1:1 with --with is known")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	text := strings.Join(fs.Args(), " ")
	in := agenda.PointInput{Me: cfg.Me(), With: *with, Author: *author, Text: text, Now: time.Now(), Force: *force}
	// The fields first, without the state file; then whether the 1:1 is
	// known.
	if _, err := agenda.NewPoint(in); err != nil {
		return actionUsageError(err, pointArgs)
	}
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	if inUse(cfg, err) {
		// The daemon holds the file: it adds the point, through the same
		// agenda.NewPoint.
		var got web.PointView
		err := newDaemonClient(cfg).sendJSON(ctx, http.MethodPost, "/api/points",
			map[string]any{"with": *with, "author": *author, "text": text, "force": *force}, &got)
		if err != nil {
			return daemonPointError(err)
		}
		fmt.Fprintf(e.stdout, "added talking point %s for %s: %s\n", got.ID, got.With, got.Text)
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	e.noteMigration(st)
	in.Known = st.KnowsCounterpart
	p, err := agenda.NewPoint(in)
	if err != nil {
		return actionUsageError(err, pointArgs)
	}
	if p, err = st.AddPoint(p); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added talking point %s for %s: %s\n", p.ID, p.Pair.Other(cfg.Me()[0]), p.Text)
	return nil
}

func pointsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "points list", "[--with EMAIL] [--all] [--format text|json]")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "only the points of the pair with this address")
	all := fs.Bool("all", false, "include discussed points")
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
	me, loc := cfg.Me()[0], cfg.Location()
	var pair calendar.Pair
	if *with != "" {
		if pair, err = agenda.PairWith(cfg.Me(), *with); err != nil {
			return actionUsageError(err, pointArgs)
		}
	}
	var list []web.PointView
	if daemon {
		q := url.Values{}
		if *with != "" {
			q.Set("with", *with)
		}
		if *all {
			q.Set("all", "1")
		}
		if err := newDaemonClient(cfg).getJSON(ctx, "/api/points?"+q.Encode(), &list); err != nil {
			return daemonPointError(err)
		}
	} else {
		ps, err := st.Points(pair)
		if err != nil {
			return err
		}
		if !*all {
			ps = slices.DeleteFunc(ps, func(p agenda.Point) bool { return !p.Open() })
		}
		list = web.ViewPoints(ps, me, loc)
	}
	if list == nil {
		list = []web.PointView{}
	}
	if *format == "json" {
		// The web API's shape (GET /api/points), by the same code.
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	return writePointsText(e.stdout, list, loc)
}

func writePointsText(w io.Writer, list []web.PointView, loc *time.Location) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no open talking points")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWITH\tAUTHOR\tPOINT\tADDED\tSTATE")
	for _, p := range list {
		state := "open"
		if !p.Discussed.IsZero() {
			state = "discussed " + p.Meeting.In(loc).Format(time.DateOnly)
		}
		author := p.Author
		if author == "" {
			author = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.With, author, strings.Join(strings.Fields(p.Text), " "),
			p.Added.In(loc).Format(time.DateOnly), state)
	}
	return tw.Flush()
}

// noPoint is the error of an ID that is no stored point.
func noPoint(id string) error {
	return fmt.Errorf("no talking point %s (see points list --all)", id)
}

// pointsSetDiscussed is "points done ID" and "points reopen ID": marks a
// point discussed, in the 1:1 agenda.DiscussedIn finds among the pair's
// begun ones (web.MarkDiscussed), or open again.
func pointsSetDiscussed(ctx context.Context, e *env, verb string, args []string, discussed bool) error {
	said := map[bool]string{true: "discussed", false: "reopened"}[discussed]
	return itemCommand{
		name: "points " + verb, usage: "want exactly one talking point ID (see points list)",
		daemon: func(ctx context.Context, cfg *config.Config, id string) (itemLine, error) {
			return daemonPoint(ctx, cfg, http.MethodPatch, id, map[string]bool{"discussed": discussed})
		},
		local: func(cfg *config.Config, st *store.Store, id string) (itemLine, bool, error) {
			p, ok, err := web.MarkDiscussed(st, id, discussed, time.Now())
			return pointLine(cfg, p), ok, err
		},
		missing: noPoint,
		say:     func(l itemLine) string { return fmt.Sprintf("talking point %s %s: %s", l.ID, said, l.Text) },
	}.run(ctx, e, args)
}

// pointsDelete is "points delete ID": deletes a stored point for good.
func pointsDelete(ctx context.Context, e *env, args []string) error {
	return itemCommand{
		name: "points delete", usage: "want exactly one talking point ID (see points list)",
		daemon: func(ctx context.Context, cfg *config.Config, id string) (itemLine, error) {
			return daemonPoint(ctx, cfg, http.MethodDelete, id, nil)
		},
		local: func(cfg *config.Config, st *store.Store, id string) (itemLine, bool, error) {
			p, ok, err := st.DeletePoint(id)
			return pointLine(cfg, p), ok, err
		},
		missing: noPoint,
		say: func(l itemLine) string {
			return fmt.Sprintf("deleted talking point %s for %s: %s", l.ID, l.With, l.Text)
		},
	}.run(ctx, e, args)
}

// pointLine is what a command says of a stored point.
func pointLine(cfg *config.Config, p agenda.Point) itemLine {
	return itemLine{p.ID, p.Pair.Other(cfg.Me()[0]), p.Text}
}

// daemonPoint sends method /api/points/{id} (with body, when not nil) to
// the daemon and returns the point it answers with; an unknown ID is
// noPoint's error.
func daemonPoint(ctx context.Context, cfg *config.Config, method, id string, body any) (itemLine, error) {
	var got itemLine
	err := newDaemonClient(cfg).sendJSON(ctx, method, "/api/points/"+url.PathEscape(id), body, &got)
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusNotFound {
		return got, noPoint(id)
	}
	return got, err
}
