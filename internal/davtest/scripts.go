package davtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// sabre/dav and Cyrus are started by the scripts of the shared servers
// folder (README.md there): `<script> start DIR` brings the server up on a
// free loopback port with the users anna and zoe and writes DIR/env,
// `<script> stop DIR` stops it. The folder is $ONEONONE_SERVERS, else
// ../shared/servers beside the module root (make test sets the variable).

// scriptServer is what a server started by a script needs for its logs and
// for stopping it.
type scriptServer struct {
	kind   string // "sabre" or "cyrus"
	script string
	dir    string
	env    map[string]string
	out    string // the start script's own output
	seq    atomic.Int64
}

// serversDir finds the shared servers folder, or skips (fails under CI).
func serversDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("ONEONONE_SERVERS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "servers")
		}
		if filepath.Dir(d) == d {
			missing(t, fmt.Sprintf("no go.mod above %s, so no ../shared/servers: set ONEONONE_SERVERS", wd))
			return ""
		}
	}
}

// missing skips the test, or fails it when CI is set.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func lookScript(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(serversDir(t), rel)
	if _, err := os.Stat(p); err != nil {
		missing(t, fmt.Sprintf("%s not found (set ONEONONE_SERVERS to the shared servers folder, or run make test, which sets it): %v", rel, err))
	}
	return p
}

// StartSabre starts sabre/dav 4.7 (Nextcloud's and Baikal's CalDAV engine,
// with implicit scheduling) under `php -S` with sabre/sabre.sh. URL is its
// DAV base ".../remote.php/dav/", CalendarURL anna's calendar
// ".../calendars/anna/personal/". Every iTIP message it would send is
// logged (SchedulingMessages), and every request (Requests).
func StartSabre(t testing.TB) *Server {
	t.Helper()
	script := lookScript(t, "sabre/sabre.sh")
	for _, bin := range []string{"php", "sqlite3", "curl", "python3"} {
		lookBinary(t, bin)
	}
	return startScript(t, "sabre", script, func(t testing.TB) string {
		return t.TempDir()
	})
}

// StartCyrus starts Cyrus IMAP 3.6's httpd with CalDAV and scheduling on
// (Fastmail's engine) with cyrus/cyrus.sh. It must run as root: the server
// runs as the cyrus user in a folder under os.TempDir() made for it. URL
// is its DAV base ".../dav/", CalendarURL anna's calendar
// ".../dav/calendars/user/anna/Default/". Every iMIP message it would mail
// is logged (SchedulingMessages), and anna's requests (Requests).
func StartCyrus(t testing.TB) *Server {
	t.Helper()
	script := lookScript(t, "cyrus/cyrus.sh")
	for _, bin := range []string{"cyradm", "saslpasswd2", "curl", "python3"} {
		lookBinary(t, bin)
	}
	if _, err := os.Stat("/usr/lib/cyrus/bin/master"); err != nil {
		missing(t, "cyrus-imapd not installed (/usr/lib/cyrus/bin/master): run make test, which installs it")
	}
	if os.Geteuid() != 0 {
		missing(t, "the Cyrus test server must be started as root (cyrus.sh hands its folder to the cyrus user)")
	}
	return startScript(t, "cyrus", script, func(t testing.TB) string {
		// The cyrus user must traverse DIR and every folder above it: not
		// t.TempDir(), which is 0700.
		dir, err := os.MkdirTemp(os.TempDir(), "oneonone-cyrus-")
		if err != nil {
			t.Fatalf("cyrus: make its folder: %v", err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatalf("cyrus: chmod its folder: %v", err)
		}
		return dir
	})
}

// scriptTimeout bounds one run of a start or stop script.
const scriptTimeout = 2 * time.Minute

func startScript(t testing.TB, kind, script string, newDir func(testing.TB) string) *Server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		dir := newDir(t)
		ss := &scriptServer{kind: kind, script: script, dir: dir}
		out, err := runScript(script, "start", dir)
		ss.out = out
		// Whatever happened, stop what may have started. Registered after
		// newDir's cleanup, so it runs before the folder is removed.
		t.Cleanup(ss.stop)
		if err != nil {
			lastErr = fmt.Errorf("%s start: %v\n%s", filepath.Base(script), err, out)
			ss.stop()
			continue
		}
		s, err := ss.server()
		if err == nil {
			err = s.waitAnswer()
		}
		if err != nil {
			lastErr = err
			t.Logf("%s did not come up (%v); output:\n%s", kind, err, ss.output())
			ss.stop()
			continue
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s output:\n%s", kind, ss.output())
			}
		})
		return s
	}
	t.Fatalf("%s: could not start: %v", kind, lastErr)
	return nil
}

func runScript(script string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	f, err := os.CreateTemp("", "davtest-script-*.log")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.CommandContext(ctx, script, args...)
	// A file, not a pipe: the servers the script leaves running must not
	// hold our end open.
	cmd.Stdout, cmd.Stderr = f, f
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	b, _ := os.ReadFile(f.Name())
	return string(b), err
}

// server reads DIR/env.
func (ss *scriptServer) server() (*Server, error) {
	f, err := os.Open(filepath.Join(ss.dir, "env"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{"BASE", "ROOT", "CAL", "USER", "PASS", "PID", "ITIP", "LOG"} {
		if env[k] == "" {
			return nil, fmt.Errorf("%s/env has no %s", ss.dir, k)
		}
	}
	ss.env = env
	cal, err := url.Parse(env["CAL"])
	if err != nil {
		return nil, fmt.Errorf("%s/env: CAL: %v", ss.dir, err)
	}
	return &Server{
		Name: ss.kind, URL: env["BASE"], Root: env["ROOT"],
		Username: env["USER"], Password: env["PASS"],
		CalendarURL: env["CAL"], CalendarPath: cal.Path,
		Username2: env["USER2"], Password2: env["PASS2"], CalendarURL2: env["CAL2"],
		script: ss,
	}, nil
}

// waitAnswer waits until the calendar answers an authenticated PROPFIND,
// so that another process on a reused port does not count (and Cyrus has
// made the calendar, which it does on first use).
func (s *Server) waitAnswer() error {
	deadline := time.Now().Add(startupTimeout)
	body := `<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>`
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := s.Do(ctx, "PROPFIND", s.CalendarURL, body, http.Header{"Depth": {"0"}})
		cancel()
		if err == nil && resp.StatusCode == http.StatusMultiStatus {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = resp.Status
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("PROPFIND %s: no 207 within %s (last: %s)", s.CalendarURL, startupTimeout, last)
}

// output is the start script's output and the server's log.
func (ss *scriptServer) output() string {
	var b strings.Builder
	b.WriteString(ss.out)
	log := filepath.Join(ss.dir, "access.log")
	if ss.kind == "cyrus" {
		log = filepath.Join(ss.dir, "master.log")
	}
	if data, err := os.ReadFile(log); err == nil {
		fmt.Fprintf(&b, "--- %s\n%s", log, data)
	}
	return b.String()
}

// stop runs the stop script, then makes sure that the server's processes
// are gone: the PID of DIR/env, and every process whose command line names
// DIR (Cyrus's master spawns httpd, imapd, notifyd and the fake sendmail,
// all with DIR in their arguments). Only those are signalled.
func (ss *scriptServer) stop() {
	if _, err := os.Stat(ss.dir); err != nil {
		return
	}
	// The PID files, read before the stop script removes them, in case
	// the start script failed before it wrote DIR/env.
	ids := []string{ss.env["PID"]}
	for _, f := range []string{"pid", "master.pid"} {
		if b, err := os.ReadFile(filepath.Join(ss.dir, f)); err == nil {
			ids = append(ids, strings.TrimSpace(string(b)))
		}
	}
	_, _ = runScript(ss.script, "stop", ss.dir)
	var pids []int
	for _, id := range ids {
		if pid, err := strconv.Atoi(id); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		alive := livePIDs(append(pids, pidsNaming(ss.dir)...))
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range alive {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return
		}
		if time.Until(deadline) < 4*time.Second {
			for _, pid := range alive {
				_ = syscall.Kill(pid, syscall.SIGTERM)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pidsNaming returns the processes whose command line contains s.
func pidsNaming(s string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(cmdline), s) {
			out = append(out, pid)
		}
	}
	return out
}

// livePIDs returns those of pids that still run (a zombie does not).
func livePIDs(pids []int) []int {
	var out []int
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ...: comm may hold spaces and parentheses.
		rest := string(stat)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 && i+2 < len(rest) {
			if st := rest[i+2]; st == 'Z' || st == 'X' {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}

// barrierMark is in the UID of the messages SchedulingMessages makes itself.
const barrierMark = "davtest-barrier"

// SchedulingMessages returns the scheduling messages the server has logged
// so far, one text each (sabre: a JSON line of DIR/itip.log per iTIP
// message; Cyrus: a "== sendmail …" line and its JSON per iMIP message of
// DIR/imip.log); nil for a server without implicit scheduling (Radicale,
// Xandikos). Both servers log a message for every attendee it would reach,
// local (zoe) or external.
//
// Cyrus logs through notifyd, after the PUT has been answered. So first zoe
// PUTs an event of her own with an external attendee, without the headers
// that suppress scheduling, into her calendar, and SchedulingMessages waits
// until the server has logged its message: every message caused before the
// call is then in the log. It fails the test when that message does not
// come (the log would prove nothing). Those messages are left out of the
// result; zoe's calendar gains one object per call, anna's none.
func (s *Server) SchedulingMessages(t testing.TB) []string {
	t.Helper()
	ss := s.script
	if ss == nil {
		return nil
	}
	uid := fmt.Sprintf("%s-%d-%s", barrierMark, ss.seq.Add(1), randomHex(4))
	if err := s.barrier(uid); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs := ss.messages()
		seen := false
		var out []string
		for _, m := range msgs {
			switch {
			case strings.Contains(m, uid):
				seen = true
			case strings.Contains(m, barrierMark):
			default:
				out = append(out, m)
			}
		}
		if seen {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: zoe's PUT without the scheduling headers logged no message within 30s: the message log proves nothing\n%s",
				s.Name, strings.Join(msgs, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// barrier has zoe invite an external attendee, scheduling on, to a weekly
// event starting in 2030: Cyrus sends nothing for an event in the past.
func (s *Server) barrier(uid string) error {
	if s.CalendarURL2 == "" {
		return errors.New("no second user to send the barrier message")
	}
	ics := strings.Join([]string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oneonone//davtest//EN",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z",
		"DTSTART:20300107T100000Z", "DURATION:PT30M", "RRULE:FREQ=WEEKLY", "SUMMARY:davtest barrier",
		"ORGANIZER:mailto:zoe@example.com",
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:zoe@example.com",
		"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:barrier@example.net",
		"END:VEVENT", "END:VCALENDAR", "",
	}, "\r\n")
	zoe := *s
	zoe.Username, zoe.Password = s.Username2, s.Password2
	resp, err := zoe.Do(context.Background(), http.MethodPut, s.CalendarURL2+uid+".ics", ics,
		http.Header{"Content-Type": {"text/calendar; charset=utf-8"}, "If-None-Match": {"*"}})
	if err != nil {
		return fmt.Errorf("barrier PUT: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("barrier PUT: %s: %s", resp.Status, resp.Body)
	}
	return nil
}

// messages reads the message log as it is now.
func (ss *scriptServer) messages() []string {
	data, err := os.ReadFile(ss.env["ITIP"])
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		if ss.kind == "sabre" || strings.HasPrefix(line, "== sendmail") || len(out) == 0 {
			out = append(out, line)
		} else {
			out[len(out)-1] += line
		}
	}
	for i := range out {
		out[i] = strings.TrimRight(out[i], "\n")
	}
	return out
}

// Request is one request a server logged.
type Request struct {
	Method string
	Path   string // percent-decoded, without the query
}

var (
	sabreRequest = regexp.MustCompile(`\] REQ (\S+) (\S+) depth=`)
	cyrusRequest = regexp.MustCompile(`(?m)^<\d+<([A-Z][A-Z-]*) (\S+) HTTP/`)
)

// Requests returns the requests the server has logged so far, and false
// for a server without such a log (Radicale, Xandikos). sabre: every
// request `php -S` served, whoever sent it (the readiness probe and the
// barrier PUTs of SchedulingMessages to zoe's calendar included), in order.
// Cyrus: anna's requests only (its telemetry log is per user), in no
// particular order across connections.
func (s *Server) Requests(t testing.TB) ([]Request, bool) {
	t.Helper()
	ss := s.script
	if ss == nil {
		return nil, false
	}
	var texts []string
	switch ss.kind {
	case "sabre":
		data, err := os.ReadFile(ss.env["LOG"])
		if err != nil {
			t.Fatalf("sabre: %v", err)
		}
		texts = []string{string(data)}
	case "cyrus":
		files, err := filepath.Glob(filepath.Join(ss.env["LOG"], "*"))
		if err != nil {
			t.Fatalf("cyrus: %v", err)
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("cyrus: %v", err)
			}
			texts = append(texts, string(data))
		}
	}
	re := sabreRequest
	if ss.kind == "cyrus" {
		re = cyrusRequest
	}
	var out []Request
	for _, text := range texts {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			p, _, _ := strings.Cut(m[2], "?")
			if dp, err := url.PathUnescape(p); err == nil {
				p = dp
			}
			out = append(out, Request{Method: m[1], Path: p})
		}
	}
	return out, true
}
