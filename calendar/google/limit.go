package google

import (
	"context"
	gosync "sync"
	"sync/atomic"
	"time"
)

// Limiter is a token bucket that bounds the requests of every client that
// shares it (Options.Limiter): in any 60 seconds at most the per-minute
// ceiling. The bucket holds a tenth of the ceiling and fills at the rest
// of it spread over the minute, so that a burst and the steady rate
// together stay under the ceiling. The zero value and a nil *Limiter
// limit nothing. It is safe for concurrent use.
type Limiter struct {
	// Sleep waits d or until ctx is done; nil means a timer. Tests pass a
	// recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu       gosync.Mutex
	every    time.Duration // one token per every; 0: no limit
	capacity float64
	tokens   float64
	last     time.Time

	waits atomic.Int64
}

// NewLimiter returns a limiter of perMinute requests a minute; 0 is no
// limit.
func NewLimiter(perMinute int) *Limiter {
	l := &Limiter{}
	l.SetPerMinute(perMinute)
	return l
}

// SetPerMinute changes the ceiling (a reloaded config); 0 is no limit.
// The bucket starts full.
func (l *Limiter) SetPerMinute(perMinute int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if perMinute <= 0 {
		l.every, l.capacity, l.tokens = 0, 0, 0
		return
	}
	burst := max(1, perMinute/10)
	steady := max(1, perMinute-burst)
	l.every = time.Minute / time.Duration(steady)
	l.capacity, l.tokens = float64(burst), float64(burst)
	l.last = time.Time{}
}

// Wait takes a token, waiting for one when the bucket is empty, or
// returns ctx's error.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.waits.Add(1)
	l.mu.Lock()
	if l.every == 0 {
		l.mu.Unlock()
		return nil
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	if !l.last.IsZero() && now.After(l.last) {
		l.tokens = min(l.capacity, l.tokens+float64(now.Sub(l.last))/float64(l.every))
	}
	l.last = now
	// A reservation: tokens below zero are those promised to the waiters
	// before us.
	l.tokens--
	var d time.Duration
	if l.tokens < 0 {
		d = time.Duration(-l.tokens * float64(l.every))
	}
	sleep := l.Sleep
	l.mu.Unlock()
	if d == 0 {
		return nil
	}
	if sleep == nil {
		sleep = sleepFor
	}
	return sleep(ctx, d)
}

// Waits is the number of times Wait was called: once for every request of
// every client that shares the limiter, retries included.
func (l *Limiter) Waits() int64 {
	if l == nil {
		return 0
	}
	return l.waits.Load()
}

// sleepFor is the errors.go sleep, through a variable of the same type.
var sleepFor = sleep
