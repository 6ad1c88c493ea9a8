// Package faulty puts an unreliable network between a client and a server,
// for tests: at a given rate, chosen by a seeded generator, a request is
// answered 429, 503 or 500, held past the client's timeout, cut off mid-answer
// or reset, and a write is applied but its answer lost. Everything else
// passes through untouched.
//
// Faults.Handler wraps a server's http.Handler, so the faults happen on a real
// connection (a reset is a closed socket, a cut answer a short body);
// Faults.Transport wraps a client's http.RoundTripper, for clients whose
// server is out of reach. Both draw from the same generator and counters.
//
//	f := faulty.New(faulty.Config{Rate: 0.2, Seed: 1})
//	srv := httptest.NewServer(f.Handler(dav.Handler()))
//	...
//	f.SetRate(0) // faults stop; the system must converge
//	f.Wait()     // requests held back have been served
package faulty

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"
)

// Kind is what happens to one request.
type Kind int

// The kinds of fault. Pass is no fault.
const (
	Pass Kind = iota
	// TooMany answers 429 Too Many Requests with Retry-After: 1; the
	// server never sees the request.
	TooMany
	// Unavailable answers 503 Service Unavailable with Retry-After: 1; the
	// server never sees the request.
	Unavailable
	// ServerError answers 500 Internal Server Error; the server never sees
	// the request.
	ServerError
	// Delay holds the request for Config.Delay, or until the client gives
	// up, and then serves it all the same: a slow server finishes its work
	// (a PUT is applied) after the client has stopped listening.
	Delay
	// Reset closes the connection before the server sees the request.
	Reset
	// Cut serves the request and sends only a part of the answer (status
	// line, headers and body cut at a random byte, with the full
	// Content-Length announced), then closes the connection.
	Cut
	// Lost serves a write (PUT, POST, PATCH, DELETE): the server applies
	// it, and the connection is closed before a byte of the answer is
	// sent. It is never chosen for other methods.
	Lost
)

// All is every fault kind.
var All = []Kind{TooMany, Unavailable, ServerError, Delay, Reset, Cut, Lost}

var kindNames = map[Kind]string{
	Pass: "pass", TooMany: "429", Unavailable: "503", ServerError: "500",
	Delay: "delay", Reset: "reset", Cut: "cut", Lost: "lost",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Config says which faults happen and how often.
type Config struct {
	// Rate is the fraction of requests that meet a fault, in [0, 1].
	Rate float64
	// Seed seeds the generator that picks the requests and their faults.
	Seed uint64
	// Kinds are the faults to pick from, each as likely; nil means All.
	// Lost is picked only for writes; a read drawn for it gets another kind
	// of the list (or passes when Lost is the only one).
	Kinds []Kind
	// Delay is how long a Delay fault holds a request; it should be longer
	// than the client's timeout. Default 2s.
	Delay time.Duration
	// Match limits faults to the requests it accepts; nil means all.
	Match func(*http.Request) bool
}

// Faults decides the fate of each request and counts what it did. It is
// safe for concurrent use.
type Faults struct {
	mu     gosync.Mutex
	rate   float64
	rng    *rand.Rand
	kinds  []Kind
	delay  time.Duration
	match  func(*http.Request) bool
	queue  []queued
	counts map[Count]int
	total  int

	busy  int          // requests being held or served
	quiet *gosync.Cond // signalled when busy drops to 0; uses mu
}

type queued struct {
	kind   Kind
	method string
}

// Count keys the counters: a method and what happened to a request of it.
type Count struct {
	Method string
	Kind   Kind
}

// New returns Faults for cfg.
func New(cfg Config) *Faults {
	f := &Faults{
		rate:   cfg.Rate,
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d)),
		kinds:  slices.Clone(cfg.Kinds),
		delay:  cfg.Delay,
		match:  cfg.Match,
		counts: map[Count]int{},
	}
	f.quiet = gosync.NewCond(&f.mu)
	if f.kinds == nil {
		f.kinds = slices.Clone(All)
	}
	if f.delay <= 0 {
		f.delay = 2 * time.Second
	}
	return f
}

// SetRate changes the fault rate; 0 turns random faults off (queued ones
// still happen).
func (f *Faults) SetRate(rate float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = rate
}

// Next queues a fault for the next request of method ("" = any), before
// any random one. Queued faults are used in order, each once.
func (f *Faults) Next(method string, k Kind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, queued{kind: k, method: method})
}

// Counts returns how many requests met each fate, by method (Pass
// included).
func (f *Faults) Counts() map[Count]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.counts)
}

// ByKind returns how many requests met each fault, all methods together
// (Pass left out).
func (f *Faults) ByKind() map[Kind]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[Kind]int{}
	for c, n := range f.counts {
		if c.Kind != Pass {
			out[c.Kind] += n
		}
	}
	return out
}

// Requests returns how many requests went through, faults included.
func (f *Faults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// Summary describes the counters in one line: "1234 requests: 40 429, …".
func (f *Faults) Summary() string {
	by := f.ByKind()
	parts := []string{}
	faults := 0
	for _, k := range All {
		if n := by[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
			faults += n
		}
	}
	lostPUT := f.Counts()[Count{http.MethodPut, Lost}]
	s := fmt.Sprintf("%d requests, %d faults", f.Requests(), faults)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if lostPUT > 0 {
		s += fmt.Sprintf(", %d PUTs applied with the answer lost", lostPUT)
	}
	return s
}

// Wait blocks until every request that Handler or Transport is holding or
// serving has finished, so that a delayed write has landed.
func (f *Faults) Wait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.busy > 0 {
		f.quiet.Wait()
	}
}

// done ends a request that decide began.
func (f *Faults) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy--
	if f.busy == 0 {
		f.quiet.Broadcast()
	}
}

// isWrite reports whether a method changes the server's state.
func isWrite(method string) bool {
	switch method {
	case http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// decide picks the fate of r and counts it; the caller calls done when
// the request is over.
func (f *Faults) decide(r *http.Request) Kind {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy++
	f.total++
	k := f.pickLocked(r)
	f.counts[Count{r.Method, k}]++
	return k
}

func (f *Faults) pickLocked(r *http.Request) Kind {
	for i, q := range f.queue {
		if q.method == "" || strings.EqualFold(q.method, r.Method) {
			f.queue = slices.Delete(f.queue, i, i+1)
			if q.kind == Lost && !isWrite(r.Method) {
				return Cut
			}
			return q.kind
		}
	}
	if f.rate <= 0 || (f.match != nil && !f.match(r)) {
		return Pass
	}
	// Draw both numbers whatever the outcome, so that one request's fate
	// does not shift the sequence of the others.
	hit, pick := f.rng.Float64(), f.rng.IntN(len(f.kinds))
	if hit >= f.rate {
		return Pass
	}
	k := f.kinds[pick]
	if k == Lost && !isWrite(r.Method) {
		others := slices.DeleteFunc(slices.Clone(f.kinds), func(k Kind) bool { return k == Lost })
		if len(others) == 0 {
			return Pass
		}
		k = others[pick%len(others)]
	}
	return k
}

// cutAt picks how many bytes of an answer of n bytes get through: fewer
// than n.
func (f *Faults) cutAt(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n < 1 {
		return 0
	}
	return f.rng.IntN(n)
}

// statusAnswer is the body and headers of a 429, 503 or 500.
func statusAnswer(w http.ResponseWriter, k Kind) {
	code := map[Kind]int{TooMany: http.StatusTooManyRequests, Unavailable: http.StatusServiceUnavailable, ServerError: http.StatusInternalServerError}[k]
	if k != ServerError {
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, "faulty: "+http.StatusText(code), code)
}

// hold waits for the delay or for ctx to end, whichever comes first.
func (f *Faults) hold(ctx context.Context) {
	t := time.NewTimer(f.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Handler wraps next, a server, with the faults. Reset, Cut and Lost need
// an HTTP/1.x connection that can be hijacked (httptest.NewServer's); on
// another they answer 500 instead.
func (f *Faults) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := f.decide(r)
		defer f.done()
		switch k {
		case Pass:
			next.ServeHTTP(w, r)
		case TooMany, Unavailable, ServerError:
			drainBody(r)
			statusAnswer(w, k)
		case Delay:
			// Read the body first, as a server would before working.
			body, _ := io.ReadAll(r.Body)
			f.hold(r.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		case Reset:
			drainBody(r)
			closeConn(w)
		case Cut, Lost:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			conn, ok := hijack(w)
			if !ok {
				return
			}
			defer conn.Close()
			if k == Lost {
				return
			}
			raw := rawResponse(r, rec)
			_, _ = conn.Write(raw[:f.cutAt(len(raw))])
		}
	})
}

func drainBody(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
}

// hijack takes the connection over; without one it answers 500.
func hijack(w http.ResponseWriter) (net.Conn, bool) {
	c, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "faulty: cannot hijack the connection: "+err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	_ = buf.Writer.Flush()
	return c, true
}

func closeConn(w http.ResponseWriter) {
	if c, ok := hijack(w); ok {
		_ = c.Close()
	}
}

// rawResponse is the recorded answer as HTTP/1.1 bytes, with its full
// Content-Length, so that a client can tell a cut answer from a whole one.
func rawResponse(r *http.Request, rec *httptest.ResponseRecorder) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	h := rec.Header().Clone()
	h.Del("Transfer-Encoding")
	body := rec.Body.Bytes()
	if r.Method == http.MethodHead {
		body = nil
	} else {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	h.Set("Connection", "close")
	bw := bufio.NewWriter(&b)
	_ = h.Write(bw)
	_ = bw.Flush()
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// Transport wraps base (nil means http.DefaultTransport), a client's
// transport, with the faults: the same fates, played on the client's side.
// A reset or a lost answer is an error; a cut answer a body that ends early
// with io.ErrUnexpectedEOF.
func (f *Faults) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{f: f, base: base}
}

// ErrReset is the error of a request whose connection a Reset or Lost
// fault closed (Transport only; through Handler the client sees its own
// transport's error).
var ErrReset = errors.New("faulty: connection reset by peer")

type transport struct {
	f    *Faults
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	k := t.f.decide(req)
	defer t.f.done()
	switch k {
	case Pass:
		return t.base.RoundTrip(req)
	case TooMany, Unavailable, ServerError:
		if req.Body != nil {
			req.Body.Close()
		}
		rec := httptest.NewRecorder()
		statusAnswer(rec, k)
		resp := rec.Result()
		resp.Request = req
		return resp, nil
	case Delay:
		ctx := req.Context()
		t.f.hold(ctx)
		// The server does the work even when the client gave up.
		late := req.Clone(context.WithoutCancel(ctx))
		//lint:ignore SA1019 http.Client still sets Cancel on a timeout: a late request must not see it.
		late.Cancel = nil
		resp, err := t.base.RoundTrip(late)
		if ctx.Err() != nil {
			if err == nil {
				drainClose(resp)
			}
			return nil, ctx.Err()
		}
		return resp, err
	case Reset:
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, ErrReset
	default: // Cut, Lost
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if k == Lost {
			return nil, ErrReset
		}
		resp.Body = &cutBody{r: bytes.NewReader(body[:t.f.cutAt(len(body))])}
		resp.ContentLength = int64(len(body))
		return resp, nil
	}
}

func drainClose(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// cutBody yields its bytes, then io.ErrUnexpectedEOF.
type cutBody struct{ r *bytes.Reader }

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *cutBody) Close() error { return nil }
