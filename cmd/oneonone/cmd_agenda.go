package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/config"
	"oneonone/store"
)

// cmdAgenda is "agenda init": a new agenda document of a pair.
func cmdAgenda(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want agenda init"}
	}
	switch args[0] {
	case "init":
		return agendaInit(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown agenda command %q (want init)", args[0])}
}

// pairDocRecord is what "agenda init" records of a pair's document in
// the state file (facts of store.FactsPairDoc, keyed by the pair): where
// the document is, and the link the block shows for it ("" for none).
type pairDocRecord struct {
	Doc  string `json:"doc"`
	Link string `json:"link,omitempty"`
}

// recordedDoc returns the pair's recorded document; ok is false when
// there is none, or when the record does not decode (it is then as good
// as none: the next agenda init replaces it).
func recordedDoc(st *store.Store, pair calendar.Pair) (rec pairDocRecord, ok bool) {
	if st == nil {
		return rec, false
	}
	b, ok, err := st.Facts(store.FactsPairDoc).Bytes(pair.String())
	if err != nil || !ok || json.Unmarshal(b, &rec) != nil || rec.Doc == "" {
		return pairDocRecord{}, false
	}
	return rec, true
}

// pairDoc returns a pair's agenda document: the config's ([[agenda.pair]]
// doc) when it names one, else the one agenda init recorded, else "".
func pairDoc(cfg *config.Config, st *store.Store, pair calendar.Pair) string {
	if doc := cfg.PairDoc(pair); doc != "" {
		return doc
	}
	rec, _ := recordedDoc(st, pair)
	return rec.Doc
}

// pairLink returns the link of a series' block: the config's own for the
// pair ([[agenda.pair]] link) when it names one, else the link agenda init
// recorded, else agenda.link's template (config.Config.AgendaLink).
func pairLink(cfg *config.Config, st *store.Store, s calendar.Series) (string, error) {
	if p, ok := cfg.Pair(s.Counterpart); !ok || p.Link == "" {
		if rec, ok := recordedDoc(st, s.Pair); ok && rec.Link != "" {
			return rec.Link, nil
		}
	}
	return cfg.AgendaLink(config.LinkData{Counterpart: s.Counterpart, CounterpartName: s.Name, Me: s.Me, Pair: s.Pair.String()})
}

// pairPoints returns a pair's talking points: the open ones, stored and
// of the "Talking points" section of its agenda document (pairDoc), then
// the stored discussed ones,
// for agenda.Blocks.Points.
func pairPoints(cfg *config.Config, st *store.Store) func(ctx context.Context, p calendar.Pair) ([]agenda.Point, error) {
	pts := agenda.Points{Store: st, Docs: agenda.DocReader{Credentials: cfg.DocCredentials}}
	return func(ctx context.Context, p calendar.Pair) ([]agenda.Point, error) {
		open, err := pts.Open(ctx, p, pairDoc(cfg, st, p))
		// The stored ones discussed too: agenda.Blocks keeps those
		// discussed since the pair's last 1:1 began, ticked, so that a box
		// unticked in the calendar can reopen them.
		stored, serr := st.Points(p)
		if serr != nil {
			return open, serr
		}
		for _, sp := range stored {
			if !sp.Open() {
				open = append(open, sp)
			}
		}
		return open, err
	}
}

// docFileName is the file name of the agenda document of the counterpart
// with (a normalized address): "1on1-" and the address with every run of
// characters other than letters and digits made one "-", ".md".
func docFileName(with string) string {
	var b strings.Builder
	dash := false
	for _, r := range with {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return "1on1-" + strings.TrimSuffix(b.String(), "-") + ".md"
}

// safeAddress says whether an address may name a file: ASCII letters,
// digits and the characters of an unquoted address (RFC 5322's atext and
// "."), no path separator, quote or colon, and a letter or digit in it.
func safeAddress(addr string) bool {
	alnum := false
	for _, r := range addr {
		switch {
		case ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9'):
			alnum = true
		case strings.ContainsRune("@.!#$%&'*+-=?^_`{|}~", r):
		default:
			return false
		}
	}
	return alnum && !strings.HasPrefix(addr, ".")
}

func agendaInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agenda init", "--with EMAIL [--dir DIR | --url WEBDAV_COLLECTION] [--link URL]")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	dir := fs.String("dir", "", "the folder to write the document in (made if needed)")
	collection := fs.String("url", "", "the WebDAV collection to write the document in (https, or http on loopback)")
	link := fs.String("link", "", "the link the block shows for the document (default: the document's URL with --url, none with --dir)")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	if (*dir == "") == (*collection == "") {
		return usageError{"want one of --dir DIR or --url WEBDAV_COLLECTION"}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	pair, err := agenda.PairWith(cfg.Me(), *with)
	if err != nil {
		return actionUsageError(err, map[string]string{agenda.FieldWith: "--with"})
	}
	w := pair.Other(calendar.NormalizeEmail(cfg.Me()[0]))
	if !safeAddress(w) {
		return usageError{fmt.Sprintf("--with: %q cannot name a file (want letters, digits and . _ + - only)", *with)}
	}
	if doc := cfg.PairDoc(pair); doc != "" {
		return fmt.Errorf("the config names the agenda document of %s already (agenda.pair doc = %q): nothing written", w, doc)
	}
	if *link != "" {
		if u, err := url.Parse(*link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageError{fmt.Sprintf("--link: want an http(s) URL, got %q", *link)}
		}
	}
	var target *url.URL
	if *collection != "" {
		if target, err = docURL(*collection, docFileName(w)); err != nil {
			return usageError{"--url: " + err.Error()}
		}
	}
	// The state file first: a daemon holding it cannot record the
	// document, which is said before the document is written.
	st, err := openStore(cfg.State, readWrite, e.warnRecord)
	daemon := inUse(cfg, err)
	if err != nil && !daemon {
		return err
	}
	if st != nil {
		defer st.Close()
		e.noteMigration(st)
	}
	data := agenda.NewDoc(cfg.Me()[0], w)
	var loc string
	if target != nil {
		if err := putDoc(ctx, cfg, target, data); err != nil {
			return err
		}
		loc = target.String()
		if *link == "" {
			*link = loc
		}
	} else {
		if loc, err = writeDocFile(*dir, docFileName(w), data); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "wrote the agenda document of %s: %s\n", w, loc)
	if daemon {
		// The daemon holds the state file: the record goes into the
		// config instead, which wins over a record anyway.
		entry := fmt.Sprintf("[[agenda.pair]]\nwith = %q\n", w)
		if _, ok := cfg.Pair(w); ok {
			entry = fmt.Sprintf("in the [[agenda.pair]] of %s:\n", w)
		}
		entry += fmt.Sprintf("doc = %q\n", loc)
		if *link != "" {
			entry += fmt.Sprintf("link = %q\n", *link)
		}
		fmt.Fprintf(e.stderr, "oneonone agenda: to use it, put into the config %s\n%s", config.ResolvePath(*cfgPath), entry)
		return fmt.Errorf("the daemon holds the state file %s: the document is written but not recorded as the pair's; put the lines above into the config and restart the daemon (or stop the daemon before agenda init)", cfg.State)
	}
	rec := pairDocRecord{Doc: loc, Link: *link}
	if old, ok := recordedDoc(st, pair); ok && old.Doc != loc {
		fmt.Fprintf(e.stderr, "oneonone agenda: %s replaces %s as the agenda document of %s\n", loc, old.Doc, w)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := st.Facts(store.FactsPairDoc).PutBytes(pair.String(), b); err != nil {
		return fmt.Errorf("record the agenda document: %w", err)
	}
	fmt.Fprintf(e.stdout, "recorded it as the agenda document of %s", w)
	if rec.Link != "" {
		fmt.Fprintf(e.stdout, ", linked as %s", rec.Link)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// writeDocFile writes a new document name in dir (made, 0700, if needed),
// never over a file: one there already is an error that names it. It
// returns the document's absolute path.
func writeDocFile(dir, name string, data []byte) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("make the folder of the agenda document: %w", err)
	}
	path := filepath.Join(abs, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s exists already: not overwritten", path)
	}
	if err != nil {
		return "", fmt.Errorf("write the agenda document: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("write the agenda document %s: %w", path, err)
	}
	return path, nil
}

// docURL is the URL of the document name in the WebDAV collection c: an
// absolute https URL, or an http one of a loopback host, without
// credentials, query or fragment.
func docURL(c, name string) (*url.URL, error) {
	u, err := url.Parse(c)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return nil, fmt.Errorf("want the https URL of a WebDAV collection, got %q", c)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return nil, fmt.Errorf("%s: http only to a loopback host; use https", redactedURL(u.String()))
	case u.User != nil:
		return nil, fmt.Errorf("%s: no credentials in the URL (they come from the config's CalDAV source on that host)", redactedURL(u.String()))
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s: no query or fragment", u)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return u.JoinPath(name), nil
}

// loopbackHost says whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// putDoc creates the document at u with a PUT that never overwrites
// (If-None-Match: *), with the credentials the config lends documents on
// that host (config.Config.DocCredentials). A redirect is not followed.
func putDoc(ctx context.Context, cfg *config.Config, u *url.URL, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("If-None-Match", "*")
	req.Header.Set("Content-Type", "text/markdown; charset=utf-8")
	if user, pass, ok := cfg.DocCredentials(u); ok {
		req.SetBasicAuth(user, pass)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("write the agenda document %s: %w", u, unwrapURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%s exists already: not overwritten", u)
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("write the agenda document %s: %s (does the collection exist?)", u, resp.Status)
	}
	return fmt.Errorf("write the agenda document %s: %s", u, resp.Status)
}
