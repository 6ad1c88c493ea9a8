package google

import (
	"context"
	"testing"
	"time"
)

// TestLimiter: the bucket holds a tenth of the ceiling and fills with the
// rest over a minute, so that no 60 seconds see more than the ceiling;
// the waits are the limiter's reckoning (a recorded sleep, a clock moved
// by hand), never the wall clock.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	var waits []time.Duration
	l := NewLimiter(600)
	l.Now = func() time.Time { return now }
	l.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	for range 100 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 60 from the bucket, then each a reservation one step (60s/540)
	// later than the one before.
	if len(waits) != 40 {
		t.Fatalf("%d of 100 waited, want 40", len(waits))
	}
	step := time.Minute / 540
	for i, d := range waits {
		if want := time.Duration(i+1) * step; d < want-time.Microsecond || d > want+time.Microsecond {
			t.Errorf("wait %d = %s, want %s", i, d, want)
		}
	}
	// A minute later the bucket is full again, not fuller.
	now = now.Add(time.Minute)
	waits = nil
	for range 61 {
		_ = l.Wait(context.Background())
	}
	if len(waits) != 1 { // the 40 owed are paid back, the bucket holds 60 again
		t.Errorf("after a minute %d of 61 waited, want 1", len(waits))
	}
	if l.Waits() != 161 {
		t.Errorf("Waits = %d, want 161", l.Waits())
	}

	off := NewLimiter(0)
	off.Sleep = l.Sleep
	waits = nil
	for range 1000 {
		_ = off.Wait(context.Background())
	}
	if len(waits) != 0 || off.Waits() != 1000 {
		t.Errorf("no limit: %d waits, %d counted", len(waits), off.Waits())
	}
	var none *Limiter
	if err := none.Wait(context.Background()); err != nil || none.Waits() != 0 {
		t.Errorf("nil limiter: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	one := NewLimiter(1)
	_ = one.Wait(ctx)
	if err := one.Wait(ctx); err == nil {
		t.Error("an empty bucket and a done context: no error")
	}
}
