package agenda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/emersion/go-webdav"
)

// maxDocSize bounds what is read of an agenda document.
const maxDocSize = 4 << 20

// DocReader reads pairs' agenda documents: local Markdown files, or files
// on a WebDAV server (Nextcloud, ownCloud…) read with go-webdav. The
// document is never written.
type DocReader struct {
	// HTTP is the client for WebDAV documents; nil uses one with a timeout.
	HTTP *http.Client
	// Credentials returns the Basic auth to use for a document URL, from
	// the source on the same host; ok is false when none applies.
	Credentials func(u *url.URL) (username, password string, ok bool)
}

// Read returns the document at loc (a path, or an http(s) URL).
func (r DocReader) Read(ctx context.Context, loc string) ([]byte, error) {
	u, err := url.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return readFile(loc)
	}
	hc := r.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	var c webdav.HTTPClient = hc
	if r.Credentials != nil {
		if user, pass, ok := r.Credentials(u); ok {
			c = webdav.HTTPClientWithBasicAuth(hc, user, pass)
		}
	}
	base := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}
	client, err := webdav.NewClient(c, base.String())
	if err != nil {
		return nil, fmt.Errorf("read agenda document %s: %w", redact(u), err)
	}
	rc, err := client.Open(ctx, u.Path)
	if err != nil {
		return nil, fmt.Errorf("read agenda document %s: %w", redact(u), err)
	}
	defer rc.Close()
	return readLimited(rc, redact(u))
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read agenda document %s: %w", path, err)
	}
	defer f.Close()
	return readLimited(f, path)
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocSize+1))
	if err != nil {
		return nil, fmt.Errorf("read agenda document %s: %w", name, err)
	}
	if len(data) > maxDocSize {
		return nil, fmt.Errorf("read agenda document %s: larger than %d MiB", name, maxDocSize>>20)
	}
	return data, nil
}

// redact drops userinfo from a URL for messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
