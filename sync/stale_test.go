package sync_test

import (
	"testing"
	"time"

	"oneonone/sync"
)

func TestStale(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		interval    time.Duration
		lastSuccess time.Time
		stale       bool
	}{
		{"never synced", time.Minute, time.Time{}, true},
		{"just synced", time.Minute, now, false},
		{"three intervals ago", time.Minute, now.Add(-3 * time.Minute), false},
		{"more than three intervals ago", time.Minute, now.Add(-3*time.Minute - time.Second), true},
		{"longer interval", time.Hour, now.Add(-2 * time.Hour), false},
		{"default interval (5m)", 0, now.Add(-16 * time.Minute), true},
		{"default interval, fresh", 0, now.Add(-15 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &sync.Daemon{Interval: tc.interval}
			s := sync.SourceStatus{Source: "team", LastAttempt: now, LastSuccess: tc.lastSuccess}
			if got := d.Stale(s, now); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
		})
	}
}
