package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"oneonone/config"
	"oneonone/store"
)

// controlSocket is where the daemon serves its control socket: next to
// the state file, the state file's path with ".sock" added. Mode 0600.
func controlSocket(cfg *config.Config) string { return cfg.State + ".sock" }

// daemonHolds returns an error that is store.ErrInUse when a daemon
// answers on the control socket of the state file at path, nil otherwise
// (no socket, or one that nobody serves). A command asks it before it
// opens the file, so that it goes to the daemon at once rather than after
// waiting out the file's lock.
func daemonHolds(path string) error {
	c, err := net.DialTimeout("unix", path+".sock", time.Second)
	if err != nil {
		return nil
	}
	c.Close()
	return fmt.Errorf("open %s: %s is %w (a daemon answers on %s.sock)", path, filepath.Base(path), store.ErrInUse, path)
}

// inUse reports whether opening the state file failed because another
// process (the daemon) holds it: then the command goes through the
// daemon's control socket (daemonClient) instead.
func inUse(cfg *config.Config, err error) bool {
	return cfg != nil && errors.Is(err, store.ErrInUse)
}

// daemonClient is the command line's client of a running daemon: the
// JSON API of the web face (web/api.go) over the control socket, where
// the socket's mode is the authentication. The daemon applies every rule
// (agenda.NewAction among them); the client only carries the request.
type daemonClient struct {
	sock string
	hc   *http.Client
}

func newDaemonClient(cfg *config.Config) *daemonClient {
	sock := controlSocket(cfg)
	return &daemonClient{sock: sock, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableCompression: true,
	}}}
}

// apiError is the daemon's refusal of a request: its status and the
// body's "error" and "field".
type apiError struct {
	Code  int
	Msg   string
	Field string
}

func (e *apiError) Error() string { return e.Msg }

// do sends a request to the daemon (body, when not nil, as JSON) and
// returns the body of a 2xx answer; any other answer is an *apiError.
func (c *daemonClient) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://oneonone"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the state file is in use by another oneonone process, and no daemon answers on %s: %w", c.sock, unwrapURL(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the daemon's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var ae struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		if json.Unmarshal(b, &ae) != nil || ae.Error == "" {
			ae.Error = resp.Status + ": " + strings.TrimSpace(string(b))
		}
		return nil, &apiError{Code: resp.StatusCode, Msg: "daemon: " + oneLine(ae.Error), Field: ae.Field}
	}
	return b, nil
}

// unwrapURL drops the *url.Error wrapping, whose made-up URL says nothing.
func unwrapURL(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// getJSON decodes the answer to GET path into v.
func (c *daemonClient) getJSON(ctx context.Context, path string, v any) error {
	b, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// sendJSON sends body with method and decodes the answer into v.
func (c *daemonClient) sendJSON(ctx context.Context, method, path string, body, v any) error {
	b, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
