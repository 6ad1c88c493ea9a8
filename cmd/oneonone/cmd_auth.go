package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"oneonone/calendar/google/oauth"
	"oneonone/config"
)

// authStdin is where "auth google --no-browser" reads the pasted address
// (a variable for the tests).
var authStdin io.Reader = os.Stdin

// cmdAuth is "auth google --source NAME": the installed-app OAuth flow for
// a Google source, saving its token (mode 0600) where the source expects it.
// --port fixes the loopback port (for an SSH tunnel from the machine with
// the browser); --no-browser is the flow for a machine the browser cannot
// reach: the address the browser is redirected to is pasted on stdin.
func cmdAuth(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "google" {
		return usageError{`want "auth google --source NAME"`}
	}
	fs := newFlags(e, "auth google", "--source NAME [--config PATH] [--no-browser] [--port N]")
	cfgPath := fs.String("config", "", "config file")
	name := fs.String("source", "", "the Google source to authorize (required)")
	noBrowser := fs.Bool("no-browser", false, "for a machine without a browser: open the printed address elsewhere and paste back the address the browser is sent to")
	port := fs.Int("port", 0, "the loopback port of the redirect (default: a free one); fix it for an SSH tunnel, ssh -L PORT:127.0.0.1:PORT")
	if err := fs.parse(args[1:], false); err != nil {
		return err
	}
	if *name == "" {
		return usageError{"--source: want the name of a google source"}
	}
	if *port < 0 || *port > 65535 {
		return usageError{fmt.Sprintf("--port: want 1 to 65535, got %d", *port)}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	sc, ok := cfg.Source(*name)
	switch {
	case !ok:
		return fmt.Errorf("no source named %q in the config", *name)
	case sc.Kind != config.KindGoogle:
		return fmt.Errorf("source %s is a %s source, not google", sc.Name, sc.Kind)
	case sc.ServiceAccount != "":
		return fmt.Errorf("source %s uses a service account: it needs no authorization step", sc.Name)
	case sc.ClientSecrets == "":
		return fmt.Errorf("source %s has no client_secrets: set it to the OAuth client file of a Desktop app", sc.Name)
	}
	conf, err := oauth.LoadClientSecrets(sc.ClientSecrets, oauth.ScopeFor(sc.Calendar, cfg.Me()))
	if err != nil {
		return err
	}
	opt := oauth.LoginOptions{Out: e.stdout, Port: *port}
	if *noBrowser {
		opt.Paste = authStdin
	}
	tok, err := oauth.LoginWith(ctx, conf, opt)
	if err != nil {
		return err
	}
	if err := oauth.SaveToken(sc.Token, tok); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Authorized. The token for source %s is saved in %s (mode 0600); oneonone refreshes it by itself.\n", sc.Name, sc.Token)
	return nil
}
