package agenda

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-webdav"
)

func TestDocReaderFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bob.md")
	if err := os.WriteFile(path, []byte("- [ ] @bob: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := DocReader{}.Read(context.Background(), path)
	if err != nil || string(got) != "- [ ] @bob: x\n" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	_, err = DocReader{}.Read(context.Background(), filepath.Join(t.TempDir(), "nope.md"))
	if err == nil || !strings.Contains(err.Error(), "nope.md") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestDocReaderWebDAV(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "notes"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes", "bob.md"), []byte("- [ ] bob@example.com: send the draft\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dav := &webdav.Handler{FileSystem: webdav.LocalFileSystem(dir)}
	var writes int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "anna" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != "PROPFIND" && r.Method != http.MethodHead {
			writes++
		}
		dav.ServeHTTP(w, r)
	}))
	defer srv.Close()
	r := DocReader{Credentials: func(u *url.URL) (string, string, bool) { return "anna", "secret", true }}
	got, err := r.Read(context.Background(), srv.URL+"/notes/bob.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "send the draft") {
		t.Fatalf("Read = %q", got)
	}
	if writes != 0 {
		t.Fatalf("%d writing requests: the document must never be written", writes)
	}
	_, err = DocReader{}.Read(context.Background(), srv.URL+"/notes/bob.md")
	if err == nil {
		t.Fatal("no credentials: want an error")
	}
}
