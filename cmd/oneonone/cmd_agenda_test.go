package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"

	"github.com/emersion/go-webdav"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
)

// agendaConfig writes a config whose one CalDAV source is at srcURL (the
// host whose credentials documents there get), with extra appended.
func agendaConfig(t *testing.T, srcURL, extra string) (cfgPath, dir string) {
	t.Helper()
	dir = t.TempDir()
	t.Setenv("TEST_DOC_PASSWORD", "s3cret")
	cfg := `state = "` + filepath.Join(dir, "state.db") + `"
timezone = "Europe/Berlin"
[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
url = "` + srcURL + `"
username = "anna"
password_env = "TEST_DOC_PASSWORD"
` + extra
	cfgPath = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

// recorded is the pair's document as recorded in the state file.
func recorded(t *testing.T, dir, with string) (pairDocRecord, bool) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return recordedDoc(st, calendar.NewPair("anna@example.com", with))
}

// TestAgendaInitLocal: agenda init writes the template into a new file
// of a new folder (0700, 0600) and records it as the pair's document; a
// second run refuses, naming the file, and leaves it as it is.
func TestAgendaInitLocal(t *testing.T) {
	cfg, dir := agendaConfig(t, "https://cal.example.com/dav/", "")
	docs := filepath.Join(dir, "notes", "1on1")
	out := mustRun(t, "agenda", "init", "--config", cfg, "--with", "Carol.Jones+1on1@Example.com", "--dir", docs)
	path := filepath.Join(docs, "1on1-carol-jones-1on1-example-com.md")
	if !strings.Contains(out, path) || !strings.Contains(out, "recorded") {
		t.Errorf("stdout: %s", out)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := agenda.NewDoc("anna@example.com", "carol.jones+1on1@example.com"); string(got) != string(want) {
		t.Errorf("document\n%s\nwant\n%s", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v, %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(docs); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode: %v, %v", fi.Mode(), err)
	}
	if rec, ok := recorded(t, dir, "carol.jones+1on1@example.com"); !ok || rec.Doc != path || rec.Link != "" {
		t.Errorf("record %+v, %v", rec, ok)
	}

	// Edited since: a second run must not touch it.
	if err := os.WriteFile(path, []byte("- [ ] mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "agenda", "init", "--config", cfg, "--with", "carol.jones+1on1@example.com", "--dir", docs)
	if code != 1 || out != "" || !strings.Contains(errs, path+" exists already") {
		t.Errorf("second run: exit %d, %q, %q", code, out, errs)
	}
	if got, _ := os.ReadFile(path); string(got) != "- [ ] mine\n" {
		t.Errorf("second run changed the file: %q", got)
	}
}

// TestAgendaInitRefuses: mistakes on the command line exit 2 and write
// nothing: an address that cannot name a file safely, the user's own, no
// place or two; a config that names the pair's document already exits 1.
func TestAgendaInitRefuses(t *testing.T) {
	cfg, dir := agendaConfig(t, "https://cal.example.com/dav/", `[[agenda.pair]]
with = "bob@example.com"
doc = "/somewhere/bob.md"
`)
	docs := filepath.Join(dir, "docs")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--with", "../../etc/x@example.com", "--dir", docs}, 2, "--with"},
		{[]string{"--with", `a\b@example.com`, "--dir", docs}, 2, "--with"},
		{[]string{"--with", "carol:x@example.com", "--dir", docs}, 2, "--with"},
		{[]string{"--with", ".hidden@example.com", "--dir", docs}, 2, "--with"},
		{[]string{"--with", "çarol@example.com", "--dir", docs}, 2, "--with"},
		{[]string{"--with", "not an address", "--dir", docs}, 2, "--with"},
		{[]string{"--with", "anna@example.com", "--dir", docs}, 2, "--with"},
		{[]string{"--dir", docs}, 2, "--with"},
		{[]string{"--with", "carol@example.com"}, 2, "--dir"},
		{[]string{"--with", "carol@example.com", "--dir", docs, "--url", "https://dav.example.com/"}, 2, "--dir"},
		{[]string{"--with", "carol@example.com", "--url", "http://dav.example.com/notes/"}, 2, "loopback"},
		{[]string{"--with", "carol@example.com", "--url", "https://anna:pw@dav.example.com/"}, 2, "no credentials"},
		{[]string{"--with", "carol@example.com", "--url", "/notes/"}, 2, "--url"},
		{[]string{"--with", "carol@example.com", "--dir", docs, "--link", "javascript:alert(1)"}, 2, "--link"},
		{[]string{"--with", "bob@example.com", "--dir", docs}, 1, "/somewhere/bob.md"},
	} {
		code, out, errs := runCmd(t, append([]string{"agenda", "init", "--config", cfg}, c.args...)...)
		if code != c.code || out != "" || !strings.Contains(errs, c.msg) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, %q, %q; want %d naming %s", c.args, code, out, errs, c.code, c.msg)
		}
	}
	if _, err := os.Stat(docs); !os.IsNotExist(err) {
		t.Errorf("a refusal wrote %s: %v", docs, err)
	}
}

// davServer is a WebDAV server (go-webdav's, on a folder) that wants
// anna's credentials, and the If-None-Match of every PUT it saw.
func davServer(t *testing.T) (srv *httptest.Server, root string, puts func() []string) {
	t.Helper()
	root = t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "notes"), 0o700); err != nil {
		t.Fatal(err)
	}
	dav := &webdav.Handler{FileSystem: webdav.LocalFileSystem(root)}
	var mu gosync.Mutex
	var seen []string
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "anna" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPut {
			mu.Lock()
			seen = append(seen, r.Header.Get("If-None-Match"))
			mu.Unlock()
			// go-webdav v0.6.0's server does not honour If-None-Match
			// on PUT; servers do (RFC 9110 13.1.2), as this one then.
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(r.URL.Path))); err == nil && r.Header.Get("If-None-Match") == "*" {
				http.Error(w, "exists", http.StatusPreconditionFailed)
				return
			}
		}
		dav.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, root, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// TestAgendaInitWebDAV: agenda init puts the document into a WebDAV
// collection with the source's credentials and If-None-Match: * (201),
// records it with its URL as the link; a second run meets the file (412)
// and refuses, naming it; a missing collection is said so.
func TestAgendaInitWebDAV(t *testing.T) {
	srv, root, puts := davServer(t)
	cfg, dir := agendaConfig(t, srv.URL+"/dav/", "")
	out := mustRun(t, "agenda", "init", "--config", cfg, "--with", "carol@example.com", "--url", srv.URL+"/notes")
	want := srv.URL + "/notes/1on1-carol-example-com.md"
	if !strings.Contains(out, want) {
		t.Errorf("stdout: %s", out)
	}
	got, err := os.ReadFile(filepath.Join(root, "notes", "1on1-carol-example-com.md"))
	if err != nil || string(got) != string(agenda.NewDoc("anna@example.com", "carol@example.com")) {
		t.Fatalf("document on the server: %q, %v", got, err)
	}
	if rec, ok := recorded(t, dir, "carol@example.com"); !ok || rec.Doc != want || rec.Link != want {
		t.Errorf("record %+v, %v", rec, ok)
	}
	if err := os.WriteFile(filepath.Join(root, "notes", "1on1-carol-example-com.md"), []byte("edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "agenda", "init", "--config", cfg, "--with", "carol@example.com", "--url", srv.URL+"/notes/", "--link", "https://docs.example.com/carol")
	if code != 1 || !strings.Contains(errs, want+" exists already") {
		t.Errorf("second run: exit %d, %q", code, errs)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "notes", "1on1-carol-example-com.md")); string(got) != "edited\n" {
		t.Errorf("the second run overwrote the document: %q", got)
	}
	if rec, _ := recorded(t, dir, "carol@example.com"); rec.Link != want {
		t.Errorf("a refused run changed the record: %+v", rec)
	}
	code, _, errs = runCmd(t, "agenda", "init", "--config", cfg, "--with", "dana@example.com", "--url", srv.URL+"/missing/")
	if code != 1 || !strings.Contains(errs, "does the collection exist?") {
		t.Errorf("missing collection: exit %d, %q", code, errs)
	}
	if p := puts(); len(p) != 3 || p[0] != "*" || p[1] != "*" || p[2] != "*" {
		t.Errorf("PUTs with If-None-Match %q", p)
	}
}

// TestAgendaInitDaemon: with the state file held (by a daemon), agenda
// init writes the document, cannot record it, and says what to put into
// the config instead (exit 1).
func TestAgendaInitDaemon(t *testing.T) {
	cfg, dir := agendaConfig(t, "https://cal.example.com/dav/", "")
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, out, errs := runCmd(t, "agenda", "init", "--config", cfg, "--with", "carol@example.com", "--dir", dir)
	path := filepath.Join(dir, "1on1-carol-example-com.md")
	if code != 1 || !strings.Contains(out, path) || !strings.Contains(errs, "[[agenda.pair]]\nwith = \"carol@example.com\"\ndoc = \""+path+"\"\n") ||
		!strings.Contains(errs, "not recorded") {
		t.Errorf("exit %d, %q, %q", code, out, errs)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("document not written: %v", err)
	}
	if _, ok := recordedDoc(st, calendar.NewPair("anna@example.com", "carol@example.com")); ok {
		t.Error("recorded through a held state file")
	}
}

// TestAgendaInitFlow: the document agenda init records is the pair's
// from the next sync on: its link is in the pair's block and its items
// are the pair's actions and talking points; the config's own still win
// for bob.
func TestAgendaInitFlow(t *testing.T) {
	cfg, _, _ := userFlow(t)
	dana := "dana@example.com" // a pair whose block is written
	docs := t.TempDir()
	mustRun(t, "agenda", "init", "--config", cfg, "--with", dana, "--dir", docs, "--link", "https://docs.example.com/d/dana")
	path := filepath.Join(docs, docFileName(dana))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "- [ ] @dana: write the design doc\n"...)
	data = bytes.Replace(data, []byte("## Talking points\n"), []byte("## Talking points\n- [ ] @dana: the conference budget\n- [x] discussed last time\n"), 1)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "sync", "--config", cfg, "--dry-run")
	for _, want := range []string{
		"Agenda: https://docs.example.com/d/dana\n",
		"- [ ] " + dana + ": write the design doc",
		"Talking points:\n    - [ ] " + dana + ": the conference budget\n",
		"Agenda: https://docs.example.com/1on1/bob@example.com\n",
		"- [ ] bob@example.com: share the interview notes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the dry run:\n%s", want, out)
		}
	}
	if strings.Contains(out, "discussed last time") || strings.Contains(out, "- [ ] "+dana+": the conference budget (since") {
		t.Errorf("a ticked point shown, or a point as an action:\n%s", out)
	}
	if strings.Contains(out, "https://docs.example.com/1on1/"+dana) {
		t.Errorf("dana's block has the template's link:\n%s", out)
	}
}
