package main

import (
	"context"
	"fmt"

	"oneonone/config"
	"oneonone/store"
)

// itemLine is what a command on one stored action or talking point says
// of it: its ID, the counterpart and its text.
type itemLine struct{ ID, With, Text string }

// itemCommand is a command on one stored action or talking point by its
// ID ("actions done 3", "points delete p2"): through the daemon's API
// when the daemon holds the state file, else on the store itself; either
// way it prints one line saying what became of the item.
type itemCommand struct {
	name  string // "actions done"
	usage string // the refusal of anything but one ID
	// daemon does it through the daemon; an unknown ID is its error.
	daemon func(ctx context.Context, cfg *config.Config, id string) (itemLine, error)
	// local does it on the store; ok is false when there is no such item.
	local   func(cfg *config.Config, st *store.Store, id string) (l itemLine, ok bool, err error)
	missing func(id string) error // the error of an unknown ID
	say     func(itemLine) string // the line printed
}

func (c itemCommand) run(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, c.name, "ID")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{c.usage}
	}
	id := fs.Arg(0)
	cfg, st, err := openState(e, *cfgPath, readWrite)
	var l itemLine
	switch {
	case inUse(cfg, err):
		warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
		if l, err = c.daemon(ctx, cfg, id); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer st.Close()
		warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
		var ok bool
		if l, ok, err = c.local(cfg, st, id); err != nil {
			return err
		}
		if !ok {
			return c.missing(id)
		}
	}
	fmt.Fprintln(e.stdout, c.say(l))
	return nil
}
