package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLIThroughDaemon runs the real binary: a daemon holds the state file,
// and report, series, actions add|list|done and sync, each its own
// process, do their job through the daemon's control socket.
func TestCLIThroughDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "oneonone")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg, dav, team := userFlow(t, `listen = "127.0.0.1:0"`)
	bob := team.People[0].Email
	// A short directory for the state file: a socket's path is at most
	// 108 bytes.
	dir, err := os.MkdirTemp("", "oo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	state := filepath.Join(dir, "state.db")
	setState(t, cfg, state)
	sock := state + ".sock"

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
	waitServing(t, out.String)
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i == 1000 {
			t.Fatalf("no control socket at %s; daemon's log:\n%s", sock, errs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode %v, want a socket with 0600", fi.Mode())
	}

	// The commands run where the daemon's password is not set (a shell,
	// with the secrets in the unit's environment file): they need none.
	var cliEnv []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEST_CALDAV_PASSWORD=") {
			cliEnv = append(cliEnv, kv)
		}
	}
	cli := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		c := exec.Command(bin, append(args, "--config", cfg)...)
		c.Env = cliEnv
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			t.Fatalf("oneonone %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}

	// sync: the daemon runs a cycle now; the summary line as sync prints it.
	got := cli("sync")
	if !strings.HasPrefix(got, "team: ") || !strings.Contains(got, " calendars, ") || !strings.Contains(got, "; blocks: ") || !strings.Contains(got, " already right") {
		t.Errorf("sync through the daemon printed:\n%s", got)
	}

	got = cli("report", "--format", "json")
	var rep struct {
		Pairs []struct {
			Counterpart string `json:"counterpart"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(got), &rep); err != nil {
		t.Fatalf("report --format json: %v\n%s", err, got)
	}
	found := false
	for _, p := range rep.Pairs {
		found = found || p.Counterpart == bob
	}
	if !found {
		t.Errorf("report has no pair with %s:\n%s", bob, got)
	}
	if got := cli("report", "--format", "markdown"); !strings.HasPrefix(got, "#") || !strings.Contains(got, bob) {
		t.Errorf("report --format markdown:\n%s", got)
	}

	// The roll-up through the daemon: anna's figures, no counterpart.
	if got := cli("report", "--rollup", "--format", "json"); !strings.Contains(got, `"person": "`) || strings.Contains(got, bob) {
		t.Errorf("report --rollup through the daemon:\n%s", got)
	}
	if got := cli("series"); !strings.Contains(got, bob) {
		t.Errorf("series does not list %s:\n%s", bob, got)
	}

	got = cli("actions", "add", "--with", bob, "send", "the", "draft")
	if !strings.HasPrefix(got, "added action 1 for "+bob+": send the draft") {
		t.Errorf("actions add: %q", got)
	}
	// A dry run through the daemon shows the block the new action
	// changes, and writes nothing: a second dry run shows it again.
	for range 2 {
		got = cli("sync", "--dry-run")
		if !strings.Contains(got, "would write team:") || !strings.Contains(got, "send the draft") || !strings.Contains(got, "would write, ") {
			t.Errorf("sync --dry-run through the daemon:\n%s", got)
		}
	}
	got = cli("actions", "list", "--with", bob, "--format", "json")
	var list []struct{ ID, Text, Origin string }
	if err := json.Unmarshal([]byte(got), &list); err != nil {
		t.Fatalf("actions list --format json: %v\n%s", err, got)
	}
	if len(list) != 2 || list[0].ID != "1" || list[0].Text != "send the draft" || list[1].Text != "share the interview notes" || list[1].Origin == "store" {
		t.Errorf("actions list = %+v, want the added one and the document's open item", list)
	}
	if got := cli("actions", "list"); !strings.Contains(got, "send the draft") || !strings.Contains(got, "share the interview notes") {
		t.Errorf("actions list (text):\n%s", got)
	}
	if got := cli("actions", "done", "1"); got != "action 1 done: send the draft\n" {
		t.Errorf("actions done: %q", got)
	}
	if got := cli("actions", "list"); strings.Contains(got, "send the draft") {
		t.Errorf("a done action is listed:\n%s", got)
	}

	// Edit and delete go through the daemon too, as does history.
	cli("actions", "add", "--with", bob, "book", "the", "room")
	if got := cli("actions", "edit", "2", "--text", "book the big room"); got != "edited action 2 for "+bob+": book the big room\n" {
		t.Errorf("actions edit: %q", got)
	}
	if got := cli("actions", "delete", "2"); got != "deleted action 2 for "+bob+": book the big room\n" {
		t.Errorf("actions delete: %q", got)
	}
	if got := cli("actions", "list"); strings.Contains(got, "big room") {
		t.Errorf("a deleted action is listed:\n%s", got)
	}
	if got := cli("history", "--with", bob, "--format", "csv"); !strings.HasPrefix(got, "series_id,") || strings.Count(got, "\n") < 3 {
		t.Errorf("history --format csv:\n%s", got)
	}

	// The daemon checks and backs up the file it holds.
	if got := cli("state", "check"); !strings.Contains(got, "is sound") {
		t.Errorf("state check:\n%s", got)
	}
	if got := strings.TrimSpace(cli("state", "backup")); !strings.HasSuffix(got, ".db") {
		t.Errorf("state backup: %q", got)
	} else if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state backup %s: %v %v", got, fi, err)
	}

	// A refused field names the flag, as without a daemon; exit 2.
	c := exec.Command(bin, "actions", "add", "--config", cfg, "--with", "nobody@example.com", "--due", "tomorrow", "x")
	var stderr bytes.Buffer
	c.Stderr = &stderr
	var ee *exec.ExitError
	if err := c.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "--due") {
		t.Errorf("actions add with a bad date: %v, %s", err, stderr.String())
	}

	// A counterpart of no known 1:1 is refused in the command line's
	// words, as without a daemon: --force, not the API's "force".
	c = exec.Command(bin, "actions", "add", "x", "--with", "nobody@example.com", "--config", cfg)
	stderr.Reset()
	c.Stderr = &stderr
	want := "oneonone actions: no 1:1 with nobody@example.com is known (see oneonone series); --force to keep the action anyway\n"
	if err := c.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || stderr.String() != want {
		t.Errorf("actions add for an unknown counterpart: %v, stderr %q, want exit 2 and %q", err, stderr.String(), want)
	}
	if got := cli("actions", "add", "x", "--with", "nobody@example.com", "--force"); got != "added action 3 for nobody@example.com: x\n" {
		t.Errorf("actions add --force through the daemon: %q", got)
	}

	if err := daemon.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("daemon exit: %v\n%s", err, errs.String())
	}
	exited <- nil // for the cleanup
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the control socket is still there after SIGTERM: %v", err)
	}

	// The server now refuses the daemon's password: sync through the
	// daemon says so in the line a sync of its own prints, naming the key
	// of the daemon's config that holds it, and exits 1.
	dav.SetBasicAuth("anna", "changed")
	var out2, errs2 lockedBuffer
	daemon2 := exec.Command(bin, "run", "--config", cfg)
	daemon2.Stdout, daemon2.Stderr = &out2, &errs2
	if err := daemon2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		daemon2.Process.Kill()
		daemon2.Wait()
	})
	waitServing(t, out2.String)
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i == 1000 {
			t.Fatalf("no control socket at %s; daemon's log:\n%s", sock, errs2.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, args := range [][]string{{"sync"}, {"sync", "--dry-run"}} {
		var stdout, stderr bytes.Buffer
		c := exec.Command(bin, append(args, "--config", cfg)...)
		c.Env = cliEnv
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		line := stderr.String()
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.HasPrefix(line, "oneonone sync: team: http://127.0.0.1:") ||
			!strings.HasSuffix(line, ": 401 Unauthorized for user anna: check password_env TEST_CALDAV_PASSWORD\n") || strings.Count(line, "\n") != 1 {
			t.Errorf("%s through the daemon, refused: %v\nstdout:\n%sstderr:\n%s", strings.Join(args, " "), err, stdout.String(), line)
		}
		if !strings.Contains(stdout.String(), "; failed: see stderr") {
			t.Errorf("%s through the daemon, refused: stdout:\n%s", strings.Join(args, " "), stdout.String())
		}
	}
}

// setState points the config file at path for its state file.
func setState(t *testing.T, cfgPath, path string) {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "state = ") {
			l = "state = " + strconv.Quote(path)
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A command asks the daemon first when its control socket answers, rather
// than waiting out the state file's lock before it does: here the socket
// answers and the file is free, and series prints the daemon's answer.
// A socket that nobody serves is passed over: the file is read.
func TestCommandAsksTheAnsweringDaemonFirst(t *testing.T) {
	cfg, _ := syncedState(t)
	dir, err := os.MkdirTemp("", "oo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	state := filepath.Join(dir, "state.db")
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, b, 0o600); err != nil {
		t.Fatal(err)
	}
	setState(t, cfg, state)

	// A socket file left by a daemon that is gone: the file is read.
	ln, err := net.Listen("unix", state+".sock")
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if code, out, errs := runCmd(t, "series", "--config", cfg); code != 0 || !strings.Contains(out, "figures as of") {
		t.Fatalf("series beside a dead socket: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	os.Remove(state + ".sock")

	ln, err = net.Listen("unix", state+".sock")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/series" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "the daemon's series\n")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	if code, out, errs := runCmd(t, "series", "--config", cfg); code != 0 || out != "the daemon's series\n" {
		t.Errorf("series with a daemon answering: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
