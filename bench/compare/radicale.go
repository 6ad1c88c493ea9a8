package main

import (
	"bufio"
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
	"regexp"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"time"
)

// radicale is a Radicale server on 127.0.0.1 with htpasswd Basic auth,
// started for the comparison and logging every request (level info) to a
// file, which is how requests are counted.
type radicale struct {
	URL, User, Pass string
	CalendarPath    string // "/anna/oneonone/"
	logPath         string
	cmd             *exec.Cmd
	done            chan struct{}
}

// startRadicale starts Radicale with its storage, config and log in dir,
// and creates the calendar /<user>/oneonone/ (internal/davtest does the
// same for tests; it needs a testing.TB, which a program does not have).
func startRadicale(dir string) (*radicale, error) {
	bin, err := exec.LookPath("radicale")
	if err != nil {
		return nil, errors.New("radicale is not installed (make compare installs it)")
	}
	pass := make([]byte, 8)
	_, _ = rand.Read(pass)
	r := &radicale{User: "anna", Pass: "pw-" + hex.EncodeToString(pass), CalendarPath: "/anna/oneonone/"}
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(r.User+":"+r.Pass+"\n"), 0o600); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
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
			return nil, err
		}
		r.logPath = filepath.Join(dir, fmt.Sprintf("radicale-%d.log", attempt))
		logf, err := os.Create(r.logPath)
		if err != nil {
			return nil, err
		}
		r.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
		r.cmd = exec.Command(bin, "--config", conf)
		r.cmd.Stdout, r.cmd.Stderr = logf, logf
		r.cmd.Dir = dir
		r.cmd.Env = append(os.Environ(), "HOME="+dir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
		if err := r.cmd.Start(); err != nil {
			logf.Close()
			return nil, fmt.Errorf("start radicale: %w", err)
		}
		logf.Close()
		r.done = make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(r.done) }()
		if lastErr = r.waitReady(); lastErr == nil {
			break
		}
		r.Stop()
	}
	if lastErr != nil {
		return nil, fmt.Errorf("radicale did not start: %w", lastErr)
	}
	if err := r.mkcalendar(); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (r *radicale) waitReady() error {
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			b, _ := os.ReadFile(r.logPath)
			return fmt.Errorf("exited during startup: %s", lastLines(string(b), 5))
		default:
		}
		b, _ := os.ReadFile(r.logPath)
		if bytes.Contains(b, []byte("Radicale server ready")) {
			if resp, err := client.Get(r.URL + "/"); err == nil {
				resp.Body.Close()
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no answer within 20s")
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// Stop sends SIGTERM, and kills after 5 s.
func (r *radicale) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

func (r *radicale) do(ctx context.Context, method, path string, body []byte, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.SetBasicAuth(r.User, r.Pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (r *radicale) mkcalendar() error {
	body := `<?xml version="1.0" encoding="utf-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>` +
		`<d:displayname>bench compare</d:displayname>` +
		`<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>` +
		`</d:prop></d:set></c:mkcalendar>`
	code, b, err := r.do(context.Background(), "MKCALENDAR", r.CalendarPath, []byte(body), http.Header{"Content-Type": {`application/xml; charset="utf-8"`}})
	if err != nil {
		return fmt.Errorf("MKCALENDAR %s: %w", r.CalendarPath, err)
	}
	if code != http.StatusCreated {
		return fmt.Errorf("MKCALENDAR %s: %d: %s", r.CalendarPath, code, b)
	}
	return nil
}

// upload PUTs every object (If-None-Match: *), a few at a time.
func (r *radicale) upload(ctx context.Context, objs []calObject, workers int) error {
	ch := make(chan calObject)
	errc := make(chan error, workers)
	var wg gosync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				code, b, err := r.do(ctx, "PUT", r.CalendarPath+o.Name, o.Data, http.Header{
					"Content-Type":  {"text/calendar; charset=utf-8"},
					"If-None-Match": {"*"},
				})
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("PUT %s: %d: %s", o.Name, code, strings.TrimSpace(string(b)))
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var sendErr error
loop:
	for _, o := range objs {
		select {
		case ch <- o:
		case sendErr = <-errc:
			break loop
		}
	}
	close(ch)
	wg.Wait()
	close(errc)
	if sendErr != nil {
		return sendErr
	}
	return <-errc // nil when closed and empty
}

// uploadCollection writes every object with one PUT of a whole VCALENDAR
// to the calendar's URL; Radicale stores one object per UID. (Radicale 3.1
// checks a new object's UID against every object of the collection, so
// 5,000 single PUTs cost O(n²) and take many minutes.)
func (r *radicale) uploadCollection(ctx context.Context, objs []calObject) error {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//bench compare//EN\r\nCALSCALE:GREGORIAN\r\n")
	b.WriteString(vtimezoneBerlin)
	for _, o := range objs {
		s := string(o.Data)
		i, j := strings.Index(s, "BEGIN:VEVENT"), strings.LastIndex(s, "END:VEVENT\r\n")
		if i < 0 || j < 0 {
			return fmt.Errorf("object %s has no VEVENT", o.Name)
		}
		b.WriteString(s[i : j+len("END:VEVENT\r\n")])
	}
	b.WriteString("END:VCALENDAR\r\n")
	code, body, err := r.do(ctx, "PUT", r.CalendarPath, []byte(b.String()), http.Header{"Content-Type": {"text/calendar; charset=utf-8"}})
	if err != nil {
		return err
	}
	if code != http.StatusCreated && code != http.StatusNoContent && code != http.StatusOK {
		return fmt.Errorf("PUT %s: %d: %s", r.CalendarPath, code, strings.TrimSpace(string(body)))
	}
	return nil
}

// countObjects lists the calendar (PROPFIND Depth 1) and counts its
// members.
func (r *radicale) countObjects(ctx context.Context) (int, error) {
	body := `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`
	code, b, err := r.do(ctx, "PROPFIND", r.CalendarPath, []byte(body), http.Header{"Depth": {"1"}, "Content-Type": {`application/xml; charset="utf-8"`}})
	if err != nil {
		return 0, err
	}
	if code != http.StatusMultiStatus {
		return 0, fmt.Errorf("PROPFIND %s: %d", r.CalendarPath, code)
	}
	// One response per member, and one for the collection itself.
	return strings.Count(string(b), "response>")/2 - 1, nil
}

// logOffset is where the log ends now; requestsSince counts what came after.
func (r *radicale) logOffset() int64 {
	fi, err := os.Stat(r.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

var (
	requestLine  = regexp.MustCompile(`\] ([A-Z]+) request for '[^']*'`)
	responseLine = regexp.MustCompile(`\] [A-Z]+ response status for '[^']*'.* in ([0-9.]+) seconds`)
)

// requests counts the requests Radicale logged after offset, by method.
// The key "" holds, in microseconds, the time Radicale says it spent
// answering them; it is not a method and is left out of the counts.
type requests map[string]int

// serverTime is the sum of the times Radicale logged for its answers.
func (q requests) serverTime() time.Duration { return time.Duration(q[""]) * time.Microsecond }

func (q requests) total() int {
	n := 0
	for m, v := range q {
		if m != "" {
			n += v
		}
	}
	return n
}

// String renders "612 (PROPFIND 3, REPORT 51, …)".
func (q requests) String() string {
	var parts []string
	for m, n := range q {
		if m != "" {
			parts = append(parts, fmt.Sprintf("%s %d", m, n))
		}
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", q.total(), strings.Join(parts, ", "))
}

func (r *radicale) requestsSince(off int64) (requests, error) {
	f, err := os.Open(r.logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	q := requests{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := requestLine.FindStringSubmatch(sc.Text()); m != nil {
			q[m[1]]++
		} else if m := responseLine.FindStringSubmatch(sc.Text()); m != nil {
			if f, err := strconv.ParseFloat(m[1], 64); err == nil {
				q[""] += int(f * 1e6)
			}
		}
	}
	return q, sc.Err()
}
