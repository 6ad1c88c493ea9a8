package faulty_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"oneonone/internal/faulty"
)

// origin is a server that counts what reaches it and answers a body long
// enough to be cut.
type origin struct {
	served atomic.Int64
	puts   atomic.Int64
}

const answer = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.served.Add(1)
	if r.Method == http.MethodPut {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "data" {
			http.Error(w, "body "+string(b), http.StatusBadRequest)
			return
		}
		o.puts.Add(1)
		w.Header().Set("ETag", `"v2"`)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, answer)
}

// do sends one request and reads the whole answer.
func do(c *http.Client, method, url string) (int, string, error) {
	var body io.Reader
	if method == http.MethodPut {
		body = strings.NewReader("data")
	}
	req, _ := http.NewRequest(method, url, body)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// setups run the same checks through the Handler (a real socket) and the
// Transport.
func setups(t *testing.T, f *faulty.Faults, o *origin) map[string]func() (*http.Client, string) {
	return map[string]func() (*http.Client, string){
		"handler": func() (*http.Client, string) {
			srv := httptest.NewServer(f.Handler(o))
			t.Cleanup(srv.Close)
			return &http.Client{Timeout: 300 * time.Millisecond}, srv.URL
		},
		"transport": func() (*http.Client, string) {
			srv := httptest.NewServer(o)
			t.Cleanup(srv.Close)
			return &http.Client{Timeout: 300 * time.Millisecond, Transport: f.Transport(nil)}, srv.URL
		},
	}
}

func TestEachKind(t *testing.T) {
	for _, name := range []string{"handler", "transport"} {
		t.Run(name, func(t *testing.T) {
			cases := []struct {
				kind    faulty.Kind
				method  string
				status  int  // 0: the request fails
				reached bool // the origin served it
			}{
				{faulty.Pass, http.MethodGet, 200, true},
				{faulty.TooMany, http.MethodGet, 429, false},
				{faulty.Unavailable, http.MethodPut, 503, false},
				{faulty.ServerError, http.MethodGet, 500, false},
				{faulty.Reset, http.MethodPut, 0, false},
				{faulty.Cut, http.MethodGet, 0, true},
				{faulty.Lost, http.MethodPut, 0, true},
				{faulty.Delay, http.MethodPut, 0, true},
			}
			for _, c := range cases {
				t.Run(c.kind.String(), func(t *testing.T) {
					f := faulty.New(faulty.Config{Delay: time.Second})
					o := &origin{}
					client, url := setups(t, f, o)[name]()
					f.Next("", c.kind)
					status, body, err := do(client, c.method, url)
					f.Wait()
					switch {
					case c.status == 0 && err == nil:
						t.Errorf("%s %s: status %d %q, want a failed request", c.kind, c.method, status, body)
					case c.status != 0 && err != nil:
						t.Errorf("%s %s: %v, want status %d", c.kind, c.method, err, c.status)
					case c.status != 0 && status != c.status:
						t.Errorf("%s %s: status %d, want %d", c.kind, c.method, status, c.status)
					case c.status == 200 && body != answer:
						t.Errorf("%s: body %q", c.kind, body)
					}
					if got := o.served.Load() == 1; got != c.reached {
						t.Errorf("%s %s: reached the server = %v, want %v", c.kind, c.method, got, c.reached)
					}
					if c.kind == faulty.Lost && o.puts.Load() != 1 {
						t.Errorf("lost PUT: applied %d times, want 1", o.puts.Load())
					}
					if n := f.Counts()[faulty.Count{Method: c.method, Kind: c.kind}]; n != 1 {
						t.Errorf("counted %d %s %s, want 1", n, c.method, c.kind)
					}
				})
			}
		})
	}
}

// TestCutIsDetectable: a cut answer never reads as a whole one, wherever
// the cut falls.
func TestCutIsDetectable(t *testing.T) {
	for _, name := range []string{"handler", "transport"} {
		t.Run(name, func(t *testing.T) {
			f := faulty.New(faulty.Config{Rate: 1, Seed: 7, Kinds: []faulty.Kind{faulty.Cut}})
			client, url := setups(t, f, &origin{})[name]()
			for i := range 200 {
				status, body, err := do(client, http.MethodGet, url)
				if err == nil {
					t.Fatalf("request %d: a cut answer read whole: %d %q", i, status, body)
				}
			}
		})
	}
}

// TestLostOnlyForWrites: reads never meet Lost; with Lost the only kind
// they pass.
func TestLostOnlyForWrites(t *testing.T) {
	f := faulty.New(faulty.Config{Rate: 1, Seed: 3, Kinds: []faulty.Kind{faulty.Lost}})
	o := &origin{}
	srv := httptest.NewServer(f.Handler(o))
	defer srv.Close()
	for range 20 {
		if status, _, err := do(srv.Client(), http.MethodGet, srv.URL); err != nil || status != 200 {
			t.Fatalf("GET with only Lost faults: %d %v", status, err)
		}
	}
	if _, _, err := do(srv.Client(), http.MethodPut, srv.URL); err == nil {
		t.Fatal("PUT with only Lost faults succeeded")
	}
	if o.puts.Load() != 1 {
		t.Errorf("lost PUT applied %d times, want 1", o.puts.Load())
	}
}

// TestRateAndSeed: the rate holds, every kind shows up, and a seed gives
// the same faults in the same order.
func TestRateAndSeed(t *testing.T) {
	run := func(seed uint64) ([]faulty.Kind, map[faulty.Kind]int) {
		f := faulty.New(faulty.Config{Rate: 0.2, Seed: seed, Kinds: []faulty.Kind{faulty.TooMany, faulty.Unavailable, faulty.ServerError, faulty.Lost}})
		var seq []faulty.Kind
		rt := f.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		}))
		for i := range 5000 {
			method := http.MethodGet
			if i%4 == 0 {
				method = http.MethodPut
			}
			req, _ := http.NewRequest(method, "http://127.0.0.1/x", nil)
			resp, err := rt.RoundTrip(req)
			switch {
			case errors.Is(err, faulty.ErrReset):
				seq = append(seq, faulty.Lost)
			case err != nil:
				t.Fatal(err)
			case resp.StatusCode != 200:
				seq = append(seq, faulty.Kind(resp.StatusCode))
			default:
				seq = append(seq, faulty.Pass)
			}
		}
		return seq, f.ByKind()
	}
	a, counts := run(42)
	b, _ := run(42)
	c, _ := run(43)
	if !equal(a, b) {
		t.Error("the same seed gave different faults")
	}
	if equal(a, c) {
		t.Error("two seeds gave the same faults")
	}
	total := 0
	for _, k := range []faulty.Kind{faulty.TooMany, faulty.Unavailable, faulty.ServerError, faulty.Lost} {
		if counts[k] == 0 {
			t.Errorf("no %s fault in 5000 requests", k)
		}
		total += counts[k]
	}
	if total < 900 || total > 1100 {
		t.Errorf("%d faults in 5000 requests at rate 0.2", total)
	}
	if counts[faulty.Lost] > 1250/4+100 {
		t.Errorf("%d lost answers, but only 1250 writes", counts[faulty.Lost])
	}
}

func equal(a, b []faulty.Kind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestMatchAndSetRate: faults only where Match says, and none at rate 0.
func TestMatchAndSetRate(t *testing.T) {
	f := faulty.New(faulty.Config{Rate: 1, Seed: 1, Kinds: []faulty.Kind{faulty.ServerError},
		Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/bad") }})
	srv := httptest.NewServer(f.Handler(&origin{}))
	defer srv.Close()
	if status, _, _ := do(srv.Client(), http.MethodGet, srv.URL+"/good"); status != 200 {
		t.Errorf("unmatched request: %d", status)
	}
	if status, _, _ := do(srv.Client(), http.MethodGet, srv.URL+"/bad"); status != 500 {
		t.Errorf("matched request: %d, want 500", status)
	}
	f.SetRate(0)
	if status, _, _ := do(srv.Client(), http.MethodGet, srv.URL+"/bad"); status != 200 {
		t.Errorf("rate 0: %d", status)
	}
	if got := f.Summary(); !strings.HasPrefix(got, "3 requests, 1 faults (1 500)") {
		t.Errorf("summary %q", got)
	}
}
