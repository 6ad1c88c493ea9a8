package main

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/store"
	"oneonone/web"
)

const sharePublic = "https://share.example.com"

// withPublicURL adds web.public_url to a config file.
func withPublicURL(t *testing.T, cfgPath string) {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "\n[web]\npublic_url = \""+sharePublic+"\"\n"...)
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// verifyShare checks a link against the state file, opened for it.
func verifyShare(t *testing.T, state, link string) error {
	t.Helper()
	st, err := store.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, ok := strings.CutPrefix(strings.TrimSpace(link), sharePublic+"/s/")
	if !ok {
		t.Fatalf("link %q is not under %s/s/", link, sharePublic)
	}
	_, err = (&web.ShareLinks{Store: st, PublicURL: sharePublic}).Verify(tok)
	return err
}

// TestShareCommands: share link, revoke and rotate on the state file;
// refused without web.public_url and for an unknown counterpart.
func TestShareCommands(t *testing.T) {
	cfg, dav, team := userFlow(t)
	bob := team.People[0].Email
	mustRun(t, "sync", "--config", cfg)
	code, _, errs := runCmd(t, "share", "link", "--config", cfg, "--with", bob)
	if code != 1 || !strings.Contains(errs, "web.public_url") {
		t.Errorf("without public_url: exit %d, %q", code, errs)
	}
	withPublicURL(t, cfg)
	state := filepath.Join(filepath.Dir(cfg), "state.db")

	link := mustRun(t, "share", "link", "--config", cfg, "--with", strings.ToUpper(bob))
	if err := verifyShare(t, state, link); err != nil {
		t.Fatalf("share link printed %q: %v", link, err)
	}
	if again := mustRun(t, "share", "link", "--config", cfg, "--with", bob); again != link {
		t.Errorf("a second share link: %q, want the same %q", again, link)
	}
	// The next sync writes the same link into the blocks of bob's 1:1s.
	mustRun(t, "sync", "--config", cfg)
	found := false
	for _, obj := range team.Objects {
		data, _, _ := dav.Object("/anna/calendars/" + obj.Calendar + "/" + obj.Name)
		found = found || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n "), nil), []byte("Add talking points: "+strings.TrimSpace(link)))
	}
	if !found {
		t.Errorf("no block carries the link %s", link)
	}
	if code, _, errs := runCmd(t, "share", "link", "--config", cfg, "--with", "nobody@example.com"); code != 1 || !strings.Contains(errs, "no 1:1 with nobody@example.com") {
		t.Errorf("unknown counterpart: exit %d, %q", code, errs)
	}
	if code, _, _ := runCmd(t, "share", "link", "--config", cfg); code != 2 {
		t.Errorf("without --with: exit %d, want 2", code)
	}
	if code, _, _ := runCmd(t, "share", "nothing", "--config", cfg); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}

	if out := mustRun(t, "share", "revoke", "--config", cfg, "--with", bob); !strings.HasPrefix(out, "revoked every shared link of "+bob) {
		t.Errorf("share revoke: %q", out)
	}
	if err := verifyShare(t, state, link); !errors.Is(err, web.ErrShareRevoked) {
		t.Errorf("after revoke: %v", err)
	}
	fresh := mustRun(t, "share", "link", "--config", cfg, "--with", bob)
	if fresh == link || verifyShare(t, state, fresh) != nil {
		t.Errorf("the link after revoke: %q", fresh)
	}
	if out := mustRun(t, "share", "rotate", "--config", cfg); !strings.HasPrefix(out, "new share key 2:") {
		t.Errorf("share rotate: %q", out)
	}
	if err := verifyShare(t, state, fresh); !errors.Is(err, web.ErrShareSignature) {
		t.Errorf("after rotate: %v", err)
	}
	if out := mustRun(t, "share", "--help"); !strings.Contains(out, "rotate") {
		t.Errorf("share --help: %q", out)
	}
}

// TestShareThroughDaemon: with the daemon holding the state file, share
// link, revoke and rotate go through its control socket, and the link
// opens the shared page on the daemon's web face.
func TestShareThroughDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "oneonone")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg, _, team := userFlow(t, `listen = "127.0.0.1:0"`)
	withPublicURL(t, cfg)
	bob := team.People[0].Email
	dir, err := os.MkdirTemp("", "oo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	state := filepath.Join(dir, "state.db")
	setState(t, cfg, state)

	var out, errs lockedBuffer
	daemon := exec.Command(bin, "run", "--config", cfg)
	daemon.Stdout, daemon.Stderr = &out, &errs
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()
	t.Cleanup(func() {
		daemon.Process.Kill()
		<-exited
	})
	base := waitServing(t, out.String)
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", state+".sock"); err == nil {
			c.Close()
			break
		}
		if i == 1000 {
			t.Fatalf("no control socket; daemon's log:\n%s", errs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cli := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		c := exec.Command(bin, append(args, "--config", cfg)...)
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			t.Fatalf("oneonone %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	// The first cycle makes the series known.
	cli("sync")
	link := strings.TrimSpace(cli("share", "link", "--with", bob))
	tok, ok := strings.CutPrefix(link, sharePublic+"/s/")
	if !ok {
		t.Fatalf("share link through the daemon: %q", link)
	}
	get := func(tok string) int {
		t.Helper()
		resp, err := http.Get(base + "s/" + tok)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(tok); code != http.StatusOK {
		t.Errorf("the shared page on the daemon: %d", code)
	}
	if got := cli("share", "revoke", "--with", bob); !strings.HasPrefix(got, "revoked every shared link of "+bob) {
		t.Errorf("share revoke through the daemon: %q", got)
	}
	if code := get(tok); code != http.StatusForbidden {
		t.Errorf("the revoked page: %d, want 403", code)
	}
	tok2 := strings.TrimPrefix(strings.TrimSpace(cli("share", "link", "--with", bob)), sharePublic+"/s/")
	if got := cli("share", "rotate"); !strings.HasPrefix(got, "new share key 2:") {
		t.Errorf("share rotate through the daemon: %q", got)
	}
	if code := get(tok2); code != http.StatusForbidden {
		t.Errorf("the page after rotate: %d, want 403", code)
	}
}
