// Package davtest starts real CalDAV servers for tests: Radicale and
// Xandikos (the installed binary on 127.0.0.1 and a free port, storage in
// t.TempDir(), one calendar created and ready), and sabre/dav and Cyrus
// (started by the scripts of ../shared/servers, see scripts.go), stopped when
// the test ends.
//
// When a binary or script is missing the test is skipped, or fails when the
// CI environment variable is set (CI must run the real servers).
package davtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running CalDAV server.
type Server struct {
	// Name is "radicale", "xandikos", "sabre" or "cyrus".
	Name string
	// URL is what a client is configured with: the server's root
	// "http://127.0.0.1:PORT/" (Radicale, Xandikos), or its DAV base
	// (sabre: ".../remote.php/dav/", Cyrus: ".../dav/").
	URL string
	// Root is "http://127.0.0.1:PORT/": a path such as CalendarPath is
	// reached at Root without its trailing slash + path.
	Root string
	// Username and Password are the account's; empty when the server has
	// no authentication (Xandikos).
	Username, Password string
	// CalendarURL is the URL of a calendar collection created for the
	// test, with a trailing slash.
	CalendarURL string
	// CalendarPath is CalendarURL's path.
	CalendarPath string
	// Username2, Password2 and CalendarURL2 are a second user's (zoe,
	// zoe@example.com), on the servers that have one (sabre, Cyrus).
	Username2, Password2 string
	CalendarURL2         string

	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}

	script *scriptServer // sabre and Cyrus
}

// Output returns what the server has written to stdout and stderr so far
// (sabre: its access log; Cyrus: its master log).
func (s *Server) Output() string {
	if s.script != nil {
		return s.script.output()
	}
	return s.output.String()
}

// startupTimeout bounds the wait for a server to answer.
const startupTimeout = 20 * time.Second

// StartRadicale starts Radicale with htpasswd (plain) Basic auth and
// owner_only rights, and creates the calendar /<user>/oneonone/.
func StartRadicale(t testing.TB) *Server {
	t.Helper()
	bin := lookBinary(t, "radicale")
	user, pass := "anna", "pw-"+randomHex(8)
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(user+":"+pass+"\n"), 0o600); err != nil {
		t.Fatalf("write htpasswd: %v", err)
	}
	s := start(t, "radicale", "Radicale server ready", func(port int) []string {
		conf := filepath.Join(dir, "config")
		text := fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d

[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = %s

[web]
type = none

[logging]
level = info
`, port, users, filepath.Join(dir, "collections"))
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatalf("write radicale config: %v", err)
		}
		return []string{bin, "--config", conf}
	})
	s.Username, s.Password = user, pass
	s.CalendarPath = "/" + user + "/oneonone/"
	s.mkcalendar(t)
	return s
}

// StartXandikos starts Xandikos with --defaults (principal /user/, the
// calendar /user/calendars/calendar/) and creates the calendar
// /user/calendars/oneonone/. Xandikos has no authentication.
func StartXandikos(t testing.TB) *Server {
	t.Helper()
	bin := lookBinary(t, "xandikos")
	dir := t.TempDir()
	s := start(t, "xandikos", "Listening on 127.0.0.1:", func(port int) []string {
		return []string{bin, "--defaults", "-d", filepath.Join(dir, "data"), "-l", "127.0.0.1", "-p", fmt.Sprint(port)}
	})
	s.CalendarPath = "/user/calendars/oneonone/"
	s.mkcalendar(t)
	return s
}

func lookBinary(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s not installed: run make test, which installs it", name)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// start runs the server on a free port, retrying when the port was taken
// in between, and waits until it has logged ready (so that an answer from
// another process on a reused port does not count) and answers HTTP.
func start(t testing.TB, name, readyLog string, args func(port int) []string) *Server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("%s: find a free port: %v", name, err)
		}
		argv := args(port)
		s := &Server{
			Name:   name,
			URL:    fmt.Sprintf("http://127.0.0.1:%d/", port),
			Root:   fmt.Sprintf("http://127.0.0.1:%d/", port),
			output: &syncBuffer{},
			done:   make(chan struct{}),
		}
		s.cmd = exec.Command(argv[0], argv[1:]...)
		s.cmd.Stdout = s.output
		s.cmd.Stderr = s.output
		s.cmd.Dir = t.TempDir()
		s.cmd.Env = append(os.Environ(), "HOME="+s.cmd.Dir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("%s: start: %v", name, err)
		}
		go func() {
			_ = s.cmd.Wait()
			close(s.done)
		}()
		if err := s.waitReady(readyLog); err != nil {
			lastErr = err
			s.stop()
			t.Logf("%s on port %d did not come up (%v); output:\n%s", name, port, err, s.Output())
			continue
		}
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("%s output:\n%s", name, s.Output())
			}
		})
		return s
	}
	t.Fatalf("%s: could not start: %v", name, lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls the server until it has logged readyLog and answers any
// HTTP status.
func (s *Server) waitReady(readyLog string) error {
	deadline := time.Now().Add(startupTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("exited during startup")
		default:
		}
		if !strings.Contains(s.Output(), readyLog) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		resp, err := client.Get(s.URL)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer within %s", startupTimeout)
}

// stop sends SIGTERM, then kills after a grace period.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// mkcalendar creates s.CalendarPath (RFC 4791 §5.3.1) and sets CalendarURL.
func (s *Server) mkcalendar(t testing.TB) {
	t.Helper()
	s.CalendarURL = s.MkCalendar(t, s.CalendarPath, "oneonone test")
}

// MkCalendar creates a calendar collection of VEVENTs at path (absolute,
// with a trailing slash) with a display name, and returns its URL.
func (s *Server) MkCalendar(t testing.TB, path, name string) string {
	t.Helper()
	u := strings.TrimSuffix(s.Root, "/") + path
	body := `<?xml version="1.0" encoding="utf-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>` +
		`<d:displayname>` + name + `</d:displayname>` +
		`<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>` +
		`</d:prop></d:set></c:mkcalendar>`
	resp, err := s.Do(context.Background(), "MKCALENDAR", u, body, nil)
	if err != nil {
		t.Fatalf("%s: MKCALENDAR %s: %v", s.Name, u, err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s: MKCALENDAR %s: %s: %s", s.Name, u, resp.Status, resp.Body)
	}
	return u
}

// Response is the status and body of a request made with Do.
type Response struct {
	StatusCode int
	Status     string
	Header     http.Header
	Body       []byte
}

// Do sends one request to the server with the account's credentials: for
// tests that change the server behind the client's back (PUT, DELETE).
func (s *Server) Do(ctx context.Context, method, url, body string, header http.Header) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	}
	if s.Username != "" {
		req.SetBasicAuth(s.Username, s.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: b}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for the writes of exec's copying
// goroutines and concurrent reads.
type syncBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
