package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"oneonone/sync"
	"oneonone/web"
)

// hangBound is how long a test waits for what must happen before it says
// the server kept a connection open. It bounds a hang; no test asserts a
// duration.
const hangBound = 10 * time.Second

// limitServer is web.Listen's server for h with lim, on 127.0.0.1,
// counting its connections: opened (accepted), open now and the most open
// at once. The count is kept on web.Listen's listener, not in ConnState: a
// connection is counted closed before its Close frees the cap's slot, so
// the next one cannot be counted open before it (net/http runs the
// StateClosed hook only after the Close, which once raced the next
// StateNew and counted one connection too many).
type limitServer struct {
	srv          *http.Server
	addr         string
	opened, open atomic.Int64
	mostOpen     atomic.Int64
}

func startLimitServer(t *testing.T, h http.Handler, lim web.Limits) *limitServer {
	t.Helper()
	srv, ln, err := web.Listen("127.0.0.1:0", h, lim, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls := &limitServer{srv: srv, addr: ln.Addr().String()}
	go func() { _ = srv.Serve(countingListener{ln, ls}) }()
	t.Cleanup(func() { srv.Close() })
	return ls
}

// countingListener counts the connections its Listener accepts in ls.
type countingListener struct {
	net.Listener
	ls *limitServer
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.ls.opened.Add(1)
	n := l.ls.open.Add(1)
	for {
		m := l.ls.mostOpen.Load()
		if n <= m || l.ls.mostOpen.CompareAndSwap(m, n) {
			break
		}
	}
	return &countedConn{Conn: c, ls: l.ls}, nil
}

// countedConn counts itself closed, once, before closing.
type countedConn struct {
	net.Conn
	ls   *limitServer
	once gosync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.ls.open.Add(-1) })
	return c.Conn.Close()
}

func (ls *limitServer) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond until it holds or hangBound passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(hangBound); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("%s: never happened", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// closedByServer reads c to its end and reports whether the server closed
// it (EOF or a reset) rather than the hang bound passing.
func closedByServer(t *testing.T, r io.Reader, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(hangBound))
	_, err := io.Copy(io.Discard, r)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// trickle writes one byte of s at a time, pausing between them, until s
// ends, a write fails or stop closes. It returns when done.
func trickle(c net.Conn, s string, stop <-chan struct{}) <-chan error {
	done := make(chan error, 1)
	go func() {
		for i := 0; i < len(s); i++ {
			select {
			case <-stop:
				done <- nil
				return
			case <-time.After(5 * time.Millisecond):
			}
			if _, err := c.Write([]byte{s[i]}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return done
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })

// TestReadTimeoutCutsATrickledBody: a client that sends its body a byte at
// a time is cut off when ReadTimeout passes, and the handler's read fails.
func TestReadTimeoutCutsATrickledBody(t *testing.T) {
	readErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		readErr <- err
		if err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		}
	})
	ls := startLimitServer(t, h, web.Limits{ReadTimeout: 50 * time.Millisecond})
	c := ls.dial(t)
	fmt.Fprintf(c, "POST /api/actions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	stop := make(chan struct{})
	defer close(stop)
	trickle(c, strings.Repeat(" ", 100000), stop)

	if !closedByServer(t, c, c) {
		t.Fatal("a trickled body kept its connection open: ReadTimeout does not apply")
	}
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("the handler read the whole trickled body")
		}
	default:
		t.Fatal("the connection closed before the handler read")
	}
	waitFor(t, "the server counts the connection closed", func() bool { return ls.open.Load() == 0 })
}

// TestReadHeaderTimeoutCutsTrickledHeaders: headers sent a byte at a time
// are cut off by ReadHeaderTimeout; the handler never runs.
func TestReadHeaderTimeoutCutsTrickledHeaders(t *testing.T) {
	var calls atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	ls := startLimitServer(t, h, web.Limits{ReadHeaderTimeout: 50 * time.Millisecond})
	c := ls.dial(t)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	stop := make(chan struct{})
	defer close(stop)
	trickle(c, strings.Repeat("X-Slow: a\r\n", 10000), stop)
	if !closedByServer(t, c, c) {
		t.Fatal("trickled headers kept their connection open: ReadHeaderTimeout does not apply")
	}
	if calls.Load() != 0 {
		t.Fatal("the handler ran on trickled headers")
	}
}

// TestIdleTimeoutClosesKeepAlive: after one request on a keep-alive
// connection the server closes it when IdleTimeout passes without another.
func TestIdleTimeoutClosesKeepAlive(t *testing.T) {
	ls := startLimitServer(t, hello, web.Limits{IdleTimeout: 50 * time.Millisecond})
	c := ls.dial(t)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(hangBound))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("first request: %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	if !closedByServer(t, br, c) {
		t.Fatal("an idle keep-alive connection stayed open: IdleTimeout does not apply")
	}
	waitFor(t, "the server counts the connection closed", func() bool { return ls.open.Load() == 0 })
}

// TestWriteTimeoutCutsAClientThatDoesNotRead: a response the client never
// reads fails its writes when WriteTimeout passes, and the handler returns.
func TestWriteTimeoutCutsAClientThatDoesNotRead(t *testing.T) {
	writeErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < 1<<14; i++ { // 1 GiB at most
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	})
	ls := startLimitServer(t, h, web.Limits{WriteTimeout: 50 * time.Millisecond})
	c := ls.dial(t)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	select {
	case err := <-writeErr:
		if err == nil {
			t.Fatal("the whole response was written to a client that reads nothing")
		}
	case <-time.After(hangBound):
		t.Fatal("a client that does not read kept the handler writing: WriteTimeout does not apply")
	}
}

// TestMaxConns: with the cap at 2, two slow clients that hold their
// connections keep a third from being served (it is not even accepted);
// once one of them closes, the third is served. The most connections open
// at once is the cap.
func TestMaxConns(t *testing.T) {
	const limit = 2
	var calls atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); io.WriteString(w, "hello\n") })
	ls := startLimitServer(t, h, web.Limits{MaxConns: limit})

	slow := make([]net.Conn, limit)
	for i := range slow {
		slow[i] = ls.dial(t)
		io.WriteString(slow[i], "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n") // and never the end of the headers
	}
	waitFor(t, "both slow clients accepted", func() bool { return ls.opened.Load() >= limit })

	third := ls.dial(t)
	io.WriteString(third, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	served := make(chan *http.Response, 1)
	go func() {
		third.SetReadDeadline(time.Now().Add(hangBound))
		resp, err := http.ReadResponse(bufio.NewReader(third), nil)
		if err != nil {
			served <- nil
			return
		}
		resp.Body.Close()
		served <- resp
	}()
	// Give a server without a cap the chance to serve the third client.
	time.Sleep(100 * time.Millisecond)
	if n := ls.opened.Load(); n != limit {
		t.Fatalf("%d connections accepted while %d are held open, want %d", n, limit, limit)
	}
	if calls.Load() != 0 {
		t.Fatal("the third client was served while the cap was held")
	}

	slow[0].Close()
	resp := <-served
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("the third client was not served once a slow one closed: %v", resp)
	}
	if calls.Load() != 1 || ls.opened.Load() != limit+1 {
		t.Errorf("calls %d, connections accepted %d; want 1 and %d", calls.Load(), ls.opened.Load(), limit+1)
	}
	if m := ls.mostOpen.Load(); m > limit {
		t.Errorf("%d connections open at once, want at most %d", m, limit)
	}
}

// TestMaxHeaderBytes: headers over MaxHeaderBytes get 431, and so do
// headers over the default when Limits leaves it zero.
func TestMaxHeaderBytes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lim   web.Limits
		small int
		big   int
	}{
		{"1 KiB", web.Limits{MaxHeaderBytes: 1 << 10}, 512, 16 << 10},
		{"default", web.Limits{}, 16 << 10, web.DefaultMaxHeaderBytes + 16<<10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ls := startLimitServer(t, hello, tt.lim)
			for _, size := range []int{tt.small, tt.big} {
				req, _ := http.NewRequest("GET", "http://"+ls.addr+"/", nil)
				req.Header.Set("X-Big", strings.Repeat("a", size))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				want := 200
				if size == tt.big {
					want = http.StatusRequestHeaderFieldsTooLarge
				}
				if resp.StatusCode != want {
					t.Errorf("a %d-byte header: %d, want %d", size, resp.StatusCode, want)
				}
			}
		})
	}
}

// TestLimitsOnTheWebFace: through web.Listen with tiny timeouts, the web
// face still refuses a body over its 64 KiB bound, and POST /api/sync,
// which runs a whole cycle, outlives the read and write deadlines: its
// context is not cancelled and its answer arrives.
func TestLimitsOnTheWebFace(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	release := make(chan struct{})
	var ctxErr error
	var mu gosync.Mutex
	s, err := web.New(web.Options{
		Store: f.store, Location: berlin, Me: []string{me}, Now: f.clock.Now,
		SyncNow: func(ctx context.Context) ([]sync.Summary, error) {
			<-release
			mu.Lock()
			ctxErr = ctx.Err()
			mu.Unlock()
			return []sync.Summary{{Source: "team"}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tiny := 50 * time.Millisecond
	ls := startLimitServer(t, s.Handler(), web.Limits{ReadTimeout: tiny, WriteTimeout: tiny, ReadHeaderTimeout: tiny})

	big := `{"with":"bob@example.com","text":"` + strings.Repeat("a", 100<<10) + `"}`
	req, _ := http.NewRequest("POST", "http://"+ls.addr+"/api/actions", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "larger than 65536 bytes") {
		t.Errorf("a 100 KiB body: %d %s, want 400 naming the bound", resp.StatusCode, body)
	}

	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+ls.addr+"/api/sync", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("POST /api/sync: %v", err)
			done <- nil
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp
	}()
	// Let both deadlines pass while the sync runs.
	time.Sleep(8 * tiny)
	close(release)
	if resp := <-done; resp == nil || resp.StatusCode != 200 {
		t.Fatalf("POST /api/sync past the deadlines: %v", resp)
	}
	mu.Lock()
	defer mu.Unlock()
	if ctxErr != nil {
		t.Errorf("the sync's context was cancelled: %v", ctxErr)
	}
}

// TestListenDefaults: a zero Limits is the Default constants.
func TestListenDefaults(t *testing.T) {
	srv, ln, err := web.Listen("127.0.0.1:0", hello, web.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := []any{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes}
	want := []any{web.DefaultReadHeaderTimeout, web.DefaultReadTimeout, web.DefaultWriteTimeout, web.DefaultIdleTimeout, web.DefaultMaxHeaderBytes}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("field %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestDefaultCapHoldsAFlood: the review's flood, scaled down: more
// connections than DefaultMaxConns that send nothing are not all accepted
// (the rest wait in the kernel's queue, holding no descriptor of the
// server), and once they go the web face serves again.
func TestDefaultCapHoldsAFlood(t *testing.T) {
	ls := startLimitServer(t, hello, web.Limits{})
	flood := make([]net.Conn, web.DefaultMaxConns+50)
	for i := range flood {
		flood[i] = ls.dial(t)
	}
	waitFor(t, "the cap's worth of connections accepted", func() bool { return ls.opened.Load() >= web.DefaultMaxConns })
	time.Sleep(100 * time.Millisecond) // a server without a cap would accept the rest by now
	if n := ls.opened.Load(); n != web.DefaultMaxConns {
		t.Fatalf("%d connections accepted, want the cap, %d", n, web.DefaultMaxConns)
	}
	for _, c := range flood {
		c.Close()
	}
	resp, err := http.Get("http://" + ls.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the flood: %d", resp.StatusCode)
	}
	if m := ls.mostOpen.Load(); m > web.DefaultMaxConns {
		t.Errorf("%d connections open at once, want at most %d", m, web.DefaultMaxConns)
	}
}
