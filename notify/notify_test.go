package notify

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"oneonone/internal/logtest"
)

// The secrets of the tests: none of them may ever reach a log line.
const (
	secretPath = "SECRETPATH-t0k3n"
	hmacKey    = "HMACKEY-s3cret"
	matrixTok  = "syt_MATRIXTOKEN"
)

// got is one request the receiver saw.
type got struct {
	Method, Path, RequestURI string // the path decoded, and as sent
	Header                   http.Header
	Body                     []byte
}

// receiver is a local HTTP endpoint (loopback, httptest) that records
// every request and answers from a script: the i-th request gets
// answers[i], the ones beyond it 200.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []got
	answers []answer
	block   chan struct{} // when set, each request waits for it (or its own end)
	entered chan struct{} // when set, signalled as each request arrives (while it has room)
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func newReceiver(t *testing.T, answers ...answer) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		i := len(r.reqs)
		r.reqs = append(r.reqs, got{req.Method, req.URL.Path, req.RequestURI, req.Header.Clone(), body})
		a := answer{status: http.StatusOK}
		if i < len(r.answers) {
			a = r.answers[i]
		}
		block, entered := r.block, r.entered
		r.mu.Unlock()
		if entered != nil {
			select {
			case entered <- struct{}{}:
			default: // nobody is waiting for more: never hang the server's Close
			}
		}
		if block != nil {
			select {
			case <-block:
			case <-req.Context().Done():
				return
			}
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// waits records the backoff waits instead of spending them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d)
}

func start(t *testing.T, targets []Target, opts Options) *Dispatcher {
	t.Helper()
	if opts.BackoffBase == 0 {
		opts.BackoffBase = time.Millisecond
	}
	d, err := New(targets, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A test that needs the queue drained calls closeNow; this only
		// ends the goroutines, abandoning a hung receiver.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		d.Close(ctx)
	})
	return d
}

func closeNow(t *testing.T, d *Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

var when = time.Date(2026, 11, 26, 14, 0, 0, 0, time.FixedZone("CET", 3600))

var nudge = Message{
	Kind:       "nudge.overdue",
	Title:      "No 1:1 with Bob for 4 weeks",
	Text:       "The last kept 1:1 with bob@example.com was on 26 Nov.\nCadence: weekly.",
	Markdown:   "The last kept 1:1 with **bob@example.com** was on 26 Nov.\nCadence: weekly.",
	Pair:       "anna@example.com|bob@example.com",
	Occurrence: when,
	URL:        "http://127.0.0.1:8787/pair/bob@example.com?a=1&b=<2>",
	ID:         "nudge.overdue/anna@example.com|bob@example.com/2026-11-26T13:00:00Z",
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

func TestPayloads(t *testing.T) {
	tests := []struct {
		name    string
		target  Target
		method  string
		path    string
		headers map[string]string
		body    string
	}{
		{
			name:   "webhook",
			target: Target{Kind: KindWebhook},
			method: "POST", path: "/hook/" + secretPath,
			headers: map[string]string{"Content-Type": "application/json", HeaderEvent: "nudge.overdue", HeaderDelivery: nudge.ID, HeaderSignature: ""},
			body: `{"id":"nudge.overdue/anna@example.com|bob@example.com/2026-11-26T13:00:00Z","kind":"nudge.overdue",
				"title":"No 1:1 with Bob for 4 weeks",
				"text":"The last kept 1:1 with bob@example.com was on 26 Nov.\nCadence: weekly.",
				"markdown":"The last kept 1:1 with **bob@example.com** was on 26 Nov.\nCadence: weekly.",
				"pair":"anna@example.com|bob@example.com","occurrence":"2026-11-26T14:00:00+01:00",
				"url":"http://127.0.0.1:8787/pair/bob@example.com?a=1&b=<2>"}`,
		},
		{
			name:   "slack",
			target: Target{Kind: KindSlack},
			method: "POST", path: "/hook/" + secretPath,
			headers: map[string]string{"Content-Type": "application/json", "Authorization": "", HeaderSignature: ""},
			body:    `{"text":"*No 1:1 with Bob for 4 weeks*\nThe last kept 1:1 with bob@example.com was on 26 Nov.\nCadence: weekly.\n<http://127.0.0.1:8787/pair/bob@example.com?a=1&amp;b=&lt;2&gt;|Open>"}`,
		},
		{
			name:   "matrix",
			target: Target{Kind: KindMatrix, Token: matrixTok, Room: "!room:example.org"},
			method: "PUT", path: "/hook/" + secretPath + "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/" + TxnID(nudge),
			headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + matrixTok},
			body: `{"msgtype":"m.text",
				"body":"No 1:1 with Bob for 4 weeks\n\nThe last kept 1:1 with bob@example.com was on 26 Nov.\nCadence: weekly.\n\nhttp://127.0.0.1:8787/pair/bob@example.com?a=1&b=<2>",
				"format":"org.matrix.custom.html",
				"formatted_body":"<strong>No 1:1 with Bob for 4 weeks</strong><br><br>The last kept 1:1 with bob@example.com was on 26 Nov.<br>Cadence: weekly.<br><br><a href=\"http://127.0.0.1:8787/pair/bob@example.com?a=1&amp;b=&lt;2&gt;\">http://127.0.0.1:8787/pair/bob@example.com?a=1&amp;b=&lt;2&gt;</a>"}`,
		},
		{
			name:   "teams",
			target: Target{Kind: KindTeams},
			method: "POST", path: "/hook/" + secretPath,
			headers: map[string]string{"Content-Type": "application/json"},
			body: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{
				"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",
				"body":[
					{"type":"TextBlock","text":"No 1:1 with Bob for 4 weeks","weight":"Bolder","size":"Medium","wrap":true},
					{"type":"TextBlock","text":"The last kept 1:1 with **bob@example.com** was on 26 Nov.\nCadence: weekly.","wrap":true}],
				"actions":[{"type":"Action.OpenUrl","title":"Open","url":"http://127.0.0.1:8787/pair/bob@example.com?a=1&b=<2>"}]}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t)
			tg := tt.target
			tg.Name, tg.URL = tt.name, r.URL+"/hook/"+secretPath
			d := start(t, []Target{tg}, Options{})
			d.Send(nudge)
			closeNow(t, d)
			reqs := r.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			q := reqs[0]
			if q.Method != tt.method || q.Path != tt.path {
				t.Errorf("%s %s, want %s %s", q.Method, q.Path, tt.method, tt.path)
			}
			for k, v := range tt.headers {
				if g := q.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
			jsonEqual(t, q.Body, tt.body)
			if s := d.Stats(); !reflect.DeepEqual(s, []Stats{{Target: tt.name, Sent: 1}}) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestTeamsWithoutLink(t *testing.T) {
	p := teamsPayload(Message{Title: "Weekly report", Text: "plain"})
	b, _ := json.Marshal(p)
	jsonEqual(t, b, `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{
		"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",
		"body":[{"type":"TextBlock","text":"Weekly report","weight":"Bolder","size":"Medium","wrap":true},
			{"type":"TextBlock","text":"plain","wrap":true}]}}]}`)
}

func TestWebhookSignature(t *testing.T) {
	r := newReceiver(t)
	d := start(t, []Target{{Name: "hook", Kind: KindWebhook, URL: r.URL + "/" + secretPath, Secret: hmacKey}}, Options{})
	d.Send(nudge)
	d.Send(Message{Kind: "report.weekly", Title: "Week 48", Text: "All kept."})
	closeNow(t, d)
	reqs := r.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, q := range reqs {
		sig := q.Header.Get(HeaderSignature)
		if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
			t.Fatalf("signature %q", sig)
		}
		// What a receiver does: recompute over the raw body, compare in constant time.
		if !hmac.Equal([]byte(sig), []byte(Sign(hmacKey, q.Body))) {
			t.Errorf("signature %s does not verify", sig)
		}
		if hmac.Equal([]byte(sig), []byte(Sign("another key", q.Body))) {
			t.Error("signature verifies under another key")
		}
	}
	if ev := reqs[1].Header.Get(HeaderEvent); ev != "report.weekly" {
		t.Errorf("%s = %q", HeaderEvent, ev)
	}
	// Without an ID, one is derived from the content: the same twice.
	var p1 webhookPayload
	json.Unmarshal(reqs[1].Body, &p1)
	if p1.ID == "" || p1.ID != messageID(Message{Kind: "report.weekly", Title: "Week 48", Text: "All kept."}) || reqs[1].Header.Get(HeaderDelivery) != p1.ID {
		t.Errorf("derived id %q", p1.ID)
	}
	if p1.Occurrence != "" || p1.Pair != "" || p1.URL != "" {
		t.Errorf("empty fields present: %+v", p1)
	}
}

func TestMatrixRetryIsOneTransaction(t *testing.T) {
	r := newReceiver(t, answer{status: 500}, answer{status: 429, body: `{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500}`})
	w := &waits{}
	d := start(t, []Target{{Name: "mx", Kind: KindMatrix, URL: r.URL + "/", Token: matrixTok, Room: "!room:example.org"}}, Options{wait: w.wait})
	d.Send(nudge)
	closeNow(t, d)
	reqs := r.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	want := "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/" + TxnID(nudge)
	for i, q := range reqs {
		if q.Method != "PUT" || q.Path != want {
			t.Errorf("request %d: %s %s, want PUT %s", i, q.Method, q.Path, want)
		}
		if !strings.Contains(q.RequestURI, "/rooms/%21room:example.org/") {
			t.Errorf("request %d: %q does not escape the room id", i, q.RequestURI)
		}
		if g := q.Header.Get("Authorization"); g != "Bearer "+matrixTok {
			t.Errorf("request %d: Authorization %q", i, g)
		}
	}
	if g := w.all(); !slices.Equal(g, []time.Duration{time.Millisecond, 1500 * time.Millisecond}) {
		t.Errorf("waits %v", g)
	}
	if TxnID(nudge) != TxnID(Message{ID: nudge.ID}) || TxnID(nudge) == TxnID(Message{ID: "other"}) {
		t.Error("TxnID is not a function of the ID alone")
	}
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		max      int
		attempts int
		waits    []time.Duration
		stats    Stats
	}{
		{"500 then success", []answer{{status: 500}, {status: 502}}, 0, 3,
			[]time.Duration{time.Millisecond, 2 * time.Millisecond}, Stats{Sent: 1, Retries: 2}},
		{"429 with Retry-After", []answer{{status: 429, header: map[string]string{"Retry-After": "7"}}}, 0, 2,
			[]time.Duration{7 * time.Second}, Stats{Sent: 1, Retries: 1}},
		{"Retry-After beyond the maximum", []answer{{status: 429, header: map[string]string{"Retry-After": "86400"}}}, 0, 2,
			[]time.Duration{DefaultBackoffMax}, Stats{Sent: 1, Retries: 1}},
		{"429 without Retry-After", []answer{{status: 429}}, 0, 2,
			[]time.Duration{time.Millisecond}, Stats{Sent: 1, Retries: 1}},
		{"refused", []answer{{status: 400}}, 0, 1, nil, Stats{Failed: 1}},
		{"redirect is not followed", []answer{{status: 302, header: map[string]string{"Location": "/elsewhere"}}}, 0, 1, nil, Stats{Failed: 1}},
		{"attempts bounded", []answer{{status: 503}, {status: 503}, {status: 503}, {status: 503}}, 3, 3,
			[]time.Duration{time.Millisecond, 2 * time.Millisecond}, Stats{Failed: 1, Retries: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, tt.answers...)
			w := &waits{}
			d := start(t, []Target{{Name: "hook", Kind: KindWebhook, URL: r.URL}}, Options{MaxAttempts: tt.max, wait: w.wait})
			d.Send(nudge)
			closeNow(t, d)
			if n := len(r.requests()); n != tt.attempts {
				t.Errorf("%d attempts, want %d", n, tt.attempts)
			}
			for i, q := range r.requests() {
				if q.Path != "/" || q.Header.Get(HeaderDelivery) != nudge.ID {
					t.Errorf("attempt %d: %s, id %q", i, q.Path, q.Header.Get(HeaderDelivery))
				}
			}
			if g := w.all(); !slices.Equal(g, tt.waits) {
				t.Errorf("waits %v, want %v", g, tt.waits)
			}
			tt.stats.Target = "hook"
			if s := d.Stats()[0]; s != tt.stats {
				t.Errorf("stats %+v, want %+v", s, tt.stats)
			}
		})
	}
}

func TestBackoffDoublesToMax(t *testing.T) {
	r := newReceiver(t, slices.Repeat([]answer{{status: 500}}, 10)...)
	w := &waits{}
	d := start(t, []Target{{Name: "hook", Kind: KindWebhook, URL: r.URL}},
		Options{MaxAttempts: 6, BackoffBase: time.Second, BackoffMax: 5 * time.Second, wait: w.wait})
	d.Send(nudge)
	closeNow(t, d)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if g := w.all(); !slices.Equal(g, want) {
		t.Errorf("waits %v, want %v", g, want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "0": 0, "-3": 0, "soon": 0, "120": 2 * time.Minute,
		"Thu, 03 Dec 2026 07:00:30 GMT": 30 * time.Second,
		"Thu, 03 Dec 2026 06:59:00 GMT": 0,
	} {
		if g := retryAfter(v, now); g != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, g, want)
		}
	}
}

// The queue of a target is bounded: while its receiver hangs, Send returns
// at once and the oldest messages are dropped and counted.
func TestQueueBound(t *testing.T) {
	r := newReceiver(t)
	r.block, r.entered = make(chan struct{}), make(chan struct{}, 10)
	rec := logtest.New()
	d := start(t, []Target{{Name: "slow", Kind: KindWebhook, URL: r.URL}}, Options{QueueSize: 2, Logger: rec.Logger()})
	d.Send(Message{ID: "m0"})
	<-r.entered // m0 is in flight, the queue is empty
	for _, id := range []string{"m1", "m2", "m3", "m4", "m5"} {
		d.Send(Message{ID: id})
	}
	if s := d.Stats()[0]; s.Dropped != 3 {
		t.Errorf("dropped %d, want 3", s.Dropped)
	}
	close(r.block)
	closeNow(t, d)
	var ids []string
	for _, q := range r.requests() {
		ids = append(ids, q.Header.Get(HeaderDelivery))
	}
	if !slices.Equal(ids, []string{"m0", "m4", "m5"}) {
		t.Errorf("delivered %q, want m0 m4 m5", ids)
	}
	if s := d.Stats()[0]; s != (Stats{Target: "slow", Sent: 3, Dropped: 3}) {
		t.Errorf("stats %+v", s)
	}
	n := 0
	for _, l := range rec.Lines() {
		if l.Message == "notify: queue full, dropped the oldest message" {
			n++
			if l.Attrs["target"] != "slow" {
				t.Errorf("line %+v does not name the target", l)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d queue-full warnings, want 3", n)
	}
}

// A target that hangs delays neither the caller nor another target.
func TestFailingTargetIsolated(t *testing.T) {
	hung := newReceiver(t)
	hung.block, hung.entered = make(chan struct{}), make(chan struct{}, 1)
	ok := newReceiver(t)
	d := start(t, []Target{{Name: "hung", Kind: KindSlack, URL: hung.URL}, {Name: "ok", Kind: KindSlack, URL: ok.URL}}, Options{QueueSize: 4})
	t.Cleanup(func() { close(hung.block) })
	for i := range 20 {
		d.Send(Message{Title: "n", ID: string(rune('a' + i))})
		if i == 0 {
			<-hung.entered
		}
		// The healthy target is not held up: each message arrives while
		// the other target still hangs on the first.
		deadline := time.Now().Add(10 * time.Second)
		for len(ok.requests()) < i+1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	if n := len(ok.requests()); n != 20 {
		t.Errorf("the healthy target got %d of 20", n)
	}
	// The last request has arrived; its answer may not be counted yet.
	for deadline := time.Now().Add(10 * time.Second); d.Stats()[1].Sent < 20 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if s := d.Stats(); s[0].Dropped != 20-1-4 || s[1].Sent != 20 || s[1].Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestCloseDrains(t *testing.T) {
	r := newReceiver(t, answer{status: 500})
	d := start(t, []Target{{Name: "hook", Kind: KindTeams, URL: r.URL}}, Options{QueueSize: 32})
	for i := range 20 {
		d.Send(Message{Title: "t", ID: string(rune('A' + i))})
	}
	closeNow(t, d)
	if n := len(r.requests()); n != 21 { // 20 and one retry
		t.Errorf("%d requests, want 21", n)
	}
	if s := d.Stats()[0]; s != (Stats{Target: "hook", Sent: 20, Retries: 1}) {
		t.Errorf("stats %+v", s)
	}
	// After Close, Send drops and counts; Close again is harmless.
	d.Send(Message{ID: "late"})
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if s := d.Stats()[0]; s.Dropped != 1 || len(r.requests()) != 21 {
		t.Errorf("after Close: stats %+v, %d requests", s, len(r.requests()))
	}
}

// Close gives up when its context ends: the request in flight is
// abandoned, the rest counted as dropped.
func TestCloseGivesUp(t *testing.T) {
	r := newReceiver(t)
	r.block, r.entered = make(chan struct{}), make(chan struct{}, 10)
	t.Cleanup(func() { close(r.block) })
	d := start(t, []Target{{Name: "hung", Kind: KindWebhook, URL: r.URL}}, Options{})
	for _, id := range []string{"a", "b", "c"} {
		d.Send(Message{ID: id})
	}
	<-r.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close = %v, want context.Canceled", err)
	}
	if s := d.Stats()[0]; s != (Stats{Target: "hung", Dropped: 3}) {
		t.Errorf("stats %+v", s)
	}
}

// Nothing logged ever holds a target's URL, secret or token: not on
// success, retry, refusal, timeout, refused connection or a full queue.
func TestLogsHoldNoSecret(t *testing.T) {
	rec := logtest.New()
	flaky := newReceiver(t, answer{status: 500, body: secretPath}, answer{status: 429, header: map[string]string{"Retry-After": "0"}}, answer{status: 401, body: hmacKey})
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL + "/" + secretPath
	gone.Close()
	slow := newReceiver(t)
	slow.block = make(chan struct{})
	t.Cleanup(func() { close(slow.block) })
	targets := []Target{
		{Name: "hook", Kind: KindWebhook, URL: flaky.URL + "/" + secretPath, Secret: hmacKey},
		{Name: "gone", Kind: KindSlack, URL: goneURL},
		{Name: "mx", Kind: KindMatrix, URL: slow.URL + "/" + secretPath, Token: matrixTok, Room: "!r:example.org"},
	}
	d := start(t, targets, Options{Logger: rec.Logger(), MaxAttempts: 3, QueueSize: 1, Timeout: 50 * time.Millisecond})
	for range 4 {
		d.Send(nudge)
		d.Send(Message{Kind: "report.weekly", Title: "Week 48"})
	}
	closeNow(t, d)
	lines := rec.Lines()
	if len(lines) < 5 {
		t.Fatalf("only %d log lines: the test does not exercise the failures", len(lines))
	}
	for _, l := range lines {
		all := l.Message
		for k, v := range l.Attrs {
			all += " " + k + "=" + v
		}
		for _, s := range []string{secretPath, hmacKey, matrixTok, flaky.URL, slow.URL, goneURL} {
			if strings.Contains(all, s) {
				t.Errorf("log line holds %q: %s", s, all)
			}
		}
		if l.Attrs["target"] == "" {
			t.Errorf("log line names no target: %s", all)
		}
	}
	s := d.Stats()
	if s[0].Failed+s[0].Sent+s[0].Dropped != 8 || s[1].Failed+s[1].Dropped != 8 || s[2].Failed+s[2].Dropped+s[2].Sent != 8 {
		t.Errorf("stats %+v", s)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tt := range []struct {
		name    string
		targets []Target
		msg     string
	}{
		{"kind", []Target{{Name: "x", Kind: "irc", URL: "https://h/" + secretPath}}, `unknown kind "irc"`},
		{"twice", []Target{{Name: "x", Kind: KindSlack, URL: "https://h/a"}, {Name: "x", Kind: KindSlack, URL: "https://h/b"}}, "named twice"},
		{"matrix room", []Target{{Name: "x", Kind: KindMatrix, URL: "https://h", Token: matrixTok}}, "needs a token and a room"},
		{"scheme", []Target{{Name: "x", Kind: KindSlack, URL: "ftp://h/" + secretPath}}, "not an absolute http(s) URL"},
		{"unparsable", []Target{{Name: "x", Kind: KindSlack, URL: "https://h/%zz" + secretPath}}, "not an absolute http(s) URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.targets, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("New = %v, want …%s…", err, tt.msg)
			}
			if strings.Contains(err.Error(), secretPath) || strings.Contains(err.Error(), matrixTok) {
				t.Errorf("error holds a secret: %v", err)
			}
		})
	}
}
