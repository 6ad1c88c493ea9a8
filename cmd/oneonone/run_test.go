package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
	"oneonone/store"
)

// TestMain lets a test run the real binary's main in a child process, so
// that real signals can be sent to it.
func TestMain(m *testing.M) {
	if os.Getenv("ONEONONE_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// lockedBuffer is an io.Writer safe for a daemon goroutine and the test.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingRE = regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+/)`)

// waitServing returns the daemon's base URL once it says it serves.
func waitServing(t *testing.T, out func() string) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if m := servingRE.FindStringSubmatch(out()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the daemon never said it serves; output:\n%s", out())
	return ""
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// TestRunDaemon: the daemon syncs the in-process CalDAV server, a change in
// the calendar shows in /api/report after POST /api/sync, and it stops
// cleanly when its context ends.
func TestRunDaemon(t *testing.T) {
	cfg, dav, team := userFlow(t, `listen = "127.0.0.1:0"`)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &out, &errs) }()
	base := waitServing(t, out.String)

	loc, _ := time.LoadLocation("Europe/Berlin")
	week := report.LastFullWeek(time.Now(), loc).String()
	var rep struct {
		Pairs []struct {
			Counterpart string `json:"counterpart"`
			Occurrences []struct {
				OriginalStart string `json:"original_start"`
				State         string `json:"state"`
			} `json:"occurrences"`
		} `json:"pairs"`
	}
	// The first cycle runs at start; wait until the report has Bob's week.
	bob := team.People[0].Email
	var held string
	for i := 0; i < 500 && held == ""; i++ {
		if getJSON(t, base+"api/report?week="+week, &rep) == http.StatusOK {
			for _, p := range rep.Pairs {
				for _, o := range p.Occurrences {
					if p.Counterpart == bob && o.State == string(calendar.StateHeld) {
						held = o.OriginalStart
					}
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if held == "" {
		t.Fatalf("no held 1:1 with %s in %s; stderr:\n%s", bob, week, errs.String())
	}

	// Cancel that occurrence in the calendar, as a client would: an EXDATE.
	var href string
	for _, s := range team.Series {
		if s.Counterpart == bob {
			href = "/anna/calendars/" + "work/" + s.UID + ".ics"
		}
	}
	data, _, ok := dav.Object(href)
	if !ok {
		t.Fatalf("no object %s", href)
	}
	orig, _ := time.Parse(time.RFC3339, held)
	exdate := "EXDATE;TZID=Europe/Berlin:" + orig.In(loc).Format("20060102T150405") + "\r\n"
	// (the VTIMEZONE has RRULEs too: put it before the event's own)
	changed := strings.Replace(string(data), "\r\nRRULE:FREQ=WEEKLY", "\r\n"+strings.TrimSuffix(exdate, "\r\n")+"\r\nRRULE:FREQ=WEEKLY", 1)
	if changed == string(data) {
		t.Fatalf("no weekly RRULE in %s", href)
	}
	if _, _, err := dav.PutObject("/anna/calendars/work/", filepath.Base(href), []byte(changed)); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodPost, base+"api/sync", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/sync: %d %s", resp.StatusCode, body)
	}
	getJSON(t, base+"api/report?week="+week, &rep)
	state := ""
	for _, p := range rep.Pairs {
		for _, o := range p.Occurrences {
			if p.Counterpart == bob && o.OriginalStart == held {
				state = o.State
			}
		}
	}
	if state != string(calendar.StateSkipped) {
		t.Fatalf("after the EXDATE and POST /api/sync, %s is %q, want skipped", held, state)
	}
	if code := getJSON(t, base+"healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	// No token: a name rebound to 127.0.0.1 is refused, a read and a write.
	wantRebindRefused(t, base)

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d: %s", code, errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	if !strings.Contains(errs.String(), "stopped") {
		t.Errorf("no orderly stop in the log:\n%s", errs.String())
	}
	// One backup for the day, whatever the number of cycles.
	backups, err := store.Backups(filepath.Join(filepath.Dir(cfg), "state.db"))
	if err != nil || len(backups) != 1 || strings.Count(errs.String(), "state backed up") != 1 {
		t.Errorf("backups %q, %v; log:\n%s", backups, err, errs.String())
	}
}

func TestRunRefusesPublicListenWithoutToken(t *testing.T) {
	cfg, _, _ := userFlow(t, `listen = "0.0.0.0:0"`)
	code, _, errs := runCmd(t, "run", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "web.token") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q; want 1 and one line naming web.token", code, errs)
	}
}

// TestRunSignals sends real signals to a daemon in a child process: SIGHUP
// with a broken config keeps the running one, SIGHUP with a good config
// reloads it, SIGTERM stops it in order and releases the state file.
func TestRunSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cfg, _, _ := userFlow(t, `listen = "127.0.0.1:0"`)
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "run", "--config", cfg)
	cmd.Env = append(os.Environ(), "ONEONONE_TEST_MAIN=1")
	var errs lockedBuffer
	cmd.Stderr = &errs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var out lockedBuffer
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(&out, sc.Text())
		}
	}()
	base := waitServing(t, out.String)
	waitLog := func(what string) {
		t.Helper()
		for i := 0; i < 1500; i++ {
			if strings.Contains(errs.String(), what) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no %q in the log:\n%s", what, errs.String())
	}

	if err := os.WriteFile(cfg, append(good, []byte("\nintervall = \"5m\"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("config reload rejected")
	if code := getJSON(t, base+"healthz", nil); code != http.StatusOK && code != http.StatusServiceUnavailable {
		t.Fatalf("the daemon stopped serving after a rejected reload: %d", code)
	}

	fixed := strings.Replace(string(good), `timezone = "Europe/Berlin"`, `timezone = "Europe/Berlin"`+"\ninterval = \"10m\"", 1)
	if err := os.WriteFile(cfg, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("config reloaded")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	waitLog("stopped")
	// The state file is free again: sync can open it at once.
	if code, _, stderr := runCmd(t, "series", "--config", cfg); code != 0 {
		t.Fatalf("state file still held after stop: %s", stderr)
	}
}

// wantRebindRefused checks that the web face at base (no token) refuses a
// request whose Host is a rebound name, as a page of that name would send
// it after DNS rebinding, and still answers its own address.
func wantRebindRefused(t *testing.T, base string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	evil := "rebind.evil.example:" + u.Port()
	for _, tt := range []struct{ method, path, body string }{
		{http.MethodGet, "api/report", ""},
		{http.MethodGet, "healthz", ""},
		{http.MethodPost, "api/actions", `{"with":"bob@example.com","text":"from a rebound page"}`},
	} {
		req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
		req.Host = evil
		req.Header.Set("Origin", "http://"+evil)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(string(body), "http://127.0.0.1:"+u.Port()+"/") {
			t.Errorf("%s /%s with Host %s: %d %s, want 421 naming http://127.0.0.1:%s/", tt.method, tt.path, evil, resp.StatusCode, body, u.Port())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"api/series", nil)
	req.Host = "localhost:" + u.Port()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/series with Host localhost: %d, want 200", resp.StatusCode)
	}
}
