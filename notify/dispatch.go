package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultQueueSize   = 64
	DefaultTimeout     = 30 * time.Second
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 5 * time.Minute
	DefaultMaxAttempts = 8
)

// Options tunes a Dispatcher; the zero value takes every default.
type Options struct {
	Logger      *slog.Logger  // nil discards
	Client      *http.Client  // nil: a client that follows no redirect
	QueueSize   int           // messages waiting per target; the oldest is dropped beyond it
	Timeout     time.Duration // of one request
	BackoffBase time.Duration // the first wait after a failure, doubled after each
	BackoffMax  time.Duration // the longest wait, Retry-After included
	MaxAttempts int           // attempts per message, the first included

	// wait sleeps for d or until ctx is done; tests replace it to count
	// the waits instead of spending them.
	wait func(ctx context.Context, d time.Duration) error
}

// Stats counts what became of the messages of one target.
type Stats struct {
	Target  string
	Sent    int // delivered (a 2xx answer)
	Failed  int // given up: a refusal, or MaxAttempts spent
	Dropped int // never tried: the queue was full, or Close came first
	Retries int // attempts after the first
}

// Dispatcher delivers messages to targets in the background: a bounded
// queue and one goroutine per target, so that a slow or failing target
// never delays the caller nor the other targets.
type Dispatcher struct {
	opts    Options
	log     *slog.Logger
	client  *http.Client
	workers []*worker
	stop    context.CancelFunc // cancels the requests and waits in progress
	ctx     context.Context
	wg      sync.WaitGroup
}

// worker is one target's queue and counts.
type worker struct {
	t    Target
	log  *slog.Logger
	wake chan struct{} // 1-buffered: something was queued, or closing

	mu     sync.Mutex
	queue  []Message
	closed bool
	stats  Stats
}

// New starts a dispatcher for targets. It returns an error, naming the
// target, for a kind it does not know, a duplicate name, a matrix target
// without token or room, or a URL that is not http(s); never the URL.
func New(targets []Target, opts Options) (*Dispatcher, error) {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.wait == nil {
		opts.wait = sleep
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.Name] {
			return nil, fmt.Errorf("notify: target %s named twice", t.Name)
		}
		seen[t.Name] = true
		switch t.Kind {
		case KindWebhook, KindSlack, KindTeams:
		case KindMatrix:
			if t.Token == "" || t.Room == "" {
				return nil, fmt.Errorf("notify: matrix target %s needs a token and a room", t.Name)
			}
		default:
			return nil, fmt.Errorf("notify: target %s: unknown kind %q", t.Name, t.Kind)
		}
		if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("notify: target %s: the URL is not an absolute http(s) URL", t.Name)
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	d := &Dispatcher{opts: opts, log: log, client: client, ctx: ctx, stop: stop}
	for _, t := range targets {
		w := &worker{t: t, log: log.With(slog.String("target", t.Name), slog.String("kind", t.Kind)),
			wake: make(chan struct{}, 1), stats: Stats{Target: t.Name}}
		d.workers = append(d.workers, w)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.run(w)
		}()
	}
	return d, nil
}

// Send queues msg for every target and returns at once. When a target's
// queue is full its oldest message is dropped, counted and logged. After
// Close, msg is dropped.
func (d *Dispatcher) Send(msg Message) {
	if msg.ID == "" {
		msg.ID = messageID(msg)
	}
	for _, w := range d.workers {
		w.mu.Lock()
		switch {
		case w.closed:
			w.stats.Dropped++
			w.mu.Unlock()
			w.log.Warn("notify: closed, message dropped", slog.String("id", msg.ID), slog.String("event", msg.Kind))
			continue
		case len(w.queue) >= d.opts.QueueSize:
			old := w.queue[0]
			w.queue = append(w.queue[1:], msg)
			w.stats.Dropped++
			n := w.stats.Dropped
			w.mu.Unlock()
			w.log.Warn("notify: queue full, dropped the oldest message", slog.String("id", old.ID),
				slog.String("event", old.Kind), slog.Int("queue", d.opts.QueueSize), slog.Int("dropped", n))
		default:
			w.queue = append(w.queue, msg)
			w.mu.Unlock()
		}
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Stats returns the counts of every target, in the order of New.
func (d *Dispatcher) Stats() []Stats {
	out := make([]Stats, 0, len(d.workers))
	for _, w := range d.workers {
		w.mu.Lock()
		out = append(out, w.stats)
		w.mu.Unlock()
	}
	return out
}

// Close stops taking messages and waits until every queued one is
// delivered or given up, or until ctx is done: then it abandons the
// requests and waits in progress, counts what is left as dropped, and
// returns ctx's error. It may be called more than once.
func (d *Dispatcher) Close(ctx context.Context) error {
	for _, w := range d.workers {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		d.stop()
		return nil
	case <-ctx.Done():
		d.stop()
		<-done
		return ctx.Err()
	}
}

// run delivers w's messages one at a time until it is closed and empty,
// or the dispatcher is stopped.
func (d *Dispatcher) run(w *worker) {
	for {
		w.mu.Lock()
		if d.ctx.Err() != nil {
			if n := len(w.queue); n > 0 {
				w.stats.Dropped += n
				w.queue = nil
				w.mu.Unlock()
				w.log.Warn("notify: closing, messages dropped", slog.Int("count", n))
				return
			}
			w.mu.Unlock()
			return
		}
		if len(w.queue) == 0 {
			closed := w.closed
			w.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-w.wake:
			case <-d.ctx.Done():
			}
			continue
		}
		msg := w.queue[0]
		w.queue = slices.Delete(w.queue, 0, 1)
		w.mu.Unlock()
		d.deliver(w, msg)
	}
}

// deliver tries msg until it is delivered, refused, or MaxAttempts are
// spent, waiting with exponential backoff in between.
func (d *Dispatcher) deliver(w *worker, msg Message) {
	backoff := d.opts.BackoffBase
	attrs := []any{slog.String("id", msg.ID), slog.String("event", msg.Kind)}
	for attempt := 1; ; attempt++ {
		res := d.attempt(w.t, msg)
		if res.err == nil {
			w.mu.Lock()
			w.stats.Sent++
			w.mu.Unlock()
			w.log.Debug("notify: delivered", append(attrs, slog.Int("attempts", attempt))...)
			return
		}
		if d.ctx.Err() != nil {
			w.mu.Lock()
			w.stats.Dropped++
			w.mu.Unlock()
			w.log.Warn("notify: closing, message dropped", attrs...)
			return
		}
		if !res.retry || attempt >= d.opts.MaxAttempts {
			w.mu.Lock()
			w.stats.Failed++
			w.mu.Unlock()
			w.log.Warn("notify: gave up", append(attrs, slog.Int("attempts", attempt), slog.String("error", res.err.Error()))...)
			return
		}
		wait := backoff
		if res.after > 0 {
			wait = res.after
		}
		wait = min(wait, d.opts.BackoffMax)
		backoff = min(backoff*2, d.opts.BackoffMax)
		w.log.Info("notify: will retry", append(attrs, slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", res.err.Error()))...)
		w.mu.Lock()
		w.stats.Retries++
		w.mu.Unlock()
		if err := d.opts.wait(d.ctx, wait); err != nil {
			w.mu.Lock()
			w.stats.Dropped++
			w.mu.Unlock()
			w.log.Warn("notify: closing, message dropped", attrs...)
			return
		}
	}
}

// result is the outcome of one attempt.
type result struct {
	err   error         // nil: delivered
	retry bool          // the failure may pass
	after time.Duration // the wait the receiver asked for (Retry-After), 0 for none
}

// retryable are the answers worth another attempt; any other non-2xx is a
// refusal that the same request would get again.
var retryable = []int{
	http.StatusRequestTimeout,      // 408
	http.StatusTooManyRequests,     // 429
	http.StatusInternalServerError, // 500
	http.StatusBadGateway,          // 502
	http.StatusServiceUnavailable,  // 503
	http.StatusGatewayTimeout,      // 504
}

// attempt makes one request. Its errors never hold the URL.
func (d *Dispatcher) attempt(t Target, msg Message) result {
	ctx, cancel := context.WithTimeout(d.ctx, d.opts.Timeout)
	defer cancel()
	req, err := newRequest(ctx, t, msg)
	if err != nil {
		return result{err: err}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", d.opts.Timeout)
		}
		return result{err: err, retry: true}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return result{}
	}
	res := result{err: fmt.Errorf("answered %s", resp.Status), retry: slices.Contains(retryable, resp.StatusCode)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.after = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if res.after == 0 && t.Kind == KindMatrix {
			// Matrix says it in the body: M_LIMIT_EXCEEDED with retry_after_ms.
			var e struct {
				RetryAfterMS int64 `json:"retry_after_ms"`
			}
			if json.Unmarshal(body, &e) == nil && e.RetryAfterMS > 0 {
				res.after = time.Duration(e.RetryAfterMS) * time.Millisecond
			}
		}
	}
	return res
}

// retryAfter reads a Retry-After header (RFC 9110 10.2.3): seconds, or an
// HTTP date; 0 when absent, unreadable or past.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<31)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
