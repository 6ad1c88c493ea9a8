package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/config"
)

// cmdShare is "share link|revoke|rotate": the links of the pairs' shared
// pages (docs/DESIGN.md, "The shared page"). While the daemon holds the
// state file, it goes through the daemon's control socket (/api/share/…).
func cmdShare(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want share link, revoke or rotate"}
	}
	switch args[0] {
	case "link", "revoke":
		return shareWith(ctx, e, args[0], args[1:])
	case "rotate":
		return shareRotate(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown share command %q (want link, revoke or rotate)", args[0])}
}

// sharePairOf is the pair of --with, checked as the daemon does.
func sharePairOf(cfg *config.Config, with string) (calendar.Pair, error) {
	addr := calendar.NormalizeEmail(with)
	if addr == "" || !strings.Contains(addr, "@") {
		return calendar.Pair{}, usageError{"--with: want the counterpart's address"}
	}
	if slices.ContainsFunc(cfg.Me(), func(m string) bool { return calendar.NormalizeEmail(m) == addr }) {
		return calendar.Pair{}, usageError{"--with: that is your own address"}
	}
	return calendar.NewPair(cfg.Me()[0], addr), nil
}

func noPublicURL() error {
	return errors.New("no shared pages: set web.public_url (where the counterpart reaches the web face) in the config")
}

// shareWith is "share link --with EMAIL" and "share revoke --with EMAIL".
func shareWith(ctx context.Context, e *env, verb string, args []string) error {
	fs := newFlags(e, "share "+verb, "--with EMAIL")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, err := loadConfigNoSecrets(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	if cfg.Web.PublicURL == "" {
		return noPublicURL()
	}
	p, err := sharePairOf(cfg, *with)
	if err != nil {
		return err
	}
	counterpart := p.Other(cfg.Me()[0])
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	if inUse(cfg, err) {
		c := newDaemonClient(cfg)
		if verb == "link" {
			var got struct {
				Link    string    `json:"link"`
				Expires time.Time `json:"expires"`
			}
			if err := c.getJSON(ctx, "/api/share/link?"+url.Values{"with": {counterpart}}.Encode(), &got); err != nil {
				return err
			}
			printShareLink(e, counterpart, got.Link, got.Expires, cfg.Location())
			return nil
		}
		var got struct {
			RevokedBefore time.Time `json:"revoked_before"`
		}
		if err := c.sendJSON(ctx, http.MethodPost, "/api/share/revoke", map[string]string{"with": counterpart}, &got); err != nil {
			return err
		}
		printRevoked(e, counterpart, got.RevokedBefore, cfg.Location())
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	e.noteMigration(st)
	links := shareLinks(cfg, st)
	if verb == "link" {
		known, err := st.KnowsCounterpart(counterpart)
		if err != nil {
			return err
		}
		if !known {
			return fmt.Errorf("no 1:1 with %s is known", counterpart)
		}
		link, exp, err := links.NewLink(p)
		if err != nil {
			return err
		}
		printShareLink(e, counterpart, link, exp, cfg.Location())
		return nil
	}
	rb, err := links.Revoke(p)
	if err != nil {
		return err
	}
	printRevoked(e, counterpart, rb, cfg.Location())
	return nil
}

func printShareLink(e *env, with, link string, exp time.Time, loc *time.Location) {
	fmt.Fprintln(e.stdout, link)
	fmt.Fprintf(e.stderr, "oneonone share: the shared page of %s, valid until %s; the same link is in the agenda block of each upcoming 1:1\n",
		with, exp.In(loc).Format("2006-01-02 15:04 MST"))
}

func printRevoked(e *env, with string, rb time.Time, loc *time.Location) {
	fmt.Fprintf(e.stdout, "revoked every shared link of %s issued before %s; the next sync writes a new one into the blocks\n",
		with, rb.In(loc).Format("2006-01-02 15:04:05 MST"))
}

// shareRotate is "share rotate": a new signing key; every link made so
// far is refused.
func shareRotate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "share rotate", "")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, err := loadConfigNoSecrets(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	if cfg.Web.PublicURL == "" {
		return noPublicURL()
	}
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	var kid uint64
	switch {
	case inUse(cfg, err):
		var got struct {
			Key uint64 `json:"key"`
		}
		if err := newDaemonClient(cfg).sendJSON(ctx, http.MethodPost, "/api/share/rotate", map[string]string{}, &got); err != nil {
			return err
		}
		kid = got.Key
	case err != nil:
		return err
	default:
		defer st.Close()
		e.noteMigration(st)
		if kid, err = shareLinks(cfg, st).Rotate(); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "new share key %d: every shared link made so far is refused; the next sync writes new ones into the blocks\n", kid)
	return nil
}
