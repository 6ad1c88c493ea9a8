package web_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oneonone/web"
)

// shortDir is a directory for sockets: a socket's path is at most 108
// bytes, more than t.TempDir() may leave.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "oo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
}

// TestControlSocket: the API on the control socket, without the token or
// the browser checks, on a socket only its owner may use, removed at close.
func TestControlSocket(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: "s3cret-token-s3cret-token"})
	sock := filepath.Join(shortDir(t), "c.sock")
	srv, ln, err := web.ListenUnix(sock, f.server.ControlHandler(), web.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want a socket with 0600", fi.Mode())
	}
	c := unixClient(sock)
	do := func(method, path, body string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://oneonone"+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		want, ctype        string
	}{
		{"GET", "/api/report", "", 200, `"pairs"`, "application/json"},
		{"GET", "/api/report?format=markdown&week=2026-W46", "", 200, "2026-W46", "text/markdown"},
		{"GET", "/api/report?format=text", "", 200, bobAddr, "text/plain"},
		{"GET", "/api/report?format=pdf", "", 400, `"field": "format"`, "application/json"},
		{"GET", "/api/rollup", "", 200, `"people"`, "application/json"},
		{"GET", "/api/series?format=text", "", 200, bobAddr, "text/plain"},
		{"GET", "/api/series", "", 200, `"counterpart"`, "application/json"},
		{"GET", "/api/actions?with=" + bobAddr, "", 200, "send the Q4 hiring plan draft", "application/json"},
		{"POST", "/api/actions", `{"with":"` + bobAddr + `","text":"over the socket"}`, 201, `"over the socket"`, "application/json"},
		{"POST", "/api/actions", `{"with":"` + bobAddr + `","text":""}`, 400, `"field": "text"`, "application/json"},
		{"GET", "/", "", 404, "no such API", "application/json"},
		{"GET", "/metrics", "", 404, "no such API", "application/json"},
		{"GET", "/healthz", "", 503, `"status"`, "application/json"},
	} {
		code, body, h := do(tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s %s: %d %s %q, want %d with %q (%s)", tc.method, tc.path, code, h.Get("Content-Type"), body, tc.code, tc.want, tc.ctype)
		}
	}

	// A second daemon does not take a socket that answers.
	if _, _, err := web.ListenUnix(sock, http.NotFoundHandler(), web.Limits{}, nil); !errors.Is(err, web.ErrSocketServed) {
		t.Errorf("listen on a served socket: %v, want ErrSocketServed", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the socket is still there after close: %v", err)
	}
}

// TestListenUnixStale: a socket nobody answers on is replaced; a file that
// is not a socket is left alone.
func TestListenUnixStale(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	srv, ln, err := web.ListenUnix(sock, http.NotFoundHandler(), web.Limits{}, nil)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	srv.Close()
	ln.Close()

	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := web.ListenUnix(plain, http.NotFoundHandler(), web.Limits{}, nil); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listen on a plain file: %v", err)
	}
	if b, err := os.ReadFile(plain); err != nil || string(b) != "keep" {
		t.Errorf("the plain file was touched: %q, %v", b, err)
	}
}
